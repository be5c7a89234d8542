#!/usr/bin/env bash
# Group commit of signed requests: a burst of signed writes, some of them
# failing, shares transactions; each request gets its own answer, each is
# remembered with its nonce exactly as when alone (DESIGN.md 3.1). The
# checks are in test_http_batch.py. Run from the repository root with
# SLUICED set.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_http_batch.py
