#!/usr/bin/env bash
# Restart in the middle of a catch-up: killed with SIGKILL several times,
# every payment credited exactly once in the end. The checks are in
# test_chain_restart.py.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_chain_restart.py
