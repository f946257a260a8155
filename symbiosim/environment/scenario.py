"""Scenarios: the bundled default (JJJ) and TOML files that extend or replace it.

A scenario file is TOML::

    [scenario]
    name = "my run"          # free text
    start = "2025-01"        # first simulated month, YYYY-MM
    years = 10               # horizon
    extends = "default"      # "default" (the bundled JJJ scenario) or "none"

    [parameters]             # any row of catalog/parameters.csv
    circuity_factor = 1.4

    [tables.technologies]    # any table of data/schema.toml
    file = "extra_technologies.csv"   # relative to the TOML file
    mode = "extend"          # extend: same key replaces, new key appends; or "replace"

    [remove]
    facilities = ["steel_p100000120125"]

Everything is validated on load; all problems are reported together in a
:class:`~symbiosim.environment.validation.ScenarioError`.
"""

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from symbiosim.environment.validation import (
    FILE_COLUMN,
    LINE_COLUMN,
    ScenarioError,
    ValidationIssue,
    check_references,
    empty_table,
    read_table,
    schema,
)

__all__ = ["CATALOG_TABLES", "SCENARIO_TABLES", "Scenario", "default_scenario", "load_scenario"]

CATALOG_TABLES = (
    "sectors",
    "products",
    "byproducts",
    "generation",
    "materials",
    "technologies",
    "seasonality",
    "parameters",
)
FACILITY_TABLES = ("facilities", "capacities")
SCENARIO_TABLES = (*CATALOG_TABLES, *FACILITY_TABLES, "distances")
OPTIONAL_TABLES = ("distances", "seasonality")
DEFAULT_START = dt.date(2025, 1, 1)
DEFAULT_YEARS = 10
MAX_YEARS = 100
MIN_START_YEAR, MAX_START_YEAR = 1990, 2100


@dataclass
class Scenario:
    """A validated set of tables and settings from which a model is built.

    Attributes:
        name: scenario name.
        tables: typed tables by name (see ``data/schema.toml``); ``distances`` may be empty.
        parameters: model parameters by name (units in ``catalog/parameters.csv``).
        start: first simulated month (day 1).
        years: default horizon in years.
        source: the TOML file, or ``"default"``.
    """

    name: str
    tables: dict[str, pd.DataFrame]
    parameters: dict[str, float]
    start: dt.date = DEFAULT_START
    years: int = DEFAULT_YEARS
    source: str = "default"
    removed: list[str] = field(default_factory=list)

    def table(self, name: str) -> pd.DataFrame:
        """A table without the bookkeeping columns."""
        frame = self.tables[name]
        return frame.drop(columns=[c for c in (FILE_COLUMN, LINE_COLUMN) if c in frame.columns])


def _bundled(path: str) -> Path:
    return Path(str(resources.files("symbiosim.environment").joinpath(f"data/{path}")))


def _default_tables() -> tuple[dict[str, pd.DataFrame], list[ValidationIssue]]:
    tables: dict[str, pd.DataFrame] = {}
    issues: list[ValidationIssue] = []
    for name in CATALOG_TABLES:
        tables[name], found = read_table(_bundled(f"catalog/{name}.csv"), name, f"catalog/{name}.csv")
        issues += found
    for name in FACILITY_TABLES:
        tables[name], found = read_table(_bundled(f"jjj/{name}.csv"), name, f"jjj/{name}.csv")
        issues += found
    tables["distances"] = empty_table("distances")
    return tables, issues


def _finish(tables: dict[str, pd.DataFrame], issues: list[ValidationIssue]) -> None:
    issues += check_references(tables)
    issues += _semantic_checks(tables)
    if issues:
        raise ScenarioError(issues)


def _parameters(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    return {row["name"]: float(row["value"]) for _, row in tables["parameters"].iterrows()}


def default_scenario() -> Scenario:
    """The bundled Beijing–Tianjin–Hebei scenario (GEM plant data, CC BY 4.0)."""
    tables, issues = _default_tables()
    _finish(tables, issues)
    return Scenario(name="JJJ default", tables=tables, parameters=_parameters(tables))


def _row_issue(row: pd.Series, column: str, rule: str) -> ValidationIssue:
    return ValidationIssue(row[FILE_COLUMN], int(row[LINE_COLUMN]), column, rule)


def _semantic_checks(tables: dict[str, pd.DataFrame]) -> list[ValidationIssue]:
    """Rules that span tables beyond simple key references."""
    issues: list[ValidationIssue] = []
    products = tables["products"]
    sector_products = set(zip(products["sector"], products["product"], strict=True))
    product_unit = dict(zip(zip(products["sector"], products["product"], strict=True), products["unit"], strict=True))
    facilities = tables["facilities"]
    sector_of = dict(zip(facilities["facility_id"], facilities["sector"], strict=True))
    for _, row in tables["capacities"].iterrows():
        sector = sector_of.get(row["facility_id"])
        if sector is None:
            continue
        if (sector, row["product"]) not in sector_products:
            issues.append(
                _row_issue(row, "product", f"sector '{sector}' has no product '{row['product']}' in products")
            )
        elif product_unit[(sector, row["product"])] != row["unit"]:
            expected = product_unit[(sector, row["product"])]
            issues.append(_row_issue(row, "unit", f"unit '{row['unit']}' does not match products unit '{expected}'"))
    for _, row in tables["generation"].iterrows():
        if (row["sector"], row["product"]) not in sector_products:
            issues.append(_row_issue(row, "product", f"sector '{row['sector']}' has no product '{row['product']}'"))
    for _, row in tables["technologies"].iterrows():
        for column in ("cap_product", "requires_product"):
            if (row["sink_sector"], row[column]) not in sector_products:
                issues.append(
                    _row_issue(row, column, f"sink sector '{row['sink_sector']}' has no product '{row[column]}'")
                )
    tech = tables["technologies"]
    for group, members in tech[tech["cap_group"] != ""].groupby("cap_group"):
        if members["cap_product"].nunique() > 1:
            row = members.iloc[1]
            issues.append(
                _row_issue(row, "cap_group", f"technologies of cap group '{group}' must share one cap_product")
            )
    required = {"circuity_factor", "bargaining_share", "discount_rate"}
    present = set(tables["parameters"]["name"])
    for name in sorted(required - present):
        issues.append(ValidationIssue("parameters", None, name, f"required parameter '{name}' is missing"))
    return issues


def _merge(base: pd.DataFrame, extra: pd.DataFrame, table: str, mode: str) -> pd.DataFrame:
    if mode == "replace":
        return extra.reset_index(drop=True)
    key = schema()[table]["key"]
    keys_extra = set(map(tuple, extra[key].astype(str).to_numpy().tolist()))
    keep = [tuple(k) not in keys_extra for k in base[key].astype(str).to_numpy().tolist()]
    return pd.concat([base[keep], extra], ignore_index=True)


def _check_toml_keys(data: dict, file: str) -> list[ValidationIssue]:
    allowed = {"scenario", "parameters", "tables", "remove"}
    issues = [
        ValidationIssue(file, None, key, f"unknown section '{key}' (allowed: {sorted(allowed)})")
        for key in data
        if key not in allowed
    ]
    for key in data.get("scenario", {}):
        if key not in {"name", "start", "years", "extends"}:
            issues.append(
                ValidationIssue(file, None, f"scenario.{key}", "unknown key (allowed: name, start, years, extends)")
            )
    for table, spec in data.get("tables", {}).items():
        if table not in SCENARIO_TABLES:
            issues.append(
                ValidationIssue(file, None, f"tables.{table}", f"unknown table (allowed: {list(SCENARIO_TABLES)})")
            )
        elif not isinstance(spec, dict) or not isinstance(spec.get("file"), str):
            issues.append(ValidationIssue(file, None, f"tables.{table}.file", "a file name (string) is required"))
        elif spec.get("mode", "extend") not in ("extend", "replace"):
            issues.append(ValidationIssue(file, None, f"tables.{table}.mode", "must be 'extend' or 'replace'"))
    for key in data.get("remove", {}):
        if key != "facilities":
            issues.append(ValidationIssue(file, None, f"remove.{key}", "only 'facilities' can be removed"))
    return issues


def _parse_start(value: object, file: str) -> tuple[dt.date, list[ValidationIssue]]:
    try:
        year, month = (int(part) for part in str(value).split("-")[:2])
        start = dt.date(year, month, 1)
    except (ValueError, TypeError):
        return DEFAULT_START, [ValidationIssue(file, None, "scenario.start", f"'{value}' is not a month YYYY-MM")]
    if not MIN_START_YEAR <= start.year <= MAX_START_YEAR:
        return start, [
            ValidationIssue(
                file, None, "scenario.start", f"year {start.year} is outside {MIN_START_YEAR}-{MAX_START_YEAR}"
            )
        ]
    return start, []


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load and validate a scenario TOML file, or the default scenario when ``path`` is None.

    Args:
        path: TOML scenario file; CSV files it names are relative to it.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: listing every problem found (file, row or key path, column, rule).
    """
    if path is None:
        return default_scenario()
    path = Path(path)
    file = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([ValidationIssue(file, None, None, "file not found")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([ValidationIssue(file, None, None, f"not valid TOML: {exc}")]) from None
    issues = _check_toml_keys(data, file)
    meta = data.get("scenario", {})
    extends = meta.get("extends", "default")
    if extends not in ("default", "none"):
        issues.append(ValidationIssue(file, None, "scenario.extends", "must be 'default' or 'none'"))
    if extends == "none":
        tables = {name: empty_table(name) for name in SCENARIO_TABLES}
    else:
        tables, found = _default_tables()
        issues += found
    for table, spec in data.get("tables", {}).items():
        if table not in SCENARIO_TABLES or not isinstance(spec, dict) or not isinstance(spec.get("file"), str):
            continue
        csv_path = path.parent / spec["file"]
        frame, found = read_table(csv_path, table, str(csv_path))
        issues += found
        mode = spec.get("mode", "extend")
        tables[table] = frame if tables[table].empty else _merge(tables[table], frame, table, mode)
    missing = [name for name in SCENARIO_TABLES if name not in OPTIONAL_TABLES and tables[name].empty]
    for name in missing:
        issues.append(ValidationIssue(file, None, f"tables.{name}", "table is required when extends = 'none'"))
    removed = data.get("remove", {}).get("facilities", [])
    if not isinstance(removed, list) or not all(isinstance(r, str) for r in removed):
        issues.append(ValidationIssue(file, None, "remove.facilities", "must be a list of facility ids"))
        removed = []
    if not missing and removed:
        known = set(tables["facilities"]["facility_id"])
        for fid in removed:
            if fid not in known:
                issues.append(ValidationIssue(file, None, "remove.facilities", f"unknown facility id '{fid}'"))
        drop = set(removed)
        tables["facilities"] = tables["facilities"][~tables["facilities"]["facility_id"].isin(drop)]
        tables["capacities"] = tables["capacities"][~tables["capacities"]["facility_id"].isin(drop)]
        dist = tables["distances"]
        tables["distances"] = dist[~dist["from_facility_id"].isin(drop) & ~dist["to_facility_id"].isin(drop)]
    start, found = _parse_start(meta.get("start", DEFAULT_START.strftime("%Y-%m")), file)
    issues += found
    years = meta.get("years", DEFAULT_YEARS)
    if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= MAX_YEARS:
        issues.append(
            ValidationIssue(file, None, "scenario.years", f"must be a whole number of years in 1-{MAX_YEARS}")
        )
        years = DEFAULT_YEARS
    if missing:
        raise ScenarioError(issues)
    parameters = _parameters(tables)
    for key, value in data.get("parameters", {}).items():
        if key not in parameters:
            issues.append(
                ValidationIssue(file, None, f"parameters.{key}", "unknown parameter (see catalog/parameters.csv)")
            )
        elif not isinstance(value, int | float) or isinstance(value, bool):
            issues.append(ValidationIssue(file, None, f"parameters.{key}", f"'{value}' is not a number"))
        else:
            parameters[key] = float(value)
    _finish(tables, issues)
    return Scenario(
        name=str(meta.get("name", path.stem)),
        tables=tables,
        parameters=parameters,
        start=start,
        years=years,
        source=file,
        removed=list(removed),
    )
