"""numpy's elementwise minimum and maximum and its float sum, as compiled scalar code that gives the same bits.

The compiled kernels (:mod:`symbiosim.environment.clearing_loops`,
:mod:`symbiosim.environment.clearing_month`) replace array code and must give its results to the
last bit, signed zeros and NaN included:

* ``np.minimum(a, b)`` and ``np.maximum(a, b)`` propagate NaN and, of two equal values (0 and
  -0), return ``b``; ``np.clip(x, lo, hi)`` is ``np.minimum(np.maximum(x, lo), hi)``;
* ``np.argsort(keys, kind="stable")``: :func:`stable_order` inside compiled code, and from
  Python :func:`stable_argsort`, numpy's faster unstable sort with its ties put back in order;
* ``np.sum`` of float64 values adds them to 0.0 by numpy's pairwise summation: runs of fewer
  than 8 in order, up to 128 in eight interleaved partial sums, longer ones split in two at a
  multiple of 8 (numpy's ``pairwise_sum``). A sum over the last axes of a contiguous array is
  that of its flattened rows.

``tests/environment/test_numpy_exact.py`` checks each against numpy on random and edge values.
"""

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["maximum", "minimum", "numpy_sum", "stable_argsort", "stable_order", "taken"]

UNROLL = 8  # numpy's pairwise summation: partial sums
BLOCK = 128  # and the longest run summed without splitting


@njit(cache=True)
def minimum(a: float, b: float) -> float:
    """``np.minimum`` of two floats: NaN if either is NaN, else the smaller; of two equal ones (0 and -0), ``b``."""
    if a != a:
        return a
    return a if a < b else b


@njit(cache=True)
def maximum(a: float, b: float) -> float:
    """``np.maximum`` of two floats: NaN if either is NaN, else the larger; of two equal ones (0 and -0), ``b``."""
    if a != a:
        return a
    return a if a > b else b


@njit(cache=True)
def _block_sum(values: NDArray[np.float64], start: int, n: int) -> float:
    """The ``pairwise_sum`` of numpy over a run of at most ``BLOCK`` values: ``values[start:start + n]``."""
    if n < UNROLL:
        total = -0.0
        for i in range(start, start + n):
            total += values[i]
        return total
    partial = values[start : start + UNROLL].copy()
    i = UNROLL
    while i < n - n % UNROLL:
        for j in range(UNROLL):
            partial[j] += values[start + i + j]
        i += UNROLL
    total = ((partial[0] + partial[1]) + (partial[2] + partial[3])) + ((partial[4] + partial[5]) + (partial[6] + partial[7]))
    while i < n:
        total += values[start + i]
        i += 1
    return total


@njit(cache=True)
def _pairwise(values: NDArray[np.float64], start: int, n: int) -> float:
    """The ``pairwise_sum`` of numpy over ``values[start:start + n]``: longer runs split in two, the halves' sums added.

    The recursion of numpy's code, unrolled with a stack (compiled code cannot cache a recursive function).
    """
    if n <= BLOCK:
        return _block_sum(values, start, n)
    depth = 3 * 64  # runs halve: at most 64 levels, three entries each
    todo_first, todo_size = np.empty(depth, dtype=np.int64), np.empty(depth, dtype=np.int64)
    todo_done = np.empty(depth, dtype=np.bool_)  # both halves are summed: add them
    sums = np.empty(64)
    n_todo, n_sums = 1, 0
    todo_first[0], todo_size[0], todo_done[0] = start, n, False
    while n_todo:
        n_todo -= 1
        first, size, halves_done = todo_first[n_todo], todo_size[n_todo], todo_done[n_todo]
        if halves_done:
            n_sums -= 1
            sums[n_sums - 1] = sums[n_sums - 1] + sums[n_sums]
        elif size <= BLOCK:
            sums[n_sums] = _block_sum(values, first, size)
            n_sums += 1
        else:
            half = size // 2
            half -= half % UNROLL
            for f, s, d in ((first, size, True), (first + half, size - half, False), (first, half, False)):
                todo_first[n_todo], todo_size[n_todo], todo_done[n_todo] = f, s, d
                n_todo += 1
    return sums[0]


@njit(cache=True)
def numpy_sum(values: NDArray[np.float64]) -> float:
    """``float(np.sum(values))`` of a 1-D float64 array, bit for bit."""
    return 0.0 + _pairwise(values, 0, len(values))


@njit(cache=True)
def stable_order(keys: NDArray) -> NDArray[np.int64]:
    """``np.argsort(keys, kind="stable")`` for keys without NaN: a bottom-up merge sort of the positions.

    Written out rather than numba's ``argsort`` (which compiles a general sort for each type:
    seconds, once a machine), it gives the one stable order: equal keys keep their order.
    """
    n = len(keys)
    order = np.arange(n)
    buffer = np.empty(n, dtype=np.int64)
    width = 1
    while width < n:
        for low in range(0, n, 2 * width):
            middle, high = min(low + width, n), min(low + 2 * width, n)
            i, j, k = low, middle, low
            while i < middle and j < high:
                if keys[order[j]] < keys[order[i]]:  # strictly less: a tie takes the left (earlier) one first
                    buffer[k] = order[j]
                    j += 1
                else:
                    buffer[k] = order[i]
                    i += 1
                k += 1
            while i < middle:
                buffer[k] = order[i]
                i += 1
                k += 1
            while j < high:
                buffer[k] = order[j]
                j += 1
                k += 1
        order, buffer = buffer, order
        width *= 2
    return order


@njit(cache=True)
def taken(values: NDArray, positions: NDArray[np.int64]) -> NDArray:
    """``values[positions]`` by a loop (numba's fancy indexing compiles a general gather for each type: seconds, once)."""
    out = np.empty(len(positions), dtype=values.dtype)
    for i in range(len(positions)):
        out[i] = values[positions[i]]
    return out


def stable_argsort(keys: NDArray[np.float64]) -> NDArray[np.intp]:
    """``np.argsort(keys, kind="stable")`` for keys without NaN, from numpy's faster unstable sort.

    The unstable sort (vectorised where the CPU allows) orders the keys; each run of equal keys
    is then put back in index order (:func:`_index_order_of_ties`), which is what a stable sort
    gives: equal keys keep their order.

    >>> stable_argsort(np.array([2.0, 1.0, 2.0, 1.0, 0.0])).tolist()
    [4, 1, 3, 0, 2]
    """
    order = np.argsort(keys)
    _index_order_of_ties(keys, order)
    return order


@njit(cache=True)
def _index_order_of_ties(keys: NDArray[np.float64], order: NDArray[np.intp]) -> None:
    """Sort in place each run of ``order`` whose keys are equal."""
    i, n = 0, len(order)
    while i < n:
        j = i + 1
        while j < n and keys[order[j]] == keys[order[i]]:
            j += 1
        if j - i > 32:  # a long run (many equal keys)
            run = order[i:j].copy()
            order[i:j] = taken(run, stable_order(run))
            i = j
            continue
        for a in range(i + 1, j):  # insertion sort for the usual short runs
            v, b = order[a], a - 1
            while b >= i and order[b] > v:
                order[b + 1] = order[b]
                b -= 1
            order[b + 1] = v
        i = j
