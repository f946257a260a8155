"""Rules of the per-facility tables: a facility's own products, seasons, demand for a technology and behaviour.

``facility_products`` overrides its sector's utilisation, price or cost of a product;
``facility_seasonality`` its sector's seasonal factor in a month; ``facility_technologies``
states how much of a technology's by-product it can use in a year, instead of the catalog's
``cap_t_per_t`` x its capacity; ``behaviour`` gives a sector or a facility its own value of a
behaviour parameter, and a by-product its own sellers' share of a trade's surplus
(``bargaining_share``). The arrays apply them (:func:`symbiosim.environment.arrays.build_arrays`).
"""

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from symbiosim.environment.parameters import parameter_bounds
from symbiosim.environment.validation import ValidationIssue, row_issue

__all__ = ["BEHAVIOUR", "BYPRODUCT_BEHAVIOUR", "behaviour_values", "byproduct_behaviour_values", "override_issues"]

BEHAVIOUR = ("consider_probability", "max_payback_yr", "initial_knowledge_km")  # parameters a facility may have of its own
BYPRODUCT_BEHAVIOUR = ("bargaining_share",)  # parameters a by-product may have of its own


def override_issues(tables: dict[str, pd.DataFrame]) -> list[ValidationIssue]:
    """A facility's own product is one of its sector's; its own technology is one its sector can run."""
    issues: list[ValidationIssue] = []
    sector_of = dict(zip(tables["facilities"]["facility_id"], tables["facilities"]["sector"], strict=True))
    products = tables["products"]
    sector_products = set(zip(products["sector"], products["product"], strict=True))
    own = tables.get("facility_products")
    for _, row in (own if own is not None else pd.DataFrame()).iterrows():
        sector = sector_of.get(row["facility_id"])
        if sector is not None and row["product"] in set(products["product"]) and (sector, row["product"]) not in sector_products:
            issues.append(row_issue(row, "product", f"facility '{row['facility_id']}' is a {sector} facility, and "
                                    f"sector '{sector}' has no product '{row['product']}' in products"))  # fmt: skip
        if all(pd.isna(row.get(c)) for c in ("utilisation", "price_cny_per_unit", "cost_cny_per_unit")):
            issues.append(row_issue(row, "utilisation", "the row changes nothing: give utilisation, price_cny_per_unit "
                                    "or cost_cny_per_unit"))  # fmt: skip
    technologies = tables["technologies"].set_index("technology")
    capacities = tables["capacities"]
    has = set(zip(capacities["facility_id"], capacities["product"], strict=True))
    own = tables.get("facility_technologies")
    for _, row in (own if own is not None else pd.DataFrame()).iterrows():
        sector = sector_of.get(row["facility_id"])
        if sector is None or row["technology"] not in technologies.index:
            continue  # reported by the references check
        tech = technologies.loc[row["technology"]]
        if tech["sink_sector"] != sector:
            issues.append(row_issue(row, "technology", f"technology '{row['technology']}' is run by the "
                                    f"{tech['sink_sector']} sector; facility '{row['facility_id']}' is {sector}"))  # fmt: skip
        elif (row["facility_id"], tech["cap_product"]) not in has:
            issues.append(row_issue(row, "facility_id", f"facility '{row['facility_id']}' has no capacity of "
                                    f"'{tech['cap_product']}', the product technology '{row['technology']}' is capped "
                                    "by: the row would change nothing"))  # fmt: skip
    issues += _behaviour_issues(tables, sector_of)
    return issues


def _behaviour_issues(tables: dict[str, pd.DataFrame], sector_of: dict[str, str]) -> list[ValidationIssue]:
    """A behaviour row names a sector or facility (a by-product, for a by-product's parameter), with a value in range."""
    issues: list[ValidationIssue] = []
    rows = tables.get("behaviour")
    if rows is None or rows.empty:
        return issues
    sectors, byproducts = set(tables["sectors"]["sector"]), set(tables["byproducts"]["byproduct"])
    parameters = {row["name"]: row for row in tables["parameters"].to_dict("records")}
    for _, row in rows.iterrows():
        target = row["applies_to"]
        if row["parameter"] in BYPRODUCT_BEHAVIOUR:
            if target and target not in byproducts:
                issues.append(row_issue(row, "applies_to", f"{row['parameter']} differs by by-product: '{target}' is "
                                        "not a by-product of the scenario"))  # fmt: skip
        elif target in sectors and target in sector_of:
            issues.append(row_issue(row, "applies_to", f"'{target}' is both a sector and a facility id: rename one"))
        elif target and target not in sectors and target not in sector_of:
            issues.append(row_issue(row, "applies_to", f"'{target}' is neither a sector nor a facility id of the scenario"))
        spec = parameters.get(row["parameter"])
        value = row["value"]
        if spec is None or not isinstance(value, float):
            continue
        low, high = parameter_bounds(spec)
        if (low is not None and value < low) or (high is not None and value > high):
            issues.append(row_issue(row, "value", f"{value:g} is outside the range of {row['parameter']} "
                                    f"({low:g}-{high:g} {spec.get('unit', '')}, parameters)"))  # fmt: skip
    return issues


def behaviour_values(
    behaviour: pd.DataFrame, facility_ids: list[str], sectors: NDArray[np.str_]
) -> dict[str, NDArray[np.float64]]:
    """Each behaviour parameter's own value per facility (NaN: the scenario's): sector rows, then facility rows."""
    index = {fid: i for i, fid in enumerate(facility_ids)}
    values = {name: np.full(len(facility_ids), np.nan) for name in BEHAVIOUR}
    if behaviour is None or behaviour.empty:
        return values
    for is_facility in (False, True):  # a facility's own row beats its sector's
        for row in behaviour.itertuples(index=False):
            if (row.applies_to in index) != is_facility or row.parameter not in values:
                continue
            rows = [index[row.applies_to]] if is_facility else np.flatnonzero(sectors == row.applies_to)
            values[row.parameter][rows] = float(row.value)
    return values


def byproduct_behaviour_values(behaviour: pd.DataFrame | None, byproducts: list[str]) -> dict[str, NDArray[np.float64]]:
    """Each by-product parameter's own value per by-product (NaN: the scenario's)."""
    index = {b: j for j, b in enumerate(byproducts)}
    values = {name: np.full(len(byproducts), np.nan) for name in BYPRODUCT_BEHAVIOUR}
    for row in () if behaviour is None else behaviour.itertuples(index=False):
        if row.parameter in values and row.applies_to in index:
            values[row.parameter][index[row.applies_to]] = float(row.value)
    return values
