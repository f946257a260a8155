"""Sweep throughput: runs per minute serially, in 2 processes and on a local Ray instance with 2 CPUs.

Target (issue: sweeps and scale): >= 1.7x the serial throughput with 2 workers. The design is a
grid of the default JJJ scenario (2 years) over a policy control, x seeds; each engine runs the
same design into its own folder, and the serial rate measured in the same run is the baseline.

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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="runs per engine (a multiple of 2)")
    parser.add_argument("--years", type=int, default=2)
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
            rows.append({"engine": engine, "workers": workers, "runs": result.completed, "seconds": round(seconds, 1),
                         "runs_per_minute": round(60 * result.completed / seconds, 1)})  # fmt: skip
    table = pd.DataFrame(rows)
    table["speedup"] = (table["runs_per_minute"] / table.loc[0, "runs_per_minute"]).round(2)
    print(f"Sweep of {args.runs} runs of the default scenario ({args.years} years), including start-up:")
    print(table.to_string(index=False))
    same = all(tables["serial"].equals(tables[e]) for e in ("process", "ray"))
    print(f"identical results on every engine: {same}")
    for engine in ("process", "ray"):
        speedup = float(table.loc[table["engine"] == engine, "speedup"].iloc[0])
        verdict = "OK" if speedup >= TARGET_SPEEDUP else "MISSED"
        print(f"{engine} speed-up {speedup:.2f} (target >= {TARGET_SPEEDUP}): {verdict}")


if __name__ == "__main__":
    main()
