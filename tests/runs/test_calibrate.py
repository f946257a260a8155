"""ABC-SMC calibration on a small park: it recovers known parameters and gives one result everywhere.

One result on every engine (serial, processes, Ray) and after being killed and resumed.

The park is the bundled region reduced to Handan's 37 facilities (17 steel plants, 6 power
plants, 3 cement plants, ...), run for 2-3 years (a fraction of a second a run). Its "observed"
patterns are simulated with known parameters, averaged over four seeds, with the seeds'
spread as their uncertainty, so the truth is known and the calibration must find it.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symbiosim import SymbiosisModel, load_scenario
from symbiosim.environment.scenario import default_scenario
from symbiosim.runs.calibrate import calibrate, simulate_patterns, stop_reason
from symbiosim.runs.calibration_outputs import write_calibration
from symbiosim.runs.calibration_spec import load_calibration_spec
from symbiosim.runs.cli import main

pytestmark = pytest.mark.slow

TRUTH = {"max_payback_yr": 6.5, "consider_probability": 0.5}
PRIORS = {"max_payback_yr": (1.0, 10.0), "consider_probability": (0.05, 0.8)}
PATTERNS = [  # target, pattern, byproduct
    ("energy", "energy_saved_tce_per_yr", ""),
    ("share.boiler_slag", "symbiosis_share", "boiler_slag"),
    ("share.bf_slag", "symbiosis_share", "bf_slag"),
    ("share.steel_slag", "symbiosis_share", "steel_slag"),
    ("share.fgd_gypsum", "symbiosis_share", "fgd_gypsum"),
    ("haul_p50.boiler_slag", "haul_p50_km", "boiler_slag"),
]
UNITS = {"energy_saved_tce_per_yr": "tce/yr", "symbiosis_share": "share", "haul_p50_km": "km"}


@pytest.fixture(scope="module")
def park(tmp_path_factory) -> Path:
    """Handan's facilities of the bundled region, as a scenario file; and its observed patterns at the truth."""
    folder = tmp_path_factory.mktemp("handan")
    facilities = default_scenario().table("facilities")
    others = facilities.loc[facilities["city"] != "Handan", "facility_id"]
    (folder / "park.toml").write_text(
        '[scenario]\nname = "Handan"\nextends = "default"\n[remove]\nfacilities = ['
        + ", ".join(f'"{i}"' for i in others) + "]\n", encoding="utf-8",
    )  # fmt: skip
    return folder


def target_table(values: dict[str, float], sds: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame([
        {"target": target, "pattern": pattern, "byproduct": byproduct, "technology": "", "cities": "",
         "value": values[target], "sd": sds[target], "unit": UNITS[pattern], "role": "calibration",
         "source": "simulated at the known parameters (seeds 101-104)", "note": ""}
        for target, pattern, byproduct in PATTERNS
    ])  # fmt: skip


def observed_targets(park: Path, years: int) -> Path:
    """The park's patterns at the truth: mean of four seeds, sd their spread (at least 2 % of the mean)."""
    path = park / f"targets_{years}.csv"
    blank = {target: 1.0 for target, _, _ in PATTERNS}
    target_table(blank, blank).to_csv(path, index=False)  # what to measure; the values follow
    spec = load_calibration_spec(write_spec(park, "probe.toml", years, 2, 1, path))
    runs = pd.DataFrame([simulate_patterns(spec, TRUTH, seed) for seed in (101, 102, 103, 104)])
    means = {t: float(runs[t].mean()) for t in blank}
    sds = {t: max(float(runs[t].std()), 0.02 * abs(means[t]), 1e-3) for t in blank}
    target_table(means, sds).to_csv(path, index=False)
    return path


def write_spec(park: Path, name: str, years: int, population: int, generations: int, targets: Path,
               min_epsilon: float = 0.0) -> Path:  # fmt: skip
    lines = ["[calibration]", 'scenario = "park.toml"', f'targets = "{targets.name}"', f"years = {years}",
             f"population = {population}", f"generations = {generations}", "max_simulations = 5000",
             f"min_epsilon = {min_epsilon}", "seed = 3", "predictive_runs = 4"]  # fmt: skip
    for name_, (low, high) in PRIORS.items():
        lines += [f"[parameters.{name_}]", 'prior = "uniform"', f"min = {low}", f"max = {high}"]
    path = park / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_calibration_recovers_known_parameters(park, tmp_path):
    """The truth lies in the reported 90 % interval, and the data narrow the prior where they inform."""
    targets = observed_targets(park, years=3)
    spec = load_calibration_spec(write_spec(park, "recover.toml", 3, 40, 4, targets))
    calibrate(spec, tmp_path, engine="process", workers=2, progress=False)
    write_calibration(spec, tmp_path)
    summary = pd.read_csv(tmp_path / "posterior_summary.csv").set_index("parameter")
    for name, truth in TRUTH.items():
        row = summary.loc[name]
        assert row["p05"] <= truth <= row["p95"], (name, truth, row.to_dict())
    # the payback hurdle decides which kilns invest: the posterior is narrower than the prior's 90 % range
    low, high = PRIORS["max_payback_yr"]
    payback = summary.loc["max_payback_yr"]
    assert payback["p95"] - payback["p05"] < 0.9 * (high - low)
    fit = pd.read_csv(tmp_path / "fit.csv")
    assert (fit["z"].abs() <= 2).all(), fit[["target", "observed", "p50", "z"]]
    posterior = pd.read_csv(tmp_path / "posterior.csv")
    assert len(posterior) == 40
    assert posterior["weight"].sum() == pytest.approx(1.0)
    generations = pd.read_csv(tmp_path / "generations.csv")
    assert (np.diff(generations["epsilon"]) < 0).all()  # each threshold is tighter than the last


def files(out: Path) -> dict[str, str]:
    """The results that must not depend on engine or interruption (the record's time stamp aside)."""
    return {name: (out / name).read_text() for name in ("posterior.csv", "generations.csv", "fit.csv",
                                                        "posterior_summary.csv", "calibrated.toml")}  # fmt: skip


def command(spec: Path, out: Path, engine: str = "serial") -> list[str]:
    return [sys.executable, "-m", "symbiosim.runs.cli", "calibrate", str(spec), "--out", str(out),
            "--engine", engine, "--quiet"]  # fmt: skip


def test_one_result_on_every_engine_and_after_a_kill(park, tmp_path):
    targets = observed_targets(park, years=2)
    spec = write_spec(park, "small.toml", 2, 6, 3, targets)
    reference = tmp_path / "serial"
    assert main(["calibrate", str(spec), "--out", str(reference), "--engine", "serial", "--quiet"]) == 0
    expected = files(reference)
    for engine in ("process", "ray"):
        out = tmp_path / engine
        assert main(["calibrate", str(spec), "--out", str(out), "--engine", engine, "--quiet"]) == 0
        assert files(out) == expected, engine

    # killed while the second generation's slots are being filled, then run again into the same folder
    killed = tmp_path / "killed"
    process = subprocess.Popen(command(spec, killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((killed / ".slots" / "g1").glob("*.pkl")) and time.monotonic() < deadline:
        assert process.poll() is None, "the calibration ended before it could be killed"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (killed / "posterior.csv").exists(), "the run finished before it could be killed"
    finished = subprocess.run(command(spec, killed), capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr
    assert files(killed) == expected
    assert not (killed / ".slots").exists()  # the kept slots are removed once their generation is stored

    # running a finished calibration again changes nothing
    assert main(["calibrate", str(spec), "--out", str(killed), "--engine", "serial", "--quiet"]) == 0
    assert files(killed) == expected


def test_the_calibrated_scenario_runs_with_the_posterior_medians(park, tmp_path):
    targets = observed_targets(park, years=2)
    # a threshold every generation meets: the calibration stops after its first generation, and says why
    spec = load_calibration_spec(write_spec(park, "medians.toml", 2, 6, 3, targets, min_epsilon=1e9))
    out = tmp_path / "calibration"
    stored = calibrate(spec, out, engine="serial", progress=False)
    write_calibration(spec, out)
    assert stored.max_t == 0
    assert stop_reason(spec, out).endswith("reached min_epsilon 1000000000.0")
    medians = pd.read_csv(out / "posterior_summary.csv").set_index("parameter")["p50"]
    scenario = load_scenario(out / "calibrated.toml")
    for name, value in medians.items():
        assert scenario.parameters[name] == pytest.approx(value)
    model = SymbiosisModel(scenario, rng=1, years=1)
    model.run()
    assert model.month_index == 12
    fit = pd.read_csv(out / "fit.csv")
    assert list(fit["target"]) == [t for t, _, _ in PATTERNS]
    for picture in ("fit.png", "marginals.png"):
        assert (out / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
