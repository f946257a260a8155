"""The enterprise agent: one facility at a fixed place on the network.

The model keeps facility state in arrays (one row per facility, indexed by the agent's
node id) so that a month of production and trade is computed for all facilities at once;
an agent reads its own row through properties and takes its own decisions (which
technologies to invest in). Partner knowledge, trust and contracts live in the market.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import FixedAgent

if TYPE_CHECKING:
    from symbiosim.model import SymbiosisModel

__all__ = ["Adoption", "Enterprise", "annuity_factor"]

MIN_INCREMENT_SHARE = 0.05  # increments below 5% of the full cap are not worth appraising


def annuity_factor(rate: float, years: int) -> float:
    """Present value of 1 per year for ``years`` years at ``rate`` per year.

    >>> round(annuity_factor(0.08, 20), 4)
    9.8181
    """
    if rate == 0:
        return float(years)
    return (1 - (1 + rate) ** -years) / rate


@dataclass(frozen=True)
class Adoption:
    """One investment decision taken by an agent."""

    step: int
    facility_id: str
    technology: str
    capacity_t_per_yr: float
    capex_cny: float
    npv_cny: float
    payback_yr: float


class Enterprise(FixedAgent):
    """A facility: produces, generates by-products, trades them and invests.

    Args:
        model: the model.
        index: node id (0..n-1), also the row of this facility in the model's arrays.
        attributes: facility record (facility_id, name, sector, route, city, province,
            latitude, longitude, is_synthetic).
    """

    def __init__(self, model: SymbiosisModel, index: int, attributes: dict) -> None:
        super().__init__(model)
        self.index = index
        self.facility_id: str = attributes["facility_id"]
        self.name: str = attributes["name"]
        self.sector: str = attributes["sector"]
        self.route: str = attributes["route"]
        self.city: str = attributes["city"]
        self.province: str = attributes["province"]
        self.latitude: float = float(attributes["latitude"])
        self.longitude: float = float(attributes["longitude"])
        self.is_synthetic: bool = bool(attributes["is_synthetic"])

    # --- state read from the model's arrays -------------------------------------------
    def _view(self, name: str) -> float:
        """One entry of this month's per-facility totals (``model.facility_view``)."""
        return self.model.facility_view[name][self.index]

    @property
    def output(self) -> dict[str, float]:
        """This month's output by product (t or MWh)."""
        m = self.model
        row = m.output[self.index]
        return {p: float(row[j]) for j, p in enumerate(m.products) if m.capacity_per_yr[self.index, j] > 0}

    @property
    def output_units(self) -> float:
        """This month's output of the facility's main product (t or MWh)."""
        return self._view("output_units")

    @property
    def stock_t(self) -> float:
        """By-products held in storage at the end of the month (t)."""
        return self._view("stock_t")

    @property
    def generated_t(self) -> float:
        """By-products generated this month (t)."""
        return self._view("generated_t")

    @property
    def sold_t(self) -> float:
        """By-products sold this month (t)."""
        return self._view("sold_t")

    @property
    def bought_t(self) -> float:
        """By-products bought this month (t)."""
        return self._view("bought_t")

    @property
    def landfilled_t(self) -> float:
        """By-products sent to landfill this month (t)."""
        return self._view("landfilled_t")

    @property
    def profit_cny(self) -> float:
        """Profit this month (CNY)."""
        return self._view("profit_cny")

    @property
    def revenue_cny(self) -> float:
        """Income this month (CNY): products, by-product sales, landfill fees received, subsidies."""
        return self._view("revenue_cny")

    @property
    def cost_cny(self) -> float:
        """Costs this month (CNY), with avoided material as a negative cost: revenue - profit."""
        return self._view("cost_cny")

    @property
    def energy_tce(self) -> float:
        """Energy use this month (tce)."""
        return self._view("energy_tce")

    @property
    def co2_t(self) -> float:
        """CO2 emitted this month (t)."""
        return self._view("co2_t")

    @property
    def technologies(self) -> dict[str, float]:
        """Installed technologies and their capacity (t by-product per year)."""
        m = self.model
        row = m.installed_tpa[self.index]
        return {m.technologies[k]: float(row[k]) for k in np.flatnonzero(row > 0)}

    @property
    def known_partners(self) -> list[str]:
        """Facility ids this agent knows as trading partners (either side)."""
        market, ids = self.model.market, self.model.facility_ids
        known = market.known
        partners = set(market.link_buyer[known & (market.link_seller == self.index)].tolist())
        partners |= set(market.link_seller[known & (market.link_buyer == self.index)].tolist())
        return [ids[i] for i in sorted(partners)]

    # --- decisions ----------------------------------------------------------------------
    def consider_investment(self) -> list[Adoption]:
        """Appraise each technology this facility could install or expand (once a year).

        A technology is considered with probability ``consider_probability`` plus
        ``diffusion_weight`` x the share of same-sector neighbours that already use it, if
        there is room under its own cap and its cap group's. It is adopted when the NPV of the expected margin over its lifetime, net of capex (after
        any capex subsidy), is positive and the simple payback is within ``max_payback_yr``.

        Returns:
            The adoptions made.
        """
        m = self.model
        p = m.params
        adopted: list[Adoption] = []
        for k in m.eligible_technologies[self.index]:
            room_tpa = m.room_to_install_tpa(self.index, k)
            if room_tpa <= m.full_cap_tpa[self.index, k] * MIN_INCREMENT_SHARE:
                continue
            chance = p["consider_probability"] + p["diffusion_weight"] * m.neighbour_adoption_share(self.index, k)
            if m.rng.random() >= chance:
                continue
            volume_tpa, margin_cny_per_t = m.appraise(self.index, k)
            increment_tpa = min(room_tpa, volume_tpa)
            if increment_tpa <= m.full_cap_tpa[self.index, k] * MIN_INCREMENT_SHARE or margin_cny_per_t <= 0:
                continue
            gross_capex = increment_tpa * m.tech_capex_cny_per_tpa[k]
            capex = gross_capex * (1 - m.capex_subsidy_share[self.index, k])
            annual_cny = increment_tpa * margin_cny_per_t
            npv = annual_cny * annuity_factor(p["discount_rate"], int(m.tech_lifetime_yr[k])) - capex
            payback = capex / annual_cny
            if npv > 0 and payback <= p["max_payback_yr"]:
                m.install(self.index, k, increment_tpa, capex, subsidy_cny=gross_capex - capex)
                adopted.append(
                    Adoption(m.month_index, self.facility_id, m.technologies[k], increment_tpa, capex, npv, payback)
                )
        return adopted

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.facility_id!r}, {self.city})"
