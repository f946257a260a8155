"""Wall time of the default 10-year JJJ run, and ms per step, with ratios to a baseline.

Targets (issue: engine core): the default 120-month run completes in <= 10 s (set-up
excluded) and a step costs <= 5 ms per 100 facilities; (issue: performance end to end) the
default region's step costs <= 1 ms per 100 facilities. The time of each phase of the month
(``MONTH_PHASES``) is printed too, from one more run with each phase timed. The machine is small and noisy, so
every figure is the median of several repetitions, and a trivial Mesa model with the same
number of agents (shuffle_do of an empty step plus one model reporter) is measured in the
same run as a baseline: the ratio to it is more stable than seconds.

Also measured: the same model on a scenario of 2 and 4 copies of the region placed side by
side (no pairs between copies), to show that the cost per facility stays flat.

Usage: python benchmarks/bench_default_run.py [--repeats N]
"""

import argparse
import statistics
import time

import pandas as pd
from mesa import Agent, DataCollector, Model

from symbiosim import SymbiosisModel, default_scenario
from symbiosim.environment.scenario import Scenario
from symbiosim.model import MONTH_PHASES

MONTHS = 120
TARGET_RUN_S = 10.0
TARGET_MS_PER_100 = 5.0
TARGET_MS_PER_100_END_TO_END = 1.0  # issue: performance end to end, for the default 120 months
COPY_SHIFT_DEG = 20.0  # longitude shift between copies: further apart than any route can pay


class _Idle(Agent):
    def step(self) -> None:
        self.x = 1


class _Baseline(Model):
    def __init__(self, n: int, rng: int = 1) -> None:
        super().__init__(rng=rng)
        _Idle.create_agents(self, n)
        self.datacollector = DataCollector(model_reporters={"n": lambda m: len(m.agents)})

    def step(self) -> None:
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def copies(scenario: Scenario, n: int) -> Scenario:
    """``n`` copies of the scenario's facilities, shifted east so copies do not interact."""
    tables = dict(scenario.tables)
    fac, caps = scenario.tables["facilities"], scenario.tables["capacities"]
    fac_parts, cap_parts = [], []
    for i in range(n):
        f = fac.copy()
        c = caps.copy()
        f["facility_id"] = f["facility_id"] + f"_{i}"
        f["city"] = f["city"] + f"_{i}"
        f["longitude"] = f["longitude"].astype(float) + i * COPY_SHIFT_DEG
        c["facility_id"] = c["facility_id"] + f"_{i}"
        fac_parts.append(f)
        cap_parts.append(c)
    tables["facilities"] = pd.concat(fac_parts, ignore_index=True)
    tables["capacities"] = pd.concat(cap_parts, ignore_index=True)
    return Scenario(name=f"{n} x {scenario.name}", tables=tables, parameters=dict(scenario.parameters))


def measure(scenario: Scenario, repeats: int) -> dict[str, float]:
    """Median seconds of each part of a default run over ``repeats`` runs."""
    setups, runs = [], []
    for seed in range(repeats):
        start = time.perf_counter()
        model = SymbiosisModel(scenario, rng=seed)
        setups.append(time.perf_counter() - start)
        runs.append(_time(lambda m=model: m.run(MONTHS)))
    n = SymbiosisModel(scenario, rng=0).n_facilities
    base_model = _Baseline(n)
    baseline = statistics.median(_time(lambda: [base_model.step() for _ in range(MONTHS)]) for _ in range(repeats))
    run = statistics.median(runs)
    return {
        "facilities": n,
        "setup_s": statistics.median(setups),
        "run_s": run,
        "ms_per_step": run / MONTHS * 1000,
        "ms_per_step_per_100": run / MONTHS * 1000 / n * 100,
        "baseline_ms_per_step": baseline / MONTHS * 1000,
        "ratio_to_baseline": run / baseline,
    }


def phases(scenario: Scenario) -> dict[str, float]:
    """Milliseconds per step spent in each phase of the month (``MONTH_PHASES``), over one 120-month run."""
    model = SymbiosisModel(scenario, rng=0)
    spent = dict.fromkeys(MONTH_PHASES, 0.0)
    for name in MONTH_PHASES:
        phase = getattr(model, name)

        def timed(phase: object = phase, name: str = name) -> None:
            began = time.perf_counter()
            phase()
            spent[name] += time.perf_counter() - began

        setattr(model, name, timed)  # the instance's attribute: what advance() looks up
    model.run(MONTHS)
    return {name: seconds / MONTHS * 1000 for name, seconds in spent.items()}


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repetitions per figure (median reported)")
    args = parser.parse_args()
    base = default_scenario()
    rows = []
    for n_copies in (1, 2, 4):
        scenario = base if n_copies == 1 else copies(base, n_copies)
        rows.append({"scenario": scenario.name, **measure(scenario, args.repeats)})
    table = pd.DataFrame(rows).set_index("scenario")
    with pd.option_context("display.width", 160, "display.float_format", "{:,.2f}".format):
        print(f"{MONTHS}-month runs, median of {args.repeats}:")
        print(table.to_string())
    default = rows[0]
    print(
        f"\ndefault run {default['run_s']:.2f} s (target <= {TARGET_RUN_S:.0f} s): "
        f"{'OK' if default['run_s'] <= TARGET_RUN_S else 'MISSED'}"
    )
    worst = max(r["ms_per_step_per_100"] for r in rows)
    print(
        f"worst step cost {worst:.2f} ms per 100 facilities (target <= {TARGET_MS_PER_100:.0f}): "
        f"{'OK' if worst <= TARGET_MS_PER_100 else 'MISSED'}"
    )
    default_cost = default["ms_per_step_per_100"]
    print(
        f"default region {default_cost:.2f} ms per step per 100 facilities (performance issue's target <= "
        f"{TARGET_MS_PER_100_END_TO_END:g}): {'OK' if default_cost <= TARGET_MS_PER_100_END_TO_END else 'MISSED'}"
    )
    spent = phases(base)
    print(f"\nwhere a step's time goes, default region ({sum(spent.values()):.2f} ms per step, one run):")
    for name, ms in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {name:20s} {ms:6.2f} ms")


if __name__ == "__main__":
    main()
