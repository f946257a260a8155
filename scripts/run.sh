#!/usr/bin/env bash
# Set up, then run the default Beijing-Tianjin-Hebei scenario (10 years) into ./results.
# Extra arguments go to `symbiosim run` (e.g. --years 2 --rng 7 --out other/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/symbiosim run "$@"
