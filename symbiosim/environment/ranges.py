"""Documented ranges of catalog values, and scenarios whose values are drawn from them.

A ranges table (bundled: ``data/calibration/ranges.csv``; columns in ``data/schema.toml``,
section ``ranges``) says, for a catalog value or a group of them, over what range it is
uncertain and with what distribution. One draw of a range is a quantile ``u`` in (0, 1): every
cell the row matches takes its value at ``u``, so the cells of one row move together (e.g. all
freight tariffs). A triangular range has its mode at the scenario's own value of the cell, so the
single run of the scenario is the distribution's most likely case.

- ``absolute``: ``low`` and ``high`` are in the column's unit, and every matched value must lie
  between them.
- ``relative``: ``low`` and ``high`` are factors of each matched value (``low <= 1 <= high``);
  several columns (``a;b``) take one factor, so an ordered pair (an outlet's first and last
  price) keeps its order.
"""

import dataclasses
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from symbiosim.environment.money import CATALOG_MONEY
from symbiosim.environment.parameters import parameter_bounds
from symbiosim.environment.scenario import Scenario
from symbiosim.environment.validation import (
    FILE_COLUMN,
    LINE_COLUMN,
    ScenarioError,
    ValidationIssue,
    read_table,
    row_issue,
    schema,
)

__all__ = [
    "BUNDLED_RANGES",
    "Range",
    "applicable_ranges",
    "current_table",
    "drawn_scenario",
    "load_ranges",
    "quantile_value",
    "range_issues",
    "read_ranges",
]

BUNDLED_RANGES = Path(str(resources.files("symbiosim.environment").joinpath("data/calibration/ranges.csv")))
EVERY_ROW = "*"
COLUMN_SEPARATOR = ";"


@dataclass(frozen=True)
class Range:
    """One row of a ranges table, checked on its own (:func:`read_ranges`)."""

    table: str
    rows: str
    columns: tuple[str, ...]
    distribution: str
    low: float
    high: float
    relative: bool
    unit: str
    file: str = ""
    line: int = 0

    @property
    def label(self) -> str:
        """The range's name in outputs: ``table[rows].column`` (columns joined by ``+``)."""
        return f"{self.table}[{self.rows}].{'+'.join(self.columns)}"

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """The rows of ``frame`` (a table of the range's kind) that the range varies."""
        if self.rows == EVERY_ROW:
            return pd.Series(True, index=frame.index)
        column, value = self.rows.split("=", 1)
        if pd.api.types.is_numeric_dtype(frame[column]):  # e.g. capex_cny_per_tpa=250 (also 250.0)
            try:
                return pd.to_numeric(frame[column]) == float(value)
            except ValueError:
                return pd.Series(False, index=frame.index)
        return frame[column].astype(str) == value

    def issue(self, column: str, rule: str) -> ValidationIssue:
        """A problem with this row, located by its file, line and ``column``."""
        return ValidationIssue(self.file, self.line, column, rule)


def quantile_value(distribution: str, low: float, mode: float, high: float, u: float) -> float:
    """The value at quantile ``u`` of a triangular (``low``, ``mode``, ``high``) or uniform distribution.

    Examples:
        >>> quantile_value("triangular", 0.0, 1.0, 2.0, 0.5), quantile_value("uniform", 10.0, 0.0, 20.0, 0.25)
        (1.0, 12.5)
        >>> round(quantile_value("triangular", 0.0, 0.0, 1.0, 0.75), 4)  # 1 - sqrt(0.25)
        0.5
    """
    if high <= low:
        return low
    if distribution == "uniform":
        return low + u * (high - low)
    split = (mode - low) / (high - low)
    if u < split:
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1.0 - u) * (high - low) * (high - mode))


def read_ranges(path: str | Path | None = None) -> list[Range]:
    """Read a ranges table and check each row on its own (schema, columns, ends).

    Raises:
        ScenarioError: every problem, by file, row and column (an unknown table or a column that
            is not a number of it; several columns on an absolute scale; high below low; a
            relative range not around 1).
    """
    file = str(BUNDLED_RANGES if path is None else path)
    if path is not None and Path(path).exists() and not Path(path).is_file():
        raise ScenarioError([ValidationIssue(file, None, None, "not a regular file")])
    frame, issues = read_table(BUNDLED_RANGES if path is None else path, "ranges", file)
    ranges = []
    if not issues:
        for _, row in frame.iterrows():
            found, made = _read_row(row)
            issues += found
            if made is not None:
                ranges.append(made)
    if issues:
        raise ScenarioError(issues)
    return ranges


def _read_row(row: pd.Series) -> tuple[list[ValidationIssue], Range | None]:
    table, spec = row["table"], schema()[row["table"]]["columns"]
    columns = tuple(c.strip() for c in str(row["columns"]).split(COLUMN_SEPARATOR))
    relative = row["scale"] == "relative"
    low, high = float(row["low"]), float(row["high"])
    unknown = [c for c in columns if c not in spec or spec[c]["type"] != "float"]
    if unknown:
        return [row_issue(row, "columns", f"{unknown} not a numeric (float) column of {table}")], None
    if len(columns) > 1 and not relative:
        return [row_issue(row, "columns", "several columns need scale = relative (one factor for all)")], None
    if not low <= high:
        return [row_issue(row, "high", f"{high} is below low {low}")], None
    if relative and not (0 <= low <= 1 <= high):
        return [row_issue(row, "low", f"a relative range needs 0 <= low <= 1 <= high (got {low}-{high})")], None
    rows = str(row["rows"]).strip()
    return [], Range(table, rows, columns, row["distribution"], low, high, relative, row["unit"],
                     row[FILE_COLUMN], int(row[LINE_COLUMN]))  # fmt: skip


def current_table(scenario: Scenario, table: str) -> pd.DataFrame:
    """A table as the scenario uses it: ``parameters.value`` is the scenario's own value (its TOML overrides too)."""
    frame = scenario.table(table)
    if table == "parameters":
        frame = frame.assign(value=[scenario.parameters.get(n, v) for n, v in zip(frame["name"], frame["value"], strict=True)])
    return frame


def range_issues(ranges: list[Range], scenario: Scenario) -> list[tuple[Range, ValidationIssue]]:
    """What keeps each range from applying to ``scenario``.

    Rows it does not match, values outside an absolute range, draws beyond a column's valid
    bounds, and rows that vary a cell another row varies.
    """
    found: list[tuple[Range, ValidationIssue]] = []
    touched: dict[tuple[str, str], list[tuple[Range, pd.Series]]] = {}
    for item in ranges:
        frame = current_table(scenario, item.table)
        issues = _fit(item, frame)
        found += [(item, issue) for issue in issues]
        if issues:
            continue
        mask = item.mask(frame)
        for column in item.columns:
            for other, other_mask in touched.get((item.table, column), []):
                if (mask & other_mask).any():
                    found.append((item, item.issue("rows", f"varies {item.table}.{column} in rows that row "
                                                           f"{other.line} ({other.label}) varies too")))  # fmt: skip
            touched.setdefault((item.table, column), []).append((item, mask))
    return found


def _fit(item: Range, frame: pd.DataFrame) -> list[ValidationIssue]:
    if item.rows != EVERY_ROW:
        column, _, value = item.rows.partition("=")
        if column not in frame.columns or not value:
            return [item.issue("rows", f"'{item.rows}' is not * or column=value with a column of {item.table}")]
    matched = frame[item.mask(frame)]
    if matched.empty:
        return [item.issue("rows", f"'{item.rows}' matches no row of {item.table}")]
    issues = []
    spec = schema()[item.table]["columns"]
    low, high = item.low, item.high
    for column in item.columns:
        values = pd.to_numeric(matched[column], errors="coerce")
        if values.isna().any():
            issues.append(item.issue("columns", f"{item.table}.{column} is blank in a matched row"))
            continue
        ends = (values * low, values * high) if item.relative else (pd.Series(low), pd.Series(high))
        smallest, largest = min(e.min() for e in ends), max(e.max() for e in ends)
        if not item.relative and not (low <= values.min() and values.max() <= high):
            issues.append(item.issue("low", f"{item.table}.{column} has values {values.min():g}-{values.max():g} "
                                            f"outside the range {low:g}-{high:g}"))  # fmt: skip
        bound_min, bound_max = _bounds(item.table, column, spec[column], matched)
        if smallest < bound_min or largest > bound_max:
            issues.append(item.issue("high" if largest > bound_max else "low",
                                     f"draws of {item.table}.{column} would reach {smallest:g}-{largest:g}, outside "
                                     f"its valid bounds {bound_min:g}-{bound_max:g}"))  # fmt: skip
    return issues


def load_ranges(path: str | Path | None, scenario: Scenario) -> list[Range]:
    """Read a ranges table and check every row against the scenario (strict: any problem is an error).

    Raises:
        ScenarioError: every problem of :func:`read_ranges` and :func:`range_issues`.
    """
    ranges = read_ranges(path)
    issues = [issue for _, issue in range_issues(ranges, scenario)]
    if issues:
        raise ScenarioError(issues)
    return ranges


def applicable_ranges(scenario: Scenario) -> tuple[list[Range], list[ValidationIssue]]:
    """The bundled ranges that apply to ``scenario``, and why each of the others does not.

    A scenario may lack rows the bundled ranges name (no outlets; its own catalog), or set a
    value outside a documented range: those ranges are left out rather than refused.
    """
    ranges = read_ranges(None)
    issues = range_issues(ranges, scenario)
    if scenario.money != CATALOG_MONEY:  # the bundled absolute money ranges are in CNY of 2023
        rule = f"an absolute range in CNY; the scenario's money is {scenario.money.currency} (give --ranges of your own)"
        issues += [(item, ValidationIssue(item.file, item.line, "unit", rule)) for item in ranges
                   if not item.relative and "CNY" in item.unit and id(item) not in {id(i) for i, _ in issues}]  # fmt: skip
    left_out = {id(item) for item, _ in issues}
    return [r for r in ranges if id(r) not in left_out], [issue for _, issue in issues]


def _bounds(table: str, column: str, spec: dict, matched: pd.DataFrame) -> tuple[float, float]:
    """The valid bounds of a column (the parameter's own for ``parameters.value``, as the loader checks them)."""
    if table == "parameters" and column == "value":
        bounds = [parameter_bounds(row) for row in matched.to_dict("records")]
        lows = [low for low, _ in bounds if low is not None]
        highs = [high for _, high in bounds if high is not None]
        return max(lows, default=-math.inf), min(highs, default=math.inf)
    return spec.get("min", -math.inf), spec.get("max", math.inf)


def drawn_scenario(scenario: Scenario, ranges: list[Range], quantiles: np.ndarray) -> Scenario:
    """A copy of ``scenario`` with each range's cells at its quantile (one per range, in (0, 1)).

    Every range's rows are those of the scenario as given (one range's draw does not decide
    which rows another varies). The name and source stay the scenario's; its digest differs.
    """
    tables = dict(scenario.tables)
    parameters = dict(scenario.parameters)
    originals = {item.table: current_table(scenario, item.table) for item in ranges}
    masks = [item.mask(originals[item.table]).to_numpy() for item in ranges]
    for table, original in originals.items():
        tables[table] = scenario.tables[table].copy()
        if table == "parameters":
            tables[table]["value"] = original["value"].to_numpy()
    for item, rows, u in zip(ranges, masks, quantiles, strict=True):
        frame = tables[item.table]
        if item.relative:
            factor = quantile_value(item.distribution, item.low, 1.0, item.high, float(u))
            for column in item.columns:
                frame.loc[rows, column] = pd.to_numeric(originals[item.table].loc[rows, column]).to_numpy() * factor
        else:
            (column,) = item.columns
            frame.loc[rows, column] = [
                quantile_value(item.distribution, item.low, float(mode), item.high, float(u))
                for mode in originals[item.table].loc[rows, column]
            ]
        if item.table == "parameters":
            for name, value in zip(frame.loc[rows, "name"], frame.loc[rows, "value"], strict=True):
                parameters[name] = float(value)
    return dataclasses.replace(scenario, tables=tables, parameters=parameters)
