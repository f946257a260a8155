"""Uncertainty in results: run the draws of :mod:`symbiosim.runs.draws`, and report intervals and a fan chart."""


from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from tqdm import tqdm

from symbiosim.environment.scenario import Scenario
from symbiosim.environment.units import T_PER_KT
from symbiosim.metrics.planner import SCHEMES, PlannerResult
from symbiosim.model import SymbiosisModel
from symbiosim.runs.compare import SERIES_PANELS, figure, run_metrics
from symbiosim.runs.draws import DrawPlan, plan_draws
from symbiosim.runs.optimize import optimize_scenario
from symbiosim.runs.outputs import write_atomic

__all__ = [
    "HEADLINE",
    "PlannerDraws",
    "headline_lines",
    "interval_table",
    "plan_monte_carlo",
    "planner_monte_carlo",
    "plot_fan",
    "run_draws",
    "write_planner_monte_carlo",
    "write_uncertainty",
]

QUANTILES = {"p05": 0.05, "p50": 0.50, "p95": 0.95}
HEADLINE = ("exchanged_kt_per_yr", "outlet_kt_per_yr", "landfilled_kt_per_yr", "solid_utilisation_rate",
            "energy_saved_ktce_per_yr", "co2_avoided_mt_per_yr", "fiscal_cost_m_cny_per_yr")  # fmt: skip
DPI = 130
PATH_COLUMNS = ["seller", "buyer", "byproduct", "technology"]
PLANNER_LEVELS = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
PLANNER_TOTALS = ("tonnes_used", "outlet_t", "profit_cny", "energy_saved_tce", "co2_avoided_t", "paths",
                  "new_capacity_t", "vat_plants_qualified", "solve_s")  # fmt: skip


def run_draws(
    scenario: Scenario,
    plan: DrawPlan,
    years: int | None = None,
    progress: bool = True,
    label: str = "draws",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every draw of a scenario to its horizon.

    Returns:
        The metrics (``draw``, ``seed``, ``metric``, ``value``; :func:`symbiosim.runs.compare.run_metrics`)
        and the monthly series of :data:`symbiosim.runs.compare.SERIES_PANELS` (``draw``,
        ``date``, one column per series).
    """
    overrides = {} if years is None else {"years": years}
    rows, monthly = [], []
    for i in tqdm(range(len(plan)), desc=label, unit="run", disable=not progress):
        drawn, parameters, seed = plan.draw(scenario, i)
        model = SymbiosisModel(drawn, rng=seed, collect_agent_data=False, **overrides, **parameters)
        model.run()
        rows += [{"draw": i, "seed": seed, "metric": k, "value": v} for k, v in run_metrics(model).items()]
        series = model.datacollector.get_model_vars_dataframe().iloc[1:]
        frame = series[[name for name, _ in SERIES_PANELS]].reset_index(drop=True)
        frame.insert(0, "date", pd.date_range(model.start, periods=len(frame), freq="MS"))
        monthly.append(frame.assign(draw=i))
    return pd.DataFrame(rows), pd.concat(monthly, ignore_index=True)


def interval_table(runs: pd.DataFrame, central: dict[str, float] | None = None) -> pd.DataFrame:
    """Per metric: the central run's value, and the draws' mean, sd, 5 %, 50 % and 95 % quantiles.

    Examples:
        >>> runs = pd.DataFrame({"draw": range(5), "metric": ["m"] * 5, "value": [1.0, 2.0, 3.0, 4.0, 5.0]})
        >>> row = interval_table(runs, {"m": 2.5}).iloc[0]
        >>> float(row["central"]), float(row["p05"]), float(row["p50"]), float(row["p95"]), int(row["draws"])
        (2.5, 1.2, 3.0, 4.8, 5)
    """
    grouped = runs.groupby("metric", sort=False)["value"]
    table = grouped.agg(mean="mean", sd="std", draws="count")
    for name, q in QUANTILES.items():
        table[name] = grouped.quantile(q)
    table.insert(0, "central", [np.nan if central is None else central.get(m, np.nan) for m in table.index])
    return table[["central", "mean", "sd", *QUANTILES, "draws"]].reset_index()


def write_uncertainty(
    plan: DrawPlan,
    runs: pd.DataFrame,
    monthly: pd.DataFrame,
    folder: Path,
    central: SymbiosisModel | None = None,
) -> list[Path]:
    """Write ``uncertainty_draws.csv``, ``uncertainty_runs.csv``, ``uncertainty.csv`` and ``uncertainty.png``."""
    table = interval_table(runs, None if central is None else run_metrics(central))
    draws = plan.table()
    files = [
        write_atomic(folder / "uncertainty_draws.csv", lambda p: draws.to_csv(p, index=False)),
        write_atomic(folder / "uncertainty_runs.csv", lambda p: runs.to_csv(p, index=False)),
        write_atomic(folder / "uncertainty.csv", lambda p: table.to_csv(p, index=False)),
        write_atomic(folder / "uncertainty.png", lambda p: plot_fan(monthly, plan, p, central)),
    ]
    return files


def plot_fan(monthly: pd.DataFrame, plan: DrawPlan, path: Path, central: SymbiosisModel | None = None) -> None:
    """Monthly series: the draws' median and 5-95 % band, and the central run as a line."""
    fig, axes = plt.subplots(len(SERIES_PANELS), 1, figsize=(10, 2.5 * len(SERIES_PANELS)), sharex=True)
    line = None if central is None else central.datacollector.get_model_vars_dataframe().iloc[1:]
    for ax, (name, title) in zip(axes, SERIES_PANELS, strict=True):
        by_month = monthly.groupby("date")[name]
        low, mid, high = (by_month.quantile(q) / T_PER_KT for q in QUANTILES.values())
        ax.fill_between(low.index, low.to_numpy(), high.to_numpy(), color="tab:blue", alpha=0.25, linewidth=0,
                        label=f"5-95 % of {len(plan)} draws")  # fmt: skip
        ax.plot(mid.index, mid.to_numpy(), color="tab:blue", linewidth=1.3, label="median of the draws")
        if line is not None:
            ax.plot(mid.index, line[name].to_numpy()[: len(mid)] / T_PER_KT, color="black", linewidth=0.9,
                    linestyle="--", label="central run")  # fmt: skip
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left", frameon=False)
    fig.suptitle(f"Uncertainty: {len(plan)} draws varying {', '.join(plan.sources)}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def headline_lines(runs: pd.DataFrame, central: dict[str, float], describe: Callable[[str], str]) -> list[str]:
    """Printable lines for the headline metrics: central value and the draws' 90 % interval."""
    table = interval_table(runs, central).set_index("metric")
    return [
        f"  {describe(m):<28} {figure(table.at[m, 'central']):>10}  [{figure(table.at[m, 'p05'])}, {figure(table.at[m, 'p95'])}]"
        for m in HEADLINE
        if m in table.index
    ]


@dataclass(frozen=True)
class PlannerDraws:
    """The planner's optima over draws of the catalog's ranges."""

    plan: DrawPlan
    paths: pd.DataFrame  # per scheme and path: activation probability, mean and p10/p50/p90 tonnes
    totals: pd.DataFrame  # per scheme and quantity: central, mean, p10, p50, p90
    draw_totals: pd.DataFrame  # per draw and scheme: the planner's totals


def plan_monte_carlo(n: int, base_seed: int, scenario: Scenario, ranges_path: Path | None = None) -> DrawPlan:
    """``n`` draws of the catalog's ranges for the planner (it has no behavioural parameters and no randomness)."""
    return plan_draws(n, base_seed, scenario, ("ranges",), ranges_path=ranges_path)


def planner_monte_carlo(
    scenario: Scenario,
    plan: DrawPlan,
    central: dict[str, PlannerResult],
    year: int | None = None,
    month: int | None = None,
    schemes: tuple[str, ...] = SCHEMES,
    progress: bool = True,
) -> PlannerDraws:
    """Solve every scheme for each draw of ``plan``; summarise each path and total over the draws.

    A path is a seller, buyer, by-product and technology; a draw in which the scheme does not use
    it counts 0 t. ``activation_probability`` is the share of draws that use it; ``central_t``
    its tonnes in ``central`` (the scenario's own values).
    """
    paths, totals = [], []
    for i in tqdm(range(len(plan)), desc="monte carlo", unit="draw", disable=not progress):
        drawn, _, seed = plan.draw(scenario, i)
        results, _, _ = optimize_scenario(drawn, year, schemes, rng=seed, month=month)
        for scheme, result in results.items():
            paths.append(result.paths[[*PATH_COLUMNS, "tonnes"]].assign(scheme=scheme, draw=i))
            totals.append(result.totals.assign(draw=i))
    totals = pd.concat(totals, ignore_index=True)
    draw_totals = totals[["draw", "scheme", *PLANNER_TOTALS]]
    return PlannerDraws(plan, _path_table(pd.concat(paths), central, len(plan)), _total_table(totals, central), draw_totals)


def _path_table(paths: pd.DataFrame, central: dict[str, PlannerResult], n: int) -> pd.DataFrame:
    key = ["scheme", *PATH_COLUMNS]
    wide = paths.pivot_table(index=key, columns="draw", values="tonnes", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=range(n), fill_value=0.0)
    values = wide.to_numpy(float)
    table = pd.DataFrame(index=wide.index)
    table["activation_probability"] = (values > 0).mean(axis=1)
    table["mean_t"] = values.mean(axis=1)
    for name, q in PLANNER_LEVELS.items():
        table[f"{name}_t"] = np.quantile(values, q, axis=1)
    base = pd.concat([r.paths.assign(scheme=s) for s, r in central.items()]).groupby(key)["tonnes"].sum()
    table["central_t"] = base.reindex(table.index).fillna(0.0).to_numpy()
    table = table.reset_index().sort_values(["scheme", "activation_probability", "mean_t"], ascending=[True, False, False])
    return table.reset_index(drop=True)


def _total_table(totals: pd.DataFrame, central: dict[str, PlannerResult]) -> pd.DataFrame:
    rows = []
    for scheme, part in totals.groupby("scheme", sort=False):
        for quantity in PLANNER_TOTALS:
            values = part[quantity].to_numpy(float)
            row = {"scheme": scheme, "quantity": quantity, "central": float(central[scheme].totals[quantity].iloc[0]),
                   "mean": values.mean()}  # fmt: skip
            rows.append(row | {name: float(np.quantile(values, q)) for name, q in PLANNER_LEVELS.items()})
    return pd.DataFrame(rows)


def write_planner_monte_carlo(draws: PlannerDraws, facilities: pd.DataFrame, out: Path) -> list[Path]:
    """Write the planner's Monte Carlo tables.

    ``planner_mc_paths.csv`` (with facility names), ``planner_mc_totals.csv``, ``planner_mc_draws.csv``
    (each draw's quantiles) and ``planner_mc_draw_totals.csv`` (each draw's totals).
    """
    names = facilities.set_index("facility_id")["name"]
    paths = draws.paths.copy()
    paths.insert(2, "seller_name", paths["seller"].map(names))
    paths.insert(4, "buyer_name", paths["buyer"].map(names))
    table = draws.plan.table()
    return [
        write_atomic(out / "planner_mc_paths.csv", lambda p: paths.to_csv(p, index=False)),
        write_atomic(out / "planner_mc_totals.csv", lambda p: draws.totals.to_csv(p, index=False)),
        write_atomic(out / "planner_mc_draws.csv", lambda p: table.to_csv(p, index=False)),
        write_atomic(out / "planner_mc_draw_totals.csv", lambda p: draws.draw_totals.to_csv(p, index=False)),
    ]
