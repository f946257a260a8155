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
shared cap on clinker substitutes (``environment/market.py``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from symbiosim.agents.base import Enterprise
from symbiosim.agents.production import OutputConditions
from symbiosim.agents.state import FacilityState
from symbiosim.environment.arrays import CatalogArrays

__all__ = [
    "SECTOR_CLASSES",
    "CementPlant",
    "ChemicalPlant",
    "PowerPlant",
    "SteelPlant",
    "WasteFacility",
    "equal_hours",
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
        usual = catalog.utilisation[rows] * catalog.season[rows, conditions.month - 1, None]
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
    clinker); its recipe is its demand in the market, within the technical caps.
    """


class PowerPlant(Enterprise):
    """A coal-fired power or CHP plant: generates electricity, boiler slag, fly ash, FGD gypsum and extractable steam.

    The plants of a province follow its load in equal hours; a limited plant's hours go to the others.
    """

    @classmethod
    def production_rate(
        cls, rows: NDArray[np.intp], state: FacilityState, catalog: CatalogArrays, conditions: OutputConditions
    ) -> NDArray[np.float64]:
        """Output as a share of capacity: each province's usual load, dispatched in equal hours under the ceilings."""
        usual = catalog.utilisation[rows] * catalog.season[rows, conditions.month - 1, None]
        ceiling = np.broadcast_to(np.minimum(conditions.limit_factor[rows, None], 1.0), usual.shape)
        province = catalog.facilities["province"].to_numpy()[rows]
        rate = np.minimum(usual, ceiling)
        for name in np.unique(province):
            members = np.flatnonzero(province == name)
            for j in np.flatnonzero(state.capacity_per_yr[rows[members]].sum(axis=0) > 0):
                cap = state.capacity_per_yr[rows[members], j]
                rate[members, j] = equal_hours(cap, usual[members, j], ceiling[members, j])
        return rate


class ChemicalPlant(Enterprise):
    """A chemical plant: buys process steam by pipeline; coal-based plants generate gasification or coking slag."""


class WasteFacility(Enterprise):
    """A waste facility: MSW incinerator, landfill, or a city's aggregate source of MSW, sewage sludge or hazardous waste."""


SECTOR_CLASSES: dict[str, type[Enterprise]] = {
    cls.__name__: cls for cls in (SteelPlant, PowerPlant, CementPlant, ChemicalPlant, WasteFacility, Enterprise)
}


def equal_hours(
    capacity: NDArray[np.float64], usual: NDArray[np.float64], ceiling: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Rates that serve the plants' usual load together, each at ``min(ceiling, usual x k)`` with one k >= 1.

    The load is ``sum(capacity x usual)``; when the ceilings cannot serve it, every plant
    runs at its ceiling. A plant whose usual rate is 0 stays idle.

    Examples:
        Two equal plants at 50%; one is limited to 30%, the other takes up its hours:

        >>> equal_hours(np.array([100.0, 100.0]), np.array([0.5, 0.5]), np.array([0.3, 1.0])).round(3).tolist()
        [0.3, 0.7]
    """
    load, active = float(capacity @ usual), usual > 0  # a plant that does not usually run stays idle
    if float(capacity[active] @ ceiling[active]) <= load:
        return np.where(active, ceiling, 0.0)
    if (usual <= ceiling).all():
        return usual.copy()
    rate = np.zeros_like(usual)
    cap, use, top = capacity[active], usual[active], ceiling[active]
    breaks = top / use  # the k at which each plant reaches its ceiling
    order = np.argsort(breaks)
    at_ceiling = np.concatenate(([0.0], np.cumsum((cap * top)[order])))  # served by the plants already at their ceiling
    usual_load = np.concatenate(([0.0], np.cumsum((cap * use)[order])))
    served_at = at_ceiling[:-1] + breaks[order] * (usual_load[-1] - usual_load[:-1])  # load served at each break
    m = int(np.searchsorted(served_at, load))  # plants order[:m] are at their ceiling
    remaining = usual_load[-1] - usual_load[m]  # usual load of the plants below their ceiling
    k = (load - at_ceiling[m]) / remaining if remaining > 0 else np.inf
    rate[active] = np.minimum(top, use * k)
    return rate


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
