#!/usr/bin/env bash
# The follower halves its eth_getLogs range when the node refuses a large
# one. The checks are in test_chain_ranges.py.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_chain_ranges.py
