"""The bundled region scenarios at national scale: a 120-month run's time per step and its memory.

Targets (issue: any park, any region): the mainland China scenario (``china``, about 6,000
facilities) simulates 120 months at <= 5 ms per step per 100 facilities, in < 4 GiB.

Each scenario is measured in a fresh process (its peak memory is its own): load and validate
the scenario (``load_s``), build the model (``setup_s``), then time every step of a
``--months``-month run. Figures:

* ``median_ms`` and ``mean_ms``: per step (the mean includes the yearly investment rounds, the
  slowest steps: ``slowest_ms``); ``mean_ms_per_100``: mean ms per step per 100 facilities,
  the figure the target is for (the whole simulation divided by steps and facilities);
* ``routes``: candidate routes in the market;
* ``peak_rss_mib``: peak resident memory of the process after the simulation (ru_maxrss).

With ``--whole``, also the whole ``symbiosim run --scenario NAME --quiet`` command as a user
runs it (wall time and the child's peak memory, outputs included).

Usage: python benchmarks/bench_national.py [--scenarios china north_rhine_westphalia] [--months 120] [--whole]
"""

import argparse
import concurrent.futures
import multiprocessing
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from bench_scale import peak_rss_mib, timed_steps  # this folder: the script's own

SCENARIOS = ("china", "north_rhine_westphalia")
MONTHS = 120
TARGET_MS_PER_100 = 5.0
TARGET_MEMORY_GIB = 4.0
MIB_PER_GIB = 1024
MS_PER_S = 1000
PER_100 = 100


def measure(name: str, months: int, rng: int) -> dict[str, float | str]:
    """Load, build and run one bundled scenario; figures as in the module docstring."""
    from symbiosim import SymbiosisModel
    from symbiosim.environment.scenario import load_scenario

    start = time.perf_counter()
    scenario = load_scenario(name)
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    model = SymbiosisModel(scenario, rng=rng, years=max(1, -(-months // 12)), collect_agent_data=False)
    setup_s = time.perf_counter() - start
    steps_ms = timed_steps(model, months)
    n = model.n_facilities
    return {
        "scenario": name,
        "facilities": n,
        "load_s": load_s,
        "setup_s": setup_s,
        "median_ms": statistics.median(steps_ms),
        "mean_ms": statistics.fmean(steps_ms),
        "slowest_ms": max(steps_ms),
        "mean_ms_per_100": statistics.fmean(steps_ms) / n * PER_100,
        "simulation_s": sum(steps_ms) / MS_PER_S,
        "routes": model.market.n_routes,
        "peak_rss_mib": peak_rss_mib(),
    }


def whole_command(name: str, months: int) -> dict[str, float | str]:
    """Wall time and peak memory of ``symbiosim run`` on a bundled scenario, outputs included."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "symbiosim.runs.cli", "run", "--scenario", name, "--quiet",
                   "--years", str(max(1, months // 12)), "--out", str(Path(out) / "results")]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
    return {"scenario": name, "whole_command_s": wall, "command_peak_rss_mib": peak_rss_mib(resource.RUSAGE_CHILDREN)}


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), help="bundled scenario names")
    parser.add_argument("--months", type=int, default=MONTHS, help="months per run (the target is for 120)")
    parser.add_argument("--rng", type=int, default=1, help="seed")
    parser.add_argument("--whole", action="store_true", help="also time the whole symbiosim run command")
    args = parser.parse_args()
    rows = []
    spawn = multiprocessing.get_context("spawn")
    for name in args.scenarios:
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            row = pool.submit(measure, name, args.months, args.rng).result()
        if args.whole:  # from a fresh process too, so that the children's peak memory is this command's
            with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                row |= pool.submit(whole_command, name, args.months).result()
        rows.append(row)
        print(f"{name}: done", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows).set_index("scenario")
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.2f}".format):
        print(f"Bundled scenarios, {args.months}-month runs (seed {args.rng}), one fresh process each:")
        print(table.T.to_string())
    if "china" in table.index:
        per_100, peak = table.at["china", "mean_ms_per_100"], table.at["china", "peak_rss_mib"] / MIB_PER_GIB
        print(f"china: {per_100:.2f} ms per step per 100 facilities (target <= {TARGET_MS_PER_100}): "
              f"{'OK' if per_100 <= TARGET_MS_PER_100 else 'MISSED'}; peak memory {peak:.2f} GiB "
              f"(target < {TARGET_MEMORY_GIB:.0f}): {'OK' if peak < TARGET_MEMORY_GIB else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
