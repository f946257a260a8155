"""The repository scripts keep working with the current model."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.slow
def test_calibration_report_runs_and_writes_its_tables(tmp_path):
    out = tmp_path / "calibration.md"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "calibration_report.py"), "--seeds", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    for heading in ("## (a) Utilisation rate by waste", "## (c) Haul distance", "## (f)"):
        assert heading in text
    assert "fly_ash" in text
    assert "63.2 %" in text


@pytest.mark.slow
def test_benchmark_prints_its_targets():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_default_run.py"), "--repeats", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "default run" in result.stdout
    assert "ms per 100 facilities" in result.stdout
