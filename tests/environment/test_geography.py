"""Distances, the k-d tree candidate search and where landfill fees go."""

import numpy as np
import pandas as pd
import pytest

from symbiosim.environment.geography import assign_landfills, candidate_pairs, great_circle_km


def test_haversine_known_distances():
    # one degree of latitude along a meridian is 111.195 km on the IUGG mean sphere
    assert great_circle_km(39.0, 116.0, 40.0, 116.0) == pytest.approx(111.195, abs=1e-3)
    assert great_circle_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(np.pi * 6371.0088)
    assert great_circle_km(39.5, 117.0, 39.5, 117.0) == 0.0


def test_candidate_pairs_match_brute_force():
    rng = np.random.default_rng(0)
    a = rng.uniform([36.0, 113.5], [42.5, 119.8], size=(80, 2))
    b = rng.uniform([36.0, 113.5], [42.5, 119.8], size=(60, 2))
    i, j, km = candidate_pairs(a[:, 0], a[:, 1], b[:, 0], b[:, 1], max_road_km=120.0, circuity=1.3)
    full = great_circle_km(a[:, None, 0], a[:, None, 1], b[None, :, 0], b[None, :, 1]) * 1.3
    expected_i, expected_j = np.nonzero(full <= 120.0)
    assert list(zip(i, j, strict=True)) == list(zip(expected_i, expected_j, strict=True))
    assert km == pytest.approx(full[expected_i, expected_j])


def test_candidate_pairs_include_colocated_points_and_handle_empty_input():
    i, j, km = candidate_pairs(np.array([39.0]), np.array([116.0]), np.array([39.0]), np.array([116.0]), 10.0, 1.3)
    assert (i.tolist(), j.tolist(), km.tolist()) == ([0], [0], [0.0])
    empty = candidate_pairs(np.array([]), np.array([]), np.array([39.0]), np.array([116.0]), 10.0, 1.3)
    assert all(len(part) == 0 for part in empty)


def test_circuity_scales_road_distance(jjj):
    from symbiosim import SymbiosisModel

    a = SymbiosisModel(jjj, rng=1, circuity_factor=1.0)
    b = SymbiosisModel(jjj, rng=1, circuity_factor=1.5)
    assert b.market.n_routes < a.market.n_routes  # fewer pairs within the same reach (where a route can pay)
    ra, rb = a.market.routes, b.market.routes
    pairs = dict(zip(zip(ra.seller, ra.buyer, strict=True), ra.distance_km, strict=True))
    for s, c, km in zip(rb.seller[:500], rb.buyer[:500], rb.distance_km[:500], strict=True):
        assert km == pytest.approx(pairs[(s, c)] * 1.5)


def test_landfill_revenue_is_the_transposed_share_times_the_fees_to_the_last_bit():
    """Each landfill's revenue: share.T @ fees, summed by paying facility as the sparse product sums it."""
    rng = np.random.default_rng(5)
    n = 300
    cities = rng.choice([f"c{i}" for i in range(12)], n)
    sectors = rng.choice(["steel", "cement", "landfill", "power"], n)
    landfills = assign_landfills(pd.DataFrame({"city": cities, "sector": sectors}), {"landfill"})
    for _ in range(20):
        fees = rng.lognormal(10, 3, n) * rng.integers(0, 2, n)
        np.testing.assert_array_equal(landfills.revenue_cny(fees), landfills.share.T @ fees)
    assert landfills.revenue_cny(fees).sum() > 0
