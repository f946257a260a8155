"""Tidy result tables of a finished run and atomic writing of output files.

Every file is first written to a temporary file in the output folder and then renamed over
the target, so a crash never leaves a half-written file and re-running into the same folder
is safe.
"""

import contextlib
import datetime as dt
import functools
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from symbiosim.environment import vocabulary
from symbiosim.environment.money import Money, label
from symbiosim.environment.network import exchange_graph
from symbiosim.environment.quantities import TONNE, in_unit
from symbiosim.environment.region import GEONAMES_CREDIT
from symbiosim.environment.units import MONTHS_PER_YEAR, T_PER_KT, month_date
from symbiosim.metrics.network import effective_radius_km, key_nodes
from symbiosim.model import SymbiosisModel

__all__ = [
    "MapData",
    "atomic_path",
    "attribution_markdown",
    "data_credit",
    "exchange_network",
    "flows_table",
    "in_currency",
    "map_data",
    "summary_table",
    "symbiosis_flows",
    "tidy_series",
    "unit_of",
    "write_atomic",
]

TOTAL = "all"
ALL_SOLID = "all solid"
FILE_MODE = 0o644


def unit_of(table: str) -> Callable[[str], str]:
    """The unit of each variable of ``table``, from the output vocabulary.

    >>> unit_of("timeseries")("energy_saved_tce"), unit_of("ledger_annual")("co2_avoided_t")
    ('tce', 't')
    """
    return lambda variable: vocabulary.unit(table, variable)


def in_currency(table: pd.DataFrame, money: Money) -> pd.DataFrame:
    """A table whose ``unit`` column names the scenario's currency instead of CNY (the same table for CNY)."""
    if money.currency == "CNY" or "unit" not in table:
        return table
    return table.assign(unit=table["unit"].map(lambda u: label(u, money) if isinstance(u, str) else u))


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.tmp-", suffix=target.suffix)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        tmp_path.chmod(FILE_MODE)
        tmp_path.replace(target)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_atomic(target: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``target`` atomically."""
    with atomic_path(target) as tmp:
        write(tmp)
    return target


def tidy_series(model: SymbiosisModel) -> pd.DataFrame:
    """Model-level series in long form.

    Returns:
        Columns ``step``, ``date``, ``variable``, ``item`` (the by-product, or the sector
        for ``profit_cny``; ``all`` for totals),
        ``unit``, ``value``; one row per step (0 = initial state) and series.
    """
    wide = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    wide.insert(0, "step", np.arange(len(wide)))
    long = wide.melt(id_vars="step", var_name="series", value_name="value")
    parts = long["series"].str.split(".", n=1, expand=True)
    long["variable"] = parts[0]
    long["item"] = parts[1].fillna(TOTAL) if parts.shape[1] > 1 else TOTAL
    units = unit_of("timeseries")
    long["unit"] = long["variable"].map({name: units(name) for name in long["variable"].unique()})  # once a name
    other = {b: u for b, u in zip(model.catalog.byproducts, model.catalog.byproduct_units, strict=True) if u != TONNE}
    if other:  # a by-product's own series are in its unit
        rows = long["item"].isin(list(other))
        long.loc[rows, "unit"] = [in_unit(u, other[b]) for u, b in zip(long.loc[rows, "unit"], long.loc[rows, "item"], strict=True)]
    dates = {step: _date_of(model, step) for step in range(len(wide))}
    long["date"] = long["step"].map(dates)
    return long[["step", "date", "variable", "item", "unit", "value"]].astype({"value": float})


def _date_of(model: SymbiosisModel, step: int) -> str:
    return "" if step == 0 else month_date(model.start, step - 1).isoformat()


def summary_table(model: SymbiosisModel) -> pd.DataFrame:
    """By-product summary of the last 12 simulated months (kt/yr, shares, haul distances).

    The ``all solid`` row sums the by-products whose unsold part is landfilled or treated (it leaves
    out steam, whose "generation" is only an extractable potential). By-products that no
    facility of the scenario generates have no row.

    Returns:
        Index ``byproduct`` (plus ``all solid``); columns ``generated_kt``, ``exchanged_kt``,
        ``outlet_kt`` (sold to outlets), ``landfilled_kt`` and ``treated_kt`` (over the 12 months), ``stock_end_kt``
        (in storage at the end), ``utilisation_rate`` ((exchanged + sold to outlets) /
        generated; stock drawn counts as used, so a month or year can exceed 1), ``median_haul_km``, ``p90_haul_km`` (tonne-weighted),
        ``unit`` of the ``_kt`` columns (``kt``; ``thousand MWh`` for a by-product in MWh).
    """
    series = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    year = series.iloc[max(1, len(series) - MONTHS_PER_YEAR) :]
    rows = []
    flows = model.flows
    last_steps = flows[flows["step"] > model.month_index - MONTHS_PER_YEAR] if len(flows) else flows
    radius = effective_radius_km(last_steps) if len(last_steps) else pd.DataFrame()
    solid = [b for b, is_solid in zip(model.catalog.byproducts, model.catalog.is_solid, strict=True) if is_solid]
    in_use, _ = model.catalog.in_use()  # a by-product no facility generates has no row
    unit_of_byproduct = dict(zip(model.catalog.byproducts, model.catalog.byproduct_units, strict=True))
    for name in [*in_use, ALL_SOLID]:
        members = solid if name == ALL_SOLID else [name]
        generated = float(sum(year[f"generated_t.{b}"].sum() for b in members))
        exchanged = float(sum(year[f"exchanged_t.{b}"].sum() for b in members))
        to_outlets = float(sum(year[f"outlet_t.{b}"].sum() for b in members))
        landfilled = float(sum(year[f"landfilled_t.{b}"].sum() for b in members))
        treated = float(sum(year[f"treated_t.{b}"].sum() for b in members))
        rows.append(
            {
                "byproduct": name,
                "generated_kt": generated / T_PER_KT,
                "exchanged_kt": exchanged / T_PER_KT,
                "outlet_kt": to_outlets / T_PER_KT,
                "landfilled_kt": landfilled / T_PER_KT,
                "treated_kt": treated / T_PER_KT,
                "stock_end_kt": float(model.state.stock[:, [model.catalog.byproducts.index(b) for b in members]].sum()) / T_PER_KT,
                "utilisation_rate": (exchanged + to_outlets) / generated if generated > 0 else float("nan"),
                "median_haul_km": float(radius["median_km"].get(name, float("nan"))) if len(radius) else float("nan"),
                "p90_haul_km": float(radius["radius_km"].get(name, float("nan"))) if len(radius) else float("nan"),
                "unit": in_unit("kt", unit_of_byproduct.get(name, TONNE)),
            }
        )
    return pd.DataFrame(rows).set_index("byproduct")


def exchange_network(model: SymbiosisModel) -> nx.MultiDiGraph:
    """The network of the latest month's exchanges (see :func:`symbiosim.environment.network.exchange_graph`)."""
    return exchange_graph(model.catalog.facilities, model.latest_flows.rename(columns={"tonnes": "tonnes_per_month"}))


def flows_table(model: SymbiosisModel) -> pd.DataFrame:
    """Every exchange of the run (``flows.csv``), with the ``unit`` of its quantity after ``tonnes``."""
    flows = model.flows
    units = dict(zip(model.catalog.byproducts, model.catalog.byproduct_units, strict=True))
    flows.insert(flows.columns.get_loc("tonnes") + 1, "unit", flows["byproduct"].map(units).astype(object))
    return flows


def symbiosis_flows(model: SymbiosisModel, months: int | None = MONTHS_PER_YEAR) -> pd.DataFrame:
    """The run's symbiosis exchanges of the last ``months`` months (``None``: all).

    Plain waste treatment (such as MSW incineration) is left out, and so are by-products not
    measured in tonnes (the network metrics weigh partners by tonnes).
    """
    flows = model.flows
    if flows.empty:
        return flows
    tonnes = [b for b, t in zip(model.catalog.byproducts, model.catalog.in_tonnes, strict=True) if t]
    keep = flows["is_symbiosis"].astype(bool) & flows["byproduct"].isin(tonnes)
    if months is not None:
        keep &= flows["step"] > model.month_index - months
    return flows[keep]


def key_node_table(model: SymbiosisModel, top: int = 10) -> pd.DataFrame:
    """Key symbiosis nodes over the last 12 months, with name, sector and city.

    Only symbiosis exchanges count (plain waste treatment such as MSW incineration is left out).
    """
    recent = symbiosis_flows(model)
    if recent.empty:
        return pd.DataFrame(columns=["facility_id", "name", "sector", "city", "tonnes", "share", "partners"])
    table = key_nodes(recent, top=top, betweenness=False)
    info = model.catalog.facilities.set_index("facility_id")[["name", "sector", "city"]]
    return table.join(info, on="facility_id")[["facility_id", "name", "sector", "city", "tonnes", "share", "partners"]]


GEM = "Global Energy Monitor"
SYNTHETIC = "synthetic"
JJJ_ATTRIBUTION = "data/jjj/ATTRIBUTION.md"
GEM_ATTRIBUTION = "data/gem/ATTRIBUTION.md"
GEONAMES = "GeoNames"


@functools.cache
def _bundled_jjj_ids() -> tuple[str, ...]:
    path = resources.files("symbiosim.environment").joinpath("data/jjj/facilities.csv")
    return tuple(pd.read_csv(path, usecols=["facility_id"])["facility_id"])
SHOWN_SOURCES = 2  # other sources named on a map; the rest are in ATTRIBUTION.md


def _sources(facilities: pd.DataFrame) -> tuple[list[str], list[str], bool]:
    """Distinct sources of the facility rows: GEM trackers, others, and whether any row is synthetic."""
    column = facilities["source"] if "source" in facilities else pd.Series(dtype=str)  # required in scenarios
    sources = list(dict.fromkeys(column.astype(str)))
    gem = [s for s in sources if s.startswith(GEM)]
    synthetic = any(s.startswith(SYNTHETIC) for s in sources)
    return gem, [s for s in sources if s not in gem and not s.startswith(SYNTHETIC)], synthetic


def data_credit(facilities: pd.DataFrame) -> str:
    """The one-line credit a map carries, from the facilities' ``source`` column.

    >>> data_credit(pd.DataFrame({"source": ["Global Energy Monitor, Global Coal Plant Tracker (CC BY 4.0)",
    ...                                      "synthetic: city landfill"]}))
    'Plant data: Global Energy Monitor trackers, CC BY 4.0; synthetic sites (facilities.csv).'
    >>> data_credit(pd.DataFrame({"source": ["Kalundborg Symbiosis 2023 report"]}))
    'Plant data: Kalundborg Symbiosis 2023 report.'
    """
    gem, other, synthetic = _sources(facilities)
    parts = ["Global Energy Monitor trackers, CC BY 4.0"] if gem else []
    parts += other[:SHOWN_SOURCES]
    if len(other) > SHOWN_SOURCES:
        parts.append(f"{len(other) - SHOWN_SOURCES} more sources (ATTRIBUTION.md)")
    if synthetic:
        parts.append("synthetic sites (facilities.csv)")
    if facilities.get("source", pd.Series(dtype=str)).astype(str).str.contains(GEONAMES).any():
        parts.append("cities: GeoNames, CC BY 4.0")
    return "Plant data: " + ("; ".join(parts) or "sources not given") + "."


def attribution_markdown(facilities: pd.DataFrame, scenario_name: str) -> str:
    """``ATTRIBUTION.md`` of a run: every source of its facility data, and GEM's licence text where they are used."""
    gem, other, synthetic = _sources(facilities)
    counts = facilities.groupby(facilities["source"].astype(str), sort=False).size()
    lines = ["# Data attribution", "", f"The facilities of the scenario '{scenario_name}' come from:", ""]
    lines += [f"- {source} ({counts[source]} facilities)" for source in [*gem, *other]]
    if synthetic:
        lines.append(f"- synthetic sites ({int(counts[counts.index.str.startswith(SYNTHETIC)].sum())} facilities; "
                     "their source column says how each was made)")  # fmt: skip
    lines += ["", "Coefficients, prices and policies: the source and note columns of each catalog table "
              "(symbiosim/environment/data/catalog/) and of the scenario's own tables."]  # fmt: skip
    if gem:  # the bundled JJJ data say how they were subset; any other GEM region, the trackers' own text
        jjj = set(facilities["facility_id"]) <= set(_bundled_jjj_ids()) if "facility_id" in facilities else False
        text = resources.files("symbiosim.environment").joinpath(JJJ_ATTRIBUTION if jjj else GEM_ATTRIBUTION)
        lines += ["", "## Global Energy Monitor data", "", text.read_text(encoding="utf-8").split("\n", 1)[1].strip()]
    if any(GEONAMES in s for s in facilities.get("source", pd.Series(dtype=str)).astype(str).unique()):
        lines += ["", "## GeoNames data", "", GEONAMES_CREDIT]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class MapData:
    """What the map of a run shows: its facilities and the routes of its last months (small, picklable)."""

    facilities: pd.DataFrame  # the catalog's facilities: sector, longitude, latitude
    routes: pd.DataFrame  # seller, buyer (facility rows), byproduct, tonnes per month
    capacity: NDArray[np.float64]  # (n,) each facility's largest capacity (its units per year)
    months: int
    date: dt.date  # the run's last month


def map_data(model: SymbiosisModel, months: int = 12) -> MapData:
    """The facilities and the flows of the last ``months`` months of ``model``, for :func:`draw_map`."""
    flows, keys = model.flows, ["seller", "buyer", "byproduct"]
    if len(flows):
        recent = flows[flows["step"] > model.month_index - months]
        per_route = recent.groupby(keys, as_index=False)["tonnes"].sum()
        per_route["tonnes"] /= months
    else:  # no exchange in the whole run
        per_route = pd.DataFrame(columns=[*keys, "tonnes"])
    capacity = model.state.capacity_per_yr
    return MapData(model.catalog.facilities, per_route, capacity.max(axis=1), months, model.date)
