"""Coupling coordination degree: worked example C2, wrong variants, bands and properties."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from symbiosim.metrics.coupling import (
    bands,
    coordination,
    coordination_band,
    coupling_band,
    coupling_degree_wang,
)

THREE = pd.DataFrame({"economy": [0.3], "energy": [0.5], "environment": [0.7]})
TWO = pd.DataFrame({"CE": [0.2], "LC": [0.6]})


def pairwise_sum_coupling(u1: float, u2: float, u3: float) -> float:
    """A wrong variant (Liu Chunlin 2017, 耦合度计算的常见错误分析): pairwise-sum denominator for n = 3."""
    return 3 * (u1 * u2 * u3 / ((u1 + u2) * (u1 + u3) * (u2 + u3))) ** (1 / 3)


def dropped_coefficient_coupling(u1: float, u2: float) -> float:
    """A wrong variant (Liu Chunlin 2017): the coefficient n dropped."""
    return math.sqrt(u1 * u2) / (u1 + u2)


def test_c2_three_subsystems():
    row = coordination(THREE).iloc[0]
    assert row["C"] == pytest.approx(0.943539, abs=5e-7)
    assert row["T"] == pytest.approx(0.5, abs=1e-12)
    assert row["D"] == pytest.approx(0.686855, abs=5e-7)
    assert row["band"] == "primary coordination"
    assert row["coupling_band"] == "high-level coupling"


def test_c2_two_subsystems():
    row = coordination(TWO).iloc[0]
    assert row["C"] == pytest.approx(0.866025, abs=5e-7)
    assert row["T"] == pytest.approx(0.4, abs=1e-12)
    assert row["D"] == pytest.approx(0.588566, abs=5e-7)
    assert row["band"] == "barely coordinated"


def test_coupling_is_not_a_wrong_variant():
    assert pairwise_sum_coupling(0.3, 0.5, 0.7) == pytest.approx(1.434698, abs=5e-7)
    assert dropped_coefficient_coupling(0.2, 0.6) == pytest.approx(0.433013, abs=5e-7)
    assert coordination(THREE).loc[0, "C"] != pytest.approx(1.434698, abs=1e-3)
    assert coordination(TWO).loc[0, "C"] != pytest.approx(0.433013, abs=1e-3)
    # equal scores: the normative C is 1, the pairwise-sum form 1.5
    assert coordination(pd.DataFrame({"a": [0.4], "b": [0.4], "c": [0.4]})).loc[0, "C"] == pytest.approx(1.0)
    assert pairwise_sum_coupling(0.4, 0.4, 0.4) == pytest.approx(1.5)


def test_c2_wang_option():
    assert coupling_degree_wang(THREE).iloc[0] == pytest.approx(0.636978, abs=5e-7)
    assert coupling_degree_wang(TWO).iloc[0] == pytest.approx(0.447214, abs=5e-7)
    wang = coordination(THREE, method="wang2021")
    assert wang.loc[0, "D"] == pytest.approx(0.564348, abs=5e-7)
    assert wang.attrs["method"] == "wang2021"
    assert coordination(TWO, method="wang2021").loc[0, "D"] == pytest.approx(0.422949, abs=5e-7)
    # zhjx19/mathmodels omits the 1/(n-1) exponent, which gives 0.473804 for n = 3
    assert coupling_degree_wang(THREE).iloc[0] != pytest.approx(0.473804, abs=1e-3)


def test_unequal_weights_change_t_and_d_only():
    weights = pd.Series({"CE": 0.25, "LC": 0.75})
    row = coordination(TWO, weights).iloc[0]
    assert row["T"] == pytest.approx(0.5)
    assert row["C"] == pytest.approx(math.sqrt(0.12) / 0.4)
    assert row["D"] == pytest.approx(math.sqrt(math.sqrt(0.12) / 0.4 * 0.5))


def test_weights_within_tolerance_keep_t_within_the_scores():
    table = coordination(pd.DataFrame({"a": [1.0], "b": [1.0]}), pd.Series({"a": 0.5 + 5e-10, "b": 0.5}))
    assert table.loc[0, "T"] == 1.0
    assert table.loc[0, "D"] == 1.0
    assert table.loc[0, "band"] == "high-quality coordination"


def test_a_zero_score_means_no_coupling():
    table = coordination(pd.DataFrame({"a": [0.0, 0.0], "b": [0.8, 0.0]}))
    assert table["C"].tolist() == [0.0, 0.0]
    assert table["D"].tolist() == [0.0, 0.0]
    assert table["T"].tolist() == pytest.approx([0.4, 0.0])
    assert table["band"].tolist() == ["extreme imbalance", "extreme imbalance"]
    assert table["coupling_band"].tolist() == ["low-level coupling", "low-level coupling"]
    assert coupling_degree_wang(pd.DataFrame({"a": [0.0], "b": [0.0]})).tolist() == [0.0]


def test_output_keeps_the_index_and_columns():
    frame = pd.DataFrame({"a": [0.3, 0.6], "b": [0.5, 0.6]}, index=pd.Index([2020, 2021], name="year"))
    table = coordination(frame)
    assert list(table.columns) == ["C", "T", "D", "band", "coupling_band"]
    assert table.index.equals(frame.index)
    assert table.attrs["method"] == "normative"


@pytest.mark.parametrize(
    ("d", "band"),
    [
        (0.0, "extreme imbalance"),
        (0.1, "extreme imbalance"),
        (0.1000001, "severe imbalance"),
        (0.5, "on the verge of imbalance"),
        (0.5000001, "barely coordinated"),
        (0.9, "good coordination"),
        (1.0, "high-quality coordination"),
    ],
)
def test_coordination_bands_are_open_below_and_closed_above(d, band):
    assert coordination_band(d) == band


@pytest.mark.parametrize(
    ("c", "band"),
    [
        (0.0, "low-level coupling"),
        (0.3, "low-level coupling"),
        (0.3000001, "antagonism"),
        (0.5, "antagonism"),
        (0.8, "running-in"),
        (0.8000001, "high-level coupling"),
    ],
)
def test_coupling_bands_are_open_below_and_closed_above(c, band):
    assert coupling_band(c) == band


def test_d_of_exactly_one_half_through_coordination():
    # C = 1, T = 0.25, D = 0.5 exactly; a hair more crosses into the next band
    table = coordination(pd.DataFrame({"a": [0.25, 0.2500002], "b": [0.25, 0.2500002]}))
    assert table.loc[0, "D"] == 0.5
    assert table["band"].tolist() == ["on the verge of imbalance", "barely coordinated"]


def test_band_labels_of_a_series():
    labels = coordination_band(pd.Series([0.05, 0.95], index=["x", "y"]))
    assert labels.to_dict() == {"x": "extreme imbalance", "y": "high-quality coordination"}
    assert coupling_band(pd.Series([0.4])).name == "coupling_band"


@pytest.mark.parametrize("value", [-0.01, 1.01, np.nan])
def test_band_of_a_value_outside_unit_interval_is_an_error(value):
    with pytest.raises(ValueError, match="D"):
        coordination_band(value)
    with pytest.raises(ValueError, match="C"):
        coupling_band(value)


def test_band_table_is_sourced_and_tiles_unit_interval():
    table = bands()
    assert table.groupby("quantity").size().to_dict() == {"C": 4, "D": 10}
    assert table["source"].str.contains("Tian Shenzhen et al. 2021, 地理学报 76\\(4\\):781, Table 1").all()
    assert table.set_index(["quantity", "level"]).loc[("D", 5), "label_zh"] == "濒临失调"
    for _, group in table.groupby("quantity"):
        assert group["lower"].iloc[0] == 0.0
        assert group["upper"].iloc[-1] == 1.0
        assert (group["upper"].iloc[:-1].to_numpy() == group["lower"].iloc[1:].to_numpy()).all()
        assert group["is_upper_closed"].all()
        assert not group["is_lower_closed"].iloc[1:].any()
    table.loc[0, "label_en"] = "changed"
    assert bands().loc[0, "label_en"] == "extreme imbalance"


@pytest.mark.parametrize(
    ("U", "message"),
    [
        (pd.DataFrame({"a": [0.3]}), "n ≥ 2 subsystems"),
        (pd.DataFrame({"a": [0.3], "b": [1.2]}), r"U must be subsystem scores in \[0, 1\]; not so in 'b'"),
        (pd.DataFrame({"a": [-0.1], "b": [0.2]}), r"not so in 'a'"),
        (pd.DataFrame({"a": [np.nan], "b": [0.2]}), "U must be finite"),
        (pd.DataFrame({"a": [], "b": []}), "no rows"),
    ],
)
def test_coordination_rejects_bad_scores(U, message):
    with pytest.raises(ValueError, match=message):
        coordination(U)


def test_coordination_rejects_bad_weights_and_methods():
    with pytest.raises(ValueError, match="weights must sum to 1"):
        coordination(TWO, pd.Series({"CE": 0.5, "LC": 0.6}))
    with pytest.raises(ValueError, match="must match the columns"):
        coordination(TWO, pd.Series({"CE": 0.5, "XX": 0.5}))
    with pytest.raises(ValueError, match="method must be 'normative' or 'wang2021', got 'liu'"):
        coordination(TWO, method="liu")
    with pytest.raises(TypeError, match="DataFrame"):
        coordination(np.array([[0.2, 0.6]]))


scores = hnp.arrays(
    np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=st.floats(0.0, 1.0, allow_nan=False)
)


@given(scores, st.randoms(use_true_random=False))
def test_coordination_properties(u, random):
    frame = pd.DataFrame(u, columns=[f"s{j}" for j in range(u.shape[1])])
    table = coordination(frame)
    assert ((table["C"] >= 0) & (table["C"] <= 1)).all()
    assert ((table["D"] >= 0) & (table["D"] <= 1)).all()
    assert (table["D"] <= np.sqrt(table["T"]) + 1e-12).all()
    # with equal weights C·T is the geometric mean, so D² = (Π U)^(1/n)
    assert (table["D"] ** 2).to_numpy() == pytest.approx(np.prod(u, axis=1) ** (1 / u.shape[1]), abs=1e-12)
    columns = list(frame.columns)
    random.shuffle(columns)
    shuffled = coordination(frame[columns])
    assert shuffled[["C", "T", "D"]].to_numpy() == pytest.approx(table[["C", "T", "D"]].to_numpy(), abs=1e-12)
    wang = coupling_degree_wang(frame)
    assert ((wang >= 0) & (wang <= 1 + 1e-12)).all()
    assert coupling_degree_wang(frame[columns]).to_numpy() == pytest.approx(wang.to_numpy(), abs=1e-12)


@given(st.floats(1e-6, 1.0), st.integers(2, 6))
def test_equal_scores_couple_fully(score, n):
    table = coordination(pd.DataFrame([[score] * n]))
    assert table.loc[0, "C"] == pytest.approx(1.0, abs=1e-12)
    assert table.loc[0, "T"] == pytest.approx(score, abs=1e-15)
