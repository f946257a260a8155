"""Charges on emissions: a carbon price, and the environmental-protection tax on air pollutants.

The carbon price may come with free allocation.

A facility pays the charge on what it emits; a buyer therefore also values the emissions its
purchases avoid (they raise its willingness to pay by charge x tonnes avoided per tonne used).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from symbiosim.environment.units import KG_PER_T
from symbiosim.policies.schedule import share_of_month
from symbiosim.policies.scope import Scope

if TYPE_CHECKING:
    from symbiosim.policies.levers import PolicyLevers, PolicyView

__all__ = ["KG_PER_POLLUTION_EQUIVALENT", "AirPollutantTax", "CarbonPrice", "tax_on_flue_gas_cny"]

# EP Tax Law annex: kg of pollutant per pollution equivalent (PM taken as general dust)
KG_PER_POLLUTION_EQUIVALENT = {"so2": 0.95, "nox": 0.95, "pm": 4.0}


@dataclass(frozen=True)
class CarbonPrice:
    """A carbon price (CNY/t CO2) for covered facilities, e.g. the national ETS sectors.

    ``free_allocation`` gives a benchmark of free allowances per unit of a product (t CO2 per t
    or MWh, e.g. ``{"electricity": 0.8}``): only emissions above it are paid for, and allowances
    left over are sold at the price.
    """

    kind: ClassVar[str] = "carbon_price"  # its name in scenario files

    start: dt.date
    end: dt.date
    cny_per_t_co2: float
    scope: Scope = field(default_factory=Scope)
    free_allocation: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.cny_per_t_co2 >= 0:  # a charge on emissions; routes that can pay are bounded on that (reach.py)
            raise ValueError(f"cny_per_t_co2 must be >= 0, not {self.cny_per_t_co2}")

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Add this month's carbon price and free allocation for the covered facilities."""
        rows = self.scope.mask(view)
        share = share_of_month(self, date)
        levers.emission_charge_cny_per_t["co2"][rows] += share * self.cny_per_t_co2
        unknown = sorted(set(self.free_allocation) - set(view.products))
        if unknown:
            raise ValueError(f"unknown products in free_allocation: {unknown}")
        for product, t_per_unit in self.free_allocation.items():
            levers.free_co2_t_per_unit[rows, view.products.index(product)] += share * t_per_unit


@dataclass(frozen=True)
class AirPollutantTax:
    """Environmental-protection tax on SO2, NOx and PM (CNY per pollution equivalent).

    One equivalent is 0.95 kg of SO2 or NOx, or 4 kg of dust; the rate is set per province
    (1.2-12 CNY/eq; Hebei 4.8-9.6, Beijing 12). 10^7 m3 of flue gas at 120 mg/m3 SO2 is
    1,200 kg = 1,263.16 equivalents, 1,515.79 CNY at 1.2 CNY/eq.
    """

    kind: ClassVar[str] = "air_pollutant_tax"  # its name in scenario files

    start: dt.date
    end: dt.date
    cny_per_equivalent: float
    scope: Scope = field(default_factory=Scope)
    pollutants: tuple[str, ...] = ("so2", "nox", "pm")

    def __post_init__(self) -> None:
        if not self.cny_per_equivalent >= 0:  # a charge on emissions (see CarbonPrice)
            raise ValueError(f"cny_per_equivalent must be >= 0, not {self.cny_per_equivalent}")

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Add this month's tax per tonne of each pollutant for the covered facilities."""
        unknown = sorted(set(self.pollutants) - set(KG_PER_POLLUTION_EQUIVALENT))
        if unknown:
            raise ValueError(f"unknown pollutants: {unknown} (known: so2, nox, pm)")
        rows = self.scope.mask(view)
        share = share_of_month(self, date)
        for pollutant in self.pollutants:
            per_t = self.cny_per_equivalent * KG_PER_T / KG_PER_POLLUTION_EQUIVALENT[pollutant]
            levers.emission_charge_cny_per_t[pollutant][rows] += share * per_t


def tax_on_flue_gas_cny(
    flue_gas_m3: float, mg_per_m3: float, cny_per_equivalent: float, pollutant: str = "so2"
) -> float:
    """EP tax on one pollutant in a volume of flue gas (a published exam example: 10^7 m3 at 120 mg/m3 SO2, 1.2 CNY/eq).

    Examples:
        >>> round(tax_on_flue_gas_cny(1e7, 120.0, 1.2), 2)
        1515.79
    """
    kg = flue_gas_m3 * mg_per_m3 / 1e6
    return kg / KG_PER_POLLUTION_EQUIVALENT[pollutant] * cny_per_equivalent
