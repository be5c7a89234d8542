#!/usr/bin/env bash
# sluiced fsck against the parts a publish recorded (issue 8, point 1):
# tampered recorded hashes and sizes, left-over and draft part files. The
# checks are in test_fsck_parts.py. Run from the repository root with
# SLUICED set.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_fsck_parts.py
