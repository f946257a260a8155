"""Disposal routes: what happens to the tonnes of a by-product that are neither sold nor stored.

A by-product's ``disposal_route`` (table ``byproducts``) is one of:

- ``landfill``: the generator pays the by-product's gate fee and EP tax (and what landfill
  policies add); the tonnes count as landfilled, and the fee goes to its city's landfills;
- ``not_extracted``: nothing is paid and nothing is counted (steam left in the turbine);
- a route of table ``treatments`` (incineration, drying, stabilisation...): the generator pays
  the route's fee to a treatment outside the scenario, and the route's energy and CO2 per
  tonne are the generator's; the tonnes count as treated, not landfilled.

Landfilled and treated by-products in tonnes are the *solid* wastes: what the VAT rebate's
list, the solid totals and utilisation rates count.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from symbiosim.environment.validation import ValidationIssue, optional_floats, row_issue

__all__ = ["BUILT_IN", "DisposalRoutes", "disposal_issues"]

BUILT_IN = ("landfill", "not_extracted")


@dataclass(frozen=True)
class DisposalRoutes:
    """Each by-product's disposal route, as arrays in by-product order.

    Attributes:
        is_landfilled: (B,) unsold tonnes go to landfill.
        is_treated: (B,) unsold tonnes go to a treatment route.
        is_solid: (B,) a solid waste: landfilled or treated, and measured in tonnes.
        treatment_fee_cny_per_t: (B,) the route's fee (0 unless treated).
        treatment_kgce_per_t: (B,) the route's net energy per tonne (0 unless treated).
        treatment_co2_kg_per_t: (B,) the route's net CO2 per tonne (0 unless treated).
    """

    is_landfilled: NDArray[np.bool_]
    is_treated: NDArray[np.bool_]
    is_solid: NDArray[np.bool_]
    treatment_fee_cny_per_t: NDArray[np.float64]
    treatment_kgce_per_t: NDArray[np.float64]
    treatment_co2_kg_per_t: NDArray[np.float64]

    @classmethod
    def of(cls, byproducts: pd.DataFrame, treatments: pd.DataFrame | None, in_tonnes: NDArray[np.bool_]) -> "DisposalRoutes":
        """The routes of ``byproducts`` (validated: every route is built in or a row of ``treatments``)."""
        route = byproducts["disposal_route"].to_numpy(dtype=object)
        landfilled = route == "landfill"
        table = treatments if treatments is not None else pd.DataFrame(columns=["route", "fee_cny_per_t"])
        rows = {r: i for i, r in enumerate(table["route"])}
        treated = np.array([r in rows for r in route], dtype=bool)

        def column(name: str) -> NDArray[np.float64]:  # per by-product: its route's value, 0 unless treated
            values = optional_floats(table, name, 0.0)
            return np.array([values[rows[r]] if r in rows else 0.0 for r in route], dtype=float)

        return cls(
            is_landfilled=landfilled,
            is_treated=treated,
            is_solid=(landfilled | treated) & in_tonnes,
            treatment_fee_cny_per_t=column("fee_cny_per_t"),
            treatment_kgce_per_t=column("energy_kgce_per_t"),
            treatment_co2_kg_per_t=column("co2_kg_per_t"),
        )

    def split(self, disposed_t: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(facilities, by-products) disposed tonnes: the landfilled and the treated."""
        return disposed_t * self.is_landfilled[None, :], disposed_t * self.is_treated[None, :]


def disposal_issues(byproducts: pd.DataFrame, treatments: pd.DataFrame | None) -> list[ValidationIssue]:
    """Every disposal route is built in or a route of the treatments table (which cannot redefine a built-in)."""
    known = set(treatments["route"]) if treatments is not None and not treatments.empty else set()
    issues = [row_issue(row, "route", f"'{row['route']}' is a built-in disposal route: give the treatment "
                        "another id") for _, row in (treatments if known else pd.DataFrame()).iterrows()
              if row["route"] in BUILT_IN]  # fmt: skip
    for _, row in byproducts.iterrows():
        route = row["disposal_route"]
        if isinstance(route, str) and route and route not in BUILT_IN and route not in known:
            named = ", ".join(sorted(known)) or "none in this scenario"
            issues.append(row_issue(row, "disposal_route", f"unknown disposal route '{route}': landfill, "
                                    f"not_extracted or a route of table treatments ({named})"))  # fmt: skip
    return issues
