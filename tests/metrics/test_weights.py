"""Entropy, AHP and combined weights against published worked examples, hand values and invariants."""

import dataclasses
import math
import random
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from symbiosim.metrics.weights import SAATY_RANDOM_INDEX, ahp, combine, entropy


def assert_published(actual, published, decimals):
    """Equal to a value printed with ``decimals`` decimals, i.e. within half a unit of the last digit."""
    actual, published = np.atleast_1d(np.asarray(actual, dtype=float)), np.atleast_1d(np.asarray(published))
    assert actual.shape == published.shape
    assert np.all(np.abs(actual - published) <= 0.5 * 10.0**-decimals + 1e-12), (actual, published)


# --- entropy: published examples (docs/metrics.md lists the sources; rows = alternatives, p = x/Σx, k = 1/ln m) --

E1 = [[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]]


def test_entropy_xu_2004_raw():
    # E1: Xu 2004, EJOR 156:530-532 (test data of pyrepo-mcda/crispyn); published to 4 decimals.
    weights = entropy(pd.DataFrame(E1), normalisation="raw")
    assert_published(weights, [0.4630, 0.3992, 0.1378, 0.0000], 4)
    assert_published(pd.Series(weights.attrs["entropy"]), [0.8872, 0.9027, 0.9664, 1.0000], 4)
    assert weights.attrs["normalisation"] == "raw"


def test_entropy_zavadskas_podvezko_2016_raw():
    # E2: Zavadskas & Podvezko 2016, IJITDM 15(2):267-283; published to 4 decimals.
    data = pd.DataFrame([[3.0, 100, 10, 7], [2.5, 80, 8, 5], [1.8, 50, 20, 11], [2.2, 70, 12, 9]])
    assert_published(entropy(data, normalisation="raw"), [0.1146, 0.1981, 0.4185, 0.2689], 4)


def test_entropy_elsayed_2017_raw():
    # E3: Elsayed, Dawood & Karthikeyan 2017, IJETT 46(2):60-66 (pymcdm test); published to 6 decimals.
    data = pd.DataFrame(
        [
            [7, 312, 1891, 6613, 163],
            [72, 88, 728, 941804, 1078],
            [10, 252, 2594, 3466, 117471],
            [10, 145, 980, 2371, 86329],
            [65, 54, 350, 501, 29897],
            [29, 48, 380, 912, 34051],
            [7, 476, 3300, 78470, 2212],
            [70, 87, 650, 733, 819000],
            [4, 86, 591, 3015, 103],
            [12, 79, 579, 3240, 96098],
            [21, 45, 261, 1253, 453],
            [1, 72, 530, 4333, 0.1048],
        ]
    )
    published = [0.104991, 0.069124, 0.071373, 0.449937, 0.304575]
    assert_published(entropy(data, normalisation="raw"), published, 6)


def test_entropy_ersoy_2021_raw():
    # E3b: Ersoy 2021, LogForum 17(3); published to 3 decimals.
    data = pd.DataFrame(
        [
            [256, 8, 41, 1.6, 1.77, 7347.16],
            [256, 8, 32, 1.0, 1.8, 6919.99],
            [256, 8, 53, 1.6, 1.9, 8400],
            [256, 8, 41, 1.0, 1.75, 6808.9],
            [512, 8, 35, 1.6, 1.7, 8479.99],
            [256, 4, 35, 1.6, 1.7, 7499.99],
        ]
    )
    assert_published(entropy(data, normalisation="raw"), [0.405, 0.221, 0.134, 0.199, 0.007, 0.034], 3)


def test_entropy_normalisation_sensitivity_on_xu_data():
    # E4 (constructed, derived from the E1 data of Xu 2004): the near-constant column 4 goes from 0 to ~15%.
    minmax = entropy(pd.DataFrame(E1))
    assert_published(minmax, [0.469445, 0.206623, 0.175506, 0.148427], 6)
    assert minmax.attrs["normalisation"] == "minmax"
    shifted = entropy(pd.DataFrame(E1), normalisation="minmax_shift")
    assert_published(shifted, [0.469295, 0.206666, 0.175558, 0.148481], 6)
    assert shifted.attrs["normalisation"] == "minmax_shift"


# --- entropy: hand values and behaviour ------------------------------------------------------------------------


def test_entropy_minmax_by_hand_with_a_negative_direction():
    data = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [5.0, 5.0, 7.0]})
    # a: x' = (0, 0.5, 1) -> p = (0, 1/3, 2/3); b is "-": x' = (1, 1, 0) -> p = (1/2, 1/2, 0)
    e_a = -(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)) / math.log(3)
    e_b = math.log(2) / math.log(3)
    d_a, d_b = 1 - e_a, 1 - e_b
    weights = entropy(data, directions={"b": "-"})
    assert weights.to_dict() == pytest.approx({"a": d_a / (d_a + d_b), "b": d_b / (d_a + d_b)}, rel=1e-12)
    assert weights.attrs["entropy"] == pytest.approx({"a": e_a, "b": e_b}, rel=1e-12)
    assert weights.name == "weight"
    # "+" on b instead: x' = (0, 0, 1) -> e_b = 0, so b now dominates
    assert entropy(data)["b"] == pytest.approx(1 / (d_a + 1))


def test_entropy_constant_column_gets_weight_zero():
    data = pd.DataFrame({"a": [1.0, 2.0, 4.0], "flat": [3.0, 3.0, 3.0]})
    for normalisation in ("minmax", "minmax_shift", "raw"):
        weights = entropy(data, normalisation=normalisation)
        assert weights["flat"] == 0.0
        assert weights["a"] == pytest.approx(1.0)
        assert weights.attrs["entropy"]["flat"] == 1.0


def test_entropy_all_constant_columns_raise():
    data = pd.DataFrame({"a": [2.0, 2.0], "b": [3.0, 3.0]})
    for normalisation in ("minmax", "minmax_shift", "raw"):
        with pytest.raises(ValueError, match="every column of data is constant"):
            entropy(data, normalisation=normalisation)


def test_entropy_raw_rejects_what_it_cannot_normalise():
    data = pd.DataFrame({"a": [1.0, 2.0], "b": [0.0, 0.0], "c": [-1.0, 2.0]})
    with pytest.raises(ValueError, match="raw' cannot handle '-'"):
        entropy(data[["a"]], directions={"a": "-"}, normalisation="raw")
    with pytest.raises(ValueError, match="column 'b' sums to zero"):
        entropy(data[["a", "b"]], normalisation="raw")
    with pytest.raises(ValueError, match="column 'c' has negative values"):
        entropy(data[["a", "c"]], normalisation="raw")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_entropy_names_the_column_with_nan_or_inf(bad):
    data = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "broken": [1.0, bad, 3.0]})
    with pytest.raises(ValueError, match="column 'broken' has NaN or infinite"):
        entropy(data)


def test_entropy_rejects_bad_shapes_and_options():
    data = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 1.0]})
    with pytest.raises(ValueError, match="at least 2 rows"):
        entropy(data.iloc[:1])
    with pytest.raises(ValueError, match="no columns"):
        entropy(data[[]])
    with pytest.raises(ValueError, match="normalisation must be one of"):
        entropy(data, normalisation="zscore")
    with pytest.raises(ValueError, match=r"not in data: \['c'\]"):
        entropy(data, directions={"c": "+"})
    with pytest.raises(ValueError, match="'\\+' or '-'"):
        entropy(data, directions={"a": "max"})
    with pytest.raises(ValueError, match="column 'name' is not numeric"):
        entropy(data.assign(name=["x", "y"]))
    with pytest.raises(ValueError, match="duplicate columns"):
        entropy(pd.DataFrame([[1.0, 2.0], [2.0, 1.0]], columns=["a", "a"]))
    with pytest.raises(TypeError, match="DataFrame"):
        entropy(data.to_numpy())


# --- AHP: published examples ------------------------------------------------------------------------------------


def test_ahp_textbook_tourism_matrix():
    # A2: 姜启源《数学模型》 tourism example, matrix as in zhjx19/mathmodels; expected results computed by the
    # eigenvector method, RI(5) = 1.12 (the book's printed results not checked, U).
    matrix = [[1, 1 / 2, 4, 3, 3], [2, 1, 7, 5, 5], [1 / 4, 1 / 7, 1, 1 / 2, 1 / 3], [1 / 3, 1 / 5, 2, 1, 1]]
    matrix.append([1 / 3, 1 / 5, 3, 1, 1])
    result = ahp(matrix)
    assert_published(result.weights, [0.2636, 0.4758, 0.0538, 0.0981, 0.1087], 4)
    assert_published(result.lambda_max, 5.07208, 5)
    assert_published(result.ci, 0.01802, 5)
    assert_published(result.cr, 0.01609, 5)
    assert result.is_consistent


DRINKS = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
DRINKS_MATRIX = [
    [1, 9, 5, 2, 1, 1, 1 / 2],
    [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [1, 9, 4, 2, 1, 2, 1 / 2],
    [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [2, 9, 9, 3, 2, 3, 1],
]


def test_ahp_saaty_drinks_consumption():
    # Saaty 2008, "Decision making with the analytic hierarchy process", Int. J. Services Sciences 1(1):83-98,
    # Table 2 (relative consumption of drinks in the US; also Saaty 1980). Matrix and published results as in the
    # AHPy test suite (PhilipGriffith/AHPy tests/test_ahp.py): priorities to 3 decimals, CR = 0.022.
    result = ahp(DRINKS_MATRIX, labels=DRINKS)
    assert_published(result.weights[DRINKS], [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327], 3)
    assert_published(result.cr, 0.022, 3)
    assert list(result.weights.index) == DRINKS


def test_ahp_saaty_2008_job_criteria_and_subcriteria():
    # Saaty 2008, IJSS 1(1):83-98, Table 3 (criteria of the best-job decision: flexibility, opportunities,
    # security, reputation, salary) and Table 4 (3 × 3 flexibility subcriteria); priorities to 3 decimals.
    criteria = [
        [1, 1 / 4, 1 / 6, 1 / 4, 1 / 8],
        [4, 1, 1 / 3, 3, 1 / 7],
        [6, 3, 1, 4, 1 / 2],
        [4, 1 / 3, 1 / 4, 1, 1 / 7],
        [8, 7, 2, 7, 1],
    ]
    assert_published(ahp(criteria).weights, [0.036, 0.122, 0.262, 0.075, 0.506], 3)
    assert_published(ahp([[1, 1 / 3, 1 / 6], [3, 1, 1 / 4], [6, 4, 1]]).weights, [0.091, 0.218, 0.691], 3)


HOUSE_SIZE = [[1, 6, 8], [1 / 6, 1, 4], [1 / 8, 1 / 4, 1]]


def test_ahp_saaty_1990_house_size_is_published_as_inconsistent():
    # Saaty 1990, "How to make a decision: the analytic hierarchy process", EJOR 48(1):9-26, house example,
    # comparison of houses A, B, C by size: priorities .754 .181 .065, λmax = 3.136, C.I. = .068, C.R. = .117.
    with pytest.warns(UserWarning, match=r"CR = 0\.1169"):
        result = ahp(HOUSE_SIZE, labels=["A", "B", "C"])
    assert_published(result.weights, [0.754, 0.181, 0.065], 3)
    assert_published([result.lambda_max, result.ci, result.cr], [3.136, 0.068, 0.117], 3)
    assert not result.is_consistent


# --- AHP: behaviour ----------------------------------------------------------------------------------------------

CYCLE = [[1, 3, 1 / 3], [1 / 3, 1, 3], [3, 1 / 3, 1]]  # a > b > c > a: λmax = 1 + 3 + 1/3, CR = (2/3)/0.58


def test_ahp_inconsistent_matrix_warns_raises_or_is_ignored():
    expected_cr = (13 / 3 - 3) / 2 / 0.58
    with pytest.warns(UserWarning, match=r"inconsistent: CR = 1\.1494"):
        warned = ahp(CYCLE)
    assert warned.cr == pytest.approx(expected_cr)
    assert warned.lambda_max == pytest.approx(13 / 3)
    assert warned.weights.tolist() == pytest.approx([1 / 3] * 3)
    with pytest.raises(ValueError, match=r"inconsistent: CR = 1\.1494"):
        ahp(CYCLE, on_inconsistent="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ignored = ahp(CYCLE, on_inconsistent="ignore")
    assert not ignored.is_consistent
    assert ignored.cr == pytest.approx(expected_cr)
    with pytest.raises(ValueError, match="on_inconsistent must be one of"):
        ahp(CYCLE, on_inconsistent="log")


def test_ahp_rejects_non_reciprocal_matrix_naming_the_pair():
    matrix = [[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 3, 1]]  # a_23 = 2 but a_32 = 1/3
    with pytest.raises(ValueError, match=r"not reciprocal at pair \(1, 2\) = \('y', 'z'\)"):
        ahp(matrix, labels=["x", "y", "z"])
    with pytest.raises(ValueError, match=r"not reciprocal at pair \(0, 1\)"):
        ahp([[1, 0.33], [3, 1]])  # a rounded 1/3 is not accepted


def test_ahp_rejects_non_positive_non_square_and_bad_diagonal():
    with pytest.raises(ValueError, match=r"strictly positive; a\[0, 1\] = 0.0"):
        ahp([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="strictly positive"):
        ahp([[1, -2], [-0.5, 1]])
    with pytest.raises(ValueError, match=r"square and 2-D, got shape \(2, 3\)"):
        ahp([[1, 2, 3], [1 / 2, 1, 2]])
    with pytest.raises(ValueError, match="square and 2-D"):
        ahp([1, 2, 3])
    with pytest.raises(ValueError, match="square 2-D array of numbers"):
        ahp([[1, 2], [1 / 2]])
    with pytest.raises(ValueError, match=r"diagonal must be 1; a\[1, 1\] = 2.0"):
        ahp([[1, 2], [1 / 2, 2]])
    with pytest.raises(ValueError, match="NaN or infinite"):
        ahp([[1, np.nan], [np.nan, 1]])


def test_ahp_labels_from_dataframe_or_argument():
    frame = pd.DataFrame(HOUSE_SIZE, index=["A", "B", "C"], columns=["A", "B", "C"])
    result = ahp(frame, on_inconsistent="ignore")
    assert list(result.weights.index) == ["A", "B", "C"]
    assert result.weights.name == "weight"
    assert list(ahp(frame, labels=["x", "y", "z"], on_inconsistent="ignore").weights.index) == ["x", "y", "z"]
    assert list(ahp(np.array(HOUSE_SIZE), on_inconsistent="ignore").weights.index) == [0, 1, 2]
    with pytest.raises(ValueError, match="same labels, in the same order"):
        ahp(frame.rename(columns={"C": "D"}))
    with pytest.raises(ValueError, match="got 2 labels for a 3 × 3 matrix"):
        ahp(HOUSE_SIZE, labels=["A", "B"])
    with pytest.raises(ValueError, match="distinct"):
        ahp(HOUSE_SIZE, labels=["A", "A", "B"])


def test_ahp_random_index_options():
    custom = ahp(HOUSE_SIZE, ri={3: 0.52}, on_inconsistent="ignore")
    assert custom.cr == pytest.approx(custom.ci / 0.52)
    assert custom.cr > ahp(HOUSE_SIZE, on_inconsistent="ignore").cr
    with pytest.raises(ValueError, match="no random index for n = 3"):
        ahp(HOUSE_SIZE, ri={4: 0.9})
    with pytest.raises(ValueError, match="RI\\(3\\) must be a positive number"):
        ahp(HOUSE_SIZE, ri={3: 0.0})
    with pytest.raises(ValueError, match="ri must be 'saaty'"):
        ahp(HOUSE_SIZE, ri="dd")
    with pytest.raises(ValueError, match="no random index for n = 12"):
        ahp(np.ones((12, 12)))
    assert ahp(np.ones((11, 11))).cr == pytest.approx(0.0, abs=1e-12)
    assert SAATY_RANDOM_INDEX[3] == 0.58
    assert SAATY_RANDOM_INDEX[11] == 1.51


def test_ahp_small_matrices_have_cr_zero():
    one = ahp([[1]])
    assert (one.weights.tolist(), one.lambda_max, one.ci, one.cr) == ([1.0], 1.0, 0.0, 0.0)
    two = ahp([[1, 2], [1 / 2, 1]], ri={})  # no RI needed for n ≤ 2
    assert two.weights.tolist() == pytest.approx([2 / 3, 1 / 3])
    assert (two.ci, two.cr, two.is_consistent) == (0.0, 0.0, True)


def test_ahp_result_is_frozen():
    result = ahp([[1, 2], [1 / 2, 1]])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.cr = 1.0


# --- combine ------------------------------------------------------------------------------------------------------

A = pd.Series({"x": 0.5, "y": 0.3, "z": 0.2})
B = pd.Series({"z": 0.4, "x": 0.2, "y": 0.4})  # other order on purpose: aligned by label


def test_combine_linear_by_hand():
    assert combine(A, B).to_dict() == pytest.approx({"x": 0.35, "y": 0.35, "z": 0.30})
    assert combine(A, B, alpha=0.8).to_dict() == pytest.approx({"x": 0.44, "y": 0.32, "z": 0.24})
    assert combine(A, B, alpha=1.0).to_dict() == pytest.approx(A.to_dict())
    assert combine(A, B, alpha=0.0).to_dict() == pytest.approx(B.to_dict())
    assert combine(A, B, alpha=0.8).attrs == {"method": "linear", "alpha": 0.8}


def test_combine_multiplicative_by_hand():
    # a·b = (0.10, 0.12, 0.08), sum 0.30
    weights = combine(A, B, "multiplicative")
    assert weights.to_dict() == pytest.approx({"x": 1 / 3, "y": 0.4, "z": 0.08 / 0.3})
    assert list(weights.index) == ["x", "y", "z"]
    assert weights.name == "weight"


def test_combine_min_information_by_hand():
    roots = {"x": math.sqrt(0.10), "y": math.sqrt(0.12), "z": math.sqrt(0.08)}
    total = sum(roots.values())
    expected = {label: root / total for label, root in roots.items()}
    assert combine(A, B, "min_information").to_dict() == pytest.approx(expected)


def test_combine_game_theory_by_hand():
    # a·a = 0.38, a·b = 0.30, b·b = 0.36: α ∝ (0.36·0.08, 0.38·0.06) = (0.0288, 0.0228) -> α1 = 24/43
    weights = combine(A, B, "game_theory")
    assert weights.attrs["alpha"] == pytest.approx(24 / 43)
    assert weights.to_dict() == pytest.approx({"x": 15.8 / 43, "y": 14.8 / 43, "z": 12.4 / 43})


def test_combine_game_theory_edge_cases():
    assert combine(A, A, "game_theory").to_dict() == pytest.approx(A.to_dict())
    # a·b = 0.6 > a·a = 0.52: α1 < 0, the optimum would give w = (1.25, -0.25)
    with pytest.raises(ValueError, match="negative one"):
        combine(pd.Series({"p": 0.6, "q": 0.4}), pd.Series({"p": 1.0, "q": 0.0}), "game_theory")


def test_combine_rejects_bad_inputs():
    with pytest.raises(ValueError, match="same labels"):
        combine(A, B.rename({"z": "w"}))
    with pytest.raises(ValueError, match="negative weights"):
        combine(A, pd.Series({"x": 1.2, "y": -0.2, "z": 0.0}))
    with pytest.raises(ValueError, match="b must sum to 1"):
        combine(A, B * 1.01)
    with pytest.raises(ValueError, match="a must sum to 1"):
        combine(A.round(0), B)
    with pytest.raises(ValueError, match="alpha must be a number in"):
        combine(A, B, alpha=1.5)
    with pytest.raises(ValueError, match="method must be one of"):
        combine(A, B, "harmonic")
    with pytest.raises(ValueError, match="NaN or infinite"):
        combine(A, pd.Series({"x": np.nan, "y": 0.5, "z": 0.5}))
    with pytest.raises(ValueError, match="duplicate labels"):
        combine(pd.Series([0.5, 0.5], index=["x", "x"]), pd.Series([0.5, 0.5], index=["x", "x"]))
    disjoint = (pd.Series({"x": 1.0, "y": 0.0}), pd.Series({"x": 0.0, "y": 1.0}))
    for method in ("multiplicative", "min_information"):
        with pytest.raises(ValueError, match="Σ a_j·b_j = 0"):
            combine(*disjoint, method=method)
    with pytest.raises(TypeError, match="Series"):
        combine(A.to_numpy(), B)


# --- invariants (hypothesis) ---------------------------------------------------------------------------------------


@st.composite
def indicator_tables(draw, non_negative=False):
    m, n = draw(st.integers(2, 8)), draw(st.integers(1, 5))
    low = 0.0 if non_negative else -1e6
    cell = st.floats(low, 1e6, allow_nan=False, allow_subnormal=False)
    columns = [f"c{j}" for j in range(n)]
    data = pd.DataFrame([[draw(cell) for _ in range(n)] for _ in range(m)], columns=columns)
    directions = {column: draw(st.sampled_from(["+", "-"])) for column in columns}
    return data, directions


@settings(deadline=None)
@given(table=indicator_tables(), normalisation=st.sampled_from(["minmax", "minmax_shift"]), seed=st.randoms())
def test_entropy_minmax_weights_are_a_distribution_and_follow_column_order(table, normalisation, seed):
    data, directions = table
    assume(not (data.max() == data.min()).all())
    weights = entropy(data, directions, normalisation)
    assert (weights >= 0).all()
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    order = list(data.columns)
    seed.shuffle(order)
    permuted = entropy(data[order], directions, normalisation)
    assert list(permuted.index) == order
    assert permuted.to_numpy() == pytest.approx(weights[order].to_numpy(), abs=1e-12)


RAW_SEPARATES = 1e-5  # a relative spread (max - min) / max from which raw entropy is clearly below 1


@settings(deadline=None)
@given(table=indicator_tables(non_negative=True), seed=st.randoms())
@example(  # found by a random search: columns that differ only within round-off
    table=(pd.DataFrame({"c0": [3.0, 3.0000000001], "c1": [2.0, 2.0]}), {"c0": "+", "c1": "+"}),
    seed=random.Random(0),
)
def test_entropy_raw_weights_are_a_distribution_and_follow_column_order(table, seed):
    """Raw entropy weights form a distribution, or no column separates the rows (and it says so).

    A column whose values differ only within round-off has entropy 1 in floating point, so
    ``nunique() > 1`` does not guarantee weights; a relative spread of 1e-5 does.
    """
    data, _ = table
    assume((data.sum() > 0).all())
    assume((data.nunique() > 1).any())
    spread = ((data.max() - data.min()) / data.max()).max()
    try:
        weights, refused = entropy(data, normalisation="raw"), ""
    except ValueError as error:
        refused = str(error)
    if refused:
        assert "entropy 1 within round-off" in refused
        assert spread < RAW_SEPARATES
        return
    assert (weights >= 0).all()
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    order = list(data.columns)
    seed.shuffle(order)
    assert entropy(data[order], normalisation="raw").to_numpy() == pytest.approx(weights[order].to_numpy(), abs=1e-12)


@settings(deadline=None)
@given(st.lists(st.floats(0.1, 10.0), min_size=1, max_size=11))
def test_ahp_consistent_matrix_returns_its_generating_weights(generator):
    w = np.array(generator) / sum(generator)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a consistent matrix never warns
        result = ahp(np.outer(w, 1 / w))  # a_ij = w_i / w_j
    assert (result.weights > 0).all()
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert result.weights.to_numpy() == pytest.approx(w, rel=1e-9)
    assert result.lambda_max == pytest.approx(len(w), abs=1e-9)
    assert result.cr == pytest.approx(0.0, abs=1e-9)
    assert result.is_consistent


def test_weight_series_of_several_runs_can_be_concatenated():
    first = entropy(pd.DataFrame(E1))
    second = entropy(pd.DataFrame(E1).iloc[:3])
    assert len(pd.concat([first, second])) == 8
