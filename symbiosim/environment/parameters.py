"""Model parameters and run settings: valid ranges, overrides, the first month and the horizon.

The bundled ``catalog/parameters.csv`` names every parameter the model needs, with its unit,
valid range and source; a scenario's own parameters table may change values, and a run may
override them (:func:`run_settings`).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from symbiosim.environment.validation import FILE_COLUMN, LINE_COLUMN, ScenarioError, ValidationIssue

if TYPE_CHECKING:
    from symbiosim.environment.scenario import Scenario

__all__ = [
    "DEFAULT_START",
    "MAX_YEARS",
    "RETIRED_PARAMETERS",
    "model_parameter_names",
    "parameter_bounds",
    "parameter_range_issues",
    "parse_start",
    "run_settings",
]

DEFAULT_START = dt.date(2025, 1, 1)
# parameters of earlier versions, and why a scenario no longer needs them
RETIRED_PARAMETERS = {
    "search_radius_km": "searches reach every partner with whom a trade would pay, at any distance within "
    "the by-product's haul limit (docs/model.md, Information); remove it",
    "search_probability": "an agent searches when what it expects to find is worth the search's cost "
    "(docs/model.md, Information); remove it",
}
MAX_YEARS = 100
MIN_START_YEAR, MAX_START_YEAR = 1700, 2161  # dates are pandas Timestamps (1677-2262): a start year leaves room for MAX_YEARS
START_PATTERN = re.compile(r"(\d{4})-(\d{2})")


def _bundled(path: str) -> Path:
    return Path(str(resources.files("symbiosim.environment").joinpath(f"data/{path}")))


@cache
def _bundled_parameters() -> pd.DataFrame:
    return pd.read_csv(_bundled("catalog/parameters.csv"), keep_default_na=False, na_values=[""])


def model_parameter_names() -> frozenset[str]:
    """Names of the parameters the model needs: every row of the bundled ``parameters.csv``."""
    return frozenset(_bundled_parameters()["name"])


def parameter_bounds(row: dict) -> tuple[float | None, float | None]:
    """A parameter's valid range: its row's, or else the bundled row's (always known)."""
    bundled = _bundled_parameters().set_index("name")
    bounds = []
    for column in ("min_value", "max_value"):
        value = row.get(column)
        if (value is None or pd.isna(value)) and row["name"] in bundled.index:
            value = bundled.at[row["name"], column]
        bounds.append(None if value is None or pd.isna(value) else float(value))
    return bounds[0], bounds[1]


def parameter_range_issues(parameters: dict[str, float], table: pd.DataFrame, where: str) -> list[ValidationIssue]:
    """Values outside their valid range, or not finite.

    The range is the row's ``min_value``/``max_value`` in the scenario's parameters table or,
    where that is blank or absent, the bundled table's, so every model parameter is checked.

    Args:
        parameters: values by name (e.g. after TOML or Python overrides).
        table: the typed parameters table.
        where: what overrode the values (file name, or "overrides"); a value equal to its
            row's is reported at that row (file, line, column ``value``), an overridden one
            under ``where`` with the key ``parameters.NAME``.
    """
    issues = []
    for row in table.to_dict("records"):
        value = parameters.get(row["name"])
        if value is None:
            continue
        if value == row["value"]:
            place = (row[FILE_COLUMN], int(row[LINE_COLUMN]), "value")
        else:
            place = (where, None, f"parameters.{row['name']}")
        unit = row.get("unit") or ""
        low, high = parameter_bounds(row)
        if not math.isfinite(value):
            issues.append(ValidationIssue(*place, f"{value} is not a finite number"))
        elif low is not None and value < low:
            issues.append(ValidationIssue(*place, f"{value} is below the minimum {low} {unit}".rstrip()))
        elif high is not None and value > high:
            issues.append(ValidationIssue(*place, f"{value} is above the maximum {high} {unit}".rstrip()))
    return issues


def parse_start(value: object, file: str) -> tuple[dt.date, list[ValidationIssue]]:
    """The first month from ``"YYYY-MM"`` or a date, and any issue (reported under ``file``)."""
    match = START_PATTERN.fullmatch(value) if isinstance(value, str) else None
    try:
        if isinstance(value, dt.date):  # a TOML date (or date-time): its month
            start = dt.date(value.year, value.month, 1)
        elif match:
            start = dt.date(int(match[1]), int(match[2]), 1)
        else:
            raise ValueError(value)
    except ValueError:
        return DEFAULT_START, [ValidationIssue(file, None, "scenario.start", f"'{value}' is not a month YYYY-MM")]
    if not MIN_START_YEAR <= start.year <= MAX_START_YEAR:
        return start, [
            ValidationIssue(
                file, None, "scenario.start", f"year {start.year} is outside {MIN_START_YEAR}-{MAX_START_YEAR}"
            )
        ]
    return start, []


def run_settings(scenario: Scenario, overrides: dict[str, object]) -> tuple[dict[str, float], int, dt.date]:
    """A run's parameters, horizon (years) and first month: the scenario's, with ``overrides``.

    Args:
        scenario: the validated scenario.
        overrides: model parameters by name (see ``catalog/parameters.csv``), ``years`` or
            ``start`` (``YYYY-MM``).

    Raises:
        ScenarioError: an override is outside its valid range (every problem listed).
        TypeError: an override names no known parameter.
    """
    params = dict(scenario.parameters)
    years, start = scenario.years, scenario.start
    problems: list[ValidationIssue] = []
    for key, value in overrides.items():
        if key == "years":
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 1 <= value <= MAX_YEARS:
                problems.append(
                    ValidationIssue("overrides", None, "years", f"'{value}' is not a whole number in 1-{MAX_YEARS}")
                )
            else:
                years = int(value)
        elif key == "start":
            start, found = parse_start(value, "overrides")
            problems += found
        elif key in params:
            try:
                params[key] = float(value)
            except (TypeError, ValueError):
                problems.append(ValidationIssue("overrides", None, f"parameters.{key}", f"'{value}' is not a number"))
        elif key in RETIRED_PARAMETERS:
            raise TypeError(f"'{key}' is no longer a parameter: {RETIRED_PARAMETERS[key]}")
        else:
            raise TypeError(f"unknown parameter '{key}'; known: {sorted(params)} and years, start")
    problems += parameter_range_issues(params, scenario.tables["parameters"], "overrides")
    if not float(params.get("investment_month", 1)).is_integer():
        month = params["investment_month"]
        problems.append(
            ValidationIssue("overrides", None, "parameters.investment_month", f"{month} is not a whole month")
        )
    if problems:
        raise ScenarioError(problems)
    return params, years, start
