#!/usr/bin/env bash
# Disk left behind by drafts (issue 8, point 6): replaced parts, kill -9
# during part writes, left-overs at start. The checks are in
# test_http_drafts_disk.py. Run from the repository root with SLUICED set.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_http_drafts_disk.py
