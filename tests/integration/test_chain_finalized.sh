#!/usr/bin/env bash
# --finalized: credited at the node's finalized block, not by counting
# confirmations. The checks are in test_chain_finalized.py.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_chain_finalized.py
