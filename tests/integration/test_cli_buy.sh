#!/usr/bin/env bash
# sluice buy and sluice withdraw against a real anvil and a live sluiced.
# The checks are in test_cli_buy.py (standard-library Python, with
# chain.py's anvil). Run from the repository root with SLUICED set
# (tests/run.sh does so), and SLUICE_BUILD when sluice is not beside it.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_cli_buy.py
