#!/usr/bin/env bash
# What names, tags, descriptions, licenses, integer members and catalogue
# cursors may hold (issue 8, point 7): table-driven cases over each field,
# in test_http_validation.py (standard-library Python, with the independent
# client of sluice_http.py). Run from the repository root with SLUICED set.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_http_validation.py
