"""How far a route can pay: the most a tonne can gain on a route in any month of a run.

Freight grows with distance and a tonne's gain does not, so beyond some distance a route cannot
pay whatever the month: its buyer's willingness to pay at its highest (the technology's value at
the lowest opex learning could bring, the highest subsidies and avoided emission charges the
policies set, and any VAT-threshold premium at its bound) plus what its seller avoids at the
highest disposal charges is less than the freight. Such routes are left out of the market
(:class:`~symbiosim.environment.routes.GainBound`), which changes nothing a run does and keeps
the route set to what economics allows: no haul limit is needed for the solids.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from numpy.typing import NDArray

from symbiosim.accounting import EFFECT_OF, route_effects, route_factors
from symbiosim.environment.arrays import CatalogArrays
from symbiosim.environment.routes import GainBound, Routes
from symbiosim.environment.units import month_date
from symbiosim.policies.bounds import LeverMaxima, lever_maxima
from symbiosim.policies.levers import EMITTED, PolicyView
from symbiosim.policies.schedule import PolicySchedule

__all__ = ["gain_bound", "run_gain_bound", "saved_per_tonne", "vat_premium_bound_cny_per_t"]


def saved_per_tonne(catalog: CatalogArrays) -> dict[str, NDArray[np.float64]]:
    """Per emitted substance, (technologies,) tonnes avoided per tonne used on a route of no length."""
    n_k = len(catalog.technologies)
    none = np.zeros(n_k, dtype=np.intp)
    routes = Routes.from_arrays(none, none, np.arange(n_k, dtype=np.intp), catalog.tech_byproduct.astype(np.intp),
                                np.zeros(n_k), np.zeros(n_k), n_technologies=n_k)  # fmt: skip
    effects = route_effects(route_factors(catalog, routes), np.ones(n_k), np.zeros(n_k))
    return {name: effects[EFFECT_OF[name]] for name in EMITTED}


def vat_premium_bound_cny_per_t(catalog: CatalogArrays, maxima: LeverMaxima) -> NDArray[np.float64]:
    """(facilities,) the most a plant can bid per tonne for the VAT-rebate threshold.

    The premium is rate x income / capacity for wastes, bid only when that capacity covers the
    threshold x raw material, so it is at most rate / threshold x income / raw material, and
    income / raw material is at most the largest price / raw material per unit among the
    plant's products (inf if a product it makes has a price and no raw material).
    """
    price = catalog.product_factors["price_cny"]
    makes = (catalog.capacity_per_yr > 0) & (price > 0)
    raw = maxima.raw_material_t_per_unit
    ratio = np.divide(price, raw, out=np.full(raw.shape, np.inf), where=raw > 0)
    ratio = np.where(makes, ratio, 0.0).max(axis=1, initial=0.0)
    rate = maxima.vat_rate_per_threshold
    return np.where(rate > 0, rate * ratio, 0.0)


def gain_bound(catalog: CatalogArrays, maxima: LeverMaxima) -> GainBound:
    """The most a tonne can gain before freight on a route, from the catalog and the run's :class:`LeverMaxima`."""
    opex = np.where(catalog.tech_learning_rate > 0, 0.0, catalog.tech_opex_cny_per_t)  # learning: opex may fall far
    buyer = (catalog.tech_avoided_cny_per_t - opex)[None, :] + maxima.subsidy_cny_per_t
    for name, saved in saved_per_tonne(catalog).items():
        buyer = buyer + maxima.emission_charge_cny_per_t[name][:, None] * np.maximum(saved, 0.0)[None, :]
    buyer = buyer + vat_premium_bound_cny_per_t(catalog, maxima)[:, None]
    treatment = catalog.disposal.treatment_fee_cny_per_t - catalog.supply_cost_cny_per_t
    seller = maxima.disposal_cny_per_t * catalog.is_landfilled[None, :] + treatment[None, :]
    return GainBound(buyer, seller, maxima.transport_subsidy_cny_per_t_km)


def run_gain_bound(catalog: CatalogArrays, schedule: PolicySchedule, start: dt.date, n_months: int) -> GainBound:
    """The gain bound of a run: the catalog under the highest levers ``schedule`` sets in its ``n_months`` from ``start``."""
    months = [month_date(start, i) for i in range(n_months)]
    view = PolicyView.of(catalog, catalog.capacity_per_yr, lambda months: np.zeros(catalog.n_facilities), {},
                         schedule.policies)  # fmt: skip
    return gain_bound(catalog, lever_maxima(schedule, months, catalog, view))
