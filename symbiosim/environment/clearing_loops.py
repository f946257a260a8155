"""The sequential loops of a month's clearing, compiled with numba.

:meth:`symbiosim.environment.market.Market.clear` delivers contracts oldest first, then
trades spot on known routes best surplus first. Each step of either loop reads what the
steps before it left (supply, buyer capacity, a cap group's room, uncommitted volume), so
the loops cannot be vectorised; compiled, they run as the same operations in the same order
on the same float64 values, so they give the same results, bit for bit, as the Python loops
they replace. ``NUMBA_DISABLE_JIT=1`` runs them as plain Python (same results, slower).

Compiled code is cached beside this module (``__pycache__``); the first run on a machine
compiles it (about a second), later runs load it.
"""

import numpy as np
from numba import njit
from numpy.typing import NDArray

from symbiosim.environment.numpy_exact import maximum, minimum, stable_order, taken
from symbiosim.environment.units import TONNE_EPSILON

__all__ = [
    "best_and_runner_up",
    "best_rival_of",
    "competitive_price",
    "competitive_prices_of",
    "deliver_contracts",
    "double_auction",
    "outlet_markets",
    "settle_terms",
    "trade_spot",
]


@njit(cache=True)
def deliver_contracts(
    in_force: NDArray[np.int64],
    at: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    due_t: NDArray[np.float64],
    price_cny_per_t: NDArray[np.float64],
    keeps: NDArray[np.bool_],
    base: tuple[NDArray[np.float64], NDArray[np.float64]],
    left: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    free: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    out: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    contract_end: NDArray[np.int64],
    trust: NDArray[np.float64],
    trust_loss: float,
    trust_gain: float,
    epsilon: float,
) -> tuple[int, float]:
    """Deliver the contracts in force (routes ``in_force``, oldest first); returns shortfalls and undelivered tonnes.

    ``at``: per route, its index into the flat supply, capacity and cap-group tables and its
    link; ``keeps``: aligned with ``in_force``, whether both parties still gain; ``base``: per route, the promise in seasonal base terms of seller and buyer; ``left``:
    supply, capacity and group capacity (reduced in place); ``free``: what is not yet promised
    (a released promise is added back); ``out``: tonnes, contract tonnes and value per route
    (added to). A party for whom the contract is now a loss walks away: the contract ends and
    trust falls by ``trust_loss``; a shortfall of a fraction f lowers trust x (1 - loss x f);
    a full delivery raises it by ``trust_gain`` x (1 - trust).
    """
    at_supply, at_capacity, at_group, link = at
    supply, capacity, group_capacity = left
    free_supply, free_tech, free_capacity = free
    tonnes, contract_tonnes, value = out
    shortfalls, undelivered = 0, 0.0
    for j in range(len(in_force)):
        r = in_force[j]
        i_s, i_c, i_g, k = at_supply[r], at_capacity[r], at_group[r], link[r]
        if not keeps[j]:
            contract_end[r] = -1
            trust[k] *= 1 - trust_loss
            free_supply[i_s] += base[0][r]
            free_tech[i_c] += base[1][r]
            free_capacity[i_g] += base[1][r]
            continue
        volume = due_t[r]
        q = min(volume, supply[i_s], capacity[i_c], group_capacity[i_g])
        if q > epsilon:
            supply[i_s] -= q
            capacity[i_c] -= q
            group_capacity[i_g] -= q
            tonnes[r] += q
            contract_tonnes[r] += q
            value[r] += q * price_cny_per_t[r]
        shortfall = 1.0 - q / volume if volume > 0 else 0.0
        if shortfall > 1e-6:
            shortfalls += 1
            undelivered += volume - q
            trust[k] *= 1 - trust_loss * shortfall
        else:
            trust[k] += trust_gain * (1 - trust[k])
    return shortfalls, undelivered


@njit(cache=True)
def trade_spot(
    candidates: NDArray[np.int64],
    at: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    terms: tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.int64], NDArray[np.float64]],
    season: tuple[NDArray[np.float64], NDArray[np.float64]],
    left: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    free: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    out: tuple[NDArray[np.float64], NDArray[np.float64]],
    book: tuple[
        NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]
    ],
    step: int,
    epsilon: float,
) -> None:
    """Spot trades on ``candidates`` (routes, best surplus first), each taking min(supply, capacity, group room).

    Aligned with ``candidates``: ``at``, each one's flat supply, capacity and group index;
    ``terms``, its split price, whether a contract is in force, the contract's months and the
    least tonnes (now plus the contract's) that pay a set-up not yet made; ``season``, the
    seller's and the buyer's seasonal factor. ``left`` and ``free`` as in
    :func:`deliver_contracts`; per route: ``out``, tonnes and value (added to), and ``book``,
    the contract terms a first trade signs (seller and buyer season, volume, price, start,
    end). A contract commits only recurring volume: generation and capacity not yet promised.
    """
    at_supply, at_capacity, at_group = at
    price, contracted, months, least = terms
    supply, capacity, group_capacity = left
    free_supply, free_tech, free_capacity = free
    tonnes, value = out
    seller_season, buyer_season, volume_t, contract_price, contract_start, contract_end = book
    for j in range(len(candidates)):
        i_s, i_c, i_g = at_supply[j], at_capacity[j], at_group[j]
        if supply[i_s] <= epsilon or capacity[i_c] <= epsilon or group_capacity[i_g] <= epsilon:
            continue
        q = min(supply[i_s], capacity[i_c], group_capacity[i_g])
        f_s, f_c = season[0][j], season[1][j]
        volume = 0.0 if contracted[j] else min(q, free_supply[i_s] * f_s, free_tech[i_c] * f_c, free_capacity[i_g] * f_c)
        if q + volume * months[j] < least[j]:
            continue
        r = candidates[j]
        supply[i_s] -= q
        capacity[i_c] -= q
        group_capacity[i_g] -= q
        tonnes[r] += q
        value[r] += q * price[j]
        if volume > epsilon:
            free_supply[i_s] -= volume / f_s
            free_tech[i_c] -= volume / f_c
            free_capacity[i_g] -= volume / f_c
            seller_season[r] = f_s
            buyer_season[r] = f_c
            volume_t[r] = volume
            contract_price[r] = price[j]
            contract_start[r] = step
            contract_end[r] = step + months[j]


@njit(cache=True)
def best_and_runner_up(
    key: NDArray[np.int64], partner: NDArray[np.int64], value: NDArray[np.float64], offered: NDArray[np.bool_], n_keys: int
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Per key: the best value and its partner, and the best value of any other partner.

    One pass over the offered rows with value > 0; the partner is that of the first row with the
    best value; values are 0 (partner -1) where a key has no such row. When a row beats the best, the old best becomes the runner-up if the partner changes (it was
    the best of every partner); otherwise a row of another partner can only raise the runner-up.
    """
    best, runner_up = np.zeros(n_keys), np.zeros(n_keys)
    best_partner = np.full(n_keys, -1, dtype=np.int64)
    for r in range(len(key)):
        v = value[r]
        if not offered[r] or not v > 0:
            continue
        k, p = key[r], partner[r]
        if v > best[k]:
            if p != best_partner[k]:
                runner_up[k] = best[k]
                best_partner[k] = p
            best[k] = v
        elif p != best_partner[k] and v > runner_up[k]:
            runner_up[k] = v
    return best, best_partner, runner_up


@njit(cache=True)
def best_rival_of(
    key: NDArray[np.int64], partner: NDArray[np.int64], value: NDArray[np.float64], offered: NDArray[np.bool_], n_keys: int
) -> NDArray[np.float64]:
    """Per row, the best value of its key among the other partners' rows (:func:`best_and_runner_up`, then a lookup)."""
    best, best_partner, second = best_and_runner_up(key, partner, value, offered, n_keys)
    rival = np.empty(len(key))
    for r in range(len(key)):
        k = key[r]
        rival[r] = second[k] if partner[r] == best_partner[k] else best[k]
    return rival


@njit(cache=True)
def double_auction(
    ask: NDArray[np.float64],
    ask_left: NDArray[np.float64],
    bid: NDArray[np.float64],
    bid_left: NDArray[np.float64],
    bid_outlet: NDArray[np.int64],
    sold: NDArray[np.float64],
    outlet_t: NDArray[np.float64],
) -> tuple[int, int, bool, float, float, float]:
    """One outlet market's double auction (:func:`symbiosim.environment.outlets.clear_outlets`).

    The cheapest ask meets the highest bid while the ask is no higher: each match trades the
    smaller of what is left on both sides. ``ask_left``, ``bid_left``, ``sold`` (per ask) and
    ``outlet_t`` (per outlet: ``bid_outlet`` names each bid's) are updated in place.

    Returns:
        The asks and bids used up, whether anything traded, the last ask and bid that traded
        (NaN: none) and the tonnes traded.
    """
    i = j = 0
    traded, any_trade = 0.0, False
    last_ask = last_bid = np.nan
    while i < len(ask) and j < len(bid) and ask[i] <= bid[j]:
        q = min(ask_left[i], bid_left[j])
        ask_left[i] -= q
        bid_left[j] -= q
        sold[i] += q
        outlet_t[bid_outlet[j]] += q
        traded += q
        any_trade = True
        last_ask, last_bid = ask[i], bid[j]
        if ask_left[i] <= TONNE_EPSILON:
            i += 1
        if bid_left[j] <= TONNE_EPSILON:
            j += 1
    return i, j, any_trade, last_ask, last_bid, traded


@njit(cache=True)
def competitive_price(net: float, reservation: float, share: float, seller_option: float, buyer_option: float) -> float:
    """One route's :func:`symbiosim.environment.competition.competitive_prices`: the split, clipped by the options and to [r, w - t].

    The same operations as the array code (``np.clip(x, lo, hi)`` is ``np.minimum(np.maximum(x, lo), hi)``).
    """
    surplus = net - reservation
    split = reservation + share * surplus
    low = reservation + minimum(maximum(seller_option, 0.0), surplus)
    high = net - minimum(maximum(buyer_option, 0.0), surplus)
    price = minimum(maximum(split, low), high) if low <= high else (low + high) / 2
    return minimum(maximum(price, reservation), maximum(net, reservation))  # no rounding below r


@njit(cache=True)
def competitive_prices_of(
    net: NDArray[np.float64],
    reservation: NDArray[np.float64],
    share: NDArray[np.float64],
    seller_option: NDArray[np.float64],
    buyer_option: NDArray[np.float64],
) -> NDArray[np.float64]:
    """:func:`competitive_price` of every route (arrays aligned)."""
    price = np.empty(len(net))
    for r in range(len(net)):
        price[r] = competitive_price(net[r], reservation[r], share[r], seller_option[r], buyer_option[r])
    return price


@njit(cache=True)
def settle_terms(
    spot_t: NDArray[np.float64],
    split_cny_per_t: NDArray[np.float64],
    open_route: NDArray[np.bool_],
    parties: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    routes: tuple[NDArray[np.int64], NDArray[np.int64]],
    at: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    left: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    setup_due_cny: NDArray[np.float64],
    setup_seller_share: NDArray[np.float64],
    epsilon: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The terms of a month's spot trades once the month has cleared, and who pays the set-up of new routes.

    Each route open to trade (known and trusted link, technology installed, surplus > 0) gets its
    outside options after clearing: the best rival seller of its buyer's cap group with unsold
    tonnes, the best rival buyer of its seller's by-product with room
    (:mod:`symbiosim.environment.competition`); its price is the split clipped by them
    (:func:`competitive_price`). Other routes keep their split price.

    Args:
        spot_t: per route, tonnes traded outside contracts this month (none: every price is the split).
        split_cny_per_t: per route, the split price the clearing used.
        open_route: per route, a trade is possible (known and trusted link, technology installed).
        parties: per route ``w - t``, ``r`` and the seller's share of the surplus in the split.
        routes: per route, the seller and the buyer.
        at: per route, its flat index into the (seller, by-product), (buyer, technology) and
            (buyer, cap group) tables.
        left: what is left after clearing in those tables, flattened: supply, capacity and
            capacity within the shared cap (t).
        setup_due_cny: per route, the set-up cost of a route first traded this month (0 elsewhere).
        setup_seller_share: per route, the seller's stated part of a set-up (NaN: in proportion to the gains).
        epsilon: tonnes below this are none.

    Returns:
        The price per route, and the set-up each side pays: its stated part, or else in
        proportion to its gain from the trade at that price, so that both gain over the contract.
    """
    net, reservation, share = parties
    seller, buyer = routes
    at_supply, at_capacity, at_group = at
    supply, capacity, group = left
    n = len(split_cny_per_t)
    price = split_cny_per_t.copy()
    traded = False
    for r in range(n):
        if spot_t[r] != 0.0:
            traded = True
            break
    if traded:  # only routes open to trade (surplus > 0) can be traded or be a rival
        # per buyer and cap group: the best rival seller with unsold tonnes; per seller and
        # by-product: the best rival buyer with room (best value, its partner, the runner-up)
        n_g, n_s = len(group), len(supply)
        buyer_best, buyer_second = np.zeros(n_g), np.zeros(n_g)
        buyer_best_partner = np.full(n_g, -1, dtype=np.int64)
        seller_best, seller_second = np.zeros(n_s), np.zeros(n_s)
        seller_best_partner = np.full(n_s, -1, dtype=np.int64)
        for r in range(n):
            v = net[r] - reservation[r]
            if not (open_route[r] and v > 0):
                continue
            if supply[at_supply[r]] > epsilon:
                k, p = at_group[r], seller[r]
                if v > buyer_best[k]:
                    if p != buyer_best_partner[k]:
                        buyer_second[k] = buyer_best[k]
                        buyer_best_partner[k] = p
                    buyer_best[k] = v
                elif p != buyer_best_partner[k] and v > buyer_second[k]:
                    buyer_second[k] = v
            if capacity[at_capacity[r]] > epsilon and group[at_group[r]] > epsilon:
                k, p = at_supply[r], buyer[r]
                if v > seller_best[k]:
                    if p != seller_best_partner[k]:
                        seller_second[k] = seller_best[k]
                        seller_best_partner[k] = p
                    seller_best[k] = v
                elif p != seller_best_partner[k] and v > seller_second[k]:
                    seller_second[k] = v
        for r in range(n):
            surplus = net[r] - reservation[r]
            if not (open_route[r] and surplus > 0):
                continue
            k = at_group[r]
            buyer_option = buyer_second[k] if seller[r] == buyer_best_partner[k] else buyer_best[k]
            k = at_supply[r]
            seller_option = seller_second[k] if buyer[r] == seller_best_partner[k] else seller_best[k]
            price[r] = competitive_price(net[r], reservation[r], share[r], seller_option, buyer_option)
    setup_seller, setup_buyer = np.empty(n), np.empty(n)
    for r in range(n):
        surplus = net[r] - reservation[r]
        part = (price[r] - reservation[r]) / surplus if surplus > 0 else share[r]
        if not np.isnan(setup_seller_share[r]):
            part = setup_seller_share[r]
        setup_seller[r] = setup_due_cny[r] * part
        setup_buyer[r] = setup_due_cny[r] * (1 - part)
    return price, setup_seller, setup_buyer


@njit(cache=True)
def outlet_markets(
    market: NDArray[np.int64],
    market_byproduct: NDArray[np.int64],
    seller_market: NDArray[np.int64],
    bids: tuple[NDArray[np.float64], NDArray[np.float64]],
    asks: tuple[NDArray[np.float64], NDArray[np.float64]],
    share: NDArray[np.float64],
    out: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
) -> None:
    """Every outlet market's :func:`double_auction` and uniform price (:func:`symbiosim.environment.outlets.clear_outlets`).

    ``market``: (outlets,) each outlet's market; ``market_byproduct``: (markets,) its
    by-product; ``seller_market``: (facilities, by-products) the market a seller sells into
    (-1: none); ``bids``: (outlets, blocks) each block's value at a seller's gate and the
    tonnes it takes this month; ``asks``: (facilities, by-products) supply on offer and
    reservation prices; ``share``: (markets,) the sellers' share of the price interval;
    ``out``: tonnes sold per facility and by-product, per outlet and per market, and each
    market's price (NaN on entry), filled in.
    """
    value, capacity = bids
    supply, reservation = asks
    sold, outlet_t, market_t, price = out
    n_blocks = value.shape[1]
    for m in range(len(market_byproduct)):
        b = market_byproduct[m]
        # the bids: each member outlet's blocks with room, highest value first (ties in outlet and block order)
        n_bids = 0
        for o in range(len(market)):
            if market[o] == m:
                for k in range(n_blocks):
                    if capacity[o, k] > TONNE_EPSILON:
                        n_bids += 1
        if n_bids == 0:
            continue
        bid_value, bid_left = np.empty(n_bids), np.empty(n_bids)
        bid_outlet = np.empty(n_bids, dtype=np.int64)
        j = 0
        for o in range(len(market)):
            if market[o] == m:
                for k in range(n_blocks):
                    if capacity[o, k] > TONNE_EPSILON:
                        bid_value[j], bid_left[j], bid_outlet[j] = value[o, k], capacity[o, k], o
                        j += 1
        order = stable_order(-bid_value)
        bid_value, bid_left, bid_outlet = taken(bid_value, order), taken(bid_left, order), taken(bid_outlet, order)
        # the asks: the market's sellers with tonnes left, cheapest reservation first (ties in facility order)
        n_asks = 0
        for f in range(supply.shape[0]):
            if seller_market[f, b] == m and supply[f, b] > TONNE_EPSILON:
                n_asks += 1
        sellers = np.empty(n_asks, dtype=np.int64)
        i = 0
        for f in range(supply.shape[0]):
            if seller_market[f, b] == m and supply[f, b] > TONNE_EPSILON:
                sellers[i] = f
                i += 1
        ask = np.empty(n_asks)
        for i in range(n_asks):
            ask[i] = reservation[sellers[i], b]
        order = stable_order(ask)
        sellers, ask = taken(sellers, order), taken(ask, order)
        ask_left = np.empty(n_asks)
        for i in range(n_asks):
            ask_left[i] = supply[sellers[i], b]
        sold_by_ask = np.zeros(n_asks)  # each seller is in one market for a by-product
        i, j, any_trade, last_ask, last_bid, market_t[m] = double_auction(
            ask, ask_left, bid_value, bid_left, bid_outlet, sold_by_ask, outlet_t
        )
        for a in range(n_asks):
            sold[sellers[a], b] = sold_by_ask[a]
        if not any_trade:
            price[m] = bid_value[0]
            continue
        next_ask = ask[i] if i < n_asks else np.inf
        next_bid = bid_value[j] if j < n_bids else -np.inf
        lower, upper = max(last_ask, next_bid), min(last_bid, next_ask)
        price[m] = lower + share[m] * (upper - lower)
