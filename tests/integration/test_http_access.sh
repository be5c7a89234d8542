#!/usr/bin/env bash
# Access rules and input checks over HTTP: drafts, other signers, routes,
# methods, body limits, JSON and id validation, traversal, the page.
# The checks are in test_http_access.py (standard-library Python, with the
# independent client of sluice_http.py). Run from the repository root with
# SLUICED set (tests/run.sh does so); SLUICE_HTTP_KEEP_GOING=1 reports every
# failure instead of stopping at the first.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_http_access.py
