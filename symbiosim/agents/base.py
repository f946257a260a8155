"""The enterprise agent: one facility at a fixed place on the network.

Facility state lives in arrays (:class:`~symbiosim.agents.state.FacilityState`, one row per
facility, indexed by the agent's node id) so that a month of production and trade is computed
for all facilities at once; an agent reads its own row through properties and takes its own
decisions (which technologies to invest in). Partner knowledge, trust and contracts live in
the market.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from mesa import Model
from mesa.discrete_space import FixedAgent
from numpy.typing import NDArray

from symbiosim.agents.investment import (
    MIN_INCREMENT_SHARE,
    InvestmentRound,
    annuity_factor,
    appraise,
    install,
    neighbour_adoption_share,
    room_to_install_tpa,
)
from symbiosim.agents.production import OutputConditions
from symbiosim.agents.state import FacilityState
from symbiosim.environment.arrays import CatalogArrays
from symbiosim.environment.market import Market

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Adoption", "Enterprise"]


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
        model: the Mesa model it belongs to.
        index: node id (0..n-1), also the row of this facility in the state arrays.
        attributes: facility record (facility_id, name, sector, route, city, province,
            latitude, longitude, is_synthetic).
        state: every facility's state (this agent reads and writes its own row).
        catalog: the scenario's arrays.
        market: routes, partner knowledge and contracts.
        totals: this month's per-facility totals (profit, energy, tonnes...), by name; the
            model updates this mapping in place every month.
    """

    def __init__(
        self,
        model: Model,
        index: int,
        attributes: dict,
        state: FacilityState,
        catalog: CatalogArrays,
        market: Market,
        totals: Mapping[str, list[float]],
    ) -> None:
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
        self._state, self._catalog, self._market, self._totals = state, catalog, market, totals

    # --- state read from the arrays -----------------------------------------------------
    def _total(self, name: str) -> float:
        """One entry of this month's per-facility totals."""
        return self._totals[name][self.index]

    @property
    def output(self) -> dict[str, float]:
        """This month's output by product (product units: t or MWh)."""
        row, capacity = self._state.output[self.index], self._state.capacity_per_yr[self.index]
        return {p: float(row[j]) for j, p in enumerate(self._catalog.products) if capacity[j] > 0}

    @property
    def output_units(self) -> float:
        """This month's output of the facility's main product (product units)."""
        return self._total("output_units")

    @property
    def stock_t(self) -> float:
        """By-products held in storage at the end of the month (t)."""
        return self._total("stock_t")

    @property
    def generated_t(self) -> float:
        """By-products generated this month (t)."""
        return self._total("generated_t")

    @property
    def sold_t(self) -> float:
        """By-products sold this month (t)."""
        return self._total("sold_t")

    @property
    def bought_t(self) -> float:
        """By-products bought this month (t)."""
        return self._total("bought_t")

    @property
    def landfilled_t(self) -> float:
        """By-products sent to landfill this month (t)."""
        return self._total("landfilled_t")

    @property
    def profit_cny(self) -> float:
        """Profit this month (CNY)."""
        return self._total("profit_cny")

    @property
    def revenue_cny(self) -> float:
        """Income this month (CNY): products, by-product sales, landfill fees received, subsidies."""
        return self._total("revenue_cny")

    @property
    def cost_cny(self) -> float:
        """Costs this month (CNY), with avoided material as a negative cost: revenue - profit."""
        return self._total("cost_cny")

    @property
    def energy_tce(self) -> float:
        """Energy use this month (tce)."""
        return self._total("energy_tce")

    @property
    def co2_t(self) -> float:
        """CO2 emitted this month (t)."""
        return self._total("co2_t")

    @property
    def technologies(self) -> dict[str, float]:
        """Installed technologies and their capacity (t by-product per year)."""
        row = self._state.installed_tpa[self.index]
        return {self._catalog.technologies[k]: float(row[k]) for k in np.flatnonzero(row > 0)}

    @property
    def known_partners(self) -> list[str]:
        """Facility ids this agent knows as trading partners (either side)."""
        routes, known, ids = self._market.routes, self._market.book.known, self._catalog.facility_ids
        partners = set(routes.link_buyer[known & (routes.link_seller == self.index)].tolist())
        partners |= set(routes.link_seller[known & (routes.link_buyer == self.index)].tolist())
        return [ids[i] for i in sorted(partners)]

    # --- decisions ----------------------------------------------------------------------
    @classmethod
    def production_rate(
        cls, rows: NDArray[np.intp], state: FacilityState, catalog: CatalogArrays, conditions: OutputConditions
    ) -> NDArray[np.float64]:
        """This month's output of the facilities ``rows`` of this class, as a share of capacity per product.

        The common rule: the usual rate (:meth:`usual_rate`), within any production limit.
        Sector classes override it (``agents/sectors.py``).
        """
        return np.minimum(cls.usual_rate(rows, catalog, conditions.month), conditions.limit_factor[rows, None])

    @staticmethod
    def usual_rate(rows: NDArray[np.intp], catalog: CatalogArrays, month: int) -> NDArray[np.float64]:
        """Output of the facilities ``rows`` as a share of capacity per product, as usual: utilisation x the month's seasonal factor."""
        return catalog.utilisation[rows] * catalog.season[rows, month - 1, None]

    def consider_investment(self, round_: InvestmentRound) -> list[Adoption]:
        """Appraise each technology this facility could install or expand (once a year).

        A technology is considered with probability ``consider_probability`` (the facility's own, table
        ``behaviour``, or the run's) plus
        ``diffusion_weight`` x the share of same-sector neighbours that already use it, if
        there is room under its own cap and its cap group's. The increment is the volume it
        expects less what its line left unused over the past year (a plant does not enlarge a
        line it does not fill). It is adopted when the NPV of the expected margin over its
        lifetime, net of capex (after any capex subsidy), is positive and the simple payback is
        within ``max_payback_yr``. Technologies are installed best margin first; each takes
        what it installs out of the room left to the others of its cap group and out of the
        volume left to the others on the same by-product (a kiln does not build a line for
        slag powder and another for slag cement on the same tonnes).

        Returns:
            The adoptions made.
        """
        state, catalog, p = round_.state, round_.catalog, round_.params
        full_cap = state.full_cap_tpa[self.index]
        # no neighbour share can raise the chance above this: a draw at or above it skips the checks
        highest_chance = round_.consider_probability[self.index] + max(p["diffusion_weight"], 0.0)
        appraised = []
        for k in np.flatnonzero(catalog.eligible[self.index]).tolist():
            if round_.draws[self.index, k] >= highest_chance:
                continue
            if room_to_install_tpa(state, catalog, self.index, k) <= full_cap[k] * MIN_INCREMENT_SHARE:
                continue
            chance = round_.consider_probability[self.index] + p["diffusion_weight"] * neighbour_adoption_share(
                round_, self.index, k
            )
            if round_.draws[self.index, k] >= chance:
                continue
            volume_tpa, margin_cny_per_t = appraise(round_, self.index, k)
            if margin_cny_per_t > 0:
                appraised.append((-margin_cny_per_t, k, volume_tpa))
        adopted: list[Adoption] = []
        added_to_group: dict[int, float] = {}
        taken_of_byproduct: dict[int, float] = {}
        for negative_margin, k, volume_tpa in sorted(appraised):
            g, b = int(catalog.tech_group[k]), int(catalog.tech_byproduct[k])
            room_tpa = room_to_install_tpa(state, catalog, self.index, k, added_to_group.get(g, 0.0))
            unused_tpa = max(state.installed_tpa[self.index, k] - state.used_this_year_t[self.index, k] * state.year_scale, 0.0)
            increment_tpa = min(room_tpa, volume_tpa - taken_of_byproduct.get(b, 0.0) - unused_tpa)
            if increment_tpa <= full_cap[k] * MIN_INCREMENT_SHARE:
                continue
            gross_capex = increment_tpa * catalog.tech_capex_cny_per_tpa[k] * state.cost_factor[k]
            capex = gross_capex * (1 - round_.capex_subsidy_share[self.index, k])
            annual_cny = -negative_margin * increment_tpa
            npv = annual_cny * annuity_factor(p["discount_rate"], int(catalog.tech_lifetime_yr[k])) - capex
            payback = capex / annual_cny
            if npv > 0 and payback <= round_.max_payback_yr[self.index]:
                first = state.installed_tpa[self.index, k] <= 0
                install(
                    state, catalog, self.index, k, increment_tpa, capex, round_.month_index, gross_capex - capex
                )
                if first:
                    round_.started_using(self.index, k)
                added_to_group[g] = added_to_group.get(g, 0.0) + increment_tpa
                taken_of_byproduct[b] = taken_of_byproduct.get(b, 0.0) + increment_tpa
                adopted.append(
                    Adoption(
                        round_.month_index, self.facility_id, catalog.technologies[k], increment_tpa, capex, npv, payback
                    )
                )
        return adopted

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.facility_id!r}, {self.city})"
