#!/usr/bin/env bash
# The test command. Runs every test, including the ones that train a small model and the
# browser tests. pytest's exit code 5 ("no tests collected") is a failure here: a test run
# that runs nothing has not shown anything.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
