"""Validate tables against ``data/schema.toml`` and report every broken rule at once.

A table is read as text, then each cell is checked and converted. Problems are collected as
:class:`ValidationIssue` records naming the file, the row (the line number in the file,
header = line 1), the column and the rule, and raised together as one
:class:`ScenarioError`. Typed tables carry two bookkeeping columns, ``__file`` and
``__line``, so that checks made after merging still point at the original file and row.
"""

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

__all__ = [
    "FILE_COLUMN",
    "LINE_COLUMN",
    "ScenarioError",
    "ValidationIssue",
    "check_references",
    "empty_table",
    "read_table",
    "schema",
    "validate_table",
]

TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})
FIRST_DATA_LINE = 2
FILE_COLUMN = "__file"
LINE_COLUMN = "__line"


@dataclass(frozen=True)
class ValidationIssue:
    """One broken rule in one place.

    Attributes:
        file: path or name of the file.
        row: line number in the file (header is line 1), or None for a file-level issue.
        column: column name, or TOML key path, or None.
        rule: the rule that was broken, in words.
    """

    file: str
    row: int | None
    column: str | None
    rule: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.rule}"


class ScenarioError(ValueError):
    """Invalid scenario input; ``issues`` lists every problem found."""

    def __init__(self, issues: list[ValidationIssue]) -> None:
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{len(self.issues)} problem(s) in scenario input:\n{lines}")


@cache
def schema() -> dict:
    """The table schemas, read once from the package's ``data/schema.toml``."""
    text = resources.files("symbiosim.environment").joinpath("data/schema.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _unit(spec: dict) -> str:
    return f" {spec['unit']}" if spec.get("unit") else ""


def _convert(value: str, spec: dict) -> tuple[object, str | None]:
    """Convert one text cell; return (value, broken rule or None)."""
    kind = spec["type"]
    if kind == "str":
        if "pattern" in spec and not re.fullmatch(spec["pattern"], value):
            return value, f"'{value}' does not match the id pattern {spec['pattern']}"
        if "allowed" in spec and value not in spec["allowed"]:
            return value, f"'{value}' is not one of {spec['allowed']}"
        return value, None
    if kind == "bool":
        word = value.lower()
        if word in TRUE_WORDS:
            return True, None
        if word in FALSE_WORDS:
            return False, None
        return value, f"'{value}' is not a boolean (true/false)"
    try:
        number = float(value)
    except ValueError:
        return value, f"'{value}' is not a number (unit:{_unit(spec) or ' none'})"
    if number != number or number in (float("inf"), float("-inf")):
        return value, f"'{value}' is not a finite number"
    if kind == "int":
        if not number.is_integer():
            return value, f"'{value}' is not a whole number"
        number = int(number)
    if "min" in spec and number < spec["min"]:
        return number, f"{number} is below the minimum {spec['min']}{_unit(spec)}"
    if "max" in spec and number > spec["max"]:
        return number, f"{number} is above the maximum {spec['max']}{_unit(spec)}"
    return number, None


def validate_table(raw: pd.DataFrame, table: str, file: str) -> tuple[pd.DataFrame, list[ValidationIssue]]:
    """Check a table read as text against its schema and convert its columns.

    Args:
        raw: the table with every cell as a string (empty string for blank).
        table: schema section name, e.g. ``"technologies"``.
        file: file name used in messages.

    Returns:
        The typed table (extra columns kept as text, plus ``__file`` and ``__line``)
        and the list of issues.
    """
    spec = schema()[table]
    columns: dict = spec["columns"]
    issues: list[ValidationIssue] = []
    typed = raw.copy()
    for name, col_spec in columns.items():
        required = col_spec.get("required", True)
        if name not in raw.columns:
            if required:
                issues.append(ValidationIssue(file, 1, name, f"required column '{name}' is missing"))
            typed[name] = "" if col_spec["type"] == "str" else None
            continue
        values: list[object] = []
        bad = False
        for i, cell in enumerate(raw[name].tolist()):
            text = str(cell).strip()
            if text == "":
                if required and (col_spec["type"] != "str" or name in spec["key"]):
                    issues.append(ValidationIssue(file, i + FIRST_DATA_LINE, name, "value is required but blank"))
                    bad = True
                values.append("" if col_spec["type"] == "str" else None)
                continue
            value, problem = _convert(text, col_spec)
            if problem:
                issues.append(ValidationIssue(file, i + FIRST_DATA_LINE, name, problem))
                bad = True
            values.append(value)
        if col_spec["type"] in ("float", "int") and not bad:
            typed[name] = pd.to_numeric(pd.Series(values, index=raw.index, dtype=object))
        else:
            typed[name] = pd.Series(values, index=raw.index, dtype=object)
    key = spec["key"]
    if all(k in raw.columns for k in key) and len(raw):
        for pos in (raw.duplicated(subset=key, keep="first")).to_numpy().nonzero()[0]:
            values_text = ", ".join(f"{k}={raw.iloc[pos][k]}" for k in key)
            issues.append(ValidationIssue(file, int(pos) + FIRST_DATA_LINE, key[0], f"duplicate key ({values_text})"))
    typed[FILE_COLUMN] = file
    typed[LINE_COLUMN] = range(FIRST_DATA_LINE, len(typed) + FIRST_DATA_LINE)
    return typed.reset_index(drop=True), issues


def check_references(tables: dict[str, pd.DataFrame]) -> list[ValidationIssue]:
    """Check every ``references`` rule of the schema across a set of typed tables.

    Args:
        tables: typed tables by schema name (as returned by :func:`validate_table`).

    Returns:
        An issue for every value that names a key missing from the referenced table.
    """
    issues: list[ValidationIssue] = []
    for table, frame in tables.items():
        for column, col_spec in schema()[table]["columns"].items():
            ref = col_spec.get("references")
            if ref is None or column not in frame.columns or not len(frame):
                continue
            ref_table, ref_column = ref.split(".")
            if ref_table not in tables:
                continue
            known = set(tables[ref_table][ref_column].tolist())
            unknown = ~frame[column].isin(known) & (frame[column] != "")
            for _, row in frame[unknown].iterrows():
                issues.append(
                    ValidationIssue(
                        row[FILE_COLUMN],
                        int(row[LINE_COLUMN]),
                        column,
                        f"unknown {ref_column.replace('_', ' ')} '{row[column]}' (not in {ref_table})",
                    )
                )
    return issues


def read_table(path: Path | str, table: str, display: str | None = None) -> tuple[pd.DataFrame, list[ValidationIssue]]:
    """Read one CSV file as text and validate it against the schema of ``table``."""
    name = display or str(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        return empty_table(table), [ValidationIssue(name, None, None, "file not found")]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        return empty_table(table), [ValidationIssue(name, None, None, f"cannot be read as CSV: {exc}")]
    raw.columns = [str(c).strip() for c in raw.columns]
    return validate_table(raw, table, name)


def empty_table(table: str) -> pd.DataFrame:
    """An empty typed table with the schema's columns."""
    frame = pd.DataFrame(columns=[*schema()[table]["columns"], FILE_COLUMN, LINE_COLUMN])
    frame[FILE_COLUMN] = frame[FILE_COLUMN].astype(object)
    return frame
