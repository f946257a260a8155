"""Search as a decision: an agent searches when what it expects to find is worth the search's cost.

A search looks for **candidates**: unknown partners with whom a trade would pay at this month's
prices, that is routes whose joint surplus (the buyer's willingness to pay − transport − the
seller's reservation) is positive, whatever their distance. How far a search reaches therefore
follows from what the by-product is worth and what it costs to move, not from a radius.

An agent expects from a search, per by-product it cannot place (a seller) and per technology
with spare capacity (a buyer), its share of the best candidate's surplus on the tonnes the two
could trade in a month (the smaller of the seller's unplaced tonnes and the buyer's spare
capacity), for the months of a contract, times the chance that a search finds a given
candidate (``discovery_probability``). It searches in a month when the sum exceeds the cost of
one search (``search_cost_cny``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from symbiosim.environment.routes import Routes

__all__ = ["search_decisions"]


def search_decisions(
    routes: Routes,
    known_link: NDArray[np.bool_],
    surplus_cny_per_t: NDArray[np.float64],
    seller_t: NDArray[np.float64],
    buyer_t: NDArray[np.float64],
    seller_share: float,
    contract_months: NDArray[np.int64],
    discovery_probability: float,
    search_cost_cny: float,
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.bool_]]:
    """Who searches this month, what each expects from a search, and which links are candidates.

    Args:
        routes: the scenario's routes.
        known_link: (links,) the two parties already know each other.
        surplus_cny_per_t: (routes,) joint surplus of a new trade at this month's prices (CNY/t).
        seller_t: (facilities, by-products) tonnes each seller could not place this month
            (disposed of or sold to outlets, which a better-paying partner would take instead).
        buyer_t: (facilities, technologies) each buyer's spare capacity this month (t).
        seller_share: the seller's share of a trade's surplus.
        contract_months: (by-products,) months a first trade binds the partners for.
        discovery_probability: chance that a search finds a given candidate.
        search_cost_cny: cost of one search (CNY).

    Returns:
        ``(searching, expected_cny, candidate_link)``: (facilities,) the agents that search;
        (facilities,) what each expects from a search (CNY); (links,) links with a candidate
        route, unknown to their parties.
    """
    n, n_b = seller_t.shape
    n_k = buyer_t.shape[1]
    candidate = ~known_link[routes.link] & (surplus_cny_per_t > 0)
    tonnes = np.minimum(seller_t[routes.seller, routes.byproduct], buyer_t[routes.buyer, routes.technology])
    worth = np.where(candidate, surplus_cny_per_t * tonnes * contract_months[routes.byproduct], 0.0)
    best_sale = np.zeros(n * n_b)
    np.maximum.at(best_sale, routes.seller * n_b + routes.byproduct, seller_share * worth)
    best_purchase = np.zeros(n * n_k)
    np.maximum.at(best_purchase, routes.buyer * n_k + routes.technology, (1 - seller_share) * worth)
    expected = discovery_probability * (
        best_sale.reshape(n, n_b).sum(axis=1) + best_purchase.reshape(n, n_k).sum(axis=1)
    )
    candidate_link = np.zeros(len(known_link), dtype=bool)
    candidate_link[routes.link[candidate & (tonnes > 0)]] = True
    return expected > search_cost_cny, expected, candidate_link
