#!/usr/bin/env bash
# Nonces and replays (DESIGN.md 3.1) over HTTP: repeats get the first
# answer, reuse is 409, concurrent copies, replays across restarts.
# The checks are in test_http_nonces.py (standard-library Python, with the
# independent client of sluice_http.py). Run from the repository root with
# SLUICED set (tests/run.sh does so); SLUICE_HTTP_KEEP_GOING=1 reports every
# failure instead of stopping at the first.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_http_nonces.py
