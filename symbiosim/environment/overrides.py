"""Rules of the per-facility tables: a facility's own products, seasons and demand for a technology.

``facility_products`` overrides its sector's utilisation, price or cost of a product;
``facility_seasonality`` its sector's seasonal factor in a month; ``facility_technologies``
states how much of a technology's by-product it can use in a year, instead of the catalog's
``cap_t_per_t`` x its capacity. The arrays apply them (:func:`symbiosim.environment.arrays.build_arrays`).
"""

import pandas as pd

from symbiosim.environment.validation import ValidationIssue, row_issue

__all__ = ["override_issues"]


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
    sink = dict(zip(tables["technologies"]["technology"], tables["technologies"]["sink_sector"], strict=True))
    own = tables.get("facility_technologies")
    for _, row in (own if own is not None else pd.DataFrame()).iterrows():
        sector = sector_of.get(row["facility_id"])
        if sector is not None and row["technology"] in sink and sink[row["technology"]] != sector:
            issues.append(row_issue(row, "technology", f"technology '{row['technology']}' is run by the "
                                    f"{sink[row['technology']]} sector; facility '{row['facility_id']}' is {sector}"))  # fmt: skip
    return issues
