"""Who can refer whom: the facilities two trading steps apart, compiled with numba.

A referral (:meth:`symbiosim.environment.market.Market.discover`) makes a seller ``s`` and a
buyer ``b`` known to each other when this month's trading links join them in three steps:
``s`` sold to some ``b1``, a seller ``s1`` also sold to ``b1``, and ``s1`` sold to ``b`` (a
path of ``A @ A.T @ A`` for the matrix ``A`` of links that traded). The test is a yes or no,
so following the links one by one gives exactly what the sparse product gave, without building
three sparse matrices a month; its cost grows with the links that traded, not with the square
of the facilities.
"""

import numpy as np
from numba import njit
from numpy.typing import NDArray

from symbiosim.environment.numpy_exact import stable_order, taken

__all__ = ["three_step_reach"]


@njit(cache=True)
def _grouped(key: NDArray[np.int64], value: NDArray[np.int64], n: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``value`` grouped by ``key`` (0..n-1): start offsets (n + 1) and the values in key order."""
    start = np.zeros(n + 1, dtype=np.int64)
    for k in key:
        start[k + 1] += 1
    for k in range(n):
        start[k + 1] += start[k]
    filled = start[:-1].copy()
    grouped = np.empty(len(key), dtype=np.int64)
    for i in range(len(key)):
        grouped[filled[key[i]]] = value[i]
        filled[key[i]] += 1
    return start, grouped


@njit(cache=True)
def three_step_reach(
    seller: NDArray[np.int64],
    buyer: NDArray[np.int64],
    n: int,
    query_seller: NDArray[np.int64],
    query_buyer: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """For each queried (seller, buyer): does a path seller -> b1 <- s1 -> buyer run along the links?

    Args:
        seller: each link's seller (facility rows, 0..n-1); the links are those that traded.
        buyer: each link's buyer.
        n: facilities.
        query_seller: the seller of each pair asked about.
        query_buyer: its buyer.
    """
    buyers_start, buyers_of = _grouped(seller, buyer, n)
    sellers_start, sellers_of = _grouped(buyer, seller, n)
    keys = seller * n + buyer
    linked = taken(keys, stable_order(keys))  # sorted
    reached = np.zeros(len(query_seller), dtype=np.bool_)
    for q in range(len(query_seller)):
        s, b = query_seller[q], query_buyer[q]
        for i in range(buyers_start[s], buyers_start[s + 1]):
            b1 = buyers_of[i]
            for j in range(sellers_start[b1], sellers_start[b1 + 1]):
                key = sellers_of[j] * n + b
                at = np.searchsorted(linked, key)
                if at < len(linked) and linked[at] == key:
                    reached[q] = True
                    break
            if reached[q]:
                break
    return reached
