"""Network metrics with hand-computed values."""

import numpy as np
import pandas as pd
import pytest

from symbiosim.metrics import (
    effective_radius_km,
    exchange_effects,
    key_nodes,
    profit_distance_spearman,
    weighted_quantile,
)


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
    assert table.loc["s", "tonnes"] == 80.0 and table.loc["c", "tonnes"] == 80.0
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
