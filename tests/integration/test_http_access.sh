#!/usr/bin/env bash
# Access rules and input checks over HTTP against a live sluiced: see the docstring of
# test_http_access.py. Run from the repository root with SLUICED set.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_http_access.py
