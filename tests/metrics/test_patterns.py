"""The patterns a calibration measures, computed by hand on a window of four flows."""

import math

import pandas as pd
import pytest

from symbiosim.metrics.patterns import PATTERNS, PatternSpec, Window, pattern_value


@pytest.fixture
def window() -> Window:
    # three symbiosis routes of fly ash (T8) and one of steel slag (T2), one plain treatment flow (W1)
    flows = pd.DataFrame({
        "seller_id": ["p1", "p1", "p2", "s1", "m1"],
        "buyer_id": ["k1", "k2", "k1", "k1", "i1"],
        "byproduct": ["fly_ash", "fly_ash", "fly_ash", "steel_slag", "msw"],
        "technology": ["T8", "T8", "T8", "T2", "W1"],
        "tonnes": [100.0, 50.0, 50.0, 200.0, 300.0],
        "distance_km": [10.0, 60.0, 120.0, 30.0, 5.0],
        "profit_cny_per_t": [40.0, 20.0, 10.0, 25.0, 0.0],
        "energy_saved_tce": [10.0, 5.0, 5.0, 30.0, 0.0],
        "is_symbiosis": [True, True, True, True, False],
        "seller_city": ["A", "A", "B", "B", "A"],
        "buyer_city": ["A", "B", "A", "A", "A"],
    })  # fmt: skip
    generated = pd.Series({"fly_ash": 400.0, "steel_slag": 1000.0, "msw": 300.0, "sludge": 0.0})
    used = pd.Series({"fly_ash": 300.0, "steel_slag": 200.0, "msw": 300.0, "sludge": 0.0})
    return Window(6, generated, used, flows)


def test_shares_of_generation(window):
    assert pattern_value(PatternSpec("utilisation", "fly_ash"), window) == pytest.approx(300 / 400)
    assert pattern_value(PatternSpec("symbiosis_share", "fly_ash"), window) == pytest.approx(200 / 400)
    # plain treatment (W1) is a use but not symbiosis
    assert pattern_value(PatternSpec("utilisation", "msw"), window) == pytest.approx(1.0)
    assert pattern_value(PatternSpec("symbiosis_share", "msw"), window) == 0.0
    assert math.isnan(pattern_value(PatternSpec("utilisation", "sludge"), window))  # nothing generated


def test_tonne_weighted_hauls(window):
    # fly ash: 100 t at 10 km, 50 t at 60 km, 50 t at 120 km -> median 10 km (half the tonnes), p90 120 km
    assert pattern_value(PatternSpec("haul_p50_km", "fly_ash"), window) == 10.0
    assert pattern_value(PatternSpec("haul_p90_km", "fly_ash"), window) == 120.0
    # a technology filter that keeps no fly ash leaves nothing to measure
    assert math.isnan(pattern_value(PatternSpec("haul_p90_km", "fly_ash", ("T2",)), window))


def test_city_pairs_count_both_directions(window):
    # symbiosis tonnes 400; between A and B: 50 (A->B) + 50 (B->A) + 200 (B->A) = 300
    assert pattern_value(PatternSpec("city_pair_share", cities=("A", "B")), window) == pytest.approx(300 / 400)
    assert pattern_value(PatternSpec("city_pair_share", technologies=("T8",), cities=("B", "A")), window) == 0.5


def test_energy_is_scaled_to_a_year(window):
    assert pattern_value(PatternSpec("energy_saved_tce_per_yr"), window) == pytest.approx(50.0 * 12 / 6)
    assert pattern_value(PatternSpec("energy_saved_tce_per_yr", technologies=("T8",)), window) == 40.0


def test_spearman_over_routes(window):
    # four symbiosis routes: distance 10, 60, 120, 30 with profit 40, 20, 10, 25: perfectly decreasing
    assert pattern_value(PatternSpec("profit_distance_spearman"), window) == pytest.approx(-1.0)
    # fewer than three routes: nothing to correlate
    assert math.isnan(pattern_value(PatternSpec("profit_distance_spearman", technologies=("T2",)), window))


def test_every_pattern_has_a_unit_and_unknown_ones_are_refused(window):
    assert set(PATTERNS.values()) <= {"share", "km", "rho", "tce/yr"}
    with pytest.raises(ValueError, match="unknown pattern 'haul_mean'"):
        pattern_value(PatternSpec("haul_mean", "fly_ash"), window)
