#!/usr/bin/env bash
# The chain property test with sluiced behind rpc_fault_proxy.py: random
# drops, 5xx, empty eth_getLogs, stale heads, truncated, oversized and late
# answers (SLUICE_CHAIN_FAULT_SEEDS seeds, default 30); then a spell of
# garbage answers: sluiced stays up, logs it, shows degraded, catches up.
# The sanitizer builds run 8 fault seeds and 2 garbage seeds.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
case ${SLUICE_BUILD:-build} in
*asan* | *ubsan* | *sanitize*)
    export SLUICE_CHAIN_FAULT_SEEDS=${SLUICE_CHAIN_FAULT_SEEDS:-8}
    export SLUICE_CHAIN_GARBAGE_SEEDS=${SLUICE_CHAIN_GARBAGE_SEEDS:-2}
    ;;
esac
python3 tests/integration/test_chain_property.py faults
exec python3 tests/integration/test_chain_property.py garbage
