"""The default indicators of a run, and their assessment, against hand calculations."""

import math

import pandas as pd
import pytest

from symbiosim.metrics.indicators import REQUIRED, assess, default_indicators, indicator_values

# S1 (constructed, not published): two subsystems of three indicators each, bounds (beta, alpha) and weights given
S1 = pd.DataFrame(
    {
        "subsystem": ["ce", "ce", "ce", "lc", "lc", "lc"],
        "indicator": ["ce1", "ce2", "ce3", "lc1", "lc2", "lc3"],
        "direction": ["+", "+", "-", "-", "+", "+"],
    }
)
S1_VALUES = pd.DataFrame(
    {"ce1": [60, 75], "ce2": [90, 94], "ce3": [1.4, 1.1], "lc1": [2.2, 1.8], "lc2": [0.15, 0.25], "lc3": [10, 18]},
    index=["t0", "t1"],
)
S1_BOUNDS = pd.DataFrame(
    {"ce1": [40, 100], "ce2": [80, 100], "ce3": [0.5, 2.0], "lc1": [1.0, 3.0], "lc2": [0.05, 0.45], "lc3": [0, 40]},
    index=["lower", "upper"],
)
S1_WEIGHTS = pd.Series({"ce1": 0.5, "ce2": 0.2, "ce3": 0.3, "lc1": 0.4, "lc2": 0.4, "lc3": 0.2})


def test_assess_reproduces_the_constructed_example_s1():
    result = assess(S1_VALUES, S1, bounds=S1_BOUNDS, weights_by_indicator=S1_WEIGHTS)
    assert result.subsystem_orders.loc["t0"].tolist() == pytest.approx([0.386667, 0.31], abs=1e-6)
    assert result.subsystem_orders.loc["t1"].tolist() == pytest.approx([0.611667, 0.53], abs=1e-6)
    assert result.synergy_fixed.loc["t1"] == pytest.approx(0.222486, abs=1e-6)
    u1, u2 = 0.386667, 0.31  # coupling of two subsystems at t0, by hand
    c = 2 * math.sqrt(u1 * u2) / (u1 + u2)
    assert result.coupling.loc["t0", "D"] == pytest.approx(math.sqrt(c * (u1 + u2) / 2), abs=1e-6)
    assert result.notes["bounds"] == "given"
    assert result.notes["weights"] == "given"
    geometric = assess(S1_VALUES, S1, bounds=S1_BOUNDS, method="geometric")
    assert geometric.synergy_fixed.loc["t1"] == pytest.approx(0.220422, abs=1e-6)


def test_default_rules_are_recorded_and_weights_sum_to_one_per_subsystem():
    result = assess(S1_VALUES.assign(ce1=[60, 75]), S1, weights_by_indicator="equal")
    assert "1.1*max" in result.notes["bounds"]
    assert result.notes["weights"] == "equal"
    assert result.weights.to_dict() == pytest.approx(dict.fromkeys(S1["indicator"], 1 / 3))


def test_bad_assessments_are_refused():
    with pytest.raises(ValueError, match="missing"):
        assess(S1_VALUES.drop(columns="lc3"), S1)
    with pytest.raises(ValueError, match="two subsystems"):
        assess(S1_VALUES, S1.assign(subsystem="ce"))
    with pytest.raises(ValueError, match="sum to 1"):
        assess(S1_VALUES, S1, bounds=S1_BOUNDS, weights_by_indicator=S1_WEIGHTS * 2)


def test_indicator_values_by_hand():
    year = {
        "product_revenue_cny": 2e9,  # 200,000 x 10^4 CNY
        "generated_solid_t": 1e6,
        "symbiosis_used_solid_t": 2.5e5,
        "landfilled_t": 7e5,
        "energy_tce": 4e5,
        "co2_t": 3e6,
        "energy_saved_tce": 5e3,
        "cement_used_t": 1e5,
        "cement_output_t": 1e6,
    }
    assert set(year) == set(REQUIRED)
    values = indicator_values(pd.DataFrame([year], index=["2025"])).iloc[0]
    assert values.to_dict() == pytest.approx(
        {
            "solid_waste_utilisation_rate": 0.25,
            "exchange_t_per_10k_cny": 1.25,
            "landfilled_t_per_10k_cny": 3.5,
            "cement_substitution_t_per_t": 0.1,
            "energy_tce_per_10k_cny": 2.0,
            "co2_t_per_10k_cny": 15.0,
            "co2_mt": 3.0,
            "energy_saved_ktce": 5.0,
        }
    )
    assert list(values.index) == list(default_indicators()["indicator"])
    with pytest.raises(ValueError, match="cement_output_t must be positive"):
        indicator_values(pd.DataFrame([year | {"cement_output_t": 0.0}], index=["2025"]))
