"""How the model's cost grows with the number of facilities, on seeded synthetic regions.

Targets: the cost of the whole run (set-up and every month, the December investment rounds
included) grows no faster than N^1.05 from 300 to 10,000 facilities (issue: performance end to
end; exponent b of seconds = a N^b, least squares on logs; the median step's own exponent is
printed beside it, its earlier target was 1.2), and a 10-year (120-month) run at N = 10,000
fits in < 4 GiB of memory. The cost of a run is linear in its candidate routes (the pairs on
which a tonne can pay its freight), and their number per facility grows with the region while
the region is smaller than the reach of long hauls: both exponents are printed too.

Each size is measured in a fresh process (so its peak memory is its own): build the
synthetic region (``symbiosim.environment.synthetic``, density and sector mix of JJJ), build
``SymbiosisModel(..., collect_agent_data=False)``, then time every step of a run of
``--months`` months. Figures per size:

* ``scenario_s``: generating and validating the synthetic region;
* ``setup_s``: building the model (arrays, agents, candidate routes, initial state);
* ``ms_per_step``: median over the months (the investment month, December, is the slowest:
  its cost is shown separately as ``invest_ms``, the slowest step);
* ``ms_per_step_per_100``: ms per step per 100 facilities;
* ``routes``: candidate routes in the market (``model.market.n_routes``);
* ``peak_rss_mib``: peak resident memory of the process (``resource.getrusage`` ru_maxrss,
  the operating system's high-water mark: interpreter, imports and all; not tracemalloc).

Usage: python benchmarks/bench_scale.py [--sizes 300 1000 3000 10000] [--months 24|120] [--rng 1]
"""

import argparse
import concurrent.futures
import multiprocessing
import resource
import statistics
import sys
import time

import numpy as np
import pandas as pd

from symbiosim import SymbiosisModel
from symbiosim.environment.synthetic import synthetic_scenario

SIZES = (300, 1_000, 3_000, 10_000)
MONTHS = 24
MONTHS_PER_YEAR = 12
TARGET_EXPONENT = 1.05  # the whole run, December included
TARGET_MEMORY_GIB = 4.0
TARGET_MEMORY_N = 10_000
KIB_PER_MIB = 1024
MIB_PER_GIB = 1024
MS_PER_S = 1000
PER_100 = 100


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory of this process (or its children, ``RUSAGE_CHILDREN``), MiB.

    Linux reports ru_maxrss in KiB, macOS in bytes.
    """
    peak = resource.getrusage(who).ru_maxrss
    return peak / KIB_PER_MIB / (KIB_PER_MIB if sys.platform == "darwin" else 1)


def timed_steps(model: SymbiosisModel, months: int) -> list[float]:
    """Step the model ``months`` times; the wall time of each step, ms."""
    steps_ms = []
    for _ in range(months):
        start = time.perf_counter()
        model.step()
        steps_ms.append((time.perf_counter() - start) * MS_PER_S)
    return steps_ms


def measure(n: int, months: int, rng: int) -> dict[str, float]:
    """Build and run one synthetic region of ``n`` facilities; figures as in the module docstring."""
    start = time.perf_counter()
    scenario = synthetic_scenario(n, rng=rng)
    scenario_s = time.perf_counter() - start
    years = max(1, -(-months // MONTHS_PER_YEAR))
    start = time.perf_counter()
    model = SymbiosisModel(scenario, rng=rng, years=years, collect_agent_data=False)
    setup_s = time.perf_counter() - start
    steps_ms = timed_steps(model, months)
    median_ms = statistics.median(steps_ms)
    return {
        "facilities": n,
        "scenario_s": scenario_s,
        "setup_s": setup_s,
        "ms_per_step": median_ms,
        "mean_ms_per_step": statistics.fmean(steps_ms),
        "invest_ms": max(steps_ms),
        "ms_per_step_per_100": median_ms / n * PER_100,
        "run_s": sum(steps_ms) / MS_PER_S,
        "whole_s": setup_s + sum(steps_ms) / MS_PER_S,
        "routes": model.market.n_routes,
        "routes_per_facility": model.market.n_routes / n,
        "peak_rss_mib": peak_rss_mib(),
    }


def growth_exponent(sizes: np.ndarray, cost: np.ndarray) -> tuple[float, float]:
    """Fit cost = a * N^b by least squares on logs; return (a, b)."""
    b, log_a = np.polyfit(np.log(sizes), np.log(cost), 1)
    return float(np.exp(log_a)), float(b)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="numbers of facilities")
    parser.add_argument("--months", type=int, default=MONTHS, help="months per run (the issue's target: 120)")
    parser.add_argument("--rng", type=int, default=1, help="seed of the regions and the models")
    args = parser.parse_args()
    rows = []
    spawn = multiprocessing.get_context("spawn")
    for n in args.sizes:
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            rows.append(pool.submit(measure, n, args.months, args.rng).result())
        print(f"N = {n:,}: done", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows).set_index("facilities")
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.2f}".format):
        print(f"Synthetic regions (seed {args.rng}), {args.months}-month runs, one fresh process per size:")
        print(table.to_string())
    if len(table) >= 2:
        sizes = table.index.to_numpy(dtype=float)
        a, b = growth_exponent(sizes, table["ms_per_step"].to_numpy())
        _, b_mean = growth_exponent(sizes, table["mean_ms_per_step"].to_numpy())
        _, b_setup = growth_exponent(sizes, table["setup_s"].to_numpy())
        _, b_whole = growth_exponent(sizes, table["whole_s"].to_numpy())
        print(
            f"\nms/step = {a:.3g} * N^{b:.2f} (median step); mean step incl. investment: N^{b_mean:.2f}; setup: N^{b_setup:.2f}"
        )
        routes = table["routes"].to_numpy(dtype=float)
        _, b_routes = growth_exponent(sizes, routes)
        _, b_per_route = growth_exponent(routes, table["whole_s"].to_numpy())
        print(f"candidate routes = N^{b_routes:.2f}; whole run against candidate routes: routes^{b_per_route:.2f}")
        verdict = "OK" if b_whole <= TARGET_EXPONENT else "MISSED"
        print(f"growth exponent of the whole run {b_whole:.2f} (target <= {TARGET_EXPONENT}): {verdict}")
    if TARGET_MEMORY_N in table.index:
        peak_gib = table.at[TARGET_MEMORY_N, "peak_rss_mib"] / MIB_PER_GIB
        verdict = "OK" if peak_gib < TARGET_MEMORY_GIB else "MISSED"
        note = "" if args.months >= 10 * MONTHS_PER_YEAR else f" ({args.months} months; the target is for 120)"
        print(
            f"peak memory at N = {TARGET_MEMORY_N:,}: {peak_gib:.2f} GiB (target < {TARGET_MEMORY_GIB:.0f}): {verdict}{note}"
        )
    else:
        print(f"peak memory at N = {TARGET_MEMORY_N:,}: not measured (add it to --sizes)")


if __name__ == "__main__":
    main()
