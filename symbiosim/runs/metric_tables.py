"""Metric tables of a finished run: ledgers, government, network, synergy and value flow (docs/metrics.md).

Each function reads the model's records (facility ledger, flows, series) and calls the pure
functions of :mod:`symbiosim.metrics`; :func:`write_metric_tables` writes them all.
"""

import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from symbiosim.environment import vocabulary
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
from symbiosim.runs.csv_text import write_csv
from symbiosim.runs.outputs import in_currency, symbiosis_flows, unit_of, write_atomic

__all__ = [
    "TABLE_COLUMNS",
    "MetricUnavailableError",
    "MetricUnavailableWarning",
    "annual_totals",
    "compute_metric_tables",
    "government_table",
    "ledger_tables",
    "network_summary",
    "network_tables",
    "synergy_assessment",
    "unavailable_table",
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
    ledger, facilities = model.facility_ledger, model.catalog.facilities
    monthly = [_without_mixed_units(aggregate(ledger, facilities, level, "month")) for level in LEVELS[1:]]
    annual = [_without_mixed_units(aggregate(ledger, facilities, level, "year")) for level in LEVELS]
    return {
        "ledger_monthly": to_long(pd.concat(monthly, ignore_index=True), unit_of("ledger_monthly")),
        "ledger_annual": to_long(pd.concat(annual, ignore_index=True), unit_of("ledger_annual")),
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
    ledger, facilities = model.facility_ledger, model.catalog.facilities
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
    """The government ledger per year (docs/metrics.md, "Government ledger")."""
    columns = ["months", "subsidy_cny", "vat_rebate_cny", "ep_tax_cny", "emission_charges_cny"]
    return government_ledger(annual[[*columns, "co2_avoided_t", "waste_used_t"]]).reset_index()


def synergy_assessment(annual: pd.DataFrame) -> tuple[indicators.SynergyAssessment, pd.DataFrame, str]:
    """Synergy and coupling of the circular-economy and low-carbon subsystems over the full years of a run.

    Indicators that cannot be assessed (e.g. cement substitution in a region without cement
    plants, or an indicator constant at 0) are left out with the reason in the assessment's
    ``notes["unavailable"]``.

    Returns:
        The assessment, the indicator values per year, and a note saying which years were used.

    Raises:
        MetricUnavailableError: fewer than two full calendar years.
    """
    full = annual[annual["months"] == FULL_YEAR]
    if len(full) < 2:
        raise MetricUnavailableError(f"the synergy degree needs two full calendar years; the run has {len(full)}")
    values = indicators.indicator_values(full, unavailable="nan")
    assessment = indicators.assess(values, unavailable="exclude")
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
    long = long[[*columns, "order_degree"]]
    reasons = assessment.notes.get("unavailable", {})
    if reasons:
        long[UNAVAILABLE] = long["indicator"].map(reasons).fillna("")
    return long


def network_tables(model: SymbiosisModel) -> dict[str, pd.DataFrame]:
    """Network metrics of the last 12 months (symbiosis exchanges only; none without such exchanges)."""
    recent = symbiosis_flows(model)
    if recent.empty:
        return {}
    info = model.catalog.facilities.set_index("facility_id")[["name", "sector", "city"]]
    return {
        "network_summary": network_summary(recent),
        "network_byproducts": byproduct_flows(recent).reset_index(),
        "network_degrees": degrees(recent).join(info).reset_index(),
        "network_key_nodes": key_nodes(recent, top=20).join(info, on="facility_id"),
        "network_robustness": robustness(recent).head(20).join(info).reset_index(),
        "network_cities": clustering_by_city(recent, model.catalog.facilities).reset_index(),
    }


def network_summary(flows: pd.DataFrame) -> pd.DataFrame:
    """One row summing up a period's flows.

    Active links (seller-buyer pairs), routes (pairs and by-product), tonnes, value, active
    facilities, mean square clustering (see :func:`symbiosim.metrics.network.clustering_by_city`) and
    the Spearman correlation of path profit (the seller's plus the buyer's gain, CNY/t) against
    distance over the routes (Cao et al. 2025, §2.2, Fig. 5: -0.2192).
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
    """What disposing of a tonne of the facility's solid by-products costs, weighted by what it generates.

    Gate fee + EP tax for a landfilled by-product, the route's fee for a treated one.
    """
    solid, disposal = model.catalog.is_solid, model.catalog.disposal
    if not solid.any():
        return 0.0
    landfill = (model.levers.landfill_fee + model.levers.ep_tax)[index]
    charge = np.where(disposal.is_treated, disposal.treatment_fee_cny_per_t, landfill)[solid]
    weight = model.state.storage_limit_t[index, solid] / np.maximum(model.catalog.storage_months[solid], 1e-12)
    return float(np.average(charge, weights=weight)) if weight.sum() > 0 else float(charge.mean())


def value_flow_of(model: SymbiosisModel, facility_id: str, months: int = MONTHS_PER_YEAR) -> pd.DataFrame:
    """Value-flow evaluation of one enterprise over the last ``months`` months (docs/metrics.md, "An enterprise in a run").

    Synergistic = with its exchanges, as run; non-synergistic = the counterfactual of
    :mod:`symbiosim.metrics.enterprise`.

    Raises:
        KeyError: unknown facility id.
    """
    return _value_flows(model, [facility_id], months)[0]


def _value_flows(model: SymbiosisModel, facility_ids: list[str], months: int = MONTHS_PER_YEAR) -> list[pd.DataFrame]:
    """:func:`value_flow_of` each of ``facility_ids``, from one copy of the ledger's last ``months`` months."""
    indices = [model.facility_index[facility_id] for facility_id in facility_ids]  # KeyError: unknown id
    ledger = model.facility_ledger
    recent = ledger[ledger["step"] > model.month_index - months]
    rows = recent.groupby("facility_id", sort=False).indices  # positions of each facility's rows, in ledger order
    numbers = recent.drop(columns=["step", "date", "facility_id"])
    tables = []
    for facility_id, index in zip(facility_ids, indices, strict=True):
        totals = numbers.iloc[rows.get(facility_id, [])].sum().to_dict()
        table = enterprise.evaluate_enterprise(totals, _landfill_charge_cny_per_t(model, index))
        tables.append(table.assign(facility_id=facility_id))
    return tables


def value_flow_table(model: SymbiosisModel, extra_ids: list[str] | None = None) -> pd.DataFrame:
    """Value-flow evaluation of the 10 key symbiosis nodes of the last year, and of ``extra_ids``."""
    recent = symbiosis_flows(model)
    key = list(key_nodes(recent, top=VALUE_FLOW_TOP, betweenness=False)["facility_id"]) if len(recent) else []
    facility_ids = list(dict.fromkeys([*key, *(extra_ids or [])]))
    if not facility_ids:
        return pd.DataFrame()
    table = pd.concat(_value_flows(model, facility_ids), ignore_index=True)
    info = model.catalog.facilities.set_index("facility_id")[["name", "sector", "city"]]
    table = table.join(info, on="facility_id")
    first = ["facility_id", "name", "sector", "city", "mode"]
    return table[first + [c for c in table.columns if c not in first]]


class MetricUnavailableError(Exception):
    """A metric that cannot be computed for this run; the message says why."""


class MetricUnavailableWarning(UserWarning):
    """A metric table of a run was written without values (NaN), with the reason in the table."""


UNAVAILABLE = "unavailable_reason"  # column naming why a table's values are NaN
NOT_COMPUTABLE = (MetricUnavailableError, ValueError, ArithmeticError, LookupError, nx.NetworkXException)
METRIC_TABLES = (
    "ledger_monthly",
    "ledger_annual",
    "government_annual",
    "network_summary",
    "network_byproducts",
    "network_degrees",
    "network_key_nodes",
    "network_robustness",
    "network_cities",
    "radius_annual",
    "synergy_annual",
    "synergy_indicators",
    "value_flow",
)
# the columns of each metric table, also when it cannot be computed (from the output vocabulary)
TABLE_COLUMNS = {name: [c for c in vocabulary.names(name) if c != UNAVAILABLE] for name in METRIC_TABLES}
PER_YEAR = ("government_annual", "synergy_annual")  # unavailable tables keep one row per year of the run


def unavailable_table(name: str, reason: str, years: list[str] | None = None) -> pd.DataFrame:
    """Table ``name`` with its usual columns, NaN values and the reason in ``unavailable_reason``.

    One row per year in ``years`` for the yearly tables (``PER_YEAR``), otherwise one row.
    """
    columns = TABLE_COLUMNS[name]
    rows = years if name in PER_YEAR and years else [None]
    table = pd.DataFrame(np.nan, index=range(len(rows)), columns=columns).astype(object)
    if "year" in columns and rows != [None]:
        table["year"] = rows
    table[UNAVAILABLE] = reason
    return table


def _years(model: SymbiosisModel) -> list[str]:
    """The calendar years the run has simulated (``YYYY``)."""
    return sorted({str(year) for year in model.record.annual_months})


def _synergy_tables(model: SymbiosisModel, annual: pd.DataFrame, notes: dict) -> dict[str, pd.DataFrame]:
    assessment, values, notes["synergy"] = synergy_assessment(annual)
    notes["synergy_bounds"] = assessment.notes["bounds"]
    notes["synergy_weights"] = assessment.notes["weights"]
    table = assessment.table().rename_axis("year").reset_index()
    reasons = assessment.notes.get("unavailable", {})
    missing = {key: why for key, why in reasons.items() if key.startswith("order_")}
    if missing:
        table[UNAVAILABLE] = "; ".join(missing.values())
    return {"synergy_annual": table, "synergy_indicators": synergy_long(assessment, values)}


def _network(model: SymbiosisModel) -> dict[str, pd.DataFrame]:
    tables = network_tables(model)
    if not tables:
        raise MetricUnavailableError("no symbiosis exchanges in the last 12 months")
    return tables


def _radius(model: SymbiosisModel) -> dict[str, pd.DataFrame]:
    flows = symbiosis_flows(model, months=None)
    if flows.empty:
        raise MetricUnavailableError("no symbiosis exchanges in the run")
    radius = [
        effective_radius_km(part).reset_index().assign(year=year)
        for year, part in flows.groupby(flows["date"].str.slice(0, 4))
    ]
    return {
        "radius_annual": pd.concat(radius, ignore_index=True)[["year", "byproduct", "median_km", "radius_km", "tonnes"]]
    }


def _value_flow(model: SymbiosisModel, value_flow_ids: list[str] | None) -> dict[str, pd.DataFrame]:
    table = value_flow_table(model, value_flow_ids)
    if table.empty:
        raise MetricUnavailableError("no key symbiosis node in the last 12 months and no facility named with --value-flow")
    return {"value_flow": table}


def _unavailable_summary(table: pd.DataFrame) -> str:
    """Why (part of) a table has no values: its ``unavailable_reason`` entries, by indicator if it has them."""
    if UNAVAILABLE not in table:
        return ""
    missing = table[table[UNAVAILABLE].fillna("").astype(str) != ""]
    if missing.empty:
        return ""
    if "indicator" in missing and missing["indicator"].notna().all():
        by_reason = missing.groupby(UNAVAILABLE, sort=False)["indicator"].unique()
        return "; ".join(f"{reason}: {', '.join(names)}" for reason, names in by_reason.items())
    return "; ".join(dict.fromkeys(missing[UNAVAILABLE].astype(str)))


def compute_metric_tables(
    model: SymbiosisModel, value_flow_ids: list[str] | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, object]]:
    """Every metric table of a finished run, and notes for the manifest.

    A table that cannot be computed for this run (no exchanges, no symbiosis, a run shorter
    than the metric needs, an indicator that cannot be assessed, ...) is still returned: with
    its usual columns, NaN values and the reason in an ``unavailable_reason`` column. The
    reason is also in the notes (``unavailable``: table -> reason) and in a
    :class:`MetricUnavailableWarning`.

    Returns:
        The tables by name (always every name of ``TABLE_COLUMNS``) and the notes: which years
        the synergy covers and the rules for its bounds and weights, and what is unavailable.
    """
    notes: dict[str, object] = {}
    unavailable: dict[str, str] = {}
    tables: dict[str, pd.DataFrame] = {}
    annual: list[pd.DataFrame] = []

    def government() -> dict[str, pd.DataFrame]:
        annual.append(annual_totals(model))
        return {"government_annual": government_table(annual[0])}

    def synergy() -> dict[str, pd.DataFrame]:
        if not annual:
            raise MetricUnavailableError("the yearly totals could not be computed")
        return _synergy_tables(model, annual[0], notes)

    groups = {
        ("ledger_monthly", "ledger_annual"): lambda: ledger_tables(model),
        ("government_annual",): government,
        ("network_summary", "network_byproducts", "network_degrees", "network_key_nodes", "network_robustness",
         "network_cities"): lambda: _network(model),
        ("radius_annual",): lambda: _radius(model),
        ("synergy_annual", "synergy_indicators"): synergy,
        ("value_flow",): lambda: _value_flow(model, value_flow_ids),
    }  # fmt: skip
    for names, compute in groups.items():
        try:
            found = compute()
        except NOT_COMPUTABLE as error:
            reason = str(error) if isinstance(error, MetricUnavailableError) else f"{type(error).__name__}: {error}"
            found = {name: unavailable_table(name, reason, _years(model)) for name in names}
        for name in names:
            tables[name] = found[name]
            reason = _unavailable_summary(found[name])
            if reason:
                unavailable[name] = reason
        by_reason: dict[str, list[str]] = {}
        for name in names:
            if name in unavailable:
                by_reason.setdefault(unavailable[name], []).append(name)
        for reason, missing in by_reason.items():
            warnings.warn(f"{', '.join(missing)}: {reason}", MetricUnavailableWarning, stacklevel=2)
    notes.setdefault("synergy", unavailable.get("synergy_annual", ""))
    if unavailable:
        notes["unavailable"] = unavailable
    return tables, notes


def write_metric_tables(
    model: SymbiosisModel, folder: Path, value_flow_ids: list[str] | None = None
) -> tuple[dict[str, pd.DataFrame], list[Path], dict[str, object]]:
    """Write every metric table (CSV) into ``folder``; ``value_flow_ids`` are evaluated besides the key nodes.

    See :func:`compute_metric_tables`: every table is written, with NaN values and the reason
    where it cannot be computed for this run.

    Returns:
        The tables by name, the files written and notes for the manifest.
    """
    tables, notes = compute_metric_tables(model, value_flow_ids)
    tables = {name: in_currency(table, model.scenario_data.money) for name, table in tables.items()}
    files = [
        write_atomic(folder / f"{name}.csv", lambda p, t=table: write_csv(t, p))
        for name, table in tables.items()
    ]
    return tables, files, notes
