"""Scenarios: the bundled default (JJJ) and TOML files that extend or replace it.

A scenario file is TOML::

    [scenario]
    name = "my run"          # free text
    start = "2025-01"        # first simulated month, "YYYY-MM" (or a TOML date)
    years = 10               # horizon
    extends = "default"      # "default" (the bundled JJJ scenario), "none", or another scenario file

    [parameters]             # any row of catalog/parameters.csv
    circuity_factor = 1.4

    [tables.technologies]    # any table of data/schema.toml
    file = "extra_technologies.csv"   # relative to the TOML file
    mode = "extend"          # extend: same key replaces (in place), new key appends; or "replace"

    [remove]
    facilities = ["steel_p100000120125"]

A scenario that extends another file (``extends = "baseline.toml"``, relative to this file)
starts from everything that file defines — tables, parameters, start, horizon, removed
facilities and policies — and adds its own on top: its tables merge into the parent's, its
``[parameters]`` and ``[scenario]`` settings replace the parent's, its removals and policies
are added after the parent's.

Everything is validated on load; all problems are reported together in a
:class:`~symbiosim.environment.validation.ScenarioError`.
"""

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from symbiosim.environment.disposal import disposal_issues
from symbiosim.environment.money import (
    CATALOG_MONEY,
    Money,
    convert_parameters,
    convert_policies,
    convert_tables,
    read_money,
)
from symbiosim.environment.outlets import outlet_issues
from symbiosim.environment.overrides import override_issues
from symbiosim.environment.parameters import (
    DEFAULT_START,
    MAX_YEARS,
    RETIRED_PARAMETERS,
    model_parameter_names,
    parameter_range_issues,
    parse_start,
)
from symbiosim.environment.policy_specs import validate_policies
from symbiosim.environment.quantities import unit_issues
from symbiosim.environment.scenario_toml import check_toml_keys, read_toml, section
from symbiosim.environment.validation import (
    FILE_COLUMN,
    LINE_COLUMN,
    ScenarioError,
    ValidationIssue,
    check_references,
    empty_table,
    read_table,
    row_issue,
    schema,
)

__all__ = [
    "CATALOG_TABLES",
    "SCENARIO_TABLES",
    "Scenario",
    "bundled_scenarios",
    "default_scenario",
    "load_scenario",
    "scenario_path",
]

CATALOG_TABLES = (
    "sectors",
    "products",
    "byproducts",
    "generation",
    "materials",
    "technologies",
    "seasonality",
    "outlets",
    "transport_modes",
    "treatments",
    "parameters",
)
FACILITY_TABLES = ("facilities", "capacities", "emission_grades")
OVERRIDE_TABLES = ("facility_products", "facility_seasonality", "facility_technologies")  # per facility; none bundled
SCENARIO_TABLES = (*CATALOG_TABLES, *FACILITY_TABLES, "distances", *OVERRIDE_TABLES, "behaviour")
OPTIONAL_TABLES = ("distances", "seasonality", "emission_grades", "outlets", "transport_modes", "treatments",
                   *OVERRIDE_TABLES, "behaviour")  # fmt: skip
DEFAULT_YEARS = 10



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
    policies: list[dict] = field(default_factory=list)
    money: Money = CATALOG_MONEY

    def digest(self) -> str:
        """SHA-256 of everything a run is built from: tables, parameters, policies, start and horizon.

        Two scenarios with the same digest build the same model (whatever files they came from).
        """
        sha = hashlib.sha256()
        for name in sorted(self.tables):
            sha.update(name.encode())
            sha.update(self.table(name).to_csv(index=False, lineterminator="\n").encode())
        settings = {"parameters": self.parameters, "policies": self.policies, "start": self.start, "years": self.years}
        if self.money != CATALOG_MONEY:  # digests of scenarios in the catalog's CNY stay as they were
            settings["money"] = self.money.record()
        sha.update(json.dumps(settings, sort_keys=True, default=str).encode())
        return sha.hexdigest()

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
    for name in ("distances", *OVERRIDE_TABLES, "behaviour"):
        tables[name] = empty_table(name)
    return tables, issues


def _finish(tables: dict[str, pd.DataFrame], issues: list[ValidationIssue]) -> None:
    issues += check_references(tables)
    issues += _semantic_checks(tables)
    if issues:
        raise ScenarioError(issues)


def _parameters(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Parameter values by name; values that failed validation are left out (already reported)."""
    values = {}
    for name, value in zip(tables["parameters"]["name"], tables["parameters"]["value"], strict=True):
        if isinstance(value, int | float) and not isinstance(value, bool):
            values[name] = float(value)
    return values


def default_scenario() -> Scenario:
    """The bundled Beijing–Tianjin–Hebei scenario (GEM plant data, CC BY 4.0)."""
    tables, issues = _default_tables()
    parameters = _parameters(tables)
    issues += parameter_range_issues(parameters, tables["parameters"], "catalog/parameters.csv")
    _finish(tables, issues)
    return Scenario(name="JJJ default", tables=tables, parameters=parameters)


def _semantic_checks(tables: dict[str, pd.DataFrame]) -> list[ValidationIssue]:
    """Rules that span tables beyond simple key references."""
    issues: list[ValidationIssue] = []
    products = tables["products"]
    sector_products = set(zip(products["sector"], products["product"], strict=True))
    product_unit = dict(zip(zip(products["sector"], products["product"], strict=True), products["unit"], strict=True))
    # a row naming an unknown sector or product is reported by check_references; do not report it twice
    known_sectors, known_products = set(tables["sectors"]["sector"]), set(products["product"])
    facilities = tables["facilities"]
    sector_of: dict[str, str] = {}
    for facility_id, sector in zip(facilities["facility_id"], facilities["sector"], strict=True):
        sector_of.setdefault(facility_id, sector)  # a duplicate id is reported on its later row
    for _, row in tables["capacities"].iterrows():
        sector = sector_of.get(row["facility_id"])
        if sector not in known_sectors or row["product"] not in known_products:
            continue
        if (sector, row["product"]) not in sector_products:
            issues.append(row_issue(row, "product", f"sector '{sector}' has no product '{row['product']}' in products"))
        elif product_unit[(sector, row["product"])] != row["unit"]:
            expected = product_unit[(sector, row["product"])]
            issues.append(row_issue(row, "unit", f"unit '{row['unit']}' does not match products unit '{expected}'"))
    for _, row in tables["generation"].iterrows():
        if row["sector"] not in known_sectors or row["product"] not in known_products:
            continue
        if (row["sector"], row["product"]) not in sector_products:
            issues.append(row_issue(row, "product", f"sector '{row['sector']}' has no product '{row['product']}'"))
    for _, row in tables["technologies"].iterrows():
        for column in ("cap_product", "requires_product"):
            if row["sink_sector"] not in known_sectors or row[column] not in known_products:
                continue
            if (row["sink_sector"], row[column]) not in sector_products:
                issues.append(
                    row_issue(row, column, f"sink sector '{row['sink_sector']}' has no product '{row[column]}'")
                )
    tech = tables["technologies"]
    for group, members in tech[tech["cap_group"] != ""].groupby("cap_group"):
        if members["cap_product"].nunique() > 1:
            row = members.iloc[1]
            issues.append(
                row_issue(row, "cap_group", f"technologies of cap group '{group}' must share one cap_product")
            )
    issues += outlet_issues(tables["outlets"], set(facilities["province"]))
    issues += override_issues(tables)
    issues += unit_issues(tables["byproducts"])
    issues += disposal_issues(tables["byproducts"], tables.get("treatments"))
    required = model_parameter_names()
    present = set(tables["parameters"]["name"])
    files = list(dict.fromkeys(tables["parameters"][FILE_COLUMN]))
    where = files[-1] if files else "parameters"
    for name in sorted(required - present):
        issues.append(ValidationIssue(where, None, name, f"required parameter '{name}' is missing"))
    for _, row in tables["parameters"][tables["parameters"]["name"].isin(list(RETIRED_PARAMETERS))].iterrows():
        issues.append(
            row_issue(row, "name", f"'{row['name']}' is no longer a parameter: {RETIRED_PARAMETERS[row['name']]}")
        )
    return issues


def _keys(frame: pd.DataFrame, table: str) -> list[tuple[str, ...]]:
    key = schema()[table]["key"]
    return [tuple("" if v is None else str(v) for v in values) for values in frame[key].itertuples(index=False)]


def _merge(base: pd.DataFrame, extra: pd.DataFrame, table: str, mode: str) -> pd.DataFrame:
    """Combine a table with a scenario's file: ``replace`` it, or ``extend`` it.

    Extending replaces a row whose key is already present in its place (so facility
    order, and with it node ids, is kept) and appends rows with new keys.
    """
    if mode == "replace" or base.empty:
        return extra.reset_index(drop=True)
    if extra.empty:
        return base.reset_index(drop=True)
    position = {k: i for i, k in enumerate(_keys(base, table))}
    order = list(range(len(base)))
    for j, k in enumerate(_keys(extra, table)):
        if k in position:
            order[position[k]] = len(base) + j
        else:
            order.append(len(base) + j)
    return pd.concat([base, extra], ignore_index=True).iloc[order].reset_index(drop=True)


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load and validate a scenario TOML file, a bundled scenario by name, or the default scenario when ``path`` is None.

    Args:
        path: TOML scenario file (CSV files and a parent scenario it names are relative to it), or the name of
            a bundled scenario (:func:`bundled_scenarios`) or ``"default"``.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: listing every problem found (file, row or key path, column, rule).
    """
    resolved = scenario_path(path)
    return default_scenario() if resolved is None else _load(resolved, ())


def bundled_scenarios() -> dict[str, Path]:
    """The bundled region scenarios by name (``china``, ``north_rhine_westphalia``; docs/regions.md)."""
    return {p.parent.name: p for p in sorted(_bundled("scenarios").glob("*/scenario.toml"))}


def scenario_path(name: str | Path | None) -> Path | None:
    """The TOML file a scenario argument names.

    None for the default (None or ``"default"``), a bundled scenario's file for its name (unless a
    file of that name exists), or the path itself.
    """
    if name is None or str(name) == "default":
        return None
    path, bundled = Path(name), bundled_scenarios()
    if not path.is_file() and str(name) in bundled:  # a folder "china" (symbiosim region --out) does not hide it
        return bundled[str(name)]
    return path


def _parent(
    extends: object, path: Path, chain: tuple[Path, ...], file: str
) -> tuple[Scenario | None, list[ValidationIssue]]:
    """The scenario file that ``extends`` names, loaded (None for "default", "none" or a bad name).

    Raises:
        ScenarioError: the parent file's own problems.
    """
    if extends in ("default", "none"):
        return None, []
    rule = "must be 'default', 'none' or the name of another scenario file (.toml)"
    if not isinstance(extends, str) or not extends.endswith(".toml"):
        return None, [ValidationIssue(file, None, "scenario.extends", rule)]
    parent_path = path.parent / extends
    if parent_path.resolve() in chain:
        cycle = " -> ".join(p.name for p in (*chain, parent_path.resolve()))
        return None, [ValidationIssue(file, None, "scenario.extends", f"scenario files extend in a cycle: {cycle}")]
    if not parent_path.is_file():
        return None, [ValidationIssue(file, None, "scenario.extends", f"scenario file '{parent_path}' not found")]
    return _load(parent_path, chain), []


def _load(path: Path, chain: tuple[Path, ...]) -> Scenario:
    file = str(path)
    data = read_toml(path, file)
    issues = check_toml_keys(SCENARIO_TABLES, data, file)
    meta = section(data, "scenario")
    extends = meta.get("extends", "default")
    parent, found = _parent(extends, path, (*chain, path.resolve()), file)
    issues += found
    if parent is not None:
        tables = {name: frame.copy() for name, frame in parent.tables.items()}
    elif extends == "none":
        tables = {name: empty_table(name) for name in SCENARIO_TABLES}
    else:
        tables, found = _default_tables()
        issues += found
    inherited = parent.money if parent is not None else CATALOG_MONEY
    money, found = read_money(data.get("money"), inherited, file)
    issues += found
    factor = money.per_cny if inherited == CATALOG_MONEY and money != CATALOG_MONEY else 1.0
    if factor != 1.0:  # what this file inherits in CNY, in its own currency
        tables = convert_tables(tables, factor)
    for table, spec in section(data, "tables").items():
        if table not in SCENARIO_TABLES or not isinstance(spec, dict) or not isinstance(spec.get("file"), str):
            continue
        csv_path = path.parent / spec["file"]
        frame, found = read_table(csv_path, table, str(csv_path))
        issues += found
        mode = spec.get("mode", "extend")
        tables[table] = frame if tables[table].empty else _merge(tables[table], frame, table, mode)
    missing = [name for name in SCENARIO_TABLES if name not in OPTIONAL_TABLES and tables[name].empty]
    for name in missing:
        rule = "table is required when extends = 'none'" if extends == "none" else "table is required but empty"
        issues.append(ValidationIssue(file, None, f"tables.{name}", rule))
    removed = section(data, "remove").get("facilities", [])
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
        for name in ("capacities", "emission_grades", *OVERRIDE_TABLES):
            tables[name] = tables[name][~tables[name]["facility_id"].isin(drop)]
        tables["behaviour"] = tables["behaviour"][~tables["behaviour"]["applies_to"].isin(drop)]
        dist = tables["distances"]
        tables["distances"] = dist[~dist["from_facility_id"].isin(drop) & ~dist["to_facility_id"].isin(drop)]
    inherited_start = parent.start.strftime("%Y-%m") if parent else DEFAULT_START.strftime("%Y-%m")
    start, found = parse_start(meta.get("start", inherited_start), file)
    issues += found
    years = meta.get("years", parent.years if parent else DEFAULT_YEARS)
    if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= MAX_YEARS:
        issues.append(
            ValidationIssue(file, None, "scenario.years", f"must be a whole number of years in 1-{MAX_YEARS}")
        )
        years = DEFAULT_YEARS
    if missing:
        raise ScenarioError(issues)
    parameters = _parameters(tables)
    if parent is not None:  # the parent's [parameters] settings, where they differ from its table
        own = convert_parameters(parent.parameters, parent.tables["parameters"], factor)
        table = convert_parameters(_parameters(parent.tables), parent.tables["parameters"], factor)
        parameters.update({k: v for k, v in own.items() if v != table.get(k)})
    known = set(tables["parameters"]["name"])
    for key, value in section(data, "parameters").items():
        if key in RETIRED_PARAMETERS:
            issues.append(
                ValidationIssue(file, None, f"parameters.{key}", f"no longer a parameter: {RETIRED_PARAMETERS[key]}")
            )
        elif key not in known:
            issues.append(
                ValidationIssue(file, None, f"parameters.{key}", "unknown parameter (see catalog/parameters.csv)")
            )
        elif not isinstance(value, int | float) or isinstance(value, bool):
            issues.append(ValidationIssue(file, None, f"parameters.{key}", f"'{value}' is not a number"))
        elif not math.isfinite(value):
            issues.append(ValidationIssue(file, None, f"parameters.{key}", f"'{value}' is not a finite number"))
        else:
            parameters[key] = float(value)
    issues += parameter_range_issues(parameters, tables["parameters"], file)
    policies, found = validate_policies(data.get("policies"), tables, file)
    issues += found
    _finish(tables, issues)
    return Scenario(
        policies=[*convert_policies(parent.policies if parent else [], factor), *policies],
        money=money,
        name=str(meta.get("name", path.stem)),
        tables=tables,
        parameters=parameters,
        start=start,
        years=years,
        source=file,
        removed=[*(parent.removed if parent else []), *removed],
    )
