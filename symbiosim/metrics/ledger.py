"""Energy and emission effects of exchanges (Cao et al. 2025, eq. 6 and 7), as pure array functions.

For a tonne of by-product used by technology k and hauled d km:

* energy saved (kgce) = displaced_per_t x energy of the displaced material
  - extra process energy of k - d x transport energy per t km   (eq. 6: direct + indirect - transport)
* CO2 avoided (kg) = displaced_per_t x CO2 of the displaced material - extra process CO2
  - d x transport CO2 per t km
* SO2, NOx, PM avoided (kg) = displaced_per_t x the material's factor             (eq. 7, raw-material term)

Savings are counted against the counterfactual in which the by-product is landfilled and
the buyer uses virgin material (IStructE 2023, on ground slag): the *attributional* figure,
which credits every tonne used. The *consequential* figure (:func:`consequential_effects`)
credits only the share of a tonne that business as usual would have left unused: a tonne of
BF slag that a kiln takes would otherwise, almost surely, have become slag powder elsewhere
and displaced the same clinker there, so using it here saves little that would not have been
saved anyway (consequential LCA: Ekvall and Weidema 2004; Zamagni et al. 2012).

The ledgers of a run (one row per facility and month) are summed by facility, sector, city,
province or region, per month or year, with :func:`aggregate`; :func:`government_ledger`
gives subsidies, rebates, taxes and the net fiscal cost per tonne of CO2 avoided and of
waste used (docs/metrics.md, "Government ledger").
"""

from collections.abc import Callable

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pandas.api.types import is_numeric_dtype

__all__ = [
    "LEVELS",
    "aggregate",
    "consequential_effects",
    "exchange_effects",
    "government_ledger",
    "to_long",
    "weighted_sum_by",
]

type FloatArray = NDArray[np.float64]


def exchange_effects(
    tonnes: FloatArray,
    distance_km: FloatArray,
    displaced_per_t: FloatArray,
    material_factor_per_unit: FloatArray,
    extra_per_t: FloatArray,
    transport_per_t_km: FloatArray,
) -> FloatArray:
    """Net saving of one quantity (energy, CO2 or a pollutant) per exchange.

    All arguments are arrays of the same length (one entry per exchange); the result is in
    the unit of ``material_factor_per_unit`` (e.g. kgce) for each exchange.

    Examples:
        >>> round(float(exchange_effects(np.array([10.0]), np.array([50.0]), np.array([1.0]),
        ...                              np.array([110.0]), np.array([4.67]), np.array([0.0143]))[0]), 6)
        1046.15
    """
    return tonnes * (displaced_per_t * material_factor_per_unit - extra_per_t - distance_km * transport_per_t_km)


def consequential_effects(attributional: FloatArray, unused_share: FloatArray) -> FloatArray:
    """The consequential saving of each exchange: its attributional saving x the share business as usual leaves unused.

    ``unused_share`` is, per exchange, the share of its by-product that business as usual
    leaves unused (landfilled, stockpiled, not extracted): only that share of a tonne is
    additional. The rest would have been used anyway and saved the same elsewhere.

    Examples:
        >>> consequential_effects(np.array([1046.15, 1046.15]), np.array([1.0, 0.006])).round(2)
        array([1046.15,    6.28])
    """
    return attributional * unused_share


def weighted_sum_by(index: NDArray[np.intp], values: FloatArray, size: int) -> FloatArray:
    """Sum ``values`` into ``size`` bins given by ``index`` (e.g. per facility)."""
    return np.bincount(index, weights=values, minlength=size).astype(np.float64)


LEVELS = ("facility", "sector", "city", "province", "region")
PERIODS = ("month", "year")
REGION = "all"


def aggregate(
    ledger: pd.DataFrame, facilities: pd.DataFrame, level: str = "region", period: str = "month"
) -> pd.DataFrame:
    """Sum a per-facility monthly ledger by facility, sector, city, province or region, per month or year.

    Args:
        ledger: one row per month and facility: ``date`` (ISO ``YYYY-MM-DD``, first of the
            month), ``facility_id`` and numeric columns (units in their names, e.g. ``energy_tce``).
        facilities: ``facility_id`` with ``sector``, ``city`` and ``province``.
        level: ``facility``, ``sector``, ``city``, ``province`` or ``region`` (all facilities).
        period: ``month`` (``YYYY-MM``) or ``year`` (calendar year; a year the run covers only
            in part is summed over the months it has, counted in ``months``).

    Returns:
        Columns ``period``, ``level``, ``item`` (the facility id, sector, city or province, or
        ``all``), ``months`` and the summed numeric columns; sorted by period and item.

    Raises:
        ValueError: unknown level or period, or facilities missing from ``facilities``.

    Examples:
        >>> ledger = pd.DataFrame({"date": ["2025-01-01", "2025-01-01", "2025-02-01"],
        ...                        "facility_id": ["a", "b", "a"], "co2_t": [1.0, 2.0, 4.0]})
        >>> facilities = pd.DataFrame({"facility_id": ["a", "b"], "sector": ["steel", "cement"],
        ...                            "city": ["X", "X"], "province": ["P", "P"]})
        >>> aggregate(ledger, facilities, "city", "year")[["period", "item", "months", "co2_t"]].to_dict("records")
        [{'period': '2025', 'item': 'X', 'months': 2, 'co2_t': 7.0}]
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, not {period!r}")
    values = [c for c in ledger.columns if c not in ("step", "date", "facility_id") and is_numeric_dtype(ledger[c])]
    # Keys are worked out once per distinct facility and date, then sorted codes stand for them:
    # the groups, their order and their (compensated) sums are those of grouping by the strings.
    facility_code, ids = pd.factorize(ledger["facility_id"])
    date_code, dates = pd.factorize(ledger["date"])
    if level == "facility":
        items = pd.Series(ids, dtype=object)
    elif level == "region":
        items = pd.Series(REGION, index=range(len(ids)), dtype=object)
    else:
        lookup = facilities.drop_duplicates("facility_id").set_index("facility_id")[level]
        missing = sorted(set(ids) - set(lookup.index))
        if missing:
            raise ValueError(f"facilities missing from the facilities table: {missing[:5]}")
        items = pd.Series(lookup.reindex(ids).to_numpy(), dtype=object)
    months = pd.Index(dates).astype(str).str.slice(0, 7)
    periods = months if period == "month" else months.str.slice(0, 4)
    month_of, _ = pd.factorize(months)
    period_names, period_of = np.unique(np.asarray(periods, dtype=object), return_inverse=True)
    named = items.notna().to_numpy()  # a facility without a city (say) is in no city's row
    item_names, item_of = np.unique(items[named].to_numpy(), return_inverse=True)
    item_code = np.full(len(ids), -1)
    item_code[named] = item_of
    rows = item_code[facility_code] >= 0
    key = (period_of[date_code] * len(item_names) + item_code[facility_code])[rows]
    grouped = ledger.loc[rows, values].groupby(key, sort=True)
    table = grouped.sum()
    table.insert(0, "months", pd.Series(month_of[date_code][rows]).groupby(key, sort=True).nunique().to_numpy())
    period_index, item_index = np.divmod(table.index.to_numpy(), len(item_names))
    table.insert(0, "item", pd.array(item_names[item_index], dtype="str"))
    table.insert(0, "period", pd.array(period_names[period_index], dtype="str"))
    table = table.reset_index(drop=True)
    table.insert(1, "level", level)
    return table


def to_long(table: pd.DataFrame, unit_of: Callable[[str], str]) -> pd.DataFrame:
    """A table of :func:`aggregate` in long form: ``period, level, item, variable, unit, value``."""
    long = table.melt(id_vars=["period", "level", "item", "months"], var_name="variable", value_name="value")
    long["unit"] = long["variable"].map({name: unit_of(name) for name in long["variable"].unique()})  # once a name
    return long[["period", "level", "item", "months", "variable", "unit", "value"]]


GOVERNMENT_COLUMNS = ("subsidy_cny", "vat_rebate_cny", "ep_tax_cny", "emission_charges_cny")


def government_ledger(annual: pd.DataFrame) -> pd.DataFrame:
    """Subsidies and rebates paid, taxes and charges collected, and the net fiscal cost (docs/metrics.md, "Government ledger").

    Args:
        annual: one row per period with ``subsidy_cny`` (per-tonne, transport and capex
            subsidies paid), ``vat_rebate_cny``, ``ep_tax_cny``, ``emission_charges_cny``
            (carbon price and air-pollutant tax), ``co2_avoided_t`` and ``waste_used_t``
            (tonnes of by-products used through symbiosis).

    Returns:
        The input columns plus ``net_fiscal_cost_cny`` (subsidies + rebates − taxes −
        charges; negative = net revenue), ``net_fiscal_cost_cny_per_t_co2_avoided`` and
        ``net_fiscal_cost_cny_per_t_waste_used`` (NaN where the divisor is not positive).

    Examples:
        >>> year = pd.DataFrame({"subsidy_cny": [300.0], "vat_rebate_cny": [100.0], "ep_tax_cny": [50.0],
        ...                      "emission_charges_cny": [0.0], "co2_avoided_t": [10.0], "waste_used_t": [0.0]})
        >>> row = government_ledger(year).iloc[0]
        >>> float(row["net_fiscal_cost_cny"]), float(row["net_fiscal_cost_cny_per_t_co2_avoided"])
        (350.0, 35.0)
    """
    missing = [c for c in (*GOVERNMENT_COLUMNS, "co2_avoided_t", "waste_used_t") if c not in annual.columns]
    if missing:
        raise ValueError(f"government_ledger needs columns {missing}")
    table = annual.copy()
    table["net_fiscal_cost_cny"] = (
        table["subsidy_cny"] + table["vat_rebate_cny"] - table["ep_tax_cny"] - table["emission_charges_cny"]
    )
    for divisor, name in (("co2_avoided_t", "t_co2_avoided"), ("waste_used_t", "t_waste_used")):
        positive = table[divisor] > 0
        table[f"net_fiscal_cost_cny_per_{name}"] = (table["net_fiscal_cost_cny"] / table[divisor]).where(positive)
    return table
