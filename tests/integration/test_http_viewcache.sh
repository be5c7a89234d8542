#!/usr/bin/env bash
# The cache of rendered data-set views never shows an old view: every
# change to what GET /v1/datasets/<id> shows is seen by the next GET, from
# the event loop and from the publish workers. The checks are in
# test_http_viewcache.py. Run from the repository root with SLUICED set.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_http_viewcache.py
