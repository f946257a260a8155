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

The month's settlement runs compiled with the clearing
(:func:`symbiosim.environment.clearing_loops.settle_terms`, and the least tonnes a new route
must carry to pay its set-up, :func:`symbiosim.environment.clearing_month.least_tonnes`); the
functions here price routes for the investment round's appraisals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from symbiosim.environment.clearing_loops import best_rival_of, competitive_prices_of

__all__ = ["OutsideOptions", "best_rival", "competitive_prices", "share_array", "shares_at"]


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
