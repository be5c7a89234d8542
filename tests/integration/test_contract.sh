#!/usr/bin/env bash
# The market contract against a real anvil: reproducible build, purchase
# and its event, the fee split, withdraw, re-entrancy, bad arguments. The
# checks are in test_contract.py (standard-library Python, chain.py).
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_contract.py
