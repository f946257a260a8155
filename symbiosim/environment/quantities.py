"""By-products measured in units other than tonnes: district heat in MWh or GJ, water in m³.

A by-product's ``unit`` (table ``byproducts``; blank or missing: t) is the unit of all its
quantities: generation per product unit, technology caps, tariffs and fees per unit, storage,
and every output about it. Quantities in different units are never added: totals in tonnes
(a month's ``exchanged_t``, a facility's ``generated_t``, the network's partner weights) count
the by-products in tonnes only, and one not in tonnes cannot be landfilled.
"""

import re

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from symbiosim.environment.validation import ValidationIssue, row_issue

__all__ = ["TONNE", "byproduct_units", "in_tonnes", "in_unit", "unit_issues"]

TONNE = "t"
SCALED = {"t": "{}", "kt": "thousand {}", "Mt": "million {}"}  # how an output's tonne unit reads in another unit
TOKEN = re.compile(r"\b(Mt|kt|t)\b")


def byproduct_units(byproducts: pd.DataFrame) -> list[str]:
    """The unit of each by-product, in table order (t where the column is blank or missing)."""
    if "unit" not in byproducts.columns:
        return [TONNE] * len(byproducts)
    return [u if isinstance(u, str) and u else TONNE for u in byproducts["unit"]]


def in_tonnes(byproducts: pd.DataFrame) -> NDArray[np.bool_]:
    """(B,) whether each by-product is measured in tonnes."""
    return np.array([u == TONNE for u in byproduct_units(byproducts)], dtype=bool)


def in_unit(text: str, unit: str) -> str:
    """An output unit written for tonnes, read for a by-product in ``unit``.

    >>> in_unit("kt", "MWh"), in_unit("t/month", "m3"), in_unit("CNY/t", "MWh"), in_unit("km", "MWh")
    ('thousand MWh', 'm3/month', 'CNY/MWh', 'km')
    """
    if unit == TONNE:
        return text
    return TOKEN.sub(lambda m: SCALED[m.group(1)].format(unit), text)


def unit_issues(byproducts: pd.DataFrame) -> list[ValidationIssue]:
    """A by-product not in tonnes cannot be landfilled."""
    issues = []
    for (_, row), unit in zip(byproducts.iterrows(), byproduct_units(byproducts), strict=True):
        if unit != TONNE and row["disposal_route"] == "landfill":
            rule = f"a by-product in {unit} cannot be landfilled: disposal_route must be not_extracted"
            issues.append(row_issue(row, "disposal_route", rule))
    return issues
