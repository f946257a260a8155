#!/usr/bin/env bash
# Set up (including the headless chromium of the browser tests), then run the whole test suite
# (lint, unit, integration, browser and slow tests).
# Extra arguments go to pytest (e.g. -m "not slow" to skip slow tests locally).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/setup_browser.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
