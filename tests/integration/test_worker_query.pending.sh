#!/usr/bin/env bash
# The worker's whole story (sluice query, quote, receipts, the worker
# library's example) against a real anvil and a live sluiced; the checks
# are in test_worker_query.py (standard-library Python with chain.py's
# anvil; the key wrap is also opened there when the cryptography module is
# installed). Pending until the gateway's query endpoint lands: tests/run.sh
# skips *.pending.sh; rename it to test_worker_query.sh to enable it. Run
# from the repository root with SLUICED set (and SLUICE_BUILD when sluice
# and example_worker are not beside it); SLUICE_WORKER_BIG_MB sizes the
# memory check (default 64).
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_worker_query.py
