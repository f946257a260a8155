"""Fees, taxes and subsidies.

The landfill gate fee, the environmental-protection tax on landfilled solid waste, and the
per-tonne, capex and transport subsidies. Each instrument changes this month's policy levers
for the facilities in its scope,
weighted by the share of the month's days it is in force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from symbiosim.policies.schedule import share_of_month
from symbiosim.policies.scope import Scope

if TYPE_CHECKING:
    from symbiosim.policies.levers import PolicyLevers, PolicyView

__all__ = ["CapexSubsidy", "EnvironmentalTax", "LandfillFee", "PerTonneSubsidy", "TransportSubsidy", "VATRebate"]


def _columns(names: tuple[str, ...], known: list[str], what: str) -> np.ndarray:
    """Boolean mask over ``known`` for ``names`` (all when empty); unknown names are an error."""
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ValueError(f"unknown {what}: {unknown}")
    return np.array([not names or k in names for k in known], dtype=bool)


@dataclass(frozen=True)
class _ChargeOnLandfill:
    start: dt.date
    end: dt.date
    cny_per_t: float
    byproducts: tuple[str, ...] = ()
    scope: Scope = field(default_factory=Scope)
    mode: Literal["set", "add"] = "add"

    def _apply_to(self, array: np.ndarray, view: PolicyView, date: dt.date) -> None:
        rows = self.scope.mask(view)
        cols = _columns(self.byproducts, view.byproducts, "by-products")
        share = share_of_month(self, date)
        block = np.ix_(rows, cols)
        if self.mode == "set":
            array[block] = (1 - share) * array[block] + share * self.cny_per_t
        else:
            array[block] += share * self.cny_per_t


@dataclass(frozen=True)
class LandfillFee(_ChargeOnLandfill):
    """Landfill gate fee (CNY/t) paid by covered sellers for what they landfill.

    ``mode="add"`` raises the catalog fee by ``cny_per_t``; ``mode="set"`` replaces it.
    Only landfilled tonnes pay it, so for a by-product that is landfilled when unsold the
    seller's reservation price falls by the same amount (its willingness to pay a buyer to take
    the by-product rises by exactly the fee change); steam, never landfilled, is untouched.
    """

    kind: ClassVar[str] = "landfill_fee"  # its name in scenario files

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Change this month's landfill fees."""
        self._apply_to(levers.landfill_fee, view, date)


@dataclass(frozen=True)
class EnvironmentalTax(_ChargeOnLandfill):
    """Environmental-protection tax on landfilled solid waste (CNY/t), EP Tax Law schedule.

    Statutory rates: smelting slag, fly ash, boiler slag and other solid waste 25; coal gangue
    5; tailings 15; hazardous waste 1,000 CNY/t (the catalog's defaults already hold 25 for slags,
    ashes and gypsum; compliant disposal of MSW, sludge and hazardous waste is exempt).
    """

    kind: ClassVar[str] = "environmental_tax"  # its name in scenario files

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Change this month's EP tax on landfilled tonnes."""
        self._apply_to(levers.ep_tax, view, date)


@dataclass(frozen=True)
class PerTonneSubsidy:
    """A subsidy (CNY/t) to covered buyers for each tonne used, by technology or by-product.

    It adds to the buyer's willingness to pay, so the trade surplus rises by exactly the subsidy.
    """

    kind: ClassVar[str] = "per_tonne_subsidy"  # its name in scenario files

    start: dt.date
    end: dt.date
    cny_per_t: float
    technologies: tuple[str, ...] = ()
    byproducts: tuple[str, ...] = ()
    scope: Scope = field(default_factory=Scope)

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Add this month's subsidy per tonne."""
        cols = _columns(self.technologies, view.technologies, "technologies")
        wanted = _columns(self.byproducts, view.byproducts, "by-products")
        cols &= wanted[view.tech_byproduct]
        rows = self.scope.mask(view)
        levers.subsidy_cny_per_t[np.ix_(rows, cols)] += share_of_month(self, date) * self.cny_per_t


@dataclass(frozen=True)
class CapexSubsidy:
    """A share (0-1) of the investment in a technology paid by the government.

    Several capex subsidies compose multiplicatively on what is left to pay:
    1 - (1 - a)(1 - b). (Capex shares near 50% were reported for the Kawasaki eco-town projects;
    not checked in a primary source, U.)
    """

    kind: ClassVar[str] = "capex_subsidy"  # its name in scenario files

    start: dt.date
    end: dt.date
    share: float
    technologies: tuple[str, ...] = ()
    scope: Scope = field(default_factory=Scope)

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Raise this month's capex subsidy share (investment decisions are taken in ``investment_month``)."""
        if not 0.0 <= self.share <= 1.0:
            raise ValueError("share must lie in 0-1")
        cols = _columns(self.technologies, view.technologies, "technologies")
        block = np.ix_(self.scope.mask(view), cols)
        levers.capex_subsidy_share[block] = 1 - (1 - levers.capex_subsidy_share[block]) * (1 - self.share)


@dataclass(frozen=True)
class TransportSubsidy:
    """A subsidy (CNY per t km) to the buyer for hauling a by-product (all by-products when empty)."""

    kind: ClassVar[str] = "transport_subsidy"  # its name in scenario files

    start: dt.date
    end: dt.date
    cny_per_t_km: float
    byproducts: tuple[str, ...] = ()

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Add this month's transport subsidy."""
        cols = _columns(self.byproducts, view.byproducts, "by-products")
        levers.transport_subsidy_cny_per_t_km[cols] += share_of_month(self, date) * self.cny_per_t_km


@dataclass(frozen=True)
class VATRebate:
    """VAT refund for comprehensive resource use (2022 catalogue, item 2.2).

    A covered producer whose listed wastes (the by-products it buys that would otherwise be
    landfilled) reach ``threshold`` of its raw material in a month receives ``rebate_share`` x
    ``vat_rate`` x its product income for that month (Cao et al. 2025, eq. 5, with a 70%
    refund of a 17% VAT; the rate is 13% since April 2019, 16% from May 2018, U; threshold 20% for 42.5-grade cement, 40% for other cement and clinker). Raw material
    per unit of output is ``raw_material_t_per_t`` (assumption: 1.55 t of raw meal per t of
    clinker; 1.0 t of ground material per t of cement). Near the threshold one more tonne of
    waste is worth far more than its material value (see
    :func:`symbiosim.environment.pricing.vat_threshold_premium_cny_per_t`).
    """

    kind: ClassVar[str] = "vat_rebate"  # its name in scenario files

    start: dt.date
    end: dt.date
    rebate_share: float = 0.7
    vat_rate: float = 0.13
    threshold: float = 0.2
    scope: Scope = field(default_factory=lambda: Scope(sectors=("cement",)))
    raw_material_t_per_t: tuple[tuple[str, float], ...] = (("clinker", 1.55), ("cement", 1.0))

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Set this month's rebate rate, threshold and raw-material coefficients for covered plants."""
        rows = self.scope.mask(view)
        share = share_of_month(self, date)
        levers.vat_rebate_rate[rows] = share * self.rebate_share * self.vat_rate
        levers.vat_threshold[rows] = self.threshold
        for product, t_per_t in self.raw_material_t_per_t:
            if product not in view.products:
                raise ValueError(f"unknown product in raw_material_t_per_t: {product}")
            levers.raw_material_t_per_unit[rows, view.products.index(product)] = t_per_t
