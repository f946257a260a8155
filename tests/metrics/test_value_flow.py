"""Value-flow evaluation (Zheng et al., glyphosate case; docs/metrics.md) against hand calculations.

The published glyphosate indicator values and composite scores could not be located, so every
expected number below is worked out by hand in the comments.
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symbiosim.metrics.value_flow import (
    ValueFlowResult,
    compare,
    default_grades,
    default_weights,
    evaluate,
    indicators_from_accounts,
)

SPEC_WEIGHTS = {
    "A11": 0.042, "A12": 0.018, "A13": 0.170, "A14": 0.075, "A15": 0.029, "A21": 0.236, "A22": 0.104,
    "B11": 0.081, "B12": 0.035, "B21": 0.036, "B22": 0.039, "B23": 0.087, "B24": 0.036,
}  # fmt: skip
BENEFIT = {"A21", "A22", "B11", "B12"}  # "net profit / x" and recycling rates; the rest are "x / net profit"


def three_indicators(**columns: list) -> pd.DataFrame:
    """A11 cost 2.0 vs 2.5 -> 0.8; B11 benefit 0.6 vs 0.8 -> 0.75; A21 benefit 6 vs 4 -> 1.5."""
    table = pd.DataFrame(
        {
            "indicator": ["A11", "B11", "A21"],
            "benchmark": [2.0, 0.8, 4.0],
            "actual": [2.5, 0.6, 6.0],
            "direction": ["cost", "benefit", "benefit"],
            "weight": [0.5, 0.3, 0.2],
            "name": ["raw cost", "recycling", "profit per cost"],
        }
    )
    return table.assign(**columns)


def one_indicator(composite: float) -> pd.DataFrame:
    """A benefit indicator with benchmark 1 and weight 1 scores exactly its actual."""
    return pd.DataFrame(
        {"indicator": ["X"], "benchmark": [1.0], "actual": [composite], "direction": ["benefit"], "weight": [1.0]}
    )


def accounts(**changes: float) -> dict[str, float]:
    """Accounts of a synergistic glyphosate line (illustrative numbers, not published)."""
    base = {
        "net_profit_cny": 2.0e7,
        "raw_material_cost_cny": 5.0e7,
        "energy_cost_cny": 1.0e7,
        "raw_material_t": 1.0e4,
        "energy_tce": 5.0e3,
        "water_t": 1.0e5,
        "waste_treatment_cost_cny": 1.0e6,
        "waste_gas_m3": 1.0e8,
        "waste_water_t": 5.0e4,
        "solid_waste_t": 2.0e3,
        "raw_material_recycled_t": 3.0e3,
        "energy_recycled_tce": 1.0e3,
    }
    return base | changes


# default tables


def test_default_weights_are_the_spec_table_kept_unnormalised():
    weights = default_weights()
    assert list(weights.columns) == ["indicator", "name", "group", "direction", "weight", "source", "note"]
    assert dict(zip(weights["indicator"], weights["weight"], strict=True)) == SPEC_WEIGHTS
    # 0.334 + 0.340 + 0.116 + 0.198 = 0.988: as given, not renormalised to 1
    assert weights["weight"].sum() == pytest.approx(0.988, abs=1e-12)
    assert weights.groupby("group")["weight"].sum().round(3).to_dict() == {
        "A1": 0.334,
        "A2": 0.340,
        "B1": 0.116,
        "B2": 0.198,
    }
    assert set(weights.loc[weights["direction"] == "benefit", "indicator"]) == BENEFIT
    assert set(weights["direction"]) == {"cost", "benefit"}
    assert weights.set_index("indicator").loc["A13", "name"] == "raw-material input (t) / net profit"
    assert weights["source"].str.contains("Zheng").all()
    assert weights["note"].str.contains("0.988").all()


def test_default_weights_returns_a_fresh_copy():
    first = default_weights()
    first.loc[0, "weight"] = 99.0
    assert default_weights().loc[0, "weight"] == 0.042


def test_default_grades_are_contiguous_bands():
    grades = default_grades().sort_values("grade")
    assert grades["grade"].tolist() == [1, 2, 3, 4, 5]
    assert grades["label"].tolist() == ["very high", "high", "medium", "low", "very low"]
    assert grades["composite_min"].tolist() == [0.9, 0.8, 0.7, 0.6, -math.inf]
    assert grades["composite_max"].tolist() == [math.inf, 0.9, 0.8, 0.7, 0.6]
    assert grades["source"].str.contains("Zheng").all()


# evaluate


def test_evaluate_matches_hand_calculation_without_cap():
    result = evaluate(three_indicators())
    assert isinstance(result, ValueFlowResult)
    # 2.0 / 2.5 = 0.8, 0.6 / 0.8 = 0.75, 6 / 4 = 1.5 (beyond the benchmark, not capped)
    assert result.table["index"].tolist() == pytest.approx([0.8, 0.75, 1.5])
    # 0.8 x 0.5 = 0.4, 0.75 x 0.3 = 0.225, 1.5 x 0.2 = 0.3
    assert result.table["score"].tolist() == pytest.approx([0.4, 0.225, 0.3])
    assert result.composite == pytest.approx(0.925)
    assert (result.grade, result.grade_label) == (1, "very high")
    assert result.weight_covered == pytest.approx(1.0)
    assert result.table["name"].tolist() == ["raw cost", "recycling", "profit per cost"]  # extra column kept


def test_cap_limits_only_indices_above_one():
    capped = evaluate(three_indicators(), cap=True)
    # A21 capped at 1: 0.4 + 0.225 + 0.2 = 0.825 -> level 2 instead of level 1
    assert capped.table["index"].tolist() == pytest.approx([0.8, 0.75, 1.0])
    assert capped.composite == pytest.approx(0.825)
    assert (capped.grade, capped.grade_label) == (2, "high")
    at_or_below = three_indicators(actual=[2.5, 0.6, 3.0])  # A21 index 0.75: nothing to cap
    assert evaluate(at_or_below, cap=True).composite == evaluate(at_or_below).composite == pytest.approx(0.775)


@pytest.mark.parametrize(
    ("composite", "grade", "label"),
    [
        (1.3, 1, "very high"),
        (0.9, 1, "very high"),
        (0.8999, 2, "high"),
        (0.8, 2, "high"),
        (0.7999, 3, "medium"),
        (0.7, 3, "medium"),
        (0.6999, 4, "low"),
        (0.6, 4, "low"),
        (0.5999, 5, "very low"),
        (0.0, 5, "very low"),
    ],
)
def test_grade_at_each_band_edge(composite, grade, label):
    result = evaluate(one_indicator(composite))
    assert result.composite == composite
    assert (result.grade, result.grade_label) == (grade, label)


def test_floating_sum_on_a_band_edge_gets_that_edges_grade():
    table = pd.DataFrame(
        {
            "indicator": ["X", "Y"],
            "benchmark": [1.0, 1.0],
            "actual": [1.0, 1.0],
            "direction": ["cost", "benefit"],
            "weight": [0.3, 0.6],
        }
    )
    result = evaluate(table)
    assert result.composite == pytest.approx(0.9)  # 0.3 + 0.6 is 0.9 only up to rounding
    assert result.grade == 1


def test_benefit_indicator_with_zero_actual_scores_zero():
    result = evaluate(three_indicators(actual=[2.5, 0.0, 6.0]))
    assert result.table["index"].tolist()[1] == 0.0
    assert result.composite == pytest.approx(0.4 + 0.3)


def test_partial_indicator_set_is_not_renormalised():
    weights = default_weights().head(3)  # A11, A12, A13: 0.042 + 0.018 + 0.170 = 0.230
    table = weights.assign(benchmark=1.0, actual=1.0)
    result = evaluate(table)
    assert result.weight_covered == pytest.approx(0.230)
    assert result.composite == pytest.approx(0.230)  # every index is 1: P equals the covered weight
    assert result.grade == 5


def test_result_table_is_a_copy_with_the_input_order():
    table = three_indicators().set_index(pd.Index([10, 20, 30]))
    result = evaluate(table)
    assert "index" not in table.columns
    assert result.table.index.tolist() == [10, 20, 30]
    assert result.table["indicator"].tolist() == ["A11", "B11", "A21"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (three_indicators().drop(columns="weight"), r"lacks column\(s\) \['weight'\]"),
        (three_indicators().head(0), "has no rows"),
        (three_indicators(direction=["cost", "benefit", "higher"]), r"direction.*'A21': 'higher'"),
        (three_indicators(actual=[0.0, 0.6, 6.0]), r"\['A11'\]: actual of a cost indicator is 0 .* unbounded"),
        (three_indicators(benchmark=[2.0, 0.0, 4.0]), r"\['B11'\]: benchmark of a benefit indicator .* must be > 0"),
        (three_indicators(weight=[0.5, -0.3, 0.2]), r"\['B11'\]: weight must be >= 0"),
        (three_indicators(actual=[2.5, -0.6, 6.0]), r"\['B11'\]: actual must be >= 0"),
        (three_indicators(indicator=["A11", "A11", "A21"]), r"indicator\(s\) \['A11'\] more than once"),
        (three_indicators(indicator=["A11", None, "A21"]), "without an indicator"),
        (three_indicators(actual=[2.5, np.nan, 6.0]), r"column 'actual' must hold finite numbers; got \{'B11': nan\}"),
        (three_indicators(benchmark=[2.0, 0.8, np.inf]), r"column 'benchmark' .*'A21': inf"),
        (three_indicators(weight=[0.5, "heavy", 0.2]), r"column 'weight' .*'B11': 'heavy'"),
    ],
)
def test_evaluate_rejects_bad_input(table, message):
    with pytest.raises(ValueError, match=message):
        evaluate(table)


# compare


def two_indicator_weights(**columns: list) -> pd.DataFrame:
    return pd.DataFrame({"indicator": ["A11", "B11"], "direction": ["cost", "benefit"], "weight": [0.6, 0.4]}).assign(
        **columns
    )


SYN = pd.DataFrame({"indicator": ["A11", "B11"], "actual": [2.0, 0.6]})
NON = pd.DataFrame({"indicator": ["B11", "A11"], "actual": [0.8, 4.0]})  # row order does not matter


def test_compare_takes_the_better_actual_as_benchmark():
    summary = compare(SYN, NON, two_indicator_weights())
    assert summary.columns.tolist() == ["mode", "composite", "grade", "grade_label", "weight_covered"]
    assert summary["mode"].tolist() == ["synergistic", "non_synergistic"]
    results = summary.attrs["results"]
    # benchmark A11 = min(2.0, 4.0) = 2.0 (cost); B11 = max(0.6, 0.8) = 0.8 (benefit)
    for result in results.values():
        assert result.table["benchmark"].tolist() == [2.0, 0.8]
    # synergistic: 1 x 0.6 + 0.75 x 0.4 = 0.9 -> level 1; non-synergistic: 0.5 x 0.6 + 1 x 0.4 = 0.7 -> level 3
    assert results["synergistic"].table["index"].tolist() == pytest.approx([1.0, 0.75])
    assert results["non_synergistic"].table["index"].tolist() == pytest.approx([0.5, 1.0])
    assert summary["composite"].tolist() == pytest.approx([0.9, 0.7])
    assert summary["grade"].tolist() == [1, 3]
    assert summary["grade_label"].tolist() == ["very high", "medium"]
    assert summary["weight_covered"].tolist() == pytest.approx([1.0, 1.0])


def test_compare_uses_benchmarks_given_in_weights():
    summary = compare(SYN, NON, two_indicator_weights(benchmark=[1.0, 1.0]))
    # synergistic: 1/2 x 0.6 + 0.6 x 0.4 = 0.54; non-synergistic: 1/4 x 0.6 + 0.8 x 0.4 = 0.47
    assert summary["composite"].tolist() == pytest.approx([0.54, 0.47])
    assert summary["grade"].tolist() == [5, 5]


def test_compare_uses_benchmarks_given_in_both_mode_tables():
    syn, non = SYN.assign(benchmark=[1.0, 1.0]), NON.assign(benchmark=[1.0, 1.0])
    assert compare(syn, non, two_indicator_weights())["composite"].tolist() == pytest.approx([0.54, 0.47])


@pytest.mark.parametrize(
    ("syn", "non", "weights", "message"),
    [
        (SYN, NON.head(1), two_indicator_weights(), r"same indicators; only synergistic: \['A11'\]"),
        (SYN, NON, two_indicator_weights().head(1), r"\['B11'\] have no weight"),
        (SYN.assign(benchmark=1.0), NON.assign(benchmark=1.0), two_indicator_weights(benchmark=1.0), "both in weights"),
        (SYN.assign(benchmark=1.0), NON, two_indicator_weights(), "only one mode table"),
        (SYN.assign(benchmark=[1.0, 1.0]), NON.assign(benchmark=[1.0, 2.0]), two_indicator_weights(), r"\['A11'\]"),
        (pd.concat([SYN, SYN]), pd.concat([NON, NON]), two_indicator_weights(), "synergistic table lists"),
        (SYN.assign(actual=[2.0, np.nan]), NON, two_indicator_weights(), "synergistic table: column 'actual'"),
        (SYN, NON.assign(actual=[0.8, 0.0]), two_indicator_weights(benchmark=1.0), r"non_synergistic: .*\['A11'\]"),
        (SYN, NON, two_indicator_weights(direction=["cost", "more"]), r"weights: column 'direction'"),
        (SYN.drop(columns="actual"), NON, two_indicator_weights(), r"synergistic table lacks column\(s\) \['actual'\]"),
    ],
)
def test_compare_rejects_bad_input(syn, non, weights, message):
    with pytest.raises(ValueError, match=message):
        compare(syn, non, weights)


def test_compare_on_accounts_ranks_cheaper_synergistic_production_higher():
    synergistic = indicators_from_accounts(accounts())
    non_synergistic = indicators_from_accounts(
        accounts(raw_material_cost_cny=6.0e7, raw_material_recycled_t=1.0e3, solid_waste_t=4.0e3)
    )
    summary = compare(synergistic, non_synergistic).set_index("mode")
    # synergistic wins or ties everywhere: every index is 1 and P equals the full default weight 0.988
    assert summary.loc["synergistic", "composite"] == pytest.approx(0.988)
    assert summary.loc["synergistic", "grade"] == 1
    # non-synergistic indices: A11 2.5/3.0 = 5/6, A21 (1/3)/0.4 = 5/6, B11 0.1/0.3 = 1/3, B24 1e-4/2e-4 = 1/2,
    # all others 1, so P = 0.988 - (1/6)(0.042 + 0.236) - (2/3)(0.081) - (1/2)(0.036) = 0.86967
    expected = 0.988 - (1 - 5 / 6) * (0.042 + 0.236) - (1 - 1 / 3) * 0.081 - (1 - 0.5) * 0.036
    assert summary.loc["non_synergistic", "composite"] == pytest.approx(expected)
    assert summary.loc["non_synergistic", "composite"] == pytest.approx(0.869667, abs=1e-6)
    assert summary.loc["non_synergistic", "grade"] == 2
    assert summary.loc["synergistic", "weight_covered"] == pytest.approx(0.988)


def test_compare_with_missing_accounts_covers_less_weight():
    partial = {key: value for key, value in accounts().items() if key != "water_t"}  # drops A15 (0.029)
    synergistic, non_synergistic = indicators_from_accounts(partial), indicators_from_accounts(partial)
    summary = compare(synergistic, non_synergistic)
    assert summary["weight_covered"].tolist() == pytest.approx([0.959, 0.959])
    assert summary["composite"].tolist() == pytest.approx([0.959, 0.959])  # identical modes: all indices 1


def test_compare_outputs_concatenate_and_expose_a_long_detail_table():
    first, second = compare(SYN, NON, two_indicator_weights()), compare(NON, SYN, two_indicator_weights())
    both = pd.concat([first.assign(product="a"), second.assign(product="b")], ignore_index=True)
    assert both["composite"].tolist() == pytest.approx([0.9, 0.7, 0.7, 0.9])
    detail = pd.concat({mode: result.table for mode, result in first.attrs["results"].items()}, names=["mode", None])
    assert detail.loc["synergistic", "score"].tolist() == pytest.approx([0.6, 0.3])
    assert detail.loc["non_synergistic", "score"].tolist() == pytest.approx([0.3, 0.4])


# indicators_from_accounts


def test_indicators_from_accounts_hand_values():
    table = indicators_from_accounts(accounts()).set_index("indicator")
    expected = {
        "A11": 5.0e7 / 2.0e7,  # 2.5 CNY raw-material cost per CNY net profit
        "A12": 1.0e7 / 2.0e7,
        "A13": 1.0e4 / 2.0e7,
        "A14": 5.0e3 / 2.0e7,
        "A15": 1.0e5 / 2.0e7,
        "A21": 2.0e7 / 5.0e7,
        "A22": 2.0e7 / 1.0e7,
        "B11": 3.0e3 / 1.0e4,
        "B12": 1.0e3 / 5.0e3,
        "B21": 1.0e6 / 2.0e7,
        "B22": 1.0e8 / 2.0e7,
        "B23": 5.0e4 / 2.0e7,
        "B24": 2.0e3 / 2.0e7,
    }
    assert table.index.tolist() == list(SPEC_WEIGHTS)
    assert table["actual"].to_dict() == pytest.approx(expected)
    assert table.loc[["A11", "A14", "B11", "B22"], "unit"].tolist() == ["CNY/CNY", "tce/CNY", "t/t", "m3/CNY"]
    assert table.attrs["missing"] == []


def test_waste_gas_may_be_given_in_tonnes():
    values = {k: v for k, v in accounts().items() if k != "waste_gas_m3"} | {"waste_gas_t": 4.0e3}
    table = indicators_from_accounts(values).set_index("indicator")
    assert table.loc["B22", "actual"] == pytest.approx(4.0e3 / 2.0e7)
    assert table.loc["B22", "unit"] == "t/CNY"


def test_missing_accounts_leave_indicators_out():
    table = indicators_from_accounts({"net_profit_cny": 1.0e6, "energy_cost_cny": 2.0e6})
    assert table["indicator"].tolist() == ["A12", "A22"]
    assert table.attrs["missing"] == [name for name in SPEC_WEIGHTS if name not in {"A12", "A22"}]
    recycling_only = indicators_from_accounts({"raw_material_t": 10.0, "raw_material_recycled_t": 4.0})
    assert recycling_only["indicator"].tolist() == ["B11"]
    assert recycling_only["actual"].tolist() == [0.4]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"net_profit_cny": 0.0}, "loss-making enterprise cannot be evaluated"),
        ({"net_profit_cny": -1.0e6}, "net_profit_cny = -1000000.0 <= 0"),
        ({"revenue_cny": 1.0}, r"unknown account key\(s\) \['revenue_cny'\]"),
        ({"waste_gas_t": 1.0}, "not both"),
        ({"water_t": -1.0}, "'water_t' must be a finite number >= 0"),
        ({"water_t": math.nan}, "'water_t' must be a finite number >= 0"),
        ({"water_t": "lots"}, "'water_t' must be a number"),
        ({"raw_material_recycled_t": 2.0e4}, "raw_material_recycled_t = 20000.0 exceeds raw_material_t"),
        ({"energy_cost_cny": 0.0}, "indicator A22 = net_profit_cny / energy_cost_cny is undefined"),
        ({"energy_tce": 0.0, "energy_recycled_tce": 0.0}, "indicator B12 .* energy_tce = 0"),
    ],
)
def test_indicators_from_accounts_rejects_bad_accounts(changes, message):
    with pytest.raises(ValueError, match=message):
        indicators_from_accounts(accounts(**changes))


# properties

rows = st.lists(
    st.tuples(
        st.sampled_from(["cost", "benefit"]),
        st.floats(0.01, 1.0e3),
        st.floats(0.01, 1.0e3),
        st.floats(0.0, 1.0),
    ),
    min_size=1,
    max_size=13,
)


def table_of(drawn: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    direction, benchmark, actual, weight = zip(*drawn, strict=True)
    return pd.DataFrame(
        {
            "indicator": [f"I{i}" for i in range(len(drawn))],
            "benchmark": benchmark,
            "actual": actual,
            "direction": direction,
            "weight": weight,
        }
    )


@given(rows)
def test_capped_composite_never_exceeds_the_weight_sum(drawn):
    table = table_of(drawn)
    result = evaluate(table, cap=True)
    assert result.composite <= math.fsum(table["weight"]) + 1e-12
    assert result.composite <= evaluate(table).composite + 1e-12


@given(rows, st.floats(0.01, 1.0), st.booleans())
def test_lower_cost_actuals_never_lower_the_composite(drawn, factor, cap):
    table = table_of(drawn)
    is_cost = table["direction"] == "cost"
    better = table.assign(actual=np.where(is_cost, table["actual"] * factor, table["actual"]))
    before, after = evaluate(table, cap=cap), evaluate(better, cap=cap)
    assert after.composite >= before.composite
    assert after.grade <= before.grade


def test_a_cost_of_zero_meets_a_benchmark_of_zero_and_needs_a_cap_otherwise():
    table = three_indicators(actual=[0.0, 0.6, 6.0])
    table.loc[0, "benchmark"] = 0.0
    assert evaluate(table).table["index"].tolist()[0] == 1.0  # nothing emitted, as the best in class
    table.loc[0, "benchmark"] = 2.0
    assert evaluate(table, cap=True).table["index"].tolist()[0] == 1.0
