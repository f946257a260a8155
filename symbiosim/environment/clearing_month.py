"""A month's clearing over every route, compiled with numba: :meth:`symbiosim.environment.market.Market.clear`.

The clearing runs in two compiled passes, with numpy's (vectorised) sort of the spot
candidates between them:

1. :func:`contracts_and_candidates`: each route's surplus, the contracts in force with this
   month's seasonal volume, what they have not yet promised, their delivery oldest first
   (:func:`~symbiosim.environment.clearing_loops.deliver_contracts`), and the routes open to
   spot trade;
2. :func:`spot_and_terms`: the spot trades best surplus first
   (:func:`~symbiosim.environment.clearing_loops.trade_spot`), then their terms and the set-up
   of new routes (:func:`~symbiosim.environment.clearing_loops.settle_terms`).

Each step is the operation of the array code it replaces, in the same order on the same
float64 values (``np.minimum`` and ``np.maximum`` as in :mod:`symbiosim.environment.numpy_exact`;
division by zero giving inf or NaN, as numpy's does), so a run's results are
unchanged to the last bit. The market's module text states the rules.
"""

import numpy as np
from numba import njit
from numpy.typing import NDArray

from symbiosim.environment.clearing_loops import deliver_contracts, settle_terms, trade_spot
from symbiosim.environment.numpy_exact import maximum, minimum, stable_order, taken

__all__ = ["contracts_and_candidates", "least_tonnes", "spot_and_terms"]


@njit(cache=True, error_model="numpy")
def least_tonnes(setup_cny: float, surplus_cny_per_t: float, share: float, stated: float) -> float:
    """The tonnes (this month's and the contract's) a new route must carry to pay its set-up (0: no gain to share).

    Paid in proportion to the gains, the joint surplus ``s`` must cover it: ``setup / s``. Where
    the seller pays a stated part ``f``, each side's part of the split must cover its own:
    ``max(f setup / (k s), (1 - f) setup / ((1 - k) s))``, with ``k`` the seller's share of the
    surplus (infinite, the route never opens, where a side must pay from no gain).

    >>> [least_tonnes(1000.0, 10.0, 0.5, stated) for stated in (np.nan, 1.0, 0.5)]
    [100.0, 200.0, 100.0]
    """
    if not surplus_cny_per_t > 0:
        return 0.0
    if np.isnan(stated):
        return setup_cny / surplus_cny_per_t
    seller_t = stated * setup_cny / (share * surplus_cny_per_t) if stated > 0 else 0.0
    buyer_t = (1 - stated) * setup_cny / ((1 - share) * surplus_cny_per_t) if stated < 1 else 0.0
    return maximum(seller_t, buyer_t)


@njit(cache=True, error_model="numpy")
def contracts_and_candidates(
    step: int,
    terms: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    route: tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    at: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    book: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64],
                NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]],
    season: tuple[NDArray[np.float64], NDArray[np.float64]],
    bases: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    left: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    rules: tuple[float, float, float, float],
    out: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
) -> tuple[int, float, NDArray[np.float64], NDArray[np.bool_], NDArray[np.int64], tuple]:
    """Deliver the contracts in force and find the routes open to spot trade.

    Args:
        step: the month (1-based).
        terms: per route, willingness to pay ``w``, transport ``t``, reservation ``r`` and the
            seller's own reservation (only its disposal route as alternative).
        route: per route, whether the buyer has the technology, the seller, the buyer and the link.
        at: per route, its flat index into the (seller, by-product), (buyer, technology) and
            (buyer, cap group) tables.
        book: per route the contract volume, the seller's and the buyer's seasonal factor at
            signing, start, end and price; per link whether it is known and its trust (changed
            in place: contracts end, trust moves).
        season: per facility this month's seasonal factor (floored) and the year's peak (floored).
        bases: the month's generation (facility x by-product), capacity per technology and
            installed capacity per month (facility x technology) and capacity within the cap
            groups (facility x group), flattened.
        left: supply, capacity and capacity within the cap groups, flattened (reduced in place).
        rules: trust loss, trust gain, the trust needed to trade, and the tonne epsilon.
        out: per route, tonnes, contract tonnes and value (added to).

    Returns:
        Contracts delivered short, tonnes undelivered, each route's surplus ``w - t - r``, the
        routes open to trade (known, trusted link; technology installed), the spot candidates
        (also surplus > 0 and supply, capacity and group room left; in route order) and what
        the contracts have not promised (seller generation, buyer technology and group
        capacity, in seasonal base terms), for :func:`spot_and_terms`.
    """
    wtp, transport, reservation, own = terms
    is_installed, seller, buyer, link = route
    at_supply, at_capacity, at_group = at
    volume, seller_season, buyer_season, start, end, price, known, trust = book
    season_now, peak = season
    generated, capacity_base, installed_monthly, group_base = bases
    supply, capacity, group_capacity = left
    trust_loss, trust_gain, min_trust, epsilon = rules
    n = len(wtp)
    n_b, n_k, n_g = len(generated) // len(season_now), len(capacity_base) // len(season_now), len(group_base) // len(season_now)
    surplus = np.empty(n)
    for r in range(n):
        surplus[r] = wtp[r] - transport[r] - reservation[r]
    # the contracts in force: this month's volume (the signing month's, scaled by the smaller
    # change of the two parties' seasons) and their promises in seasonal base terms
    n_in_force = 0
    in_force = np.empty(n, dtype=np.int64)
    for r in range(n):
        if end[r] >= step and is_installed[r]:
            in_force[n_in_force] = r
            n_in_force += 1
    in_force = in_force[:n_in_force]
    due, base_seller, base_buyer = np.zeros(n), np.zeros(n), np.zeros(n)
    promised_supply, promised_tech, promised_group = np.zeros(len(generated)), np.zeros(len(capacity_base)), np.zeros(len(group_base))
    for r in in_force:
        due[r] = volume[r] * minimum(season_now[seller[r]] / seller_season[r], season_now[buyer[r]] / buyer_season[r])
        base_seller[r] = volume[r] / seller_season[r]
        base_buyer[r] = volume[r] / buyer_season[r]
        promised_supply[at_supply[r]] += base_seller[r]
        promised_tech[at_capacity[r]] += base_buyer[r]
        promised_group[at_group[r]] += base_buyer[r]
    # what is not yet promised: generation and caps follow the seasons; installed capacity does
    # not, so a promise made in a low month must still fit the line in the buyer's peak month
    free_supply, free_tech, free_group = np.empty(len(generated)), np.empty(len(capacity_base)), np.empty(len(group_base))
    for i in range(len(generated)):
        free_supply[i] = maximum(generated[i] / season_now[i // n_b] - promised_supply[i], 0.0)
    for i in range(len(capacity_base)):
        f = i // n_k
        tech_base = minimum(capacity_base[i] / season_now[f], installed_monthly[i] / peak[f])
        free_tech[i] = maximum(tech_base - promised_tech[i], 0.0)
    for i in range(len(group_base)):
        free_group[i] = maximum(group_base[i] / season_now[i // n_g] - promised_group[i], 0.0)
    # 1. contracts, oldest first; a party walks away from a contract that now makes it a loss
    order = taken(in_force, stable_order(taken(start, in_force)))
    keeps = np.empty(len(order), dtype=np.bool_)
    for j in range(len(order)):
        r = order[j]
        keeps[j] = (price[r] - own[r] >= 0) and (wtp[r] - transport[r] - price[r] >= 0)
    free = (free_supply, free_tech, free_group)
    shortfalls, undelivered = deliver_contracts(order, (at_supply, at_capacity, at_group, link), due, price, keeps,
                                                (base_seller, base_buyer), left, free, out, end, trust, trust_loss,
                                                trust_gain, epsilon)  # fmt: skip
    # 2. the routes open to spot trade, after the contracts (and their changes to trust)
    open_route = np.empty(n, dtype=np.bool_)
    n_candidates = 0
    candidates = np.empty(n, dtype=np.int64)
    for r in range(n):
        open_route[r] = is_installed[r] and known[link[r]] and trust[link[r]] >= min_trust
        if (open_route[r] and surplus[r] > 0 and supply[at_supply[r]] > epsilon and capacity[at_capacity[r]] > epsilon
                and group_capacity[at_group[r]] > epsilon):  # fmt: skip
            candidates[n_candidates] = r
            n_candidates += 1
    return shortfalls, undelivered, surplus, open_route, candidates[:n_candidates], free


@njit(cache=True, error_model="numpy")
def spot_and_terms(
    step: int,
    candidates: NDArray[np.int64],
    surplus: NDArray[np.float64],
    open_route: NDArray[np.bool_],
    terms: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    route: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    at: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    setup: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]],
    book: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64],
                NDArray[np.int64]],
    season_now: NDArray[np.float64],
    left: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    free: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    out: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    epsilon: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Spot trades on ``candidates`` (best surplus first), then the terms of the month's spot trades.

    Args:
        step: the month (1-based).
        candidates: the spot candidates of :func:`contracts_and_candidates`, best surplus first.
        surplus: per route ``w - t - r``.
        open_route: per route, open to trade (known, trusted link; technology installed).
        terms: per route ``w``, ``t``, ``r`` and the seller's share of the surplus in the split.
        route: per route the seller, the buyer and the contract length (months) of its by-product.
        at: as for :func:`contracts_and_candidates`.
        setup: per route its one-off set-up cost (CNY), the seller's stated part of it (NaN: in
            proportion to the gains) and the step of its first trade (-1: none yet; set here).
        book: per route the contract terms a first trade signs (seller and buyer season,
            volume, price, start, end); prices of contracts signed this month are set to the
            settled price.
        season_now: per facility this month's seasonal factor (floored).
        left: supply, capacity and group room left after the contracts (reduced in place).
        free: what the contracts have not promised (from :func:`contracts_and_candidates`).
        out: per route, tonnes, contract tonnes and value (added to).
        epsilon: the tonne epsilon.

    Returns:
        The set-up each side pays on the routes first traded this month (seller's, buyer's; CNY).
    """
    wtp, transport, reservation, share = terms
    seller, buyer, months = route
    setup_cny, stated, first_trade = setup
    tonnes, contract_tonnes, value = out
    n = len(wtp)
    # a new route with a set-up cost opens only if this month's tonnes and the contract's
    # recurring ones pay for it (least_tonnes)
    prices, unset = np.empty(n), np.empty(n, dtype=np.bool_)
    for r in range(n):
        prices[r] = reservation[r] + share[r] * surplus[r]
        unset[r] = setup_cny[r] > 0 and first_trade[r] < 0
    m = len(candidates)
    at_c = (np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64))
    price_c, least_c = np.empty(m), np.empty(m)
    contracted_c, months_c = np.empty(m, dtype=np.bool_), np.empty(m, dtype=np.int64)
    season_c = (np.empty(m), np.empty(m))
    for j in range(m):
        r = candidates[j]
        at_c[0][j], at_c[1][j], at_c[2][j] = at[0][r], at[1][r], at[2][r]
        price_c[j], contracted_c[j], months_c[j] = prices[r], book[5][r] >= step, months[r]
        season_c[0][j], season_c[1][j] = season_now[seller[r]], season_now[buyer[r]]
        least_c[j] = least_tonnes(setup_cny[r], surplus[r], share[r], stated[r]) if unset[r] else 0.0
    trade_spot(candidates, at_c, (price_c, contracted_c, months_c, least_c), season_c, left, free, (tonnes, value),
               book, step, epsilon)  # fmt: skip
    # 3. the terms of this month's spot trades and the set-up of new routes
    spot, net, due = np.empty(n), np.empty(n), np.empty(n)
    rivals = np.empty(n, dtype=np.bool_)
    for r in range(n):
        spot[r] = tonnes[r] - contract_tonnes[r]
        net[r] = wtp[r] - transport[r]
        rivals[r] = open_route[r] and not (unset[r] and tonnes[r] <= 0)  # a route not yet set up is nobody's outside option
        due[r] = setup_cny[r] if (unset[r] and tonnes[r] > 0) else 0.0
    price, setup_seller, setup_buyer = settle_terms(spot, prices, rivals, (net, reservation, share), (seller, buyer), at,
                                                    left, due, stated, epsilon)  # fmt: skip
    contract_price, contract_start = book[3], book[4]
    for r in range(n):
        value[r] += spot[r] * (price[r] - prices[r])
        if contract_start[r] == step:
            contract_price[r] = price[r]
        if tonnes[r] > 0 and first_trade[r] < 0:
            first_trade[r] = step
    return setup_seller, setup_buyer
