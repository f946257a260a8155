"""The output vocabulary: every series and column symbiosim writes, with its unit and how it aggregates.

One table, ``data/outputs.csv``, like the catalog: a row per (output table, name) with

* ``kind``: ``column`` (a column of the file) or ``series`` (a value of the ``variable`` column
  of a long table, or a metric of a comparison);
* ``item``: what the item dimension ranges over (``byproduct``, ``sector``, ``product``), if any;
* ``unit``: the unit as written in the outputs' ``unit`` columns;
* ``over_months``, ``over_items``, ``over_facilities``: how the quantity aggregates (``sum``,
  ``mean``, ``last`` or ``none``);
* ``label``: a short name for plots and tables (model series and compare metrics);
* ``sweep``: for a model series, its place among the series a sweep records (blank: not
  recorded); the sweep's yearly table sums those whose ``over_months`` is ``sum``;
* ``description``.

The series units of ``timeseries.csv`` and of the ledger tables, the sweep's tables, the
browser app's labels and ``docs/outputs.md`` are read from it; a test fails when a file
writes a name the table lacks.

Examples:
    >>> unit("timeseries", "energy_saved_tce"), over_months("timeseries", "stock_t")
    ('tce', 'last')
    >>> sweep_series()[:3]
    ('exchanged_t', 'landfilled_t', 'energy_tce')
"""

from functools import cache
from importlib import resources

import pandas as pd

__all__ = ["description", "label", "names", "outputs", "over_months", "sweep_series", "sweep_sums", "unit"]


@cache
def _table() -> pd.DataFrame:
    path = resources.files("symbiosim.environment").joinpath("data/outputs.csv")
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


@cache
def _rows() -> dict[tuple[str, str], dict[str, str]]:
    return {(row["table"], row["name"]): row for row in _table().to_dict("records")}


def outputs() -> pd.DataFrame:
    """The whole vocabulary (a copy)."""
    return _table().copy()


def _row(table: str, name: str) -> dict[str, str]:
    try:
        return _rows()[(table, name)]
    except KeyError:
        raise KeyError(f"{table}.{name} is not in the output vocabulary (environment/data/outputs.csv)") from None


def unit(table: str, name: str) -> str:
    """Unit of ``name`` in ``table``.

    Raises:
        KeyError: the vocabulary has no such name.
    """
    return _row(table, name)["unit"]


def over_months(table: str, name: str) -> str:
    """How ``name`` aggregates over months: ``sum``, ``mean``, ``last`` or ``none``."""
    return _row(table, name)["over_months"]


def description(table: str, name: str) -> str:
    """One sentence on what ``name`` is."""
    return _row(table, name)["description"]


def label(table: str, name: str, unit_shown: str | None = None) -> str:
    """A short label for plots and tables, with a unit if given (e.g. ``"exchanged, kt/month"``).

    >>> label("timeseries", "exchanged_t", "kt/month"), label("compare", "co2_mt_per_yr")
    ('exchanged, kt/month', 'CO2 emitted, Mt/yr')
    """
    row = _row(table, name)
    shown = row["unit"] if unit_shown is None else unit_shown
    return f"{row['label'] or name}, {shown}" if shown not in ("", "-", "share", "count") else row["label"] or name


def names(table: str, kind: str = "column") -> list[str]:
    """The columns (``kind="column"``) or series (``"series"``) of ``table``, in the order they are written."""
    frame = _table()
    return frame.loc[(frame["table"] == table) & (frame["kind"] == kind), "name"].tolist()


def sweep_series() -> tuple[str, ...]:
    """The model series a sweep records every month, in their order."""
    frame = _table()
    rows = frame[(frame["table"] == "timeseries") & (frame["sweep"] != "")]
    return tuple(rows.assign(order=rows["sweep"].astype(int)).sort_values("order")["name"])


def sweep_sums() -> tuple[str, ...]:
    """The sweep's series that add up over a year (its yearly table), in their order."""
    return tuple(name for name in sweep_series() if over_months("timeseries", name) == "sum")
