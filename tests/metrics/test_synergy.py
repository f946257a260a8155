"""Composite-system synergy degree: worked example S1, sign tests, bounds, clipping and properties."""

import math
import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from symbiosim.metrics.synergy import (
    OrderDegreeClipped,
    default_bounds,
    order_degree,
    subsystem_order,
    synergy_band,
    synergy_degree,
)

# S1 (constructed, not published): (β, α), sign, λ, t0, t1 per indicator
S1 = pd.DataFrame(
    {
        "lower": [40, 80, 0.5, 1.0, 0.05, 0],
        "upper": [100, 100, 2.0, 3.0, 0.45, 40],
        "direction": ["+", "+", "-", "-", "+", "+"],
        "weight": [0.5, 0.2, 0.3, 0.4, 0.4, 0.2],
        "t0": [60, 90, 1.4, 2.2, 0.15, 10],
        "t1": [75, 94, 1.1, 1.8, 0.25, 18],
    },
    index=["CE1", "CE2", "CE3", "LC1", "LC2", "LC3"],
)
SUBSYSTEMS = {"CE": ["CE1", "CE2", "CE3"], "LC": ["LC1", "LC2", "LC3"]}


def s1_order_degrees() -> pd.DataFrame:
    values = S1[["t0", "t1"]].T
    return order_degree(values, S1["lower"], S1["upper"], S1["direction"])


def s1_orders(method: str) -> pd.DataFrame:
    u = s1_order_degrees()
    return pd.DataFrame(
        {
            name: subsystem_order(u[cols], S1.loc[cols, "weight"] if method == "weighted" else None, method=method)
            for name, cols in SUBSYSTEMS.items()
        }
    )


def test_s1_component_order_degrees():
    u = s1_order_degrees()
    assert u.loc["t0"].to_numpy() == pytest.approx([1 / 3, 0.5, 0.4, 0.4, 0.25, 0.25], abs=1e-12)
    assert u.loc["t1"].to_numpy() == pytest.approx([0.583333, 0.7, 0.6, 0.6, 0.5, 0.45], abs=1e-6)
    assert u.attrs["clipped"] == 0


def test_s1_linear_aggregation():
    orders = s1_orders("weighted")
    assert orders.loc["t0"].to_numpy() == pytest.approx([0.386667, 0.31], abs=1e-6)
    assert orders.loc["t1"].to_numpy() == pytest.approx([0.611667, 0.53], abs=1e-6)
    assert (orders.loc["t1"] - orders.loc["t0"]).to_numpy() == pytest.approx([0.225, 0.22], abs=1e-12)
    assert synergy_degree(orders)["t1"] == pytest.approx(0.222486, abs=5e-7)


def test_s1_geometric_aggregation():
    orders = s1_orders("geometric")
    assert orders.loc["t0"].to_numpy() == pytest.approx([0.405480, 0.292402], abs=1e-6)
    assert orders.loc["t1"].to_numpy() == pytest.approx([0.625732, 0.512993], abs=1e-6)
    assert (orders.loc["t1"] - orders.loc["t0"]).to_numpy() == pytest.approx([0.220252, 0.220591], abs=1e-6)
    assert synergy_degree(orders)["t1"] == pytest.approx(0.220422, abs=5e-7)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ((0.60, 0.45), -0.1),  # one rose, one fell
        ((0.35, 0.45), -0.05),  # both fell
        ((0.60, 0.50), 0.0),  # one unchanged
        ((0.40, 0.50), 0.0),  # both unchanged
        ((0.60, 0.70), 0.2),  # both rose
    ],
)
def test_sign_of_synergy(after, expected):
    orders = pd.DataFrame([(0.40, 0.50), after], columns=["CE", "LC"])
    assert synergy_degree(orders).iloc[0] == pytest.approx(expected, abs=1e-12)


def test_change_below_tolerance_counts_as_none():
    orders = pd.DataFrame([(0.4, 0.5), (0.6, 0.5 + 1e-13)], columns=["CE", "LC"])
    assert synergy_degree(orders).iloc[0] == 0.0


def test_three_subsystems_use_the_cube_root():
    orders = pd.DataFrame(
        [(0.2, 0.3, 0.4), (0.4, 0.35, 0.6), (0.4, 0.25, 0.6)], columns=["economy", "energy", "environment"]
    )
    # Δ = (0.2, 0.05, 0.2), then (0.2, -0.05, 0.2): |product| = 0.002 both times
    assert synergy_degree(orders).to_numpy() == pytest.approx([0.125992, -0.125992], abs=5e-7)
    assert synergy_degree(orders).to_numpy() != pytest.approx([0.002**0.5, -(0.002**0.5)], abs=1e-3)  # not a √


def test_fixed_and_chained_bases_differ_as_computed_by_hand():
    orders = pd.DataFrame({"CE": [0.2, 0.4, 0.5], "LC": [0.3, 0.5, 0.4]}, index=[2020, 2021, 2022])
    fixed = synergy_degree(orders, base="fixed")
    chained = synergy_degree(orders, base="chained")
    # fixed: 2021 Δ = (0.2, 0.2) -> 0.2; 2022 Δ = (0.3, 0.1) -> +√0.03
    assert fixed.to_dict() == pytest.approx({2021: 0.2, 2022: math.sqrt(0.03)}, abs=1e-12)
    # chained: 2022 against 2021, Δ = (0.1, -0.1) -> -√0.01
    assert chained.to_dict() == pytest.approx({2021: 0.2, 2022: -0.1}, abs=1e-12)
    assert fixed.name == chained.name == "synergy_degree"
    assert (fixed.attrs["base"], chained.attrs["base"]) == ("fixed", "chained")


def test_first_period_has_no_value():
    orders = pd.DataFrame({"CE": [0.2, 0.4, 0.5], "LC": [0.3, 0.5, 0.4]}, index=["a", "b", "c"])
    assert list(synergy_degree(orders).index) == ["b", "c"]


@pytest.mark.parametrize(
    ("orders", "message"),
    [
        (pd.DataFrame({"CE": [0.2, 0.4]}), "k ≥ 2 subsystems"),
        (pd.DataFrame({"CE": [0.2], "LC": [0.3]}), "at least 2 periods"),
        (pd.DataFrame({"CE": [0.2, 1.2], "LC": [0.3, 0.4]}), r"in \[0, 1\]; not so in 'CE'"),
        (pd.DataFrame({"CE": [0.2, np.nan], "LC": [0.3, 0.4]}), "finite"),
    ],
)
def test_synergy_degree_rejects_bad_orders(orders, message):
    with pytest.raises(ValueError, match=message):
        synergy_degree(orders)


def test_synergy_degree_rejects_unknown_base():
    with pytest.raises(ValueError, match="base must be 'fixed' or 'chained', got 'rolling'"):
        synergy_degree(pd.DataFrame({"CE": [0.2, 0.4], "LC": [0.3, 0.4]}), base="rolling")


def test_order_degree_keeps_the_input_type():
    assert order_degree(70.0, 40.0, 100.0, "+") == pytest.approx(0.5)
    assert isinstance(order_degree(70.0, 40.0, 100.0, "+"), float)
    array = order_degree(np.array([[1.4, 60.0]]), np.array([0.5, 40.0]), np.array([2.0, 100.0]), ["-", "+"])
    assert isinstance(array, np.ndarray)
    assert array.shape == (1, 2)
    assert array.ravel().tolist() == pytest.approx([0.4, 1 / 3])
    series = order_degree(pd.Series([60.0, 75.0], index=[2020, 2021], name="CE1"), 40.0, 100.0, "+")
    assert series.name == "CE1"
    assert list(series.index) == [2020, 2021]
    assert series.attrs["clipped"] == 0


def test_order_degree_ignores_extra_bound_entries():
    frame = pd.DataFrame({"CE1": [60.0]})
    u = order_degree(frame, S1["lower"], S1["upper"], S1["direction"])
    assert u.loc[0, "CE1"] == pytest.approx(1 / 3)


def test_clipping_warns_names_the_cells_and_counts_them():
    frame = pd.DataFrame({"CE1": [30.0, 60.0, 120.0], "CE3": [1.4, 2.5, 1.0]}, index=[2019, 2020, 2021])
    with pytest.warns(OrderDegreeClipped, match=r"3 order degree\(s\).*'CE1' rows \[2019, 2021\].*'CE3' rows \[2020\]"):
        u = order_degree(frame, {"CE1": 40, "CE3": 0.5}, {"CE1": 100, "CE3": 2.0}, {"CE1": "+", "CE3": "-"})
    assert u.attrs["clipped"] == 3
    assert u["CE1"].tolist() == pytest.approx([0.0, 1 / 3, 1.0])
    assert u["CE3"].tolist() == pytest.approx([0.4, 0.0, 2 / 3])


def test_clipping_of_a_scalar_warns():
    with pytest.warns(OrderDegreeClipped, match="value 120.0"):
        assert order_degree(120.0, 40.0, 100.0, "+") == 1.0


def test_values_on_the_bounds_are_not_clipped():
    with warnings.catch_warnings():
        warnings.simplefilter("error", OrderDegreeClipped)
        u = order_degree(pd.Series([40.0, 100.0]), 40.0, 100.0, "-")
    assert u.tolist() == [1.0, 0.0]
    assert u.attrs["clipped"] == 0


@pytest.mark.parametrize(
    ("lower", "upper", "direction", "message"),
    [
        ({"a": 1.0, "b": 5.0}, {"a": 2.0, "b": 5.0}, "+", r"α must exceed lower bound β; it does not for 'b'"),
        ({"a": 3.0, "b": 0.0}, {"a": 2.0, "b": 5.0}, "+", r"it does not for 'a'"),
        (0.0, 5.0, "up", r"direction must be '\+' \(positive\) or '-' \(negative\), got 'up'"),
        (0.0, 5.0, {"a": "+"}, r"direction is missing for 'b'"),
        ({"a": 0.0}, 5.0, "+", r"lower bound is missing for 'b'"),
        (0.0, [5.0, 6.0, 7.0], "+", "upper bound has 3 entries for 2 labels"),
        (np.nan, 5.0, "+", "lower bound must be finite"),
    ],
)
def test_order_degree_rejects_bad_bounds_and_directions(lower, upper, direction, message):
    with pytest.raises(ValueError, match=message):
        order_degree(pd.DataFrame({"a": [1.5], "b": [2.0]}), lower, upper, direction)


def test_order_degree_rejects_missing_and_text_values():
    with pytest.raises(ValueError, match="values must be finite"):
        order_degree(pd.Series([1.0, np.nan]), 0.0, 2.0, "+")
    with pytest.raises(ValueError, match="values must be numeric"):
        order_degree(pd.Series(["high"]), 0.0, 2.0, "+")
    with pytest.raises(ValueError, match="labelled"):
        order_degree(np.array([1.0]), {"a": 0.0}, 2.0, "+")


def test_default_bounds_widen_by_ten_percent():
    data = pd.DataFrame({"positive": [50.0, 80.0, 100.0], "negative": [-4.0, -3.0, -2.0], "mixed": [-2.0, 0.0, 4.0]})
    bounds = default_bounds(data)
    assert bounds.loc["upper"].tolist() == pytest.approx([110.0, -1.8, 4.4])
    assert bounds.loc["lower"].tolist() == pytest.approx([45.0, -4.4, -2.2])
    assert "0.1*|max|" in bounds.attrs["rule"]
    assert "1.1*max" in bounds.attrs["rule"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", OrderDegreeClipped)
        u = order_degree(data, bounds.loc["lower"], bounds.loc["upper"], "+")
    assert ((u > 0) & (u < 1)).all().all()


def test_default_bounds_without_widening_are_the_range():
    bounds = default_bounds(pd.DataFrame({"x": [3.0, 7.0]}), widen=0.0)
    assert bounds["x"].tolist() == [3.0, 7.0]


@pytest.mark.parametrize(
    ("data", "widen", "message"),
    [
        (pd.DataFrame({"zero": [0.0, 0.0], "x": [1.0, 2.0]}), 0.1, r"α = β for 'zero'"),
        (pd.DataFrame({"flat": [2.0, 2.0]}), 0.0, r"α = β for 'flat'"),
        (pd.DataFrame({"x": [1.0, 2.0]}), -0.1, "widen must be a finite number ≥ 0"),
        (pd.DataFrame({"x": [1.0, np.inf]}), 0.1, "data must be finite"),
        (pd.DataFrame({"x": []}), 0.1, "at least one row"),
    ],
)
def test_default_bounds_rejects_bad_input(data, widen, message):
    with pytest.raises(ValueError, match=message):
        default_bounds(data, widen)


@pytest.mark.parametrize(
    ("weights", "method", "message"),
    [
        (pd.Series({"a": 0.5, "b": 0.4}), "weighted", r"weights must sum to 1 \(within 1e-09\), they sum to 0.9"),
        (pd.Series({"a": 1.2, "b": -0.2}), "weighted", "weights must be non-negative; negative for 'b'"),
        (pd.Series({"a": 0.5, "c": 0.5}), "weighted", "must match the columns"),
        (pd.Series({"a": 0.5, "b": 0.5}), "geometric", "geometric subsystem order degree is unweighted"),
        (None, "harmonic", "method must be 'weighted' or 'geometric', got 'harmonic'"),
    ],
)
def test_subsystem_order_rejects_bad_weights_and_methods(weights, method, message):
    with pytest.raises(ValueError, match=message):
        subsystem_order(pd.DataFrame({"a": [0.2], "b": [0.6]}), weights, method=method)


def test_subsystem_order_rejects_values_outside_unit_interval():
    with pytest.raises(ValueError, match=r"u must be order degrees in \[0, 1\]; not so in 'b'"):
        subsystem_order(pd.DataFrame({"a": [0.2], "b": [-0.1]}))


def test_weights_within_tolerance_keep_the_order_within_its_components():
    order = subsystem_order(pd.DataFrame({"a": [1.0], "b": [1.0]}), pd.Series({"a": 0.5 + 5e-10, "b": 0.5}))
    assert order.iloc[0] == 1.0


def test_subsystem_order_weights_follow_labels_not_positions():
    u = pd.DataFrame({"a": [0.0], "b": [1.0]})
    assert subsystem_order(u, pd.Series({"b": 0.75, "a": 0.25})).iloc[0] == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("c", "band"),
    [
        (-1.0, "none"),
        (-1e-9, "none"),
        (0.0, "low"),
        (0.2999999, "low"),
        (0.3, "medium"),
        (0.6, "high"),
        (0.8, "very high"),
        (1.0, "very high"),
    ],
)
def test_synergy_band_boundaries(c, band):
    assert synergy_band(c) == band


def test_synergy_band_of_a_series_keeps_the_index():
    bands = synergy_band(pd.Series([-0.5, 0.45], index=[2021, 2022]))
    assert bands.to_dict() == {2021: "none", 2022: "medium"}
    assert bands.name == "synergy_band"


@pytest.mark.parametrize("c", [1.0000001, -1.5, np.nan])
def test_synergy_band_rejects_values_outside_the_range(c):
    with pytest.raises(ValueError, match=r"synergy degree"):
        synergy_band(c)


def test_synergy_band_table_tiles_the_range_and_is_marked_unverified():
    path = resources.files("symbiosim.metrics").joinpath("data/synergy_bands.csv")
    assert path.is_file()
    with path.open(encoding="utf-8") as handle:
        table = pd.read_csv(handle)
    assert table["lower"].iloc[0] == -1.0
    assert table["upper"].iloc[-1] == 1.0
    assert (table["upper"].iloc[:-1].to_numpy() == table["lower"].iloc[1:].to_numpy()).all()
    assert table["source"].str.contains(r"\(U\)").all()
    assert table["note"].str.contains("not standardised").all()


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(
    values=hnp.arrays(np.float64, st.integers(1, 20), elements=finite),
    lower=finite,
    width=st.floats(min_value=1e-3, max_value=1e6),
    direction=st.sampled_from(["+", "-"]),
)
def test_order_degrees_lie_in_unit_interval(values, lower, width, direction):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OrderDegreeClipped)
        u = order_degree(pd.Series(values), lower, lower + width, direction)
    assert ((u >= 0) & (u <= 1)).all()
    inside = (values >= lower) & (values <= lower + width)
    assert u.attrs["clipped"] == int((~inside).sum())


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 6)), elements=unit), st.data())
def test_weighted_subsystem_order_lies_between_its_components(u, data):
    frame = pd.DataFrame(u, columns=[f"i{j}" for j in range(u.shape[1])])
    raw = data.draw(hnp.arrays(np.float64, u.shape[1], elements=st.floats(0.01, 1.0)))
    weights = pd.Series(raw / raw.sum(), index=frame.columns)
    order = subsystem_order(frame, weights)
    assert (order >= frame.min(axis=1)).all()
    assert (order <= frame.max(axis=1)).all()


@settings(max_examples=50)
@given(
    hnp.arrays(np.float64, st.tuples(st.integers(2, 6), st.integers(2, 5)), elements=unit), st.permutations(range(5))
)
def test_synergy_is_bounded_signed_and_independent_of_column_order(orders, permutation):
    frame = pd.DataFrame(orders, columns=[f"s{j}" for j in range(orders.shape[1])])
    columns = [frame.columns[j] for j in permutation if j < frame.shape[1]]
    for base in ("fixed", "chained"):
        synergy = synergy_degree(frame, base=base)
        assert ((synergy >= -1) & (synergy <= 1)).all()
        assert synergy_degree(frame[columns], base=base).to_numpy() == pytest.approx(synergy.to_numpy(), abs=1e-12)
    delta = frame.iloc[1:].to_numpy() - frame.iloc[0].to_numpy()
    rose = (delta > 1e-12).all(axis=1)
    assert ((synergy_degree(frame) > 0).to_numpy() == rose).all()
