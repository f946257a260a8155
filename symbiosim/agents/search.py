"""Search as a decision: an agent searches when what it expects to find is worth the search's cost.

A search looks for **candidates**: unknown partners with whom a trade would pay at this month's
prices, that is routes whose joint surplus (the buyer's willingness to pay − transport − the
seller's reservation) is positive, whatever their distance. How far a search reaches therefore
follows from what the by-product is worth and what it costs to move, not from a radius.

An agent expects from a search, per by-product it cannot place (a seller) and per technology
with spare capacity (a buyer), its share of the best candidate's surplus on the tonnes the two
could trade in a month (the smaller of the seller's unplaced tonnes and the buyer's spare
capacity, within what its shared cap group leaves), for the months of a contract, times the chance that a search finds a given
candidate (``discovery_probability``). It searches in a month when the sum exceeds the cost of
one search (``search_cost_cny``).

A plant also searches for the line it could install or enlarge (:func:`prospects`): where it
has no spare capacity for a technology it may run, it could take what its output would allow
beyond what is installed, and its share of a route's surplus is reduced by the line's capital
charge per tonne, which it alone pays. A partner found that way is what its next investment
round appraises.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from symbiosim.agents.investment import annuity_factors
from symbiosim.agents.state import FacilityState
from symbiosim.environment.arrays import MONTHS_PER_YEAR, CatalogArrays
from symbiosim.environment.competition import share_array
from symbiosim.environment.numpy_exact import maximum, minimum
from symbiosim.environment.routes import Routes
from symbiosim.environment.units import TONNE_EPSILON

__all__ = ["prospects", "search_decisions"]


def prospects(
    state: FacilityState,
    catalog: CatalogArrays,
    routes: Routes,
    discount_rate: float,
    capex_subsidy_share: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """What each buyer could take this month per technology, and what a line would cost it per tonne on each route.

    Where a buyer has spare capacity this month, that is what it could take, at no extra
    cost. Where it has none (it does not run the technology, or its line is full), it could
    take what a new or larger line would allow, ``min(cap x output, full cap / 12)`` less
    what is installed, at the line's capital charge per tonne: capex per t/yr (after any
    capex subsidy, with learning) over the annuity factor of the line's lifetime. Either is
    bounded by what the technology's shared cap group leaves this month (a kiln whose
    clinker-substitute cap is used up takes no more clinker substitutes, whatever its lines).

    Returns:
        ``(buyer_charge_cny_per_t, buyer_t)``: (routes,) and (facilities, technologies).
    """
    by_output = catalog.tech_cap_t_per_t[None, :] * state.output[:, catalog.tech_cap_product]
    room = np.minimum(by_output, state.full_cap_tpa / MONTHS_PER_YEAR) - state.installed_tpa / MONTHS_PER_YEAR
    expanding = state.capacity_t <= TONNE_EPSILON
    buyer_t = np.where(expanding, np.where(catalog.eligible, np.maximum(room, 0.0), 0.0), state.capacity_t)
    buyer_t = np.minimum(buyer_t, state.group_capacity_t[:, catalog.tech_group])  # what the shared cap leaves
    charge = catalog.tech_capex_cny_per_tpa * state.cost_factor / annuity_factors(discount_rate, catalog.tech_lifetime_yr)
    return np.where(routes.at_buyer(expanding), charge[routes.technology] * (1 - routes.at_buyer(capex_subsidy_share)), 0.0), buyer_t


def search_decisions(
    routes: Routes,
    known_link: NDArray[np.bool_],
    surplus_cny_per_t: NDArray[np.float64],
    seller_t: NDArray[np.float64],
    buyer_t: NDArray[np.float64],
    seller_share: float | NDArray[np.float64],
    contract_months: NDArray[np.int64],
    discovery_probability: float,
    search_cost_cny: float,
    buyer_charge_cny_per_t: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.bool_]]:
    """Who searches this month, what each expects from a search, and which links are candidates.

    Args:
        routes: the scenario's routes.
        known_link: (links,) the two parties already know each other.
        surplus_cny_per_t: (routes,) joint surplus of a new trade at this month's prices (CNY/t).
        seller_t: (facilities, by-products) tonnes each seller could not place this month
            (disposed of or sold to outlets, which a better-paying partner would take instead).
        buyer_t: (facilities, technologies) each buyer's spare capacity this month (t).
        seller_share: the seller's share of a trade's surplus: one, or (by-products,) each by-product's.
        contract_months: (by-products,) months a first trade binds the partners for.
        discovery_probability: chance that a search finds a given candidate.
        search_cost_cny: cost of one search (CNY).
        buyer_charge_cny_per_t: (routes,) what the buyer alone would pay per tonne on top of
            the price (the capital charge of a line it would install; default none): a route is
            a candidate only if the buyer's share of the surplus exceeds it.

    Returns:
        ``(searching, expected_cny, candidate_link)``: (facilities,) the agents that search;
        (facilities,) what each expects from a search (CNY); (links,) links with a candidate
        route, unknown to their parties.
    """
    n, n_b = seller_t.shape
    n_k = buyer_t.shape[1]
    n_routes = len(surplus_cny_per_t)
    charge = np.zeros(n_routes) if buyer_charge_cny_per_t is None else buyer_charge_cny_per_t
    share = share_array(seller_share, n_b)
    best_sale, best_purchase = np.zeros(n * n_b), np.zeros(n * n_k)
    candidate_link = np.zeros(len(known_link), dtype=np.bool_)
    _best_candidates(
        (routes.link, routes.seller, routes.buyer, routes.byproduct, routes.technology), known_link,
        (np.asarray(surplus_cny_per_t, dtype=np.float64), np.asarray(charge, dtype=np.float64), share),
        (np.ascontiguousarray(seller_t, dtype=np.float64).ravel(), np.ascontiguousarray(buyer_t, dtype=np.float64).ravel()),
        n_k, np.asarray(contract_months, dtype=np.int64), (best_sale, best_purchase, candidate_link),
    )  # fmt: skip
    expected = discovery_probability * (
        best_sale.reshape(n, n_b).sum(axis=1) + best_purchase.reshape(n, n_k).sum(axis=1)
    )
    return expected > search_cost_cny, expected, candidate_link


@njit(cache=True)
def _best_candidates(
    route: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    known_link: NDArray[np.bool_],
    gains: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    unplaced: tuple[NDArray[np.float64], NDArray[np.float64]],
    n_k: int,
    contract_months: NDArray[np.int64],
    out: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]],
) -> None:
    """Each seller's (by-product's) and buyer's (technology's) best candidate, in one pass over the routes.

    ``route``: per route its link, seller, buyer, by-product and technology; ``gains``: per
    route the joint surplus and the buyer's charge, per by-product the seller's share;
    ``unplaced``: what sellers could not place and buyers could take, flattened (facility x
    by-product, facility x ``n_k`` technologies); ``out``: the best sale and purchase (changed in place,
    as ``np.maximum.at`` does, route by route) and the links with a candidate route.
    """
    link, seller, buyer, byproduct, technology = route
    surplus, charge, share_of = gains
    seller_t, buyer_t = unplaced
    best_sale, best_purchase, candidate_link = out
    n_b = len(share_of)
    for r in range(len(surplus)):
        s, b, k = surplus[r], byproduct[r], technology[r]
        share = share_of[b]
        gain = (1 - share) * s - charge[r]
        if known_link[link[r]] or not s > 0 or not gain > 0:  # not a candidate
            continue
        tonnes = minimum(seller_t[seller[r] * n_b + b], buyer_t[buyer[r] * n_k + k])
        tonne_months = tonnes * contract_months[b]
        i, j = seller[r] * n_b + b, buyer[r] * n_k + k
        best_sale[i] = maximum(best_sale[i], share * s * tonne_months)
        best_purchase[j] = maximum(best_purchase[j], gain * tonne_months)
        if tonnes > 0:
            candidate_link[link[r]] = True
