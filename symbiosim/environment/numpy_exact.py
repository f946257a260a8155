"""numpy's elementwise minimum and maximum and its float sum, as compiled scalar code that gives the same bits.

The compiled kernels (:mod:`symbiosim.environment.clearing_loops`,
:mod:`symbiosim.environment.clearing_month`) replace array code and must give its results to the
last bit, signed zeros and NaN included:

* ``np.minimum(a, b)`` and ``np.maximum(a, b)`` propagate NaN and, of two equal values (0 and
  -0), return ``b``; ``np.clip(x, lo, hi)`` is ``np.minimum(np.maximum(x, lo), hi)``;
* ``np.sum`` of float64 values adds them to 0.0 by numpy's pairwise summation: runs of fewer
  than 8 in order, up to 128 in eight interleaved partial sums, longer ones split in two at a
  multiple of 8 (numpy's ``pairwise_sum``). A sum over the last axes of a contiguous array is
  that of its flattened rows.

``tests/environment/test_numpy_exact.py`` checks each against numpy on random and edge values.
"""

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["maximum", "minimum", "numpy_sum"]

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
    todo = [(start, n, False)]  # runs to sum; True: both halves are summed, add them
    sums = [0.0]
    sums.pop()
    while todo:
        first, size, halves_done = todo.pop()
        if halves_done:
            right, left = sums.pop(), sums.pop()
            sums.append(left + right)
        elif size <= BLOCK:
            sums.append(_block_sum(values, first, size))
        else:
            half = size // 2
            half -= half % UNROLL
            todo.append((first, size, True))
            todo.append((first + half, size - half, False))
            todo.append((first, half, False))
    return sums[0]


@njit(cache=True)
def numpy_sum(values: NDArray[np.float64]) -> float:
    """``float(np.sum(values))`` of a 1-D float64 array, bit for bit."""
    return 0.0 + _pairwise(values, 0, len(values))
