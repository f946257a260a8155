"""The views of the browser app: status line, map, series and the comparison of two runs."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import solara
from mesa.visualization.utils import update_counter

from symbiosim.environment import vocabulary
from symbiosim.environment.money import label as in_money
from symbiosim.environment.units import CNY_PER_M, MONTHS_PER_YEAR, T_PER_KT, T_PER_MT, month_date
from symbiosim.model import SymbiosisModel
from symbiosim.runs.compare import run_metrics
from symbiosim.runs.metric_tables import MetricUnavailableError, annual_totals, synergy_assessment
from symbiosim.runs.svg_map import facility_notes, svg_map

__all__ = ["CompareView", "MapView", "SeriesView", "key_figures", "status_text"]

COMPARE_YEARS = ("1", "3", "5", "10")
COMPARED = (
    "exchanged_kt_per_yr",
    "landfilled_kt_per_yr",
    "utilisation_rate.steel_slag",
    "utilisation_rate.bf_slag",
    "utilisation_rate.fly_ash",
    "energy_saved_ktce_per_yr",
    "co2_mt_per_yr",
    "co2_avoided_mt_per_yr",
    "profit_m_cny_per_yr.steel",
    "profit_m_cny_per_yr.cement",
    "fiscal_cost_m_cny_per_yr",
)  # compare metrics shown (``metric.item`` for one by-product or sector)


def compared_label(metric: str) -> str:
    """Label of a compare metric, from the output vocabulary (``profit_m_cny_per_yr.steel`` -> ``profit: steel, M CNY/yr``)."""
    name, _, item = metric.partition(".")
    text = vocabulary.label("compare", name)
    if not item:
        return text
    head, comma, unit = text.partition(", ")
    return f"{head}: {item.replace('_', ' ')}{comma}{unit}"


def _title(name: str, unit: str) -> str:
    return vocabulary.label("timeseries", name, unit)


def key_figures(model: SymbiosisModel) -> dict[str, str]:
    """The month's key figures as shown in the status line (the same numbers as a headless run)."""
    last = model.accounts.summary
    solid = [b for b, is_solid in zip(model.catalog.byproducts, model.catalog.is_solid, strict=True) if is_solid]
    generated = sum(last[f"generated_t.{b}"] for b in solid)
    used = sum(last[f"exchanged_t.{b}"] + last[f"outlet_t.{b}"] for b in solid)  # as utilisation_rate counts

    def named(series: str) -> str:
        return vocabulary.label("timeseries", series, "")

    return {
        named("exchanged_t"): f"{last['exchanged_t'] / T_PER_KT:,.1f} kt",
        named("outlet_t"): f"{last['outlet_t'] / T_PER_KT:,.1f} kt",
        named("landfilled_t"): f"{last['landfilled_t'] / T_PER_KT:,.1f} kt",
        "solid waste used": f"{used / generated:.1%}" if generated > 0 else "-",
        named("energy_saved_tce"): f"{last['energy_saved_tce']:,.0f} tce",
        named("co2_avoided_t"): f"{last['co2_avoided_t'] / T_PER_KT:,.1f} kt",
        named("active_links"): f"{last['active_links']:,}",
        named("profit_cny"): f"{last['profit_cny'] / CNY_PER_M:,.1f} " + in_money("M CNY", model.scenario_data.money),
    }


def status_text(model: SymbiosisModel, label: str) -> str:
    """The status line: simulated date, month of the horizon, scenario and the month's key figures."""
    when = "start (no month simulated)" if model.month_index == 0 else f"{model.date:%Y-%m}"
    figures = " · ".join(f"{name} **{value}**" for name, value in key_figures(model).items())
    return f"**Date: {when}** (month {model.month_index} of {model.horizon_months}) — {label}\n\nThis month: {figures}"


@solara.component
def MapView(model: SymbiosisModel) -> None:
    """Status line, then the facilities at their coordinates and this month's exchanges (SVG, redrawn each step)."""
    update_counter.get()
    flows = model.latest_flows
    output = pd.Series(
        model.state.output[np.arange(model.n_facilities), model.catalog.main_product], index=model.facility_ids, dtype=float
    )
    capacity = model.state.capacity_per_yr.max(axis=1)
    size = capacity / max(float(capacity.max()), 1.0)
    notes = facility_notes(model.catalog.facilities, output, flows)
    title = f"Exchanges in {model.date:%Y-%m}: {flows['tonnes'].sum() / T_PER_KT:,.0f} kt on {len(flows)} routes"
    with solara.Column(style={"width": "100%"}):
        solara.Markdown(status_text(model, model.scenario_label))
        solara.HTML(tag="div", unsafe_innerHTML=svg_map(model.catalog.facilities, size, flows, notes, title))


def _series(model: SymbiosisModel) -> pd.DataFrame:
    """The model's monthly series, indexed by month."""
    frame = model.datacollector.get_model_vars_dataframe().iloc[1:].reset_index(drop=True)
    frame.index = pd.DatetimeIndex([month_date(model.start, i) for i in range(len(frame))])
    return frame


def _by_waste(frame: pd.DataFrame, prefix: str, byproducts: list[str]) -> pd.DataFrame:
    return frame[[f"{prefix}.{b}" for b in byproducts]].rename(columns=lambda c: c.split(".", 1)[1])


@solara.component
def SeriesView(model: SymbiosisModel) -> None:
    """Monthly series (tonnes, utilisation, energy, emissions, profit) and yearly synergy and coupling."""
    update_counter.get()
    if model.month_index == 0:
        solara.Markdown("Press **Step** or **▶** to simulate; the series appear after the first month.")
        return
    frame = _series(model)
    solid = [b for b, is_solid in zip(model.catalog.byproducts, model.catalog.is_solid, strict=True) if is_solid]
    fig, axes = plt.subplots(4, 2, figsize=(12, 12))
    (_by_waste(frame, "exchanged_t", model.catalog.byproducts) / T_PER_KT).plot(ax=axes[0, 0], legend=False)
    axes[0, 0].set_title(_title("exchanged_t", "kt/month"))
    (_by_waste(frame, "landfilled_t", solid) / T_PER_KT).plot(ax=axes[0, 1], legend=False)
    axes[0, 1].set_title(_title("landfilled_t", "kt/month"))
    _by_waste(frame, "utilisation_rate", model.catalog.byproducts).plot(ax=axes[1, 0], legend=False)
    axes[1, 0].set_title(_title("utilisation_rate", ""))
    handles, labels = axes[1, 0].get_legend_handles_labels()
    axes[1, 1].legend(handles, labels, loc="center", ncol=2, fontsize=8, frameon=False)
    axes[1, 1].set_axis_off()
    (frame["energy_saved_tce"] / T_PER_KT).plot(ax=axes[2, 0], color="#2ca02c")
    axes[2, 0].set_title(_title("energy_saved_tce", "ktce/month"))
    (frame["co2_t"] / T_PER_MT).plot(ax=axes[2, 1], color="#1f77b4", label=_title("co2_t", "Mt"))
    (frame[["so2_t", "nox_t", "pm_t"]].sum(axis=1) / T_PER_KT).plot(
        ax=axes[2, 1], secondary_y=True, color="#d62728", label="SO2 + NOx + PM, kt"
    )
    axes[2, 1].set_title("CO2 (left, Mt) and air pollutants (right, kt) per month")
    profit = frame[[c for c in frame.columns if c.startswith("profit_cny.")]] / CNY_PER_M
    profit.rename(columns=lambda c: c.split(".", 1)[1]).plot(ax=axes[3, 0], fontsize=8)
    axes[3, 0].set_title(_title("profit_cny", in_money("M CNY/month", model.scenario_data.money)))
    axes[3, 0].legend(fontsize=7, ncol=2)
    _synergy_panel(model, axes[3, 1])
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    solara.FigureMatplotlib(fig, format="png", dpi=90)
    plt.close(fig)


def _synergy_panel(model: SymbiosisModel, ax: plt.Axes) -> None:
    try:
        table = synergy_assessment(annual_totals(model))[0].table()
    except MetricUnavailableError as why:
        ax.text(0.5, 0.5, f"synergy and coupling: {why}", ha="center", va="center", wrap=True, fontsize=9)
        ax.set_title("synergy degree and coupling coordination (yearly)")
        return
    years = table.index.astype(str)
    ax.plot(years, table["D"], marker="s", color="black", label="coupling coordination D")
    ax.plot(years, table["synergy_fixed"], marker="o", label="synergy degree (fixed base)")
    ax.set_ylim(-0.2, 1)
    ax.legend(fontsize=8)
    ax.set_title("synergy degree and coupling coordination (yearly)")


def _run_for(model_factory: object, months: int) -> SymbiosisModel:
    model = model_factory()
    model.run(months)
    return model


@solara.component
def CompareView(model: SymbiosisModel) -> None:
    """The current settings against the same scenario without them, same seed, side by side."""
    years, set_years = solara.use_state("3")
    result, set_result = solara.use_state(None)

    def compare() -> None:
        months = min(int(years) * MONTHS_PER_YEAR, model.horizon_months)
        seed = model.rng_seed
        app_model = type(model)  # the app's model class: a scenario by label, a seed and the controls
        with_settings = _run_for(lambda: app_model(model.scenario_label, seed, **model.controls), months)
        without = _run_for(lambda: app_model(model.scenario_label, seed), months)
        set_result((int(years), seed, without, with_settings))

    with solara.Row():
        solara.Select("Years to simulate", value=years, values=list(COMPARE_YEARS), on_value=set_years)
        solara.Button("Run comparison", on_click=compare, color="primary")
    solara.Markdown(
        "Runs the chosen scenario twice with the current seed: **without** the policy controls, and "
        "**with** the settings applied at the last Reset. Figures are for the last 12 simulated months."
    )
    if result is None:
        return
    n_years, seed, without, with_settings = result
    metrics = {"without policies": run_metrics(without), "with current settings": run_metrics(with_settings)}
    table = pd.DataFrame(metrics).reindex(list(COMPARED)).rename(index=compared_label)
    table["difference"] = table["with current settings"] - table["without policies"]
    solara.Markdown(f"**Comparison over {n_years} year(s), seed {seed}**")
    solara.DataFrame(table.round(3).reset_index(names="metric"), items_per_page=20)
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.5))
    for label, run in (("without policies", without), ("with current settings", with_settings)):
        frame = _series(run)
        axes[0].plot(frame.index, frame["exchanged_t"] / T_PER_KT, label=label)
        axes[1].plot(frame.index, frame["landfilled_t"] / T_PER_KT, label=label)
    axes[0].set_title(_title("exchanged_t", "kt/month"))
    axes[1].set_title(_title("landfilled_t", "kt/month"))
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    solara.FigureMatplotlib(fig, format="png", dpi=80)
    plt.close(fig)
