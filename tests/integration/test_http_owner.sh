#!/usr/bin/env bash
# The owner's story over HTTP against a live sluiced: see the docstring of
# test_http_owner.py. Run from the repository root with SLUICED set.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_http_owner.py
