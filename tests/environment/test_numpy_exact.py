"""The compiled replicas of numpy's minimum, maximum and sum give numpy's bits (environment/numpy_exact.py)."""

import numpy as np
import pytest

from symbiosim.environment.numpy_exact import maximum, minimum, numpy_sum, stable_argsort

EDGES = [-np.inf, -1.5, -0.0, 0.0, 1e-300, 2.0, 2.0, np.inf, np.nan]


def same(a: float, b: float) -> bool:
    """Equal bits that matter: the same number and sign (of zeros too), or both NaN (whose sign means nothing)."""
    return (np.isnan(a) and np.isnan(b)) or (a == b and np.signbit(a) == np.signbit(b))


def test_minimum_and_maximum_are_numpys_for_every_pair_of_edge_values():
    for a in EDGES:
        for b in EDGES:
            assert same(minimum(a, b), float(np.minimum(np.array([a]), np.array([b]))[0])), (a, b)
            assert same(maximum(a, b), float(np.maximum(np.array([a]), np.array([b]))[0])), (a, b)
            assert same(minimum(maximum(a, 0.0), b), float(np.clip(np.array([a]), 0.0, np.array([b]))[0])), (a, b)


@pytest.mark.parametrize("sizes", [range(0, 140), [255, 256, 257, 1000, 1023, 1024, 1025, 4097, 10_001]])
def test_the_sum_is_numpys_pairwise_sum(sizes):
    """Oracle: np.sum on values spread over nine orders of magnitude (where the order of additions shows)."""
    rng = np.random.default_rng(len(sizes))
    for n in sizes:
        for _ in range(5):
            values = rng.normal(size=n) * 10 ** rng.uniform(-3, 6, n)
            assert same(numpy_sum(values), float(np.sum(values))), n


def test_the_sum_keeps_numpys_signed_zeros_infinities_and_nan():
    rng = np.random.default_rng(3)
    for n in (0, 1, 2, 7, 8, 9, 130):
        for fill in (-0.0, 0.0):
            values = np.full(n, fill)
            assert same(numpy_sum(values), float(np.sum(values))), (n, fill)
        values = rng.choice(EDGES, n)
        with np.errstate(invalid="ignore"):
            assert same(numpy_sum(values), float(np.sum(values))), n


def test_a_sum_over_the_last_axes_is_that_of_the_flattened_rows():
    """What the outlets' kept tonnes rely on: ``x.sum(axis=(1, 2))`` of a contiguous array, row by row."""
    rng = np.random.default_rng(4)
    for _ in range(200):
        shape = (int(rng.integers(1, 5)), int(rng.integers(0, 5)), int(rng.integers(1, 40)))
        values = rng.normal(size=shape) * 10 ** rng.uniform(-3, 6, shape)
        expected = values.sum(axis=(1, 2))
        for row in range(shape[0]):
            assert same(numpy_sum(values[row].ravel()), float(expected[row]))


@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_the_stable_order_is_numpys_stable_argsort(dtype):
    """Oracle: np.argsort(kind="stable") on keys with many ties, of every length up to 70 and some long ones."""
    from symbiosim.environment.numpy_exact import stable_order

    rng = np.random.default_rng(5)
    for n in [*range(70), 1000, 4097]:
        keys = rng.integers(-5, 5, n).astype(dtype) * (1.5 if dtype is np.float64 else 1)
        assert np.array_equal(stable_order(keys), np.argsort(keys, kind="stable")), n


@pytest.mark.parametrize("decimals", [0, 1, 3, 8])
def test_the_fast_stable_sort_orders_ties_as_a_stable_sort(decimals):
    """Oracle: numpy's stable argsort, on keys with short and long runs of ties."""
    rng = np.random.default_rng(decimals)
    for n in (0, 1, 7, 500, 20_000):
        keys = np.round(rng.normal(size=n) * 3, decimals)
        assert np.array_equal(stable_argsort(keys), np.argsort(keys, kind="stable"))
    keys = np.zeros(5000)
    assert np.array_equal(stable_argsort(keys), np.arange(5000))
