"""Validate tables against ``data/schema.toml`` and report every broken rule at once.

A table is read as text, then each cell is checked and converted. Problems are collected as
:class:`ValidationIssue` records naming the file, the row (the line number in the file,
header = line 1), the column and the rule, and raised together as one
:class:`ScenarioError`. Typed tables carry two bookkeeping columns, ``__file`` and
``__line``, so that checks made after merging still point at the original file and row.

CSV files are UTF-8 (a byte-order mark is allowed). Blank lines, and lines whose cells are
all blank, are skipped but still counted, so that row numbers are always line numbers in
the file; a row with fewer cells than the header is padded with blanks.
"""

import csv
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "FILE_COLUMN",
    "LINE_COLUMN",
    "ScenarioError",
    "ValidationIssue",
    "check_references",
    "empty_table",
    "optional_floats",
    "read_table",
    "read_text_rows",
    "row_issue",
    "schema",
    "validate_table",
]

TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})
FIRST_DATA_LINE = 2
BUNDLED_FILES = ("catalog/", "jjj/")  # how issues and rows name the bundled tables (scenario._default_tables)
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
def agent_classes() -> dict[str, str]:
    """The agent classes a sector may use, with their descriptions (``data/agent_classes.csv``)."""
    with resources.files("symbiosim.environment").joinpath("data/agent_classes.csv").open(encoding="utf-8") as handle:
        return {row["agent_class"]: row["description"] for row in csv.DictReader(handle)}


@cache
def schema() -> dict:
    """The table schemas, read once from the package's ``data/schema.toml``.

    The allowed values of ``sectors.agent_class`` are the classes of ``data/agent_classes.csv``.
    """
    text = resources.files("symbiosim.environment").joinpath("data/schema.toml").read_text(encoding="utf-8")
    tables = tomllib.loads(text)
    tables["sectors"]["columns"]["agent_class"]["allowed"] = list(agent_classes())
    return tables


def _unit(spec: dict) -> str:
    return f" {spec['unit']}" if spec.get("unit") else ""


def _is_coded(spec: dict) -> bool:
    """A text column whose values are ids or codes (not free text), so a blank is not allowed."""
    return any(rule in spec for rule in ("pattern", "allowed", "references"))


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


def validate_table(
    raw: pd.DataFrame, table: str, file: str, lines: list[int] | None = None
) -> tuple[pd.DataFrame, list[ValidationIssue]]:
    """Check a table read as text against its schema and convert its columns.

    Args:
        raw: the table with every cell as a string (empty string for blank).
        table: schema section name, e.g. ``"technologies"``.
        file: file name used in messages.
        lines: line number in the file of each row of ``raw``; by default the rows are
            taken to be on consecutive lines after a header on line 1.

    Returns:
        The typed table (extra columns kept as text, plus ``__file`` and ``__line``)
        and the list of issues.
    """
    spec = schema()[table]
    columns: dict = spec["columns"]
    issues: list[ValidationIssue] = []
    if lines is None:
        lines = list(range(FIRST_DATA_LINE, len(raw) + FIRST_DATA_LINE))
    if len(lines) != len(raw):
        raise ValueError(f"{len(lines)} line numbers for {len(raw)} rows")
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
                if required and (col_spec["type"] != "str" or name in spec["key"] or _is_coded(col_spec)):
                    issues.append(ValidationIssue(file, lines[i], name, "value is required but blank"))
                    bad = True
                values.append("" if col_spec["type"] == "str" else None)
                continue
            value, problem = _convert(text, col_spec)
            if problem:
                issues.append(ValidationIssue(file, lines[i], name, problem))
                bad = True
            values.append(value)
        if col_spec["type"] in ("float", "int") and not bad:
            typed[name] = pd.to_numeric(pd.Series(values, index=raw.index, dtype=object))
        else:
            typed[name] = pd.Series(values, index=raw.index, dtype=object)
    key = spec["key"]
    if all(k in raw.columns or not columns[k].get("required", True) for k in key):  # a missing optional part is blank
        first_line: dict[tuple[str, ...], int] = {}
        for i, values in enumerate(zip(*(typed[k].tolist() for k in key), strict=True)):
            text = tuple("" if v is None else str(v) for v in values)
            if any(t == "" and columns[k].get("required", True) for t, k in zip(text, key, strict=True)):
                continue  # a blank required key is reported as blank; a blank optional one is a value
            if text in first_line:
                values_text = ", ".join(f"{k}={v}" for k, v in zip(key, text, strict=True))
                issues.append(
                    ValidationIssue(
                        file, lines[i], key[0], f"duplicate key ({values_text}), first on row {first_line[text]}"
                    )
                )
            else:
                first_line[text] = lines[i]
    typed[FILE_COLUMN] = file
    typed[LINE_COLUMN] = pd.Series(lines, index=typed.index, dtype="int64")
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
    return _collapse_bundled(issues, tables)


def is_bundled(file: str) -> bool:
    """Whether ``file`` (an issue's or a row's file) is one of symbiosim's bundled tables."""
    return file.startswith(BUNDLED_FILES)


def _collapse_bundled(issues: list[ValidationIssue], tables: dict[str, pd.DataFrame]) -> list[ValidationIssue]:
    """One issue per bundled table whose rows name what the scenario's own tables no longer have.

    A scenario that replaces ``facilities`` (or a catalog table) but keeps a bundled table that
    refers to it would otherwise get one error per bundled row, blamed on a file it never touched.
    """
    kept, bundled = [], {}
    for issue in issues:
        if is_bundled(issue.file) and issue.row is not None:
            bundled.setdefault((issue.file, issue.column), []).append(issue)
        else:
            kept.append(issue)
    for (file, column), found in bundled.items():
        table = Path(file).stem
        referred = schema()[table]["columns"][column]["references"].split(".")[0]
        where = "your own" if not all(is_bundled(f) for f in tables[referred][FILE_COLUMN]) else "the"
        kept.append(ValidationIssue(file, None, column, (
            f"{len(found)} row(s) of the bundled {table} table name {column} values not in {where} {referred} table "
            f"({found[0].rule.split(' (')[0].removeprefix('unknown ')}, ...): replace {table} as well, with a file "
            f'of your {referred}: [tables.{table}] file = "{table}.csv" mode = "replace" (a file with the header '
            "only if none applies)")))  # fmt: skip
    return kept


def _read_text_rows(path: Path | str, name: str) -> tuple[list[str], list[list[str]], list[int], list[ValidationIssue]]:
    """Header, rows and line number of each row of a CSV file, read as text.

    Raises:
        OSError, UnicodeDecodeError: the file cannot be read.
    """
    issues: list[ValidationIssue] = []
    header: list[str] | None = None
    header_line = 1
    rows: list[list[str]] = []
    lines: list[int] = []
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        previous = 0
        try:
            for fields in reader:
                line, previous = previous + 1, reader.line_num
                if not any(field.strip() for field in fields):
                    continue
                if header is None:
                    header, header_line = [field.strip() for field in fields], line
                    continue
                if len(fields) > len(header) and any(field.strip() for field in fields[len(header) :]):
                    issues.append(
                        ValidationIssue(
                            name, line, None, f"row has {len(fields)} cells but the header has {len(header)} columns"
                        )
                    )
                rows.append((fields + [""] * len(header))[: len(header)])
                lines.append(line)
        except csv.Error as exc:
            return [], [], [], [ValidationIssue(name, reader.line_num, None, f"cannot be read as CSV: {exc}")]
    if header is None:
        return [], [], [], [ValidationIssue(name, None, None, "file is empty (no header line)")]
    keep: list[int] = []
    for position, column in enumerate(header):
        if column == "":
            if any(row[position].strip() for row in rows):
                issues.append(ValidationIssue(name, header_line, None, f"column {position + 1} has no name"))
        elif column in header[:position]:
            issues.append(ValidationIssue(name, header_line, column, f"column '{column}' appears more than once"))
        else:
            keep.append(position)
    columns = [header[p] for p in keep]
    return columns, [[row[p] for p in keep] for row in rows], lines, issues


def read_text_rows(path: Path | str, name: str) -> tuple[list[str], list[list[str]], list[int], list[ValidationIssue]]:
    """Header, rows (as text) and line number of each row of a CSV file, and any issue.

    A file that cannot be read gives no columns and an issue naming ``name``.
    """
    try:
        return _read_text_rows(path, name)
    except FileNotFoundError:
        return [], [], [], [ValidationIssue(name, None, None, "file not found")]
    except UnicodeDecodeError as exc:
        return (
            [],
            [],
            [],
            [ValidationIssue(name, None, None, f"cannot be read as CSV: not UTF-8 text (byte {exc.start})")],
        )
    except OSError as exc:
        return [], [], [], [ValidationIssue(name, None, None, f"cannot be read: {exc.strerror or exc}")]


def read_table(path: Path | str, table: str, display: str | None = None) -> tuple[pd.DataFrame, list[ValidationIssue]]:
    """Read one CSV file as text and validate it against the schema of ``table``.

    Row numbers in the issues are line numbers in the file (header = line 1), also when
    the file has blank lines or quoted cells that span lines.
    """
    name = display or str(path)
    columns, rows, lines, issues = read_text_rows(path, name)
    if not columns:
        return empty_table(table), issues
    raw = pd.DataFrame(rows, columns=columns, dtype=object) if rows else pd.DataFrame(columns=columns, dtype=object)
    typed, found = validate_table(raw, table, name, lines)
    return typed, issues + found


def row_issue(row: pd.Series, column: str, rule: str) -> ValidationIssue:
    """An issue about one row of a typed table (its file and line from the bookkeeping columns)."""
    return ValidationIssue(row[FILE_COLUMN], int(row[LINE_COLUMN]), column, rule)


def optional_floats(table: pd.DataFrame, column: str, default: float) -> NDArray[np.float64]:
    """An optional numeric column of a typed table as floats, ``default`` where blank or missing."""
    if column not in table.columns:
        return np.full(len(table), default)
    return pd.to_numeric(table[column].replace("", np.nan), errors="coerce").fillna(default).to_numpy(dtype=float)


def empty_table(table: str) -> pd.DataFrame:
    """An empty typed table with the schema's columns."""
    frame = pd.DataFrame(columns=[*schema()[table]["columns"], FILE_COLUMN, LINE_COLUMN])
    frame[FILE_COLUMN] = frame[FILE_COLUMN].astype(object)
    return frame
