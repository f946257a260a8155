"""Prices from competition: bargaining with outside options from rival partners.

A new trade's price is the Nash split of its surplus, ``r + share x (w - t - r)``, unless a
party has a better outside option in this month's market (the outside option principle of
bargaining theory: an outside option binds only when it is worth more than the split;
Binmore, Shaked and Sutton 1989; Osborne and Rubinstein 1990, ch. 3):

* the **buyer** can turn to a rival seller it knows (and trusts) who is left with unsold
  tonnes after clearing, on a route of the same cap group (another clinker substitute, say).
  That seller would sell down to its own reservation, so the buyer would keep that route's
  whole surplus ``w' - t' - r'``; it pays at most ``w - t - (w' - t' - r')`` here;
* the **seller** can turn to a rival buyer it knows who is left with spare capacity for the
  by-product after clearing. That buyer would pay up to its net value ``w' - t'``; the seller
  asks at least ``r + (w' - t' - r)`` here.

The price is the split, clipped to those bounds (and to ``[r, w - t]``). So a glut, with
unsold sellers around every buyer, pushes a by-product's price down to what the cheapest
rival would take (its disposal cost or outlet price plus the freight difference), and a
shortage, with buyers left short, pushes it up to what the next buyer would pay (the value of
the material it replaces, less freight). Where both bounds bind in opposite directions the
price is their midpoint. Quantities are those of the clearing; only the terms change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from symbiosim.environment.clearing_loops import best_rival_of, competitive_prices_of, settle_terms
from symbiosim.environment.units import TONNE_EPSILON

__all__ = ["OutsideOptions", "best_rival", "competitive_prices", "least_tonnes", "outside_options", "settle", "share_array", "shares_at"]


@dataclass(frozen=True)
class OutsideOptions:
    """Per route, the surplus a party could get elsewhere this month (CNY/t; 0 when it has no rival).

    Attributes:
        buyer_cny_per_t: the buyer's, from its best rival seller with unsold tonnes.
        seller_cny_per_t: the seller's, from its best rival buyer with spare capacity.
    """

    buyer_cny_per_t: NDArray[np.float64]
    seller_cny_per_t: NDArray[np.float64]


def best_rival(
    key: NDArray[np.intp], partner: NDArray[np.intp], value: NDArray[np.float64], offered: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """For each route, the best ``value`` among the offered routes of its ``key`` with another ``partner`` (0 if none).

    Args:
        key: per route, the party and market whose alternatives count (e.g. buyer x cap group).
        partner: per route, the counterpart that must differ (e.g. the seller).
        value: per route, what the party would gain on it (CNY/t).
        offered: per route, whether it is open to the party now.

    Examples:
        A buyer (key 0) with routes from sellers 1, 2, 2: each route's best rival is the best
        route of another seller.

        >>> best_rival(np.array([0, 0, 0]), np.array([1, 2, 2]), np.array([5.0, 3.0, 4.0]),
        ...            np.array([True, True, True])).tolist()
        [4.0, 5.0, 5.0]
    """
    n_keys = int(key.max()) + 1 if len(key) else 0
    return best_rival_of(key, partner, value, offered, n_keys)  # one compiled pass


def outside_options(
    surplus_cny_per_t: NDArray[np.float64],
    seller: NDArray[np.intp],
    buyer: NDArray[np.intp],
    at: tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]],
    left: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
) -> OutsideOptions:
    """Each route's outside options after clearing: rival sellers with unsold tonnes, rival buyers with room.

    Every route given is open to trade (known and trusted link, technology installed, surplus > 0),
    so each may be a rival of the others.

    Args:
        surplus_cny_per_t: per route, ``w - t - r``.
        seller: per route, the selling facility.
        buyer: per route, the buying facility.
        at: per route, its flat index into the (seller, by-product), (buyer, technology) and
            (buyer, cap group) tables.
        left: what is left after clearing in those tables, flattened: supply (t), capacity
            (t) and capacity within the shared cap (t).
    """
    at_supply, at_capacity, at_group = at
    supply, capacity, group = left
    unsold = supply[at_supply] > TONNE_EPSILON
    room = (capacity[at_capacity] > TONNE_EPSILON) & (group[at_group] > TONNE_EPSILON)
    return OutsideOptions(
        buyer_cny_per_t=best_rival(at_group, seller, surplus_cny_per_t, unsold),
        seller_cny_per_t=best_rival(at_supply, buyer, surplus_cny_per_t, room),
    )


def shares_at(seller_share: float | NDArray[np.float64], index: NDArray[np.intp]) -> float | NDArray[np.float64]:
    """The seller's share where ``index`` points.

    A single share (also one that every entry of an array holds) as it is; else the array's entries at ``index``.
    """
    if np.ndim(seller_share) == 0:
        return seller_share
    shares = np.asarray(seller_share)
    return float(shares[0]) if len(shares) and (shares == shares[0]).all() else shares[index]


def share_array(seller_share: float | NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """The seller's share for each of ``n`` items (routes, by-products): one share repeated, or the shares given.

    >>> share_array(0.5, 3).tolist(), share_array(np.array([0.2, 0.7]), 2).tolist()
    ([0.5, 0.5, 0.5], [0.2, 0.7])
    """
    if np.ndim(seller_share) == 0:
        return np.full(n, seller_share, dtype=np.float64)
    return np.ascontiguousarray(seller_share, dtype=np.float64)


def competitive_prices(
    wtp_net_cny_per_t: NDArray[np.float64],
    reservation_cny_per_t: NDArray[np.float64],
    seller_share: float | NDArray[np.float64],
    options: OutsideOptions,
) -> NDArray[np.float64]:
    """Per route, the Nash split price clipped by the parties' outside options (CNY/t at the seller's gate).

    Args:
        wtp_net_cny_per_t: the buyer's willingness to pay less transport, ``w - t``.
        reservation_cny_per_t: the seller's reservation ``r``.
        seller_share: the seller's share of the surplus in the split (one, or per route).
        options: what each party could get from a rival this month.

    Examples:
        w - t = 100, r = -50, equal split at 25; a buyer whose rival seller would leave it
        110 CNY/t pays at most -10; a seller whose rival buyer would give it 140 asks 90:

        >>> o = OutsideOptions(np.array([0.0, 110.0, 0.0]), np.array([0.0, 0.0, 140.0]))
        >>> competitive_prices(np.full(3, 100.0), np.full(3, -50.0), 0.5, o).tolist()
        [25.0, -10.0, 90.0]
    """
    share = share_array(seller_share, len(wtp_net_cny_per_t))
    as_float = [np.ascontiguousarray(a, dtype=np.float64) for a in (wtp_net_cny_per_t, reservation_cny_per_t)]
    return competitive_prices_of(*as_float, share, np.ascontiguousarray(options.seller_cny_per_t, dtype=np.float64),
                                 np.ascontiguousarray(options.buyer_cny_per_t, dtype=np.float64))  # fmt: skip


def settle(
    spot_t: NDArray[np.float64],
    split_cny_per_t: NDArray[np.float64],
    open_route: NDArray[np.bool_],
    parties: tuple[NDArray[np.float64], NDArray[np.float64], float | NDArray[np.float64]],
    routes: tuple[NDArray[np.intp], NDArray[np.intp]],
    at: tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]],
    left: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    setup_due_cny: NDArray[np.float64],
    setup_seller_share: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The terms of a month's spot trades once the month has cleared, and who pays the set-up of new routes.

    Args:
        spot_t: per route, tonnes traded outside contracts this month.
        split_cny_per_t: per route, the split price the clearing used.
        open_route: per route, a trade is possible (known and trusted link, technology installed).
        parties: per route ``w - t`` and ``r``, and the seller's share of the surplus in the split (one, or per route).
        routes: per route, the seller and the buyer.
        at: see :func:`outside_options`.
        left: see :func:`outside_options`.
        setup_due_cny: per route, the set-up cost of a route first traded this month (0 elsewhere).
        setup_seller_share: per route, the seller's stated part of a set-up (NaN or None: in
            proportion to the gains).

    Returns:
        The price per route (the split where nothing binds), and the set-up each side pays: its
        stated part, or else in proportion to its gain from the trade at that price, so that both
        gain over the contract.
    """
    net, reservation, seller_share = parties
    n = len(split_cny_per_t)
    share = share_array(seller_share, n)
    stated = np.full(n, np.nan) if setup_seller_share is None else setup_seller_share
    # one compiled pass: the outside options of every route open to trade, then the prices and set-up parts
    return settle_terms(spot_t, split_cny_per_t, open_route, (net, reservation, share), routes, at, left, setup_due_cny,
                        stated, TONNE_EPSILON)  # fmt: skip


def least_tonnes(
    setup_cny: NDArray[np.float64],
    surplus_cny_per_t: NDArray[np.float64],
    seller_share: float | NDArray[np.float64],
    setup_seller_share: NDArray[np.float64],
    unset: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Per route, the tonnes (this month's and the contract's) a new route must carry to pay its set-up (0: none due).

    Paid in proportion to the gains, the joint surplus must cover it: ``setup / s``. Where the
    seller pays a stated part ``f``, each side's part of the split must cover its own:
    ``max(f setup / (k s), (1 - f) setup / ((1 - k) s))``, with ``k`` the seller's share of the
    surplus (infinite, the route never opens, where a side must pay from no gain).

    >>> least_tonnes(np.full(3, 1000.0), np.full(3, 10.0), 0.5, np.array([np.nan, 1.0, 0.5]), np.ones(3, bool)).tolist()
    [100.0, 200.0, 100.0]
    """
    due = unset & (surplus_cny_per_t > 0)
    least = np.divide(setup_cny, surplus_cny_per_t, out=np.zeros(len(setup_cny)), where=due)
    stated = due & ~np.isnan(setup_seller_share)
    if stated.any():
        k = np.broadcast_to(seller_share, surplus_cny_per_t.shape)[stated]
        f, s, cost = setup_seller_share[stated], surplus_cny_per_t[stated], setup_cny[stated]
        with np.errstate(divide="ignore", invalid="ignore"):
            seller_t = np.where(f > 0, f * cost / (k * s), 0.0)
            buyer_t = np.where(f < 1, (1 - f) * cost / ((1 - k) * s), 0.0)
        least[stated] = np.maximum(seller_t, buyer_t)
    return least
