"""Network metrics with hand-computed values."""

import numpy as np
import pandas as pd
import pytest

from symbiosim.metrics import effective_radius_km, exchange_effects, key_nodes, profit_distance_spearman
from symbiosim.metrics.network import byproduct_flows, clustering_by_city, degrees, robustness, weighted_quantile


def test_weighted_quantile_hand_values():
    values, weights = np.array([10.0, 50.0, 100.0]), np.array([1.0, 1.0, 8.0])
    assert weighted_quantile(values, weights, 0.1) == 10.0
    assert weighted_quantile(values, weights, 0.2) == 50.0
    assert weighted_quantile(values, weights, 0.9) == 100.0
    with pytest.raises(ValueError, match="weights sum to zero"):
        weighted_quantile(values, np.zeros(3), 0.5)
    with pytest.raises(ValueError, match="non-negative"):
        weighted_quantile(values, -weights, 0.5)


def test_effective_radius_is_tonne_weighted():
    flows = pd.DataFrame(
        {"byproduct": ["a", "a", "a", "b"], "tonnes": [90.0, 5.0, 5.0, 1.0], "distance_km": [10.0, 80.0, 120.0, 40.0]}
    )
    radius = effective_radius_km(flows)
    assert radius.loc["a", "median_km"] == 10.0
    assert radius.loc["a", "radius_km"] == 10.0  # 90% of tonnes travel 10 km
    assert radius.loc["b", "radius_km"] == 40.0
    assert radius.loc["a", "tonnes"] == 100.0


def test_key_nodes_shares():
    flows = pd.DataFrame({"seller_id": ["s", "s", "t"], "buyer_id": ["c", "d", "c"], "tonnes": [60.0, 20.0, 20.0]})
    table = key_nodes(flows).set_index("facility_id")
    assert table.loc["s", "tonnes"] == 80.0
    assert table.loc["c", "tonnes"] == 80.0
    assert table.loc["s", "share"] == pytest.approx(0.4)
    assert table["share"].sum() == pytest.approx(1.0)
    assert table.loc["c", "partners"] == 2


def test_profit_distance_correlation_sign():
    km = np.array([10.0, 20.0, 30.0, 40.0])
    assert profit_distance_spearman(km, -km) == pytest.approx(-1.0)
    assert np.isnan(profit_distance_spearman(km[:2], km[:2]))


def test_exchange_effects_eq6_by_hand():
    # 100 t of fly ash replacing 0.8 t clinker each (110 kgce/t), 0.61 kgce/t extra, 30 km at 0.0143 kgce/t.km
    saved = exchange_effects(
        np.array([100.0]), np.array([30.0]), np.array([0.8]), np.array([110.0]), np.array([0.61]), np.array([0.0143])
    )
    assert saved[0] == pytest.approx(100 * (88.0 - 0.61 - 0.429))


# a small network: A sells slag to B (twice) and C, D sells fly ash to C; path B-A-C-D
FLOWS = pd.DataFrame(
    {
        "seller_id": ["A", "A", "D", "A"],
        "buyer_id": ["B", "C", "C", "B"],
        "byproduct": ["steel_slag", "steel_slag", "fly_ash", "steel_slag"],
        "tonnes": [10.0, 20.0, 30.0, 10.0],
        "price_cny_per_t": [5.0, 5.0, -10.0, 5.0],
    }
)
FACILITIES = pd.DataFrame({"facility_id": ["A", "B", "C", "D", "E"], "city": ["X", "X", "Y", "Y", "X"]})


def test_links_tonnes_and_value_by_byproduct():
    table = byproduct_flows(FLOWS)
    assert table.loc["steel_slag"].to_dict() == {
        "active_links": 2,
        "tonnes": 40.0,
        "value_cny": 200.0,
        "mean_price_cny_per_t": 5.0,
    }
    assert table.loc["fly_ash", "value_cny"] == -300.0
    assert table.loc["fly_ash", "active_links"] == 1


def test_degrees_count_distinct_partners():
    table = degrees(FLOWS)
    assert table.loc["A"].to_dict() == {"out_degree": 2, "in_degree": 0, "degree": 2, "sold_t": 40.0, "bought_t": 0.0}
    assert table.loc["C", ["in_degree", "degree", "bought_t"]].tolist() == [2, 2, 50.0]
    assert table.loc["B", "degree"] == 1


def test_key_nodes_carry_betweenness():
    table = key_nodes(FLOWS, top=4).set_index("facility_id")
    # on the path B-A-C-D, A and C each lie on 2 of the 3 shortest paths between the others
    assert table["betweenness"].to_dict() == pytest.approx({"A": 2 / 3, "C": 2 / 3, "B": 0.0, "D": 0.0})


def test_robustness_is_the_flow_through_a_curtailed_node():
    table = robustness(FLOWS, curtailment_share=0.5)
    assert table["flow_lost_t"].to_dict() == pytest.approx({"C": 25.0, "A": 20.0, "D": 15.0, "B": 10.0})
    assert list(table.index) == ["C", "A", "D", "B"]
    assert table.loc["A", "share_of_flow"] == pytest.approx(20.0 / 70.0)
    with pytest.raises(ValueError, match="0-1"):
        robustness(FLOWS, curtailment_share=1.5)


def test_clustering_by_city():
    table = clustering_by_city(FLOWS, FACILITIES)
    x, y = table.loc["X"], table.loc["Y"]
    assert (x["facilities"], x["active_facilities"], y["active_facilities"]) == (3, 2, 2)
    assert (x["within_city_t"], x["sold_to_outside_t"], x["bought_from_outside_t"]) == (20.0, 20.0, 0.0)
    assert x["within_city_share"] == pytest.approx(0.5)
    assert y["within_city_share"] == pytest.approx(30.0 / 50.0)
    assert (table["clustering"] == 0.0).all()  # a path has no squares
    # D also sells to B: A and D now share the buyers B and C, a square A-B-D-C
    square = pd.concat([FLOWS, pd.DataFrame({"seller_id": ["D"], "buyer_id": ["B"], "tonnes": [1.0]})])
    assert clustering_by_city(square, FACILITIES)["clustering"].to_dict() == pytest.approx({"X": 1.0, "Y": 1.0})


def test_spearman_is_scipys_to_the_last_bit():
    """The rank correlation is computed without importing scipy.stats (0.35 s), with scipy's arithmetic."""
    from scipy import stats

    rng = np.random.default_rng(3)
    for trial in range(300):
        n = int(rng.integers(3, 200))
        km, profit = rng.normal(size=n), rng.normal(size=n)
        if trial % 3 == 0:  # ties
            km, profit = np.round(km, 1), np.round(profit * 3)
        assert profit_distance_spearman(km, profit) == float(stats.spearmanr(km, profit).statistic)
    assert np.isnan(profit_distance_spearman(np.ones(5), np.arange(5.0)))
    assert np.isnan(profit_distance_spearman(np.array([1.0, 2.0, np.nan, 4.0]), np.arange(4.0)))
