"""Solve time and problem size of the planner's schemes on full JJJ yearly snapshots.

Target (issue: planner benchmarks): every scheme of the default JJJ yearly snapshot solves in
<= 10 s on this machine. Two snapshots are measured: the bundled default scenario (no VAT
rebate, so the economic schemes are LPs) and examples/policies/baseline.toml (the VAT rebate
in force: one binary per cement plant, a MILP). Each figure is the median of several solves;
the LP relaxation of the economic MILP is timed as a baseline in the same run, and the ratio
to it is printed (more stable than seconds on a small, noisy machine).

Usage: python benchmarks/bench_planner.py [--repeats N] [--year Y]
"""

import argparse
import statistics
from pathlib import Path

import pandas as pd

from symbiosim.metrics.planner import SCHEMES, solve
from symbiosim.runs.optimize import snapshot_of_scenario

TARGET_S = 10.0
BASELINE = Path(__file__).parents[1] / "examples" / "policies" / "baseline.toml"


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args()
    rows = []
    for label, scenario in (("JJJ default", None), ("JJJ baseline (VAT rebate)", BASELINE)):
        snapshot, _ = snapshot_of_scenario(scenario, args.year, rng=1)
        relaxed = statistics.median(
            float(solve(snapshot, "economic", relax=True).totals.loc[0, "solve_s"]) for _ in range(args.repeats)
        )
        for scheme in SCHEMES:
            results = [solve(snapshot, scheme) for _ in range(args.repeats)]
            totals = results[0].totals.iloc[0]
            seconds = statistics.median(float(r.totals.loc[0, "solve_s"]) for r in results)
            rows.append(
                {
                    "snapshot": label,
                    "scheme": scheme,
                    "variables": int(totals["variables"]),
                    "binaries": int((snapshot.vat["rebate_cny"] > 0).sum()) if scheme != "theoretical" else 0,
                    "constraints": int(totals["constraints"]),
                    "nonzeros": int(totals["nonzeros"]),
                    "solve_s": round(seconds, 3),
                    "ratio_to_lp_relaxation": round(seconds / relaxed, 2) if relaxed > 0 else float("nan"),
                    "mip_gap": float(totals["mip_gap"]),
                    "paths": int(totals["paths"]),
                    "tonnes_used_mt": round(float(totals["tonnes_used"]) / 1e6, 2),
                }
            )
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(f"Planner schemes on {args.year} snapshots, median of {args.repeats} solves:")
        print(table.to_string(index=False))
    worst = table["solve_s"].max()
    print(f"\nslowest solve {worst:.2f} s (target <= {TARGET_S:.0f} s): {'OK' if worst <= TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
