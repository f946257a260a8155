"""The repository scripts keep working with the current model."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
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


@pytest.mark.slow
def test_the_command_benchmark_times_every_part():
    """The whole command and its parts; the output groups add up to no more than the outputs' own time."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_command.py"), "--repeats", "1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    seconds = {}
    for line in result.stdout.splitlines():
        name, _, value = line.strip().rpartition("  ")
        if value.endswith(" s") or " s, of which" in value:
            seconds[name.strip()] = float(value.split(" s")[0])
    for part in ("whole command (fresh process)", "imports", "setup", "simulation", "outputs", "flows (csv)",
                 "facility_ledger (csv)", "metric tables (compute)", "metric tables (write)",
                 "plots drawn by the worker"):  # fmt: skip
        assert seconds.get(part, 0.0) > 0, (part, result.stdout)
    assert "plots (waiting for the worker)" in seconds
    groups = [v for k, v in seconds.items() if k not in ("whole command (fresh process)", "imports", "setup",
                                                           "simulation", "outputs", "plots drawn by the worker")]  # fmt: skip
    assert sum(groups) <= seconds["outputs"] * 1.01 + 0.01
    assert "target <= 3 s" in result.stdout


@pytest.mark.slow
def test_policy_curves_run_one_lever_and_move_the_way_expected(tmp_path):
    """Freight x10 against the baseline, 2 seeds, 1 year: fewer tonnes exchanged, more landfilled."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "policy_curves.py"), "--seeds", "2", "--years", "1",
         "--levers", "freight", "--out", str(tmp_path / "curves"), "--img", str(tmp_path)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    curves = pd.read_csv(tmp_path / "curves" / "curves.csv").set_index(["value", "metric"])
    assert curves.loc[(10.0, "exchanged_kt_per_yr"), "ci_high"] < 0
    assert curves.loc[(10.0, "landfilled_kt_per_yr"), "ci_low"] > 0
    assert curves.loc[(1.0, "exchanged_kt_per_yr"), "mean_difference"] == 0.0  # the baseline itself
    assert (tmp_path / "curve_freight.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_the_docs_show_what_the_default_run_prints_and_draws():
    """The console block and figures of the default run in the docs are what the code gives (job R0)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "docs_figures.py"), "--check", "--only", "R0"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
