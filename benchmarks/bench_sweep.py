"""Sweep throughput: runs per minute serially, in 2 processes and on a local Ray instance with 2 CPUs.

Target (issue: performance end to end): a 16-run sweep of 5-year runs, whole call including
start-up, >= 1.7x serial with 2 processes and with Ray on 2 CPUs. The design is a grid of the
default JJJ scenario over a policy control, x seeds; each call runs the same design into its
own folder, and the serial rate measured in the same run is the baseline.

Ray is timed three ways: a call that starts (and stops) a local Ray instance itself, and two
calls on an instance started once beforehand (as an interactive session, a notebook or a
cluster does): the first starts Ray's workers, the next finds them warm. Two rates are printed:
over the whole call (every start-up the call pays included) and in steady state (from the
moment every worker has delivered its first run to the last run), which is what a long sweep sees.

Usage: python benchmarks/bench_sweep.py [--runs N] [--years Y]
"""

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from symbiosim.runs.sweep import load_spec, read_annual, run_sweep

TARGET_SPEEDUP = 1.7
RAY_RUNNING = ("ray, running: first call", "ray, running: next call")
CALLS = (  # label, engine, workers
    ("serial", "serial", 1),
    ("process", "process", 2),
    ("ray, started by the call", "ray", 2),
    (RAY_RUNNING[0], "ray", 2),  # Ray started once before the call: its workers start with the call
    (RAY_RUNNING[1], "ray", 2),  # and a later call finds them warm (imports done, scenario loaded)
)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16, help="runs per engine (a multiple of 2)")
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        spec_path = Path(folder) / "spec.toml"
        spec_path.write_text(
            f'[sweep]\nscenario = "default"\nyears = {args.years}\nseeds = {args.runs // 2}\ndesign = "grid"\n'
            "[parameters.landfill_tax_cny_per_t]\nvalues = [0.0, 25.0]\n"
        )
        spec = load_spec(spec_path)
        rows, tables = [], {}
        for label, engine, workers in CALLS:
            if label == RAY_RUNNING[0]:  # started once, as a session or a cluster does; calls then reuse it
                import ray

                ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
            out = Path(folder) / label.replace(" ", "_").replace(",", "").replace(":", "")
            started = time.perf_counter()
            result = run_sweep(spec, out, engine=engine, workers=workers, progress=False)
            seconds = time.perf_counter() - started
            tables[label] = read_annual(out).sort_values(["run_id", "year"]).reset_index(drop=True)
            times = result.finished_s
            steady = (len(times) - workers) / (times[-1] - times[workers - 1]) if len(times) > workers else float("nan")
            rows.append({"engine": label, "workers": workers, "runs": result.completed, "seconds": round(seconds, 1),
                         "runs_per_minute": round(60 * result.completed / seconds, 1),
                         "steady_runs_per_minute": round(60 * steady, 1)})  # fmt: skip
    table = pd.DataFrame(rows)
    table["speedup"] = (table["runs_per_minute"] / table.loc[0, "runs_per_minute"]).round(2)
    table["steady_speedup"] = (table["steady_runs_per_minute"] / table.loc[0, "steady_runs_per_minute"]).round(2)
    print(f"Sweep of {args.runs} runs of the default scenario ({args.years} years), whole call including start-up:")
    print(table.to_string(index=False))
    same = all(tables["serial"].equals(tables[label]) for label, _, _ in CALLS)
    print(f"identical results on every engine: {same}")
    for label in ("process", *RAY_RUNNING):
        row = table[table["engine"] == label].iloc[0]
        verdict = "OK" if row["speedup"] >= TARGET_SPEEDUP else "MISSED"
        print(f"{label}: speed-up {row['speedup']:.2f} over the whole call (target >= {TARGET_SPEEDUP}): {verdict}; "
              f"{row['steady_speedup']:.2f} in steady state")  # fmt: skip

if __name__ == "__main__":
    main()
