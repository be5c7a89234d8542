#!/usr/bin/env bash
# The chain follower against a real anvil: credit after N confirmations,
# long-polls, unmatched payments, rollbacks (forgotten, reversed), restart,
# node down and back, another chain refused. The checks are in
# test_chain_follow.py (standard-library Python with chain.py's anvil).
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_chain_follow.py
