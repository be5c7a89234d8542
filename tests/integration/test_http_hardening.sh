#!/usr/bin/env bash
# What an attacker's probe does to the HTTP front (framing, bodies before
# authentication, HEAD, connection exhaustion, chunked bodies); the checks
# are in test_http_hardening.py, against a real sluiced. Run from the
# repository root with SLUICED set (tests/run.sh does so).
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_http_hardening.py
