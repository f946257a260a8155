"""Sweep throughput: runs per minute serially, in 2 processes and on a local Ray instance with 2 CPUs.

Target (issue: sweeps and scale): >= 1.7x the serial throughput with 2 workers. The design is a
grid of the default JJJ scenario over a policy control, x seeds; each engine runs the same
design into its own folder, and the serial rate measured in the same run is the baseline.
Two rates are printed: over the whole call (start-up of the pool or of Ray included) and in
steady state (from the moment every worker has delivered its first run to the last run), which
is what a long sweep sees.

Usage: python benchmarks/bench_sweep.py [--runs N] [--years Y]
"""

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from symbiosim.runs.sweep import load_spec, read_annual, run_sweep

TARGET_SPEEDUP = 1.7


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
        for engine, workers in (("serial", 1), ("process", 2), ("ray", 2)):
            out = Path(folder) / engine
            started = time.perf_counter()
            result = run_sweep(spec, out, engine=engine, workers=workers, progress=False)
            seconds = time.perf_counter() - started
            tables[engine] = read_annual(out).sort_values(["run_id", "year"]).reset_index(drop=True)
            times = result.finished_s
            steady = (len(times) - workers) / (times[-1] - times[workers - 1]) if len(times) > workers else float("nan")
            rows.append({"engine": engine, "workers": workers, "runs": result.completed, "seconds": round(seconds, 1),
                         "runs_per_minute": round(60 * result.completed / seconds, 1),
                         "steady_runs_per_minute": round(60 * steady, 1)})  # fmt: skip
    table = pd.DataFrame(rows)
    table["speedup"] = (table["runs_per_minute"] / table.loc[0, "runs_per_minute"]).round(2)
    table["steady_speedup"] = (table["steady_runs_per_minute"] / table.loc[0, "steady_runs_per_minute"]).round(2)
    print(f"Sweep of {args.runs} runs of the default scenario ({args.years} years), including start-up:")
    print(table.to_string(index=False))
    same = all(tables["serial"].equals(tables[e]) for e in ("process", "ray"))
    print(f"identical results on every engine: {same}")
    for engine in ("process", "ray"):
        row = table[table["engine"] == engine].iloc[0]
        verdict = "OK" if row["steady_speedup"] >= TARGET_SPEEDUP else "MISSED"
        print(
            f"{engine}: speed-up {row['speedup']:.2f} over the whole call, {row['steady_speedup']:.2f} in steady "
            f"state (target >= {TARGET_SPEEDUP}): {verdict}"
        )


if __name__ == "__main__":
    main()
