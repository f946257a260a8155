"""The sector agent classes and their monthly output decisions.

Every class decides, each month, the utilisation of each of its products for all of its
facilities at once (:meth:`Enterprise.production_rate` and the overrides here):

- :class:`SteelPlant` and :class:`CementPlant` are price takers with a short-run supply
  elasticity (the sector's ``supply_elasticity``): output moves with the output price net of
  the charges each unit carries (a carbon price above any output-based free allocation,
  taxes on air pollutants), within any production limit. Both products of a plant (crude
  steel and its blast-furnace iron; clinker and cement) move together.
- :class:`PowerPlant` follows load: each province's coal plants together serve the load they
  would serve without limits (capacity x utilisation x the month's load shape, heating and
  cooling peaks included), dispatched in equal hours (the same share of capacity for every
  plant, as in China's planned-hours dispatch); a plant under a production limit runs at the
  limit and the others take up its hours, up to their own ceilings. Load that no plant of the
  province can serve is left to imports.
- :class:`WasteFacility` and :class:`ChemicalPlant` keep the common rule: utilisation x
  seasonal factor, within any production limit.

A cement kiln's raw-material and fuel recipe (how much of each by-product replaces clay,
clinker, gypsum or coal) is its demand in the market: it buys the inputs that cost less
than what they replace, cheapest first, up to each technology's technical cap and the
shared cap on clinker substitutes (``environment/market.py``). Its grade mix is part of the
recipe: beyond the ordinary-cement (P.O) cap it may make slag cement (P.S.A), whose price
discount is a cost per tonne of the extra slag (technology T14), so it substitutes more
clinker where its margin on slag beats the discount, as when clinker carries a carbon price.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from symbiosim.agents.base import Enterprise
from symbiosim.agents.production import OutputConditions
from symbiosim.agents.state import FacilityState
from symbiosim.environment.arrays import MONTHS_PER_YEAR, CatalogArrays

__all__ = [
    "SECTOR_CLASSES",
    "CementPlant",
    "ChemicalPlant",
    "PowerPlant",
    "SteelPlant",
    "WasteFacility",
    "equal_hours",
    "expected_season",
    "production_rates",
]


class _PriceTaker(Enterprise):
    """A plant whose output follows its net output price with the sector's supply elasticity."""

    @classmethod
    def production_rate(
        cls, rows: NDArray[np.intp], state: FacilityState, catalog: CatalogArrays, conditions: OutputConditions
    ) -> NDArray[np.float64]:
        """Output as a share of capacity: (utilisation x season) x (net price / price)^elasticity, within the limit.

        The net price ratio is taken over the plant's whole output at its usual utilisation,
        so that its products move together; a charge larger than the price stops the plant.
        """
        usual = cls.usual_rate(rows, catalog, conditions.month)
        price = catalog.product_factors["price_cny"][rows]
        weight = state.capacity_per_yr[rows] * catalog.utilisation[rows]
        revenue = (weight * price).sum(axis=1)
        net = (weight * (price - conditions.charge_cny_per_unit[rows])).sum(axis=1)
        ratio = np.divide(net, revenue, out=np.ones_like(revenue), where=revenue > 0)
        response = np.maximum(ratio, 0.0) ** catalog.supply_elasticity[rows]
        return np.minimum(usual * response[:, None], conditions.limit_factor[rows, None])


class SteelPlant(_PriceTaker):
    """An iron and steel plant: makes crude steel (and blast-furnace iron), generates steel slag and BF slag.

    Output follows the steel price net of per-tonne charges, within production limits.
    """


class CementPlant(_PriceTaker):
    """A cement or clinker plant: the main sink, using slags, ashes, gypsum and urban wastes within its technology caps.

    Output follows the net price of clinker and cement (a carbon price weighs mostly on
    clinker); its recipe, grade mix included, is its demand in the market, within the
    technical caps.
    """


class PowerPlant(Enterprise):
    """A coal-fired power or CHP plant: generates electricity, boiler slag, fly ash, FGD gypsum and extractable steam.

    The plants of a province follow its load in equal hours; a limited plant's hours go to the others.
    A plant with a utilisation of its own (table ``facility_products``) runs at it, outside the pool.
    A CHP plant (facilities column ``chp``) supplies district heat in the heating season and
    runs at least ``chp_heating_floor`` of its capacity then (heat-led dispatch); the other
    plants' hours shrink to make room for it.
    """

    @classmethod
    def production_rate(
        cls, rows: NDArray[np.intp], state: FacilityState, catalog: CatalogArrays, conditions: OutputConditions
    ) -> NDArray[np.float64]:
        """Output as a share of capacity: each province's usual load in equal hours, above must-run floors, under ceilings."""
        usual = cls.usual_rate(rows, catalog, conditions.month)
        ceiling = np.broadcast_to(np.minimum(conditions.limit_factor[rows, None], 1.0), usual.shape)
        floor = np.broadcast_to(catalog.must_run[rows, conditions.month - 1, None], usual.shape)
        province = catalog.province_code[rows]
        rate = np.maximum(np.minimum(usual, ceiling), np.minimum(floor, ceiling))
        own = catalog.own_rate[rows]
        for name in np.unique(province):
            members = np.flatnonzero(province == name)
            for j in np.flatnonzero(state.capacity_per_yr[rows[members]].sum(axis=0) > 0):
                pooled = members[~own[members, j]]  # a plant with its own utilisation (facility_products) runs at it
                cap = state.capacity_per_yr[rows[pooled], j]
                rate[pooled, j] = equal_hours(cap, usual[pooled, j], ceiling[pooled, j], floor[pooled, j])
        return rate


class ChemicalPlant(Enterprise):
    """A chemical plant: buys process steam by pipeline; coal-based plants generate gasification or coking slag."""


class WasteFacility(Enterprise):
    """A waste facility: MSW incinerator, landfill, or a city's aggregate source of MSW, sewage sludge or hazardous waste."""


SECTOR_CLASSES: dict[str, type[Enterprise]] = {
    cls.__name__: cls for cls in (SteelPlant, PowerPlant, CementPlant, ChemicalPlant, WasteFacility, Enterprise)
}


def equal_hours(
    capacity: NDArray[np.float64],
    usual: NDArray[np.float64],
    ceiling: NDArray[np.float64],
    floor: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Rates that serve the plants' usual load together, each at ``max(floor, min(ceiling, usual x k))`` with one k.

    The load is ``sum(capacity x usual)``. A floor (a must-run share, at most the ceiling)
    is served first and the others' hours shrink to make room for it; when the floors alone
    exceed the load, every plant runs at its floor (the surplus is exported); when the
    ceilings cannot serve the load, every plant runs at its ceiling. A plant whose usual
    rate is 0 runs only at its floor.

    Examples:
        Two equal plants at 50%; one is limited to 30%, the other takes up its hours:

        >>> equal_hours(np.array([100.0, 100.0]), np.array([0.5, 0.5]), np.array([0.3, 1.0])).round(3).tolist()
        [0.3, 0.7]

        The same two plants, unlimited; one must run at 70% (a CHP plant in the heating season):

        >>> equal_hours(np.array([100.0, 100.0]), np.array([0.5, 0.5]), np.ones(2), np.array([0.7, 0.0])).round(3).tolist()
        [0.7, 0.3]
    """
    low = np.zeros_like(usual) if floor is None else np.minimum(floor, ceiling)
    top = np.where(usual > 0, ceiling, low)  # a plant that does not usually run stays at its floor

    def rates(k: NDArray[np.float64]) -> NDArray[np.float64]:  # (breaks,) -> (breaks, plants)
        return np.maximum(low, np.minimum(top, usual * k[:, None]))

    load = float(capacity @ usual)
    if float(capacity @ top) <= load:
        return top.copy()
    if float(capacity @ low) >= load:
        return low.copy()
    active = usual > 0
    breaks = np.unique(np.concatenate(([0.0], low[active] / usual[active], top[active] / usual[active])))
    served = rates(breaks) @ capacity  # the load served at each break, rising
    j = int(np.searchsorted(served, load))  # served[j - 1] < load <= served[j]
    k = breaks[j - 1] + (load - served[j - 1]) * (breaks[j] - breaks[j - 1]) / (served[j] - served[j - 1])
    return rates(np.array([k]))[0]


def expected_season(
    class_rows: dict[type[Enterprise], NDArray[np.intp]], state: FacilityState, catalog: CatalogArrays
) -> NDArray[np.float64]:
    """Each facility's usual output by calendar month, relative to utilisation x capacity, as its class dispatches it.

    Without policies: the seasonal factor under the common rule, but a CHP plant runs more in
    the heating season and the other power plants of its province less. Contracts are scaled
    by it, so that a promise made in one month can be kept in another.
    """
    n = catalog.n_facilities
    usual = (catalog.utilisation * state.capacity_per_yr).sum(axis=1)
    output = np.zeros((n, MONTHS_PER_YEAR))
    for month in range(1, MONTHS_PER_YEAR + 1):
        conditions = OutputConditions(month, np.ones(n), np.zeros_like(state.capacity_per_yr))
        output[:, month - 1] = (production_rates(class_rows, state, catalog, conditions) * state.capacity_per_yr).sum(axis=1)
    return np.divide(output, usual[:, None], out=catalog.season.copy(), where=usual[:, None] > 0)


def production_rates(
    class_rows: dict[type[Enterprise], NDArray[np.intp]],
    state: FacilityState,
    catalog: CatalogArrays,
    conditions: OutputConditions,
) -> NDArray[np.float64]:
    """Every facility's output this month as a share of capacity, each agent class deciding for its own facilities."""
    rate = np.zeros_like(state.capacity_per_yr)
    for cls, rows in class_rows.items():
        rate[rows] = cls.production_rate(rows, state, catalog, conditions)
    return rate
