#!/usr/bin/env bash
# Crash safety of paid queries (DESIGN.md 3.10, 4): signed queries stream
# in while sluiced is killed with SIGKILL at random moments and restarted,
# many times; after each crash the ledger file must hold no debit without
# its audit entry and remembered answer, an audit chain that verifies, and
# every answer a client received. The checks are in test_query_crash.py
# (standard-library Python, with the independent client of sluice_http.py);
# workers are credited by tests/tools/ledger_credit from SLUICE_BUILD. Run
# from the repository root with SLUICED set (tests/run.sh does so).
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_query_crash.py
