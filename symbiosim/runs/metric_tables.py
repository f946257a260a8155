"""Metric tables of a finished run: ledgers, government, network, synergy and value flow (SPEC 7).

Each function reads the model's records (facility ledger, flows, series) and calls the pure
functions of :mod:`symbiosim.metrics`; :func:`write_metric_tables` writes them all.
"""

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from symbiosim.metrics import enterprise, indicators
from symbiosim.metrics.ledger import LEVELS, aggregate, government_ledger, to_long
from symbiosim.metrics.network import (
    byproduct_flows,
    clustering_by_city,
    degrees,
    effective_radius_km,
    key_nodes,
    partner_graph,
    profit_distance_spearman,
    robustness,
)
from symbiosim.model import MONTHS_PER_YEAR, SymbiosisModel
from symbiosim.runs.outputs import symbiosis_flows, unit_of, write_atomic

__all__ = [
    "annual_totals",
    "government_table",
    "ledger_tables",
    "network_summary",
    "network_tables",
    "synergy_assessment",
    "value_flow_of",
    "value_flow_table",
    "write_metric_tables",
]

CEMENT = "cement"
FULL_YEAR = MONTHS_PER_YEAR
SERIES_FOR_GOVERNMENT = ("subsidy_cny", "vat_rebate_cny", "ep_tax_cny", "emission_charges_cny", "co2_avoided_t")
VALUE_FLOW_TOP = 10


def ledger_tables(model: SymbiosisModel) -> dict[str, pd.DataFrame]:
    """The facility ledger summed by every level, per month (not per facility) and per year, in long form."""
    ledger, facilities = model.facility_ledger, model.facilities
    monthly = [_without_mixed_units(aggregate(ledger, facilities, level, "month")) for level in LEVELS[1:]]
    annual = [_without_mixed_units(aggregate(ledger, facilities, level, "year")) for level in LEVELS]
    return {
        "ledger_monthly": to_long(pd.concat(monthly, ignore_index=True), unit_of),
        "ledger_annual": to_long(pd.concat(annual, ignore_index=True), unit_of),
    }


def _without_mixed_units(table: pd.DataFrame) -> pd.DataFrame:
    """Output of the main product only where it adds up: per facility and per sector (t or MWh)."""
    if table.empty or table["level"].iloc[0] in ("facility", "sector"):
        return table
    return table.drop(columns=["output_main_units"], errors="ignore")


def annual_totals(model: SymbiosisModel) -> pd.DataFrame:
    """Region totals per calendar year: the facility ledger plus the government series.

    Returns:
        Index ``year`` (string); ``months`` covered, the ledger columns, ``cement_used_t`` and
        ``cement_output_t`` (solid by-products used by, and main output of, cement plants),
        ``subsidy_cny`` including capex subsidies, and ``waste_used_t``.
    """
    ledger, facilities = model.facility_ledger, model.facilities
    region = aggregate(ledger, facilities, "region", "year").set_index("period").drop(columns=["level", "item"])
    sectors = aggregate(ledger, facilities, "sector", "year")
    cement = sectors[sectors["item"] == CEMENT].set_index("period")
    region["cement_used_t"] = cement["symbiosis_used_solid_t"].reindex(region.index).fillna(0.0)
    region["cement_output_t"] = cement["output_main_units"].reindex(region.index).fillna(0.0)
    series = model.datacollector.get_model_vars_dataframe().iloc[1:].reset_index(drop=True)
    years = [date[:4] for date in model.facility_ledger.drop_duplicates("step")["date"]]
    by_year = series[list(SERIES_FOR_GOVERNMENT)].groupby(np.asarray(years)).sum()
    region["subsidy_cny"] = by_year["subsidy_cny"].reindex(region.index)  # includes capex subsidies
    region["waste_used_t"] = region["symbiosis_used_solid_t"]
    return region.rename_axis("year")


def government_table(annual: pd.DataFrame) -> pd.DataFrame:
    """The government ledger per year (SPEC 7.8)."""
    columns = ["months", "subsidy_cny", "vat_rebate_cny", "ep_tax_cny", "emission_charges_cny"]
    return government_ledger(annual[[*columns, "co2_avoided_t", "waste_used_t"]]).reset_index()


def synergy_assessment(annual: pd.DataFrame) -> tuple[indicators.SynergyAssessment | None, pd.DataFrame, str]:
    """Synergy and coupling of the circular-economy and low-carbon subsystems over the full years of a run.

    Returns:
        The assessment (None when fewer than two full years, or no cement plant, allow it),
        the indicator values per year, and a note saying which years were used or why none.
    """
    full = annual[annual["months"] == FULL_YEAR]
    if len(full) < 2:
        return None, pd.DataFrame(), f"synergy needs two full calendar years; the run has {len(full)}"
    if (full["cement_output_t"] <= 0).any():
        return None, pd.DataFrame(), "the default indicators need cement plants (cement_substitution_t_per_t)"
    values = indicators.indicator_values(full)
    assessment = indicators.assess(values)
    return assessment, values, f"years {full.index[0]}-{full.index[-1]} (full calendar years only)"


def synergy_long(assessment: indicators.SynergyAssessment, values: pd.DataFrame) -> pd.DataFrame:
    """Indicator values, order degrees, bounds and weights in long form (one row per year and indicator)."""
    spec = indicators.default_indicators().set_index("indicator")
    long = values.rename_axis("year").reset_index().melt(id_vars="year", var_name="indicator", value_name="value")
    order = assessment.order_degrees.rename_axis("year").reset_index()
    long = long.merge(order.melt(id_vars="year", var_name="indicator", value_name="order_degree"))
    long["subsystem"] = long["indicator"].map(spec["subsystem"])
    long["direction"] = long["indicator"].map(spec["direction"])
    long["unit"] = long["indicator"].map(spec["unit"])
    long["lower"] = long["indicator"].map(assessment.bounds.loc["lower"])
    long["upper"] = long["indicator"].map(assessment.bounds.loc["upper"])
    long["weight"] = long["indicator"].map(assessment.weights)
    columns = ["year", "subsystem", "indicator", "direction", "unit", "value", "lower", "upper", "weight"]
    return long[[*columns, "order_degree"]]


def network_tables(model: SymbiosisModel) -> dict[str, pd.DataFrame]:
    """Network metrics of the last 12 months, and the effective radius per year (symbiosis exchanges only)."""
    flows = symbiosis_flows(model, months=None)
    recent = symbiosis_flows(model)
    if recent.empty:
        return {}
    info = model.facilities.set_index("facility_id")[["name", "sector", "city"]]
    radius = [
        effective_radius_km(part).reset_index().assign(year=year)
        for year, part in flows.groupby(flows["date"].str.slice(0, 4))
    ]
    return {
        "network_summary": network_summary(recent),
        "network_byproducts": byproduct_flows(recent).reset_index(),
        "network_degrees": degrees(recent).join(info).reset_index(),
        "network_key_nodes": key_nodes(recent, top=20).join(info, on="facility_id"),
        "network_robustness": robustness(recent).head(20).join(info).reset_index(),
        "network_cities": clustering_by_city(recent, model.facilities).reset_index(),
        "radius_annual": pd.concat(radius, ignore_index=True)[
            ["year", "byproduct", "median_km", "radius_km", "tonnes"]
        ],
    }


def network_summary(flows: pd.DataFrame) -> pd.DataFrame:
    """One row summing up a period's flows.

    Active links (seller-buyer pairs), routes (pairs and by-product), tonnes, value, active
    facilities, mean square clustering (see :func:`symbiosim.metrics.network.clustering_by_city`) and
    the Spearman correlation of path profit (the seller's plus the buyer's gain, CNY/t) against
    distance over the routes (the JJJ study found -0.22).
    """
    graph = partner_graph(flows)
    gain = flows["seller_gain_cny_per_t"] + flows["buyer_gain_cny_per_t"]
    routes = (
        flows.assign(gain_cny=gain * flows["tonnes"])
        .groupby(["seller_id", "buyer_id", "technology"])
        .agg(distance_km=("distance_km", "first"), tonnes=("tonnes", "sum"), gain_cny=("gain_cny", "sum"))
    )
    return pd.DataFrame(
        {
            "active_links": [len(flows[["seller_id", "buyer_id"]].drop_duplicates())],
            "routes": [len(routes)],
            "tonnes": [float(flows["tonnes"].sum())],
            "value_cny": [float((flows["tonnes"] * flows["price_cny_per_t"]).sum())],
            "facilities_active": [graph.number_of_nodes()],
            "mean_square_clustering": [
                float(np.mean(list(nx.square_clustering(graph).values()))) if len(graph) else np.nan
            ],
            "spearman_profit_vs_distance": [
                profit_distance_spearman(
                    routes["distance_km"].to_numpy(), (routes["gain_cny"] / routes["tonnes"]).to_numpy()
                )
            ],
        }
    )


def _landfill_charge_cny_per_t(model: SymbiosisModel, index: int) -> float:
    """Gate fee + EP tax per tonne of the facility's solid by-products, weighted by what it generates."""
    solid = model.is_landfilled
    charge = (model.landfill_fee + model.ep_tax)[index, solid]
    weight = model.storage_limit_t[index, solid] / np.maximum(model.storage_months[solid], 1e-12)
    return float(np.average(charge, weights=weight)) if weight.sum() > 0 else float(charge.mean())


def value_flow_of(model: SymbiosisModel, facility_id: str, months: int = MONTHS_PER_YEAR) -> pd.DataFrame:
    """Value-flow evaluation of one enterprise over the last ``months`` months (SPEC 7.5).

    Synergistic = with its exchanges, as run; non-synergistic = the counterfactual of
    :mod:`symbiosim.metrics.enterprise`.

    Raises:
        KeyError: unknown facility id.
    """
    index = model.facility_index[facility_id]
    ledger = model.facility_ledger
    recent = ledger[(ledger["facility_id"] == facility_id) & (ledger["step"] > model.month_index - months)]
    totals = recent.drop(columns=["step", "date", "facility_id"]).sum().to_dict()
    table = enterprise.evaluate_enterprise(totals, _landfill_charge_cny_per_t(model, index))
    return table.assign(facility_id=facility_id)


def value_flow_table(model: SymbiosisModel, extra_ids: list[str] | None = None) -> pd.DataFrame:
    """Value-flow evaluation of the 10 key symbiosis nodes of the last year, and of ``extra_ids``."""
    recent = symbiosis_flows(model)
    key = list(key_nodes(recent, top=VALUE_FLOW_TOP)["facility_id"]) if len(recent) else []
    facility_ids = list(dict.fromkeys([*key, *(extra_ids or [])]))
    if not facility_ids:
        return pd.DataFrame()
    table = pd.concat([value_flow_of(model, fid) for fid in facility_ids], ignore_index=True)
    info = model.facilities.set_index("facility_id")[["name", "sector", "city"]]
    table = table.join(info, on="facility_id")
    first = ["facility_id", "name", "sector", "city", "mode"]
    return table[first + [c for c in table.columns if c not in first]]


def write_metric_tables(
    model: SymbiosisModel, folder: Path, value_flow_ids: list[str] | None = None
) -> tuple[dict[str, pd.DataFrame], list[Path], dict[str, str]]:
    """Write every metric table (CSV) into ``folder``; ``value_flow_ids`` are evaluated besides the key nodes.

    Returns:
        The tables by name, the files written and notes for the manifest (which years the
        synergy covers and the rules for its bounds and weights, or why it is missing).
    """
    tables = ledger_tables(model)
    annual = annual_totals(model)
    tables["government_annual"] = government_table(annual)
    tables.update(network_tables(model))
    notes: dict[str, str] = {}
    assessment, values, notes["synergy"] = synergy_assessment(annual)
    if assessment is not None:
        tables["synergy_annual"] = assessment.table().rename_axis("year").reset_index()
        tables["synergy_indicators"] = synergy_long(assessment, values)
        notes["synergy_bounds"] = assessment.notes["bounds"]
        notes["synergy_weights"] = assessment.notes["weights"]
    tables["value_flow"] = value_flow_table(model, value_flow_ids)
    files = [
        write_atomic(folder / f"{name}.csv", lambda p, t=table: t.to_csv(p, index=False))
        for name, table in tables.items()
    ]
    return tables, files, notes
