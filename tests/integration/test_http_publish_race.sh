#!/usr/bin/env bash
# Part writes racing publish (issue 8, point 1): many PUTs of part 2 a
# millisecond apart with a publish among them, over rounds of varied
# counts, sizes and positions; then export and fsck. The checks are in
# test_http_publish_race.py. Run from the repository root with SLUICED set.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_http_publish_race.py
