#!/usr/bin/env bash
# Limits on drafts (issue 8, point 6): drafts and upload bytes per owner,
# and the expiry of abandoned drafts, with small settings. The checks are
# in test_http_drafts_limits.py. Run from the repository root with SLUICED
# set.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_http_drafts_limits.py
