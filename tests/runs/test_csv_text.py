"""The fast CSV writer writes the same bytes as pandas: on a run's own tables, on random floats, and on tables it must hand to pandas."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symbiosim import SymbiosisModel
from symbiosim.runs.csv_text import float_text, write_csv
from symbiosim.runs.metric_tables import compute_metric_tables
from symbiosim.runs.outputs import flows_table, tidy_series


def same_as_pandas(table: pd.DataFrame, tmp_path) -> bool:
    """Whether write_csv and DataFrame.to_csv write identical bytes for ``table``."""
    table.to_csv(tmp_path / "pandas.csv", index=False)
    write_csv(table, tmp_path / "fast.csv")
    return (tmp_path / "pandas.csv").read_bytes() == (tmp_path / "fast.csv").read_bytes()


def expected_text(value: float) -> str | None:
    """What pandas writes for one float: Python's repr, nothing for NaN."""
    return None if math.isnan(value) else repr(value)


@pytest.fixture(scope="module")
def run_tables() -> dict[str, pd.DataFrame]:
    model = SymbiosisModel(rng=1)
    model.run(26)  # two full years: the synergy tables have values
    tables, _ = compute_metric_tables(model)
    return {
        "timeseries": tidy_series(model),
        "facility_ledger": model.facility_ledger,
        "flows": flows_table(model),
        **tables,
    }


def test_every_table_of_a_run_is_written_byte_for_byte(run_tables, tmp_path):
    assert len(run_tables) > 10
    for name, table in run_tables.items():
        assert same_as_pandas(table, tmp_path), name


@pytest.mark.parametrize(
    "value",
    [0.0, -0.0, 1.0, -3.0, 1e-4, 9.99e-5, 1e-5, -2.5e-5, 5e-324, 1e15, 123456789012345.0, 9999999999999998.0,
     1e16, 1.5e16, 1e22, 1.7976931348623157e308, 0.1, 2 / 3, 24779.625000000004, math.inf, -math.inf, math.nan],
)
def test_notation_of_edge_values_is_python_repr(value):
    assert float_text(np.array([value])).to_pylist() == [expected_text(value)]


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=50))
def test_random_floats_are_written_as_python_repr(values):
    text = float_text(np.array(values, dtype=np.float64)).to_pylist()
    assert text == [expected_text(v) for v in values]


def test_random_bit_patterns_are_written_as_python_repr():
    bits = np.random.default_rng(7).integers(0, 2**64, size=200_000, dtype=np.uint64).view(np.float64)
    text = float_text(bits).to_pylist()
    assert text == [expected_text(float(v)) for v in bits]


@pytest.mark.parametrize(
    "table",
    [
        pd.DataFrame({"a": ["x,y", "z"], "b": [1.0, 2.0]}),  # a comma: quoted
        pd.DataFrame({"a": ['say "hi"', "z"], "b": [1.0, 2.0]}),  # a quote: quoted and doubled
        pd.DataFrame({"a": ["two\nlines", "z"], "b": [1.0, 2.0]}),
        pd.DataFrame({"a": [1.5, math.nan]}),  # one column: an empty value is quoted
        pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": [1.0, 2.0]}),
        pd.DataFrame({"a": [True, None], "b": [1.0, 2.0]}),
        pd.DataFrame({"a": ["x", 3], "b": [1.0, 2.0]}),  # mixed objects
        pd.DataFrame({"a,b": [1.0], "c": [2.0]}),  # a header needing quotes
        pd.DataFrame([[1.0, 2.0]], columns=["a", "a"]),
        pd.DataFrame({"a": np.array([1.5, 2.25], dtype=np.float32), "b": [1, 2]}),
        pd.DataFrame({"a": pd.to_datetime(["2025-01-01", "2025-02-01"]), "b": [1, 2]}),
        pd.DataFrame({"a": pd.Series(["x", None], dtype="string"), "b": [True, False], "c": [0, -7]}),
        pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype="string")}),
        pd.DataFrame({"a": pd.Categorical(["x", "y"]), "b": pd.Categorical([1.5, 2.0])}),
        pd.DataFrame({"a": pd.period_range("2025-01", periods=2, freq="M"), "b": [1.0, 2.0]}),
    ],
)
def test_tables_the_fast_path_cannot_render_still_match_pandas(table, tmp_path):
    assert same_as_pandas(table, tmp_path)
