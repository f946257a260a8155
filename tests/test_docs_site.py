"""The documentation site builds with ``mkdocs build --strict``, offline, with every page and API reference."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.slow
def test_docs_site_builds_strictly_offline_with_api_reference(tmp_path):
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"NO_MKDOCS_2_WARNING": "1"},
    )
    # strict: a broken link or anchor, a page left out of the nav or a malformed docstring fails
    assert result.returncode == 0, result.stdout + result.stderr
    for page in (
        "index.html",
        "getting-started/index.html",
        "tutorial/index.html",
        "odd/index.html",
        "data/index.html",
    ):
        assert (site / page).is_file(), page
    api = (site / "api" / "model" / "index.html").read_text(encoding="utf-8")
    assert "SymbiosisModel" in api
    assert "load_scenario" in api
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis.com" not in home  # no web fonts: the site needs no internet


def test_the_output_reference_is_generated_from_the_vocabulary():
    import subprocess
    import sys

    root = Path(__file__).parents[1]
    done = subprocess.run(
        [sys.executable, str(root / "scripts" / "outputs_reference.py"), "--check"],
        capture_output=True, text=True, check=False, cwd=root,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
