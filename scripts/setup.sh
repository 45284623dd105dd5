#!/usr/bin/env bash
# Install everything the project needs into .venv/ (and the widget's npm packages, and
# Chromium for the browser tests), from committed lock files only. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Dependencies first, at their locked versions (runtime, then the development tools); then
# rasa and rasa-sdk themselves with --no-deps --ignore-requires-python (see the comment at the
# top of requirements/runtime.lock). A production install takes runtime.lock + rasa.txt only.
.venv/bin/pip install --disable-pip-version-check -q -r requirements/runtime.lock -r requirements/dev.lock
.venv/bin/pip install --disable-pip-version-check -q --no-deps --ignore-requires-python -r requirements/rasa.txt

if [ -f package-lock.json ]; then
  if command -v npm >/dev/null; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    echo "warning: npm not found; the chat widget bundle will be missing" >&2
  fi
fi

# Browser tests drive Debian's Chromium (nothing is downloaded by Playwright itself).
if [ "${SKIP_BROWSER_SETUP:-0}" != "1" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: /usr/bin/chromium missing; run: sudo apt-get install chromium (browser tests will fail)" >&2
  fi
fi
echo "Setup complete: .venv/ is ready."
