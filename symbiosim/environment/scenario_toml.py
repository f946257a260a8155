"""Reading a scenario TOML file and checking its sections and keys (before any table is read)."""

import re
import tomllib
from pathlib import Path

from symbiosim.environment.validation import ScenarioError, ValidationIssue

__all__ = ["SECTIONS", "check_toml_keys", "read_toml", "section"]


SECTIONS = {
    "scenario": ("name", "start", "years", "extends"),
    "parameters": None,
    "tables": None,
    "remove": ("facilities",),
    "policies": None,  # an array of tables, checked by validate_policies
    "money": None,  # checked by symbiosim.environment.money.read_money
}
TABLE_KEYS = ("file", "mode")
TOML_LINE = re.compile(r"at line (\d+)")


def section(data: dict, name: str) -> dict:
    """A top-level TOML table, or an empty one when it is absent or not a table (reported elsewhere)."""
    value = data.get(name, {})
    return value if isinstance(value, dict) else {}


def check_toml_keys(tables: tuple[str, ...], data: dict, file: str) -> list[ValidationIssue]:
    """Unknown sections and keys, and sections of the wrong shape (``tables``: the table names allowed)."""
    issues = []
    for key, value in data.items():
        if key not in SECTIONS:
            issues.append(ValidationIssue(file, None, key, f"unknown section '{key}' (allowed: {sorted(SECTIONS)})"))
        elif key == "policies":
            continue  # [[policies]] is an array of tables
        elif not isinstance(value, dict):
            issues.append(ValidationIssue(file, None, key, f"must be a table ([{key}])"))
    for name, allowed in SECTIONS.items():
        if allowed is None:
            continue
        for key in section(data, name):
            if key in allowed:
                continue
            rule = "only 'facilities' can be removed" if name == "remove" else f"unknown key (allowed: {', '.join(allowed)})"
            issues.append(ValidationIssue(file, None, f"{name}.{key}", rule))
    name = section(data, "scenario").get("name")
    if name is not None and not isinstance(name, str):
        issues.append(ValidationIssue(file, None, "scenario.name", "must be a string"))
    for table, spec in section(data, "tables").items():
        if table not in tables:
            issues.append(
                ValidationIssue(file, None, f"tables.{table}", f"unknown table (allowed: {list(tables)})")
            )
            continue
        if not isinstance(spec, dict):
            issues.append(ValidationIssue(file, None, f"tables.{table}", "must be a table with keys file and mode"))
            continue
        for key in spec:
            if key not in TABLE_KEYS:
                issues.append(ValidationIssue(file, None, f"tables.{table}.{key}", "unknown key (allowed: file, mode)"))
        if not isinstance(spec.get("file"), str):
            issues.append(ValidationIssue(file, None, f"tables.{table}.file", "a file name (string) is required"))
        if spec.get("mode", "extend") not in ("extend", "replace"):
            issues.append(ValidationIssue(file, None, f"tables.{table}.mode", "must be 'extend' or 'replace'"))
    return issues


def read_toml(path: Path, file: str) -> dict:
    """The parsed TOML file.

    Raises:
        ScenarioError: the file is missing, unreadable, not UTF-8 or not valid TOML (with its line).
    """
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([ValidationIssue(file, None, None, "file not found")]) from None
    except UnicodeDecodeError as exc:
        rule = f"cannot be read: not UTF-8 text (byte {exc.start})"
        raise ScenarioError([ValidationIssue(file, None, None, rule)]) from None
    except OSError as exc:
        raise ScenarioError([ValidationIssue(file, None, None, f"cannot be read: {exc.strerror or exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        line = TOML_LINE.search(str(exc))
        row = int(line[1]) if line else None
        raise ScenarioError([ValidationIssue(file, row, None, f"not valid TOML: {exc}")]) from None
