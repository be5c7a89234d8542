#!/usr/bin/env bash
# Property test of the chain follower, sink and ledger against a real anvil
# and a real sluiced: random purchases, mining, reorgs and rollbacks per
# seed, with the credited set, balances, reversals and stored hashes
# checked against the node after every step. SLUICE_CHAIN_SEEDS seeds
# (default 200; 25 in the sanitizer builds, which run the same code paths
# several times slower); `make soak-chain` runs 2000. See
# test_chain_property.py.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
case ${SLUICE_BUILD:-build} in
*asan* | *ubsan* | *sanitize*) export SLUICE_CHAIN_SEEDS=${SLUICE_CHAIN_SEEDS:-25} ;;
esac
exec python3 tests/integration/test_chain_property.py plain
