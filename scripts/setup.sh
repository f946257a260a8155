#!/usr/bin/env bash
# Set up (or refresh) the project's virtual environment in .venv with Python 3.12.
# Idempotent: reinstalls only when pyproject.toml changed since the last successful setup.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    # pyenv machines: .python-version (3.12) selects the interpreter inside the repository;
    # fall back to any python3.12 on PATH.
    if command -v python3.12 >/dev/null 2>&1; then
        PYTHON=python3.12
    else
        echo "symbiosim needs Python >= 3.12; '$PYTHON' is $("$PYTHON" --version 2>&1)." >&2
        echo "Install Python 3.12 (e.g. 'pyenv install 3.12') and run this again." >&2
        exit 1
    fi
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    rm -rf .venv
    "$PYTHON" -m venv .venv
fi

stamp=.venv/.setup-stamp
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! .venv/bin/python -c 'import symbiosim' 2>/dev/null; then
    echo "Installing symbiosim and its dependencies into .venv ..."
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[dev]"
    echo "$want" > "$stamp"
fi

# the simulation's compiled kernels: numba compiles them on first use and caches them beside the
# code, so compile them here once (a year of the default region) rather than in the first run
if ! ls symbiosim/environment/__pycache__/clearing_month.*.nbi >/dev/null 2>&1; then
    echo "Compiling the simulation's kernels (once on this machine, about 15 s) ..."
    .venv/bin/python -c "from symbiosim import SymbiosisModel; SymbiosisModel(years=1).run()"
fi

# front-end assets of the browser app, served locally (no internet needed to open it)
bash scripts/setup_app_assets.sh
