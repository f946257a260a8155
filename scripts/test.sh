#!/usr/bin/env bash
# Set up, then run the whole test suite (lint, unit, integration and slow tests).
# Extra arguments go to pytest (e.g. -m "not slow" to skip slow tests locally).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
