"""Sweeps: designs, identical results on every engine, resume after a kill, failures recorded."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symbiosim import ScenarioError
from symbiosim.runs.sensitivity import sensitivity
from symbiosim.runs.sweep import load_spec, read_annual, run_design, run_sweep

TINY = Path(__file__).parents[1] / "data" / "tiny" / "scenario.toml"


def spec_file(folder: Path, body: str, scenario: Path | str = TINY, years: int = 1, seeds: int = 2) -> Path:
    path = folder / "spec.toml"
    path.write_text(f'[sweep]\nscenario = "{scenario}"\nyears = {years}\nseeds = {seeds}\n{body}')
    return path


GRID = 'design = "grid"\n[parameters.landfill_tax_cny_per_t]\nvalues = [0.0, 50.0]\n'


def test_designs(tmp_path):
    grid = run_design(load_spec(spec_file(tmp_path, GRID + "[parameters.platform]\nvalues = [false, true]\n")))
    assert len(grid.points) == 4
    assert set(grid.points["platform"]) == {False, True}
    lhs_text = 'design = "lhs"\nsamples = 10\n[parameters.bargaining_share]\nmin = 0.2\nmax = 0.8\n'
    lhs = run_design(load_spec(spec_file(tmp_path, lhs_text)))
    assert len(lhs.points) == 10
    assert lhs.points["bargaining_share"].between(0.2, 0.8).all()
    # Latin hypercube: one point in each tenth of the range
    assert sorted(np.floor((lhs.points["bargaining_share"] - 0.2) / 0.06).astype(int)) == list(range(10))
    sobol_text = lhs_text.replace('"lhs"', '"sobol"').replace("samples = 10", "samples = 4")
    sobol_text += "[parameters.subsidy_cny_per_t]\nmin = 0.0\nmax = 50.0\n"
    sobol = run_design(load_spec(spec_file(tmp_path, sobol_text)))
    assert len(sobol.points) == 4 * (2 + 2)  # Saltelli without second order: N (D + 2)
    assert run_design(load_spec(spec_file(tmp_path, sobol_text))).points.equals(sobol.points)  # seeded


def test_every_problem_in_a_spec_is_reported(tmp_path):
    body = (
        'design = "grid"\nshape = 3\n[parameters.bargaining_shares]\nvalues = [0.1]\n'
        "[parameters.platform]\nvalues = [1, 2]\n[parameters.limit_mode]\nvalues = []\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_spec(spec_file(tmp_path, body, seeds=0))
    keys = {issue.column for issue in err.value.issues}
    assert keys == {
        "sweep.shape",
        "sweep.seeds",
        "parameters.bargaining_shares",
        "parameters.platform.values",
        "parameters.limit_mode.values",
    }


@pytest.mark.slow
def test_serial_processes_and_ray_give_identical_results(tmp_path):
    spec = load_spec(spec_file(tmp_path, GRID))
    tables = {}
    for engine in ("serial", "process", "ray"):
        result = run_sweep(spec, tmp_path / engine, engine=engine, workers=2, progress=False)
        assert (result.planned, result.completed, result.failed) == (4, 4, [])
        tables[engine] = read_annual(tmp_path / engine).sort_values(["run_id", "year"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(tables["serial"], tables["process"])
    pd.testing.assert_frame_equal(tables["serial"], tables["ray"])
    # the tax reached the results: 50 CNY/t more on every landfilled tonne
    taxed = tables["serial"].groupby("param.landfill_tax_cny_per_t")["ep_tax_cny"].mean()
    assert taxed[50.0] > taxed[0.0]
    again = run_sweep(spec, tmp_path / "serial", engine="serial", progress=False)
    assert (again.skipped, again.completed) == (4, 0)  # resumed: nothing left to do


def test_a_failing_run_is_recorded_and_the_others_finish(tmp_path):
    body = 'design = "grid"\n[parameters.bargaining_share]\nvalues = [0.5, 1.5]\n'  # 1.5 is out of range
    result = run_sweep(load_spec(spec_file(tmp_path, body, seeds=1)), tmp_path / "out", "serial", progress=False)
    assert result.completed == 1
    assert len(result.failed) == 1
    record = json.loads((tmp_path / "out" / "failures" / f"{result.failed[0]}.json").read_text())
    assert "bargaining_share" in record["error"]
    assert "above the maximum" in record["error"]
    assert len(read_annual(tmp_path / "out")) == 1


def test_sensitivity_of_a_grid_with_a_text_choice(tmp_path):
    """A text parameter (a limit mode) is carried per point; it has no rank correlation, the numbers do."""
    body = (
        'design = "grid"\n[parameters.limit_mode]\nvalues = ["uniform"]\n'
        "[parameters.landfill_tax_cny_per_t]\nvalues = [0.0, 50.0, 100.0]\n"
    )
    spec = tmp_path / "spec.toml"  # the default scenario: it has the cities of the limit control
    spec.write_text(f"[sweep]\nyears = 1\nseeds = 1\n{body}", encoding="utf-8")
    run_sweep(load_spec(spec), tmp_path / "out", "serial", progress=False)
    table = sensitivity(tmp_path / "out").set_index(["output", "parameter"])
    assert np.isnan(table.loc[("exchanged_t", "limit_mode"), "rho"])
    assert table.loc[("profit_cny", "landfill_tax_cny_per_t"), "rho"] == pytest.approx(-1.0)  # the tax is paid


def test_sensitivity_of_a_sobol_design(tmp_path):
    body = (
        'design = "sobol"\nsamples = 4\n[parameters.landfill_tax_cny_per_t]\nmin = 0.0\nmax = 100.0\n'
        "[parameters.subsidy_cny_per_t]\nmin = 0.0\nmax = 50.0\n"
    )
    run_sweep(load_spec(spec_file(tmp_path, body, seeds=1)), tmp_path / "out", "serial", progress=False)
    table = sensitivity(tmp_path / "out")
    assert set(table["method"]) == {"sobol"}
    assert len(table) == 5 * 2
    profit = table[table["output"] == "profit_cny"].set_index("parameter")
    assert np.isfinite(profit[["S1", "ST"]].to_numpy()).all()
    assert profit.loc["landfill_tax_cny_per_t", "ST"] > 0  # the tax moves profit


@pytest.mark.slow
def test_a_killed_sweep_resumes_with_every_run_exactly_once(tmp_path):
    spec = spec_file(tmp_path, 'design = "grid"\n[parameters.bargaining_share]\nvalues = [0.4, 0.5, 0.6]\n', "default")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "symbiosim.runs.cli", "sweep", str(spec), "--engine", "serial", "--quiet"]
    first = subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list((out / "annual").glob("[!.]*.parquet")):
        assert first.poll() is None, first.stderr.read().decode()
        assert time.monotonic() < deadline, "no run finished in time"
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    finished_before = len(list((out / "annual").glob("[!.]*.parquet")))
    assert 1 <= finished_before < 6
    resumed = subprocess.run([*command, "--out", str(out)], capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{finished_before} already done, {6 - finished_before} completed, 0 failed" in resumed.stdout
    annual = read_annual(out)
    assert annual["run_id"].nunique() == 6
    assert len(annual) == 6
    assert not list(out.glob("*/.*"))  # no temporary file left behind
