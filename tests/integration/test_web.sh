#!/usr/bin/env bash
# The buyers' and owners' page in Debian's headless Chromium against a real
# sluiced and a real anvil (test_web.py sets the scene, web_test.mjs drives
# the browser). Screenshots go to $SLUICE_TEST_LOG_DIR/test_web (tests/run.sh
# sets it) or to a kept temporary folder.
set -eu
cd "$(dirname "$0")/../.."
: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
exec python3 tests/integration/test_web.py
