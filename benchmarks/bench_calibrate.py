"""Calibration throughput: simulations per minute serially, in 2 processes and on a local Ray instance with 2 CPUs.

The calibration is the shipped spec (examples/calibration/default.toml: five parameters on the
default JJJ scenario) cut to a small population and two generations, so each engine runs the
same simulations (the result is the same on every engine: the script checks it). The whole
call is timed, start-up of the pool or of Ray and the posterior predictive runs included, and
the serial rate measured in the same run is the baseline. From the rate it extrapolates the
shipped spec's cost (its simulations at the measured rate).

Usage: python benchmarks/bench_calibrate.py [--population N] [--years Y]
"""

import argparse
import re
import tempfile
import time
from pathlib import Path

import pandas as pd

from symbiosim.runs.calibrate import calibrate
from symbiosim.runs.calibration_spec import load_calibration_spec

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "examples" / "calibration" / "default.toml"


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=8, help="particles per generation (default 8)")
    parser.add_argument("--years", type=int, default=10, help="horizon of each simulation (default 10)")
    args = parser.parse_args()
    text = SHIPPED.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^population = .*$", f"population = {args.population}", text)
    text = re.sub(r"(?m)^generations = .*$", "generations = 2", text)
    text = re.sub(r"(?m)^years = .*$", f"years = {args.years}", text)
    text = re.sub(r"(?m)^predictive_runs = .*$", "predictive_runs = 4", text)
    rows, posteriors = [], {}
    with tempfile.TemporaryDirectory() as folder:
        spec_path = Path(folder) / "spec.toml"
        spec_path.write_text(text, encoding="utf-8")
        spec = load_calibration_spec(spec_path)
        for engine, workers in (("serial", 1), ("process", 2), ("ray", 2)):
            out = Path(folder) / engine
            started = time.perf_counter()
            stored = calibrate(spec, out, engine=engine, workers=workers, progress=False)
            seconds = time.perf_counter() - started
            simulations = stored.total_nr_simulations + spec.predictive_runs
            posteriors[engine] = (out / "predictive.csv").read_text()
            rows.append({"engine": engine, "workers": workers, "simulations": simulations,
                         "seconds": round(seconds, 1), "simulations_per_minute": round(60 * simulations / seconds, 1)})  # fmt: skip
    table = pd.DataFrame(rows)
    serial = table.loc[table["engine"] == "serial", "simulations_per_minute"].iat[0]
    table["speed-up"] = (table["simulations_per_minute"] / serial).round(2)
    print(table.to_string(index=False))
    same = len(set(posteriors.values())) == 1
    print(f"same posterior predictive on every engine: {same}")
    shipped = load_calibration_spec(SHIPPED)
    best = table["simulations_per_minute"].max()
    hours = shipped.max_simulations / best / 60
    print(f"shipped spec: at most {shipped.max_simulations} simulations of {shipped.years} years; at "
          f"{best:.1f} simulations/minute that is at most {hours:.1f} h")  # fmt: skip


if __name__ == "__main__":
    main()
