"""Compare scenarios run with the same seeds: a side-by-side table (mean and spread), paired differences and plots.

Every scenario is run with the same seeds, so each seed gives a *pair* of runs that share
their random draws as far as the scenarios let them (common random numbers): the difference
of a metric within a pair is mostly the scenario's effect, not chance. ``compare_paired.csv``
reports, per metric and scenario, the mean paired difference from the first scenario and its
95 % confidence interval (Student's t over the seeds; none with a single seed).
"""

from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats
from tqdm import tqdm

from symbiosim.environment import vocabulary
from symbiosim.environment.scenario import Scenario, load_scenario
from symbiosim.environment.units import CNY_PER_M, T_PER_KT, T_PER_MT
from symbiosim.metrics.network import weighted_quantile
from symbiosim.model import MONTHS_PER_YEAR, SymbiosisModel
from symbiosim.runs.draws import DrawPlan, UncertaintyOptions
from symbiosim.runs.outputs import write_atomic

__all__ = ["DEFAULT_NAME", "Comparison", "compare_scenarios", "figure", "paired_differences", "run_metrics"]

DEFAULT_NAME = "default"
TCE_PER_KTCE = T_PER_KT
SERIES_PANELS = tuple(
    (name, vocabulary.label("timeseries", name, unit))
    for name, unit in (("exchanged_t", "kt/month"), ("landfilled_t", "kt/month"), ("energy_saved_tce", "ktce/month"),
                       ("co2_t", "kt/month"))
)  # fmt: skip
DPI = 130
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Comparison:
    """What ``compare_scenarios`` produced."""

    runs: pd.DataFrame  # one row per scenario, seed and metric
    table: pd.DataFrame  # metric x (scenario, mean/sd)
    files: list[Path]
    paired: pd.DataFrame | None = None  # per metric and scenario: paired difference from the first


def paired_differences(runs: pd.DataFrame, reference: str, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Per metric and scenario, the mean difference from ``reference`` over the seeds both ran, with its CI.

    Args:
        runs: one row per ``scenario``, ``seed``, ``metric`` and ``value``; with a ``draw``
            column, the runs pair by draw instead of by seed.
        reference: the scenario the others are compared with.
        confidence: level of the two-sided interval (Student's t with seeds - 1 degrees of freedom).

    Returns:
        Columns ``metric``, ``scenario``, ``reference``, ``seeds``, ``mean_difference``,
        ``sd_difference``, ``ci_low``, ``ci_high`` (NaN with a single seed), and the 5 % and
        95 % quantiles of the differences over the seeds (``p05_difference``,
        ``p95_difference``: with parameter draws, the spread of the effect); one row per metric
        and scenario other than ``reference``.

    Examples:
        >>> runs = pd.DataFrame({"scenario": ["a", "a", "b", "b"], "seed": [1, 2, 1, 2],
        ...                      "metric": ["m"] * 4, "value": [10.0, 12.0, 11.0, 14.0]})
        >>> row = paired_differences(runs, "a").iloc[0]
        >>> float(row["mean_difference"]), float(row["sd_difference"]), round(float(row["ci_high"]), 3)
        (1.5, 0.7071067811865476, 7.853)
    """
    key = "draw" if "draw" in runs.columns else "seed"  # runs of parameter draws pair by draw
    base = runs[runs["scenario"] == reference][[key, "metric", "value"]]
    pairs = runs[runs["scenario"] != reference].merge(base, on=[key, "metric"], suffixes=("", "_reference"))
    pairs["difference"] = pairs["value"] - pairs["value_reference"]
    grouped = pairs.groupby(["metric", "scenario"], sort=False)["difference"]
    table = grouped.agg(seeds="count", mean_difference="mean", sd_difference="std").reset_index()
    half = stats.t.ppf(0.5 + confidence / 2, table["seeds"] - 1) * table["sd_difference"] / np.sqrt(table["seeds"])
    half = half.where(table["seeds"] > 1)
    table["ci_low"], table["ci_high"] = table["mean_difference"] - half, table["mean_difference"] + half
    table["p05_difference"] = grouped.quantile(0.05).to_numpy()
    table["p95_difference"] = grouped.quantile(0.95).to_numpy()
    table.insert(2, "reference", reference)
    return table[["metric", "scenario", "reference", "seeds", "mean_difference", "sd_difference", "ci_low", "ci_high",
                  "p05_difference", "p95_difference"]]  # fmt: skip


ROUNDING_NOISE = 1e-9


def run_metrics(model: SymbiosisModel) -> dict[str, float]:
    """Figures of a finished run: the last 12 months per year, and totals over the whole run.

    Units are in the names: kt/yr, Mt/yr, ktce/yr, million CNY/yr; ``utilisation_rate.*``
    is (exchanged + sold to outlets) ÷ generated over the last 12 months; the ``consequential``
    savings count only the share of each tonne that business as usual leaves unused.
    """
    series = model.datacollector.get_model_vars_dataframe().iloc[1:]
    year = series.iloc[-MONTHS_PER_YEAR:]
    metrics = {
        "exchanged_kt_per_yr": year["exchanged_t"].sum() / T_PER_KT,
        "landfilled_kt_per_yr": year["landfilled_t"].sum() / T_PER_KT,
        "outlet_kt_per_yr": year["outlet_t"].sum() / T_PER_KT,
    }
    solid = [b for b, landfilled in zip(model.catalog.byproducts, model.catalog.is_solid, strict=True) if landfilled]
    solid_generated = solid_used = 0.0
    for name in model.catalog.byproducts:
        generated = year[f"generated_t.{name}"].sum()
        if generated > 0:
            used = year[f"exchanged_t.{name}"].sum() + year[f"outlet_t.{name}"].sum()
            metrics[f"utilisation_rate.{name}"] = used / generated
            if name in solid:
                solid_generated, solid_used = solid_generated + generated, solid_used + used
    metrics["solid_utilisation_rate"] = solid_used / solid_generated if solid_generated > 0 else float("nan")
    flows = model.flows
    recent = (
        flows[(flows["step"] > model.month_index - MONTHS_PER_YEAR) & flows["byproduct"].isin(solid) & flows["is_symbiosis"]]
        if len(flows)
        else flows
    )
    metrics["haul_p90_km"] = (
        weighted_quantile(recent["distance_km"].to_numpy(), recent["tonnes"].to_numpy(), 0.9)
        if len(recent) and recent["tonnes"].sum() > 0
        else float("nan")
    )
    metrics.update(
        {
            "energy_use_mtce_per_yr": year["energy_tce"].sum() / T_PER_MT,
            "energy_saved_ktce_per_yr": year["energy_saved_tce"].sum() / TCE_PER_KTCE,
            "co2_mt_per_yr": year["co2_t"].sum() / T_PER_MT,
            "co2_avoided_mt_per_yr": year["co2_avoided_t"].sum() / T_PER_MT,
            "energy_saved_consequential_ktce_per_yr": year["consequential_energy_saved_tce"].sum() / TCE_PER_KTCE,
            "co2_avoided_consequential_mt_per_yr": year["consequential_co2_avoided_t"].sum() / T_PER_MT,
            "so2_kt_per_yr": year["so2_t"].sum() / T_PER_KT,
            "nox_kt_per_yr": year["nox_t"].sum() / T_PER_KT,
            "pm_kt_per_yr": year["pm_t"].sum() / T_PER_KT,
            "fiscal_cost_m_cny_per_yr": year["fiscal_cost_cny"].sum() / CNY_PER_M,
            "subsidies_m_cny_per_yr": year["subsidy_cny"].sum() / CNY_PER_M,
            "ep_tax_m_cny_per_yr": year["ep_tax_cny"].sum() / CNY_PER_M,
            "emission_charges_m_cny_per_yr": year["emission_charges_cny"].sum() / CNY_PER_M,
            "vat_rebate_m_cny_per_yr": year["vat_rebate_cny"].sum() / CNY_PER_M,
        }
    )
    for column in series.columns:
        if column.startswith("profit_cny."):
            metrics[f"profit_m_cny_per_yr.{column.split('.', 1)[1]}"] = year[column].sum() / CNY_PER_M
    metrics["exchanged_kt_whole_run"] = series["exchanged_t"].sum() / T_PER_KT
    metrics["contract_shortfalls_whole_run"] = float(series["contract_shortfalls"].sum())
    metrics["contract_undelivered_kt_whole_run"] = series["contract_undelivered_t"].sum() / T_PER_KT
    return {key: float(value) for key, value in metrics.items()}


def _label(path: str | Path | None, scenario: Scenario) -> str:
    return DEFAULT_NAME if path in (None, DEFAULT_NAME) else Path(path).stem


def compare_scenarios(
    scenarios: list[str | Path | None],
    seeds: list[int],
    out: Path,
    years: int | None = None,
    progress: bool = True,
    uncertainty: UncertaintyOptions | None = None,
) -> Comparison:
    """Run every scenario with every seed and write the comparison into ``out``.

    Args:
        scenarios: TOML paths, or ``None``/``"default"`` for the bundled JJJ scenario; the
            first is the reference for ``symbiotic_flow_lost_kt_vs_first`` (whole run) and
            ``symbiotic_flow_lost_kt_during_limits`` (the months in which a production limit
            held in the compared scenario).
        seeds: random seeds, the same for every scenario.
        out: output folder.
        years: horizon (default: each scenario's).
        progress: show a progress bar.
        uncertainty: instead of plain seeds, run every scenario with the same draws of the
            uncertain parameters (:mod:`symbiosim.runs.draws`; draw ``i`` has seed
            ``seeds[0] + i`` when seeds vary), planned on the first scenario; the tables then
            also give the 5 % and 95 % quantiles over the draws, of each scenario's metrics and
            of the paired differences.

    Returns:
        The per-run metrics, the side-by-side table, the paired differences and the files
        written: ``compare_runs.csv`` (scenario, draw, seed, metric, value), ``compare.csv`` (metric
        x scenario: mean and sd across seeds), ``compare_paired.csv`` (each scenario's paired
        difference from the first, with its 95 % CI; see :func:`paired_differences`),
        ``compare.md`` and ``compare_series.png``.
    """
    loaded = [(_path, load_scenario(None if _path in (None, DEFAULT_NAME) else _path)) for _path in scenarios]
    labels = [_label(path, scenario) for path, scenario in loaded]
    if len(set(labels)) != len(labels):
        raise ValueError(f"scenario names must differ: {labels}")
    currencies = {f"{s.money.currency} of {s.money.price_year}" for _, s in loaded}
    if len(currencies) > 1:  # money columns side by side must be in one currency
        raise ValueError(f"the scenarios' money is in {', '.join(sorted(currencies))}: compare scenarios of one "
                         "currency and price year (set [money] in each to the same)")  # fmt: skip
    overrides = {} if years is None else {"years": years}
    plan = None if uncertainty is None else uncertainty.plan(loaded[0][1], seeds[0])
    draws = _draws(loaded, labels, seeds, plan)
    rows, monthly = [], []
    with tqdm(total=len(loaded) * len(draws[0]), desc="compare", unit="run", disable=not progress) as bar:
        for label, scenario_draws in zip(labels, draws, strict=True):
            for draw, (scenario, parameters, seed) in enumerate(scenario_draws):
                model = SymbiosisModel(scenario, rng=seed, collect_agent_data=False, **overrides, **parameters)
                model.run()
                rows += [
                    {"scenario": label, "draw": draw, "seed": seed, "metric": k, "value": v}
                    for k, v in run_metrics(model).items()
                ]
                series = model.datacollector.get_model_vars_dataframe().iloc[1:]
                frame = series[[*(name for name, _ in SERIES_PANELS), "limited_facilities"]].reset_index(drop=True)
                frame["month"] = np.arange(1, len(frame) + 1)
                monthly.append(frame.assign(scenario=label, draw=draw, seed=seed))
                bar.update()
    runs = pd.DataFrame(rows)
    reference = runs[(runs["scenario"] == labels[0]) & (runs["metric"] == "exchanged_kt_whole_run")]
    lost = runs[runs["metric"] == "exchanged_kt_whole_run"].merge(reference[["draw", "value"]], on="draw")
    lost = lost.assign(metric="symbiotic_flow_lost_kt_vs_first", value=lost["value_y"] - lost["value_x"])
    columns = ["scenario", "draw", "seed", "metric", "value"]
    runs = pd.concat([runs, lost[columns], _lost_during_limits(monthly, labels[0])[columns]])
    runs = runs.reset_index(drop=True)
    grouped = runs.groupby(["metric", "scenario"], sort=False)["value"]
    table = grouped.agg(["mean", "std"]).assign(p05=grouped.quantile(0.05), p95=grouped.quantile(0.95))
    table = table.rename(columns={"std": "sd"}).unstack("scenario").swaplevel(axis=1)
    table = table.reindex(columns=pd.MultiIndex.from_product([labels, ["mean", "sd", "p05", "p95"]]))
    paired = paired_differences(runs, labels[0])
    seeds = sorted(runs["seed"].unique().tolist())
    markdown = _markdown(table, labels, seeds, plan) + _paired_markdown(paired, labels[0], plan is not None)
    out.mkdir(parents=True, exist_ok=True)
    files = [
        write_atomic(out / "compare_runs.csv", lambda p: runs.to_csv(p, index=False)),
        write_atomic(out / "compare.csv", lambda p: table.to_csv(p)),
        write_atomic(out / "compare_paired.csv", lambda p: paired.to_csv(p, index=False)),
        write_atomic(out / "compare.md", lambda p: p.write_text(markdown, encoding="utf-8")),
        write_atomic(out / "compare_series.png", lambda p: _plot(pd.concat(monthly), labels, p)),
    ]
    if plan is not None:
        files.append(write_atomic(out / "compare_draws.csv", lambda p: plan.table().to_csv(p, index=False)))
    return Comparison(runs=runs, table=table, files=files, paired=paired)


def _draws(
    loaded: list[tuple[object, Scenario]], labels: list[str], seeds: list[int], plan: DrawPlan | None
) -> list[list[tuple[Scenario, dict[str, float], int]]]:
    """Per scenario, its runs: (scenario with drawn values, parameter overrides, seed).

    Raises:
        ValueError: the scenarios differ in a parameter the posterior draws (the draws would
            replace what sets them apart).
        ScenarioError: a range that does not fit one of the scenarios.
    """
    if plan is None:
        return [[(scenario, {}, seed) for seed in seeds] for _, scenario in loaded]
    for name in plan.parameters.columns:
        values = {label: scenario.parameters.get(name) for label, (_, scenario) in zip(labels, loaded, strict=True)}
        if len(set(values.values())) > 1:
            raise ValueError(f"the scenarios set {name} differently ({values}), and the posterior draws would replace "
                             "it in every one: compare them with --vary seed ranges")  # fmt: skip
    for _, scenario in loaded:
        plan.check(scenario)
    return [[plan.draw(scenario, i) for i in range(len(plan))] for _, scenario in loaded]


def _paired_markdown(paired: pd.DataFrame, reference: str, drawn: bool = False) -> str:
    if paired.empty:
        return ""
    low, high = ("p05_difference", "p95_difference") if drawn else ("ci_low", "ci_high")
    labels = list(dict.fromkeys(paired["scenario"]))
    header = "| metric | " + " | ".join(labels) + " |\n|---|" + "---:|" * len(labels) + "\n"
    lines = []
    for metric, rows in paired.groupby("metric", sort=False):
        by = rows.set_index("scenario")
        cells = [
            f"{figure(by.at[label, 'mean_difference'])} [{figure(by.at[label, low])}, {figure(by.at[label, high])}]"
            for label in labels
        ]
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    interval = "5 % and 95 % quantiles over the draws" if drawn else f"{CONFIDENCE:.0%} confidence interval, Student's t"
    note = (
        f"\nPaired difference from {reference} (same {'draw' if drawn else 'seed'}, scenario - {reference}): mean "
        f"[{interval}].\n\n"
    )
    return note + header + "\n".join(lines) + "\n"


def _lost_during_limits(monthly: list[pd.DataFrame], reference: str) -> pd.DataFrame:
    """Per scenario and draw (seed): tonnes exchanged (kt) short of the reference in the months a limit held."""
    frames = pd.concat(monthly, ignore_index=True)
    base = frames[frames["scenario"] == reference][["draw", "month", "exchanged_t"]]
    both = frames.merge(base, on=["draw", "month"], suffixes=("", "_reference"))
    both["lost_kt"] = (
        (both["exchanged_t_reference"] - both["exchanged_t"]) * (both["limited_facilities"] > 0) / T_PER_KT
    )
    lost = both.groupby(["scenario", "draw", "seed"], sort=False)["lost_kt"].sum().reset_index(name="value")
    return lost.assign(metric="symbiotic_flow_lost_kt_during_limits")[["scenario", "draw", "seed", "metric", "value"]]


def _markdown(table: pd.DataFrame, labels: list[str], seeds: list[int], plan: DrawPlan | None = None) -> str:
    header = "| metric | " + " | ".join(labels) + " |\n|---|" + "---:|" * len(labels) + "\n"
    lines = []
    for metric, row in table.iterrows():
        if plan is None:
            cells = [f"{figure(row[(label, 'mean')])} ± {figure(row[(label, 'sd')])}" for label in labels]
        else:
            cells = [f"{figure(row[(label, 'mean')])} [{figure(row[(label, 'p05')])}, {figure(row[(label, 'p95')])}]"
                     for label in labels]  # fmt: skip
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    if plan is None:
        note = f"Mean ± standard deviation over seeds {', '.join(map(str, seeds))}"
    else:
        note = f"Mean [5 %, 95 % quantiles] over {len(plan)} draws varying {', '.join(plan.sources)} (compare_draws.csv)"
    return note + "; the last 12 months unless named whole_run.\n\n" + header + "\n".join(lines) + "\n"


def figure(value: float) -> str:
    """A number for a table: thousands separated, three significant digits below 1,000.

    Rounding noise (below 1e-9) shows as 0.

    >>> figure(45812.4), figure(0.0968), figure(-2360.2), figure(12.51), figure(5.55e-17)
    ('45,812', '0.0968', '-2,360', '12.5', '0')
    """
    if not np.isfinite(value):
        return "–"
    if abs(value) < ROUNDING_NOISE:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _plot(monthly: pd.DataFrame, labels: list[str], path: Path) -> None:
    fig, axes = plt.subplots(len(SERIES_PANELS), 1, figsize=(10, 2.6 * len(SERIES_PANELS)), sharex=True)
    means = monthly.groupby(["scenario", "month"])[[name for name, _ in SERIES_PANELS]].mean()
    for ax, (name, title) in zip(axes, SERIES_PANELS, strict=True):
        for label in labels:
            values = means.loc[label, name] / T_PER_KT
            ax.plot(values.index, values.to_numpy(), label=label, linewidth=1.4)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    axes[-1].set_xlabel("month of the run (mean over seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
