"""What an uncertainty analysis costs the user: whole commands, as they are typed.

Times ``symbiosim run --quiet`` (the single default run), ``symbiosim run --posterior N --quiet``
and ``symbiosim optimize --monte-carlo N`` on the default scenario, each the median of
``--repeats`` whole calls (Python start-up, imports, set-up, simulation and writing included),
and prints the cost of one draw, (drawn command - single command) / N, and its ratio to the
whole single command. A draw is a full run without the output files (set-up and simulation), so
the ratio should be well below 1: the N draws add less than N single commands.

Usage: python benchmarks/bench_uncertainty.py [--draws N] [--repeats R]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _whole(args: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "symbiosim.runs.cli", *args, "--out", folder], cwd=ROOT, check=True,
                           capture_output=True)  # fmt: skip
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10, help="draws per analysis (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="calls per command (default 3; the median is shown)")
    args = parser.parse_args()
    n = str(args.draws)
    single = _whole(["run", "--quiet"], args.repeats)
    drawn = _whole(["run", "--posterior", n, "--quiet"], args.repeats)
    optimum = _whole(["optimize"], args.repeats)
    monte_carlo = _whole(["optimize", "--monte-carlo", n, "--quiet"], args.repeats)
    per_draw = (drawn - single) / args.draws
    per_solve = (monte_carlo - optimum) / args.draws
    print(f"whole commands, median of {args.repeats} (default scenario, 2-core machine):")
    print(f"  symbiosim run --quiet                      {single:7.1f} s")
    print(f"  symbiosim run --posterior {n} --quiet       {drawn:7.1f} s   -> {per_draw:.2f} s per draw "
          f"({per_draw / single:.2f} x the single run)")  # fmt: skip
    print(f"  symbiosim optimize                         {optimum:7.1f} s")
    print(f"  symbiosim optimize --monte-carlo {n}        {monte_carlo:7.1f} s   -> {per_solve:.2f} s per draw "
          f"(three schemes; {per_solve / optimum:.2f} x the single optimize)")  # fmt: skip


if __name__ == "__main__":
    main()
