"""Validate the ``[[policies]]`` tables of a scenario file against ``schema.toml``.

The result is a list of plain specifications (dates parsed, lists as tuples) that
``symbiosim.policies.build_policies`` turns into policy objects; every problem is a
:class:`ValidationIssue` naming the file and the key path, e.g. ``policies[2].cap_share``.
"""

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from symbiosim.environment.validation import ValidationIssue, read_text_rows, schema

__all__ = ["COMMON_KEYS", "SCOPE_KEYS", "validate_policies"]

SCOPE_KEYS = {
    "provinces": ("facilities", "province"),
    "cities": ("facilities", "city"),
    "sectors": ("sectors", "sector"),
    "facility_ids": ("facilities", "facility_id"),
}
COMMON_KEYS = ("type", "start", "end", "every_year", "schedule", *SCOPE_KEYS)
END_OPTIONAL = ("capacity_replacement",)  # acts once, at start: end defaults to start
SCHEDULE_COLUMN_TYPES = ("float", "int", "str", "list")  # maps are set in the TOML entry
GRADES = ("A", "B", "C", "D")


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _number(value: object, spec: dict) -> tuple[object, str | None]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value, f"'{value}' is not a number ({spec.get('unit', 'no unit')})"
    if not math.isfinite(value):
        return value, f"'{value}' is not a finite number"
    if spec["type"] == "int" and not float(value).is_integer():
        return value, f"'{value}' is not a whole number"
    if "min" in spec and value < spec["min"]:
        return value, f"{value} is below the minimum {spec['min']} {spec.get('unit', '')}".rstrip()
    if "max" in spec and value > spec["max"]:
        return value, f"{value} is above the maximum {spec['max']} {spec.get('unit', '')}".rstrip()
    return (int(value) if spec["type"] == "int" else float(value)), None


def _names(value: object, known: set[str], what: str) -> tuple[tuple[str, ...], str | None]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return (), "must be a list of names"
    unknown = [v for v in value if v not in known]
    if unknown:
        return (), f"unknown {what}: {unknown}"
    return tuple(value), None


def _known(tables: dict[str, pd.DataFrame], reference: str) -> set[str]:
    table, column = reference.split(".")
    return set(tables[table][column].astype(str))


def validate_policies(
    entries: object, tables: dict[str, pd.DataFrame], file: str
) -> tuple[list[dict], list[ValidationIssue]]:
    """Check ``[[policies]]`` entries; return the parsed specifications and every issue found.

    An entry with ``schedule = "file.csv"`` becomes one specification per row of that CSV
    file: its columns (``start``, ``end``, scope keys and the type's numeric, text and list
    keys; lists separated by ``;``) override the entry's keys, and a blank cell keeps the
    entry's value. Problems in a row name the CSV file, the row and the column.
    """
    if entries is None:
        return [], []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return [], [ValidationIssue(file, None, "policies", "must be an array of tables ([[policies]])")]
    types = schema()["policy_types"]
    specs, issues = [], []
    for i, entry in enumerate(entries):
        where = f"policies[{i}]"

        def at_key(key: str, rule: str, where: str = where) -> ValidationIssue:
            return ValidationIssue(file, None, f"{where}.{key}", rule)

        kind = entry.get("type")
        if kind not in types:
            issues.append(at_key("type", f"'{kind}' is not one of {sorted(types)}"))
            continue
        found = _unknown_keys(entry, kind, types[kind], at_key)
        if "schedule" not in entry:
            spec, problems = _validate_entry(entry, kind, types[kind], tables, at_key)
            found += problems
            specs += [] if found else [spec]
        elif not isinstance(entry["schedule"], str):
            found.append(at_key("schedule", "must be the name of a CSV file"))
        else:
            rows, problems = _schedule_rows(entry, kind, types[kind], Path(file).parent / entry["schedule"])
            found += problems
            for row_entry, at_column in rows:
                spec, problems = _validate_entry(row_entry, kind, types[kind], tables, at_column)
                found += problems
                specs += [] if problems else [spec]
            if not rows and not problems:
                found.append(at_key("schedule", f"'{entry['schedule']}' has no rows"))
        issues += found
    return specs, issues


def _unknown_keys(entry: dict, kind: str, keys: dict, at_key: Callable) -> list[ValidationIssue]:
    allowed = sorted({*COMMON_KEYS, *keys} - {"type"})
    return [
        at_key(key, f"unknown key for {kind} (allowed: {allowed})")
        for key in entry
        if key not in COMMON_KEYS and key not in keys
    ]


def _schedule_rows(
    entry: dict, kind: str, keys: dict, path: Path
) -> tuple[list[tuple[dict, Callable]], list[ValidationIssue]]:
    """One entry per row of a schedule CSV file (the TOML entry's keys as defaults)."""
    name = str(path)
    columns, rows, lines, issues = read_text_rows(path, name)
    scalar = {k for k, spec in keys.items() if spec["type"] in SCHEDULE_COLUMN_TYPES}
    allowed = ["start", "end", "every_year", *SCOPE_KEYS, *sorted(scalar)]
    for column in columns:
        if column not in allowed:
            issues.append(
                ValidationIssue(name, 1, column, f"unknown column for a {kind} schedule (allowed: {allowed})")
            )
    base = {k: v for k, v in entry.items() if k != "schedule"}
    out = []
    for cells, line in zip(rows, lines, strict=True):
        row_entry = dict(base)
        for column, cell in zip(columns, cells, strict=True):
            text = cell.strip()
            if column in allowed and text:
                row_entry[column] = _cell(text, column, keys)

        def at_column(key: str, rule: str, line: int = line) -> ValidationIssue:
            return ValidationIssue(name, line, key, rule)

        out.append((row_entry, at_column))
    return out, issues


def _cell(text: str, column: str, keys: dict) -> object:
    """A schedule cell as the TOML value it stands for (left as text when it does not parse)."""
    kind = "list" if column in SCOPE_KEYS else keys.get(column, {}).get("type")
    if column == "every_year":
        word = text.lower()
        return True if word in ("true", "1", "yes") else False if word in ("false", "0", "no") else text
    if kind == "list":
        return [part.strip() for part in text.split(";") if part.strip()]
    if kind in ("float", "int"):
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _validate_entry(
    entry: dict, kind: str, keys: dict, tables: dict[str, pd.DataFrame], at_key: Callable
) -> tuple[dict, list[ValidationIssue]]:
    """The specification of one policy entry and the issues found (``at_key(key, rule)`` places them)."""
    spec: dict = {"type": kind, "every_year": False}
    found = []
    for key in ("start", "end"):
        if key == "end" and "end" not in entry and kind in END_OPTIONAL:
            spec["end"] = spec["start"]
            continue
        value = _date(entry.get(key))
        if value is None:
            found.append(at_key(key, f"'{entry.get(key)}' is not a date YYYY-MM-DD"))
        spec[key] = value
    if spec["start"] and spec["end"] and spec["end"] < spec["start"]:
        found.append(at_key("end", f"{spec['end']} is before start {spec['start']}"))
    if "every_year" in entry:
        if not isinstance(entry["every_year"], bool):
            found.append(at_key("every_year", "must be true or false"))
        else:
            spec["every_year"] = entry["every_year"]
    for key, (table, column) in SCOPE_KEYS.items():
        if key in entry:
            spec[key], problem = _names(entry[key], set(tables[table][column].astype(str)), key.replace("_", " "))
            if problem:
                found.append(at_key(key, problem))
    for key, col_spec in keys.items():
        if key not in entry:
            if col_spec.get("required", True):
                found.append(at_key(key, f"required for {kind}"))
            continue
        value, problem = entry[key], None
        if col_spec["type"] in ("float", "int"):
            value, problem = _number(value, col_spec)
        elif col_spec["type"] == "str":
            if value not in col_spec.get("allowed", [value]):
                problem = f"'{value}' is not one of {col_spec['allowed']}"
        elif col_spec["type"] == "list":
            allowed = set(col_spec["allowed"]) if "allowed" in col_spec else _known(tables, col_spec["references"])
            value, problem = _names(value, allowed, key.replace("_", " "))
        elif col_spec["type"] == "product_map":
            value, problem = _share_map(value, _known(tables, "products.product"), "product names", "t CO2 per unit")
        elif col_spec["type"] == "grade_map":
            value, problem = _share_map(value, set(GRADES), f"emission grades {list(GRADES)}", "cap shares", 1.0)
        if problem:
            found.append(at_key(key, problem))
        spec[key] = value
    return spec, found


def _share_map(
    value: object, names: set[str], what: str, unit: str, high: float | None = None
) -> tuple[object, str | None]:
    """A table of non-negative numbers by name (``high``: an upper bound)."""
    if not isinstance(value, dict) or any(name not in names for name in value):
        return value, f"must map {what if what.startswith('emission') else f'{what} ({sorted(names)})'} to {unit}"
    bounds = {"type": "float", "min": 0.0, **({"max": high} if high is not None else {})}
    for number in value.values():
        _, problem = _number(number, bounds)
        if problem:
            return value, problem
    return {name: float(number) for name, number in value.items()}, None
