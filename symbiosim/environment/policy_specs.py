"""Validate the ``[[policies]]`` tables of a scenario file against ``schema.toml``.

The result is a list of plain specifications (dates parsed, lists as tuples) that
``symbiosim.policies.build_policies`` turns into policy objects; every problem is a
:class:`ValidationIssue` naming the file and the key path, e.g. ``policies[2].cap_share``.
"""

import datetime as dt
import math

import pandas as pd

from symbiosim.environment.validation import ValidationIssue, schema

__all__ = ["COMMON_KEYS", "SCOPE_KEYS", "validate_policies"]

SCOPE_KEYS = {
    "provinces": ("facilities", "province"),
    "cities": ("facilities", "city"),
    "sectors": ("sectors", "sector"),
    "facility_ids": ("facilities", "facility_id"),
}
COMMON_KEYS = ("type", "start", "end", "every_year", *SCOPE_KEYS)
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
    """Check ``[[policies]]`` entries; return the parsed specifications and every issue found."""
    if entries is None:
        return [], []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return [], [ValidationIssue(file, None, "policies", "must be an array of tables ([[policies]])")]
    types = schema()["policy_types"]
    specs, issues = [], []
    for i, entry in enumerate(entries):
        where = f"policies[{i}]"
        kind = entry.get("type")
        if kind not in types:
            issues.append(ValidationIssue(file, None, f"{where}.type", f"'{kind}' is not one of {sorted(types)}"))
            continue
        keys = types[kind]
        spec: dict = {"type": kind, "every_year": False}
        found = []
        for key in entry:
            if key not in COMMON_KEYS and key not in keys:
                found.append(
                    ValidationIssue(
                        file,
                        None,
                        f"{where}.{key}",
                        f"unknown key for {kind} (allowed: {sorted({*COMMON_KEYS, *keys} - {'type'})})",
                    )
                )
        for key in ("start", "end"):
            value = _date(entry.get(key))
            if value is None:
                found.append(
                    ValidationIssue(file, None, f"{where}.{key}", f"'{entry.get(key)}' is not a date YYYY-MM-DD")
                )
            spec[key] = value
        if spec["start"] and spec["end"] and spec["end"] < spec["start"]:
            found.append(ValidationIssue(file, None, f"{where}.end", f"{spec['end']} is before start {spec['start']}"))
        if "every_year" in entry:
            if not isinstance(entry["every_year"], bool):
                found.append(ValidationIssue(file, None, f"{where}.every_year", "must be true or false"))
            else:
                spec["every_year"] = entry["every_year"]
        for key, (table, column) in SCOPE_KEYS.items():
            if key in entry:
                spec[key], problem = _names(entry[key], set(tables[table][column].astype(str)), key.replace("_", " "))
                if problem:
                    found.append(ValidationIssue(file, None, f"{where}.{key}", problem))
        for key, col_spec in keys.items():
            if key not in entry:
                if col_spec.get("required", True):
                    found.append(ValidationIssue(file, None, f"{where}.{key}", f"required for {kind}"))
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
                products = _known(tables, "products.product")
                if not isinstance(value, dict) or any(p not in products for p in value):
                    problem = f"must map product names ({sorted(products)}) to t CO2 per unit"
                else:
                    for share in value.values():
                        _, bad = _number(share, {"type": "float", "min": 0.0})
                        problem = problem or bad
                    value = {p: float(v) for p, v in value.items()} if not problem else value
            elif col_spec["type"] == "grade_map":
                if not isinstance(value, dict) or any(g not in GRADES for g in value):
                    problem = f"must map emission grades {list(GRADES)} to cap shares"
                else:
                    for share in value.values():
                        _, bad = _number(share, {"type": "float", "min": 0.0, "max": 1.0})
                        problem = problem or bad
                    value = {g: float(v) for g, v in value.items()} if not problem else value
            if problem:
                found.append(ValidationIssue(file, None, f"{where}.{key}", problem))
            spec[key] = value
        issues += found
        if not found:
            specs.append(spec)
    return specs, issues
