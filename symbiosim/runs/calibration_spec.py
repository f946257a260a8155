"""Calibration specs and target tables: reading and validating them, every problem located.

A calibration spec is a TOML file (docs/calibration.md, "Calibrating a scenario")::

    [calibration]
    scenario = "default"        # the base scenario: "default" (bundled JJJ) or a TOML path relative to the spec
    targets = "default"         # the bundled targets table, or a CSV path relative to the spec
    use = "calibration"         # the targets to fit: a role ("calibration") or a list of target ids
    years = 10                  # each simulation's horizon; patterns are measured over its last window_months
    window_months = 12
    population = 100            # ABC-SMC particles per generation
    generations = 8             # at most this many generations ...
    max_simulations = 5000      # ... and this many simulations (the calibration sample included)
    min_epsilon = 1.0           # ... stop once the threshold (RMS of the standardised misses) is this small
    min_acceptance_rate = 0.01  # ... or when fewer than this share of proposals is accepted
    alpha = 0.5                 # each generation's threshold: this quantile of the last one's distances
    seed = 1                    # seeds every draw: the same spec gives the same posterior
    predictive_runs = 20        # posterior draws re-run (fresh seeds) to compare every target, held-out ones too

    [parameters.discovery_probability]   # a row of catalog/parameters.csv
    prior = "uniform"           # uniform (min, max), loguniform (min, max) or triangular (min, mode, max)
    min = 0.05
    max = 1.0

A targets table (``symbiosim/environment/data/calibration/targets.csv`` is the bundled one) has
one row per observed pattern: ``target`` (id), ``pattern`` (see
:mod:`symbiosim.metrics.patterns`), ``byproduct``, ``technology`` and ``cities`` (space-separated
lists), ``value`` and ``sd`` (one standard deviation of its uncertainty) in ``unit``, ``role``
(``calibration`` or ``validation``), ``source`` and ``note``.
"""

import csv
import hashlib
import json
import math
import tomllib
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from symbiosim.environment.parameters import MAX_YEARS, model_parameter_names
from symbiosim.environment.scenario import load_scenario
from symbiosim.environment.units import MONTHS_PER_YEAR
from symbiosim.environment.validation import ScenarioError, ValidationIssue
from symbiosim.metrics.patterns import NEEDS_BYPRODUCT, PATTERNS, PatternSpec

__all__ = ["CalibrationSpec", "Prior", "Target", "bundled_targets_path", "load_calibration_spec", "load_targets"]

TARGET_COLUMNS = ("target", "pattern", "byproduct", "technology", "cities", "value", "sd", "unit", "role", "source",
                  "note")  # fmt: skip
ROLES = ("calibration", "validation")
PRIORS = {"uniform": ("min", "max"), "loguniform": ("min", "max"), "triangular": ("min", "mode", "max")}
SETTINGS = {  # key -> (default, kind, lowest allowed)
    "years": (10, int, 1),
    "window_months": (12, int, 1),
    "population": (100, int, 2),
    "generations": (8, int, 1),
    "max_simulations": (5000, int, 1),
    "min_epsilon": (1.0, float, 0.0),
    "min_acceptance_rate": (0.01, float, 1e-6),
    "alpha": (0.5, float, 0.01),
    "seed": (1, int, 0),
    "predictive_runs": (20, int, 1),
}
SPEC_KEYS = ("scenario", "targets", "use", "name", *SETTINGS)
WHOLE_NUMBER_PARAMETERS = ("investment_month", "outlet_demand_blocks", "heating_season_start_day",
                           "heating_season_end_day")  # ABC-SMC proposes real numbers  # fmt: skip
RESERVED_TARGETS = ("seed",)  # the run's seed travels with its patterns


@dataclass(frozen=True)
class Target:
    """One observed pattern: what to measure, its value and uncertainty, and its role."""

    target: str
    spec: PatternSpec
    value: float
    sd: float
    unit: str
    role: str
    source: str


@dataclass(frozen=True)
class Prior:
    """A parameter's prior: ``kind`` (uniform, loguniform, triangular) over ``low``-``high``."""

    name: str
    kind: str
    low: float
    high: float
    mode: float | None = None


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration spec."""

    name: str
    scenario: Path | None
    targets: tuple[Target, ...]  # every target of the table (fitted and held out)
    fitted: tuple[str, ...]  # ids of the targets the distance uses
    priors: tuple[Prior, ...]
    years: int
    window_months: int
    population: int
    generations: int
    max_simulations: int
    min_epsilon: float
    min_acceptance_rate: float
    alpha: float
    seed: int
    predictive_runs: int
    scenario_digest: str = ""  # the base scenario's content (Scenario.digest), so an edited scenario is a new spec
    source: str = ""

    def fingerprint(self) -> str:
        """A hash of everything that determines the result (a resumed calibration must match it)."""
        data = {k: v for k, v in asdict(self).items() if k not in ("name", "source")}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def bundled_targets_path() -> Path:
    """The bundled targets table (JJJ: national statistics and Cao et al. 2025)."""
    return Path(str(resources.files("symbiosim.environment").joinpath("data/calibration/targets.csv")))


def _words(value: object) -> tuple[str, ...]:
    return tuple(str(value).split()) if isinstance(value, str) else ()


def load_targets(path: str | Path, byproducts: set[str], technologies: set[str], cities: set[str]) -> list[Target]:
    """Read and validate a targets table against a scenario's catalog.

    Raises:
        ScenarioError: every problem, located by file, row (header = 1) and column.
    """
    file = str(path)
    if not Path(path).is_file():
        rule = "not a regular file" if Path(path).exists() else "file not found"
        raise ScenarioError([ValidationIssue(file, None, None, rule)])
    try:
        with Path(path).open(encoding="utf-8", newline="") as handle:
            lines = list(csv.reader(handle))
    except OSError as exc:
        raise ScenarioError([ValidationIssue(file, None, None, f"cannot be read: {exc}")]) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError([ValidationIssue(file, None, None, f"not a readable CSV table: {exc}")]) from None
    ragged = [ValidationIssue(file, number, None, f"has {len(line)} fields, the header {len(lines[0])}")
              for number, line in enumerate(lines[1:], start=2) if line and len(line) != len(lines[0])]  # fmt: skip
    if ragged:
        raise ScenarioError(ragged)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ScenarioError([ValidationIssue(file, None, None, f"not a readable CSV table: {exc}")]) from None
    missing = [c for c in TARGET_COLUMNS if c not in table.columns]
    if missing:
        raise ScenarioError([ValidationIssue(file, 1, c, "required column is missing") for c in missing])
    issues, targets, seen = [], [], set()
    for index, row in enumerate(table.to_dict("records")):
        line = index + 2

        def bad(column: str, rule: str, line: int = line) -> None:
            issues.append(ValidationIssue(file, line, column, rule))

        name, pattern = row["target"].strip(), row["pattern"].strip()
        if not name:
            bad("target", "must not be empty")
        elif name in RESERVED_TARGETS:
            bad("target", f"'{name}' is reserved (it names the run's seed in the simulated patterns)")
        elif name in seen:
            bad("target", f"duplicate target id '{name}'")
        seen.add(name)
        if pattern not in PATTERNS:
            bad("pattern", f"must be one of {', '.join(PATTERNS)}")
        byproduct = row["byproduct"].strip()
        if byproduct and byproduct not in byproducts:
            bad("byproduct", f"'{byproduct}' is not a by-product of the scenario")
        if pattern in NEEDS_BYPRODUCT and not byproduct:
            bad("byproduct", f"pattern '{pattern}' needs a by-product")
        techs, towns = _words(row["technology"]), _words(row["cities"])
        for tech in techs:
            if tech not in technologies:
                bad("technology", f"'{tech}' is not a technology of the scenario")
        for town in towns:
            if town not in cities:
                bad("cities", f"'{town}' is not a city of the scenario's facilities")
        if pattern == "city_pair_share" and len(towns) != 2:
            bad("cities", "pattern 'city_pair_share' needs exactly two cities")
        if pattern != "city_pair_share" and towns:
            bad("cities", f"pattern '{pattern}' takes no cities")
        if pattern == "utilisation" and techs:
            bad("technology", "pattern 'utilisation' counts every use of the by-product: it takes no technology")
        numbers = {}
        for column in ("value", "sd"):
            try:
                numbers[column] = float(row[column])
            except ValueError:
                bad(column, f"must be a number, not '{row[column]}'")
                continue
            if not math.isfinite(numbers[column]):
                bad(column, "must be finite")
        if "sd" in numbers and not numbers["sd"] > 0:
            bad("sd", "must be > 0 (the target's uncertainty, one standard deviation)")
        if row["role"].strip() not in ROLES:
            bad("role", f"must be one of {', '.join(ROLES)}")
        if pattern in PATTERNS and row["unit"].strip() != PATTERNS[pattern]:
            bad("unit", f"pattern '{pattern}' is measured in '{PATTERNS[pattern]}'")
        if not row["source"].strip():
            bad("source", "every target needs a source")
        if not issues:
            spec = PatternSpec(pattern, byproduct, techs, towns)
            targets.append(Target(name, spec, numbers["value"], numbers["sd"], PATTERNS[pattern],
                                  row["role"].strip(), row["source"].strip()))  # fmt: skip
    if issues:
        raise ScenarioError(issues)
    if not targets:
        raise ScenarioError([ValidationIssue(file, None, None, "the table has no targets")])
    return targets


def _prior(file: str, name: str, entry: object, low: float, high: float) -> tuple[Prior | None, list]:
    key = f"parameters.{name}"
    if not isinstance(entry, dict):
        return None, [ValidationIssue(file, None, key, "must be a table with prior, min and max")]
    kind = entry.get("prior", "uniform")
    if not isinstance(kind, str) or kind not in PRIORS:
        return None, [ValidationIssue(file, None, f"{key}.prior", f"must be one of {', '.join(PRIORS)}")]
    unknown = [k for k in entry if k not in ("prior", *PRIORS[kind])]
    issues = [ValidationIssue(file, None, f"{key}.{k}", f"unknown key for a {kind} prior") for k in unknown]
    values = {}
    for k in PRIORS[kind]:
        v = entry.get(k)
        if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
            issues.append(ValidationIssue(file, None, f"{key}.{k}", "must be a finite number"))
        else:
            values[k] = float(v)
    if issues:
        return None, issues
    a, b = values["min"], values["max"]
    if not a < b:
        issues.append(ValidationIssue(file, None, key, f"needs min < max (got {a} and {b})"))
    if a < low or b > high:
        issues.append(ValidationIssue(file, None, key, f"the prior must lie within the parameter's range {low}-{high}"))
    if kind == "loguniform" and a <= 0:
        issues.append(ValidationIssue(file, None, f"{key}.min", "a loguniform prior needs min > 0"))
    if kind == "triangular" and not a <= values["mode"] <= b:
        issues.append(ValidationIssue(file, None, f"{key}.mode", "must lie within min-max"))
    return (None if issues else Prior(name, kind, a, b, values.get("mode"))), issues


def _bound(ranges: pd.DataFrame, name: str, column: str, default: float) -> float:
    """A parameter's bound from the scenario's parameters table (a table without the column has none)."""
    value = ranges.at[name, column] if column in ranges.columns and name in ranges.index else None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def load_calibration_spec(path: str | Path) -> CalibrationSpec:
    """Read and validate a calibration spec and its targets; every problem is reported.

    Raises:
        ScenarioError: every problem (file, key path or row and column, rule), or the base
            scenario's own.
    """
    path = Path(path)
    file = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([ValidationIssue(file, None, None, "file not found")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, IsADirectoryError) as exc:
        raise ScenarioError([ValidationIssue(file, None, None, f"not a valid TOML file: {exc}")]) from None
    issues = [ValidationIssue(file, None, k, "unknown section (allowed: calibration, parameters)")
              for k in data if k not in ("calibration", "parameters")]  # fmt: skip
    section = data.get("calibration", {})
    if not isinstance(section, dict):
        raise ScenarioError([ValidationIssue(file, None, "calibration", "must be a table")])
    issues += [ValidationIssue(file, None, f"calibration.{k}", f"unknown key (allowed: {', '.join(SPEC_KEYS)})")
               for k in section if k not in SPEC_KEYS]  # fmt: skip
    settings = {}
    for key, (default, kind, low) in SETTINGS.items():
        value = section.get(key, default)
        ok = isinstance(value, int | float) and not isinstance(value, bool) and (kind is float or isinstance(value, int))
        if not ok or not math.isfinite(value) or value < low or (key == "alpha" and value >= 1):
            what = "a whole number" if kind is int else "a number"
            bound = f" in [{low}, 1)" if key == "alpha" else f" >= {low}"
            issues.append(ValidationIssue(file, None, f"calibration.{key}", f"must be {what}{bound}"))
        else:
            settings[key] = kind(value)
    if settings.get("years", 1) > MAX_YEARS:
        issues.append(ValidationIssue(file, None, "calibration.years", f"must be at most {MAX_YEARS}"))
    elif settings.get("window_months", 1) > MONTHS_PER_YEAR * settings.get("years", 1):
        issues.append(ValidationIssue(file, None, "calibration.window_months", "must not exceed the run's months "
                                      f"({MONTHS_PER_YEAR} x years = {MONTHS_PER_YEAR * settings['years']})"))  # fmt: skip
    scenario_name = section.get("scenario", "default")
    scenario = None
    if not isinstance(scenario_name, str):
        issues.append(ValidationIssue(file, None, "calibration.scenario", "must be a file name or 'default'"))
    elif scenario_name != "default":
        scenario = (path.parent / scenario_name).resolve()
        if scenario.suffix != ".toml":
            issues.append(ValidationIssue(file, None, "calibration.scenario", "must be a scenario .toml file or 'default'"))
        elif not scenario.is_file():
            issues.append(ValidationIssue(file, None, "calibration.scenario", f"scenario file '{scenario}' not found"))
    targets_name = section.get("targets", "default")
    if not isinstance(targets_name, str):
        issues.append(ValidationIssue(file, None, "calibration.targets", "must be a file name or 'default'"))
    known = model_parameter_names()
    entries = data.get("parameters", {})
    if not isinstance(entries, dict) or not entries:
        issues.append(ValidationIssue(file, None, "parameters", "at least one parameter table is needed"))
        entries = {}
    if issues:
        raise ScenarioError(issues)
    base = load_scenario(scenario)  # the base scenario's own problems, with its file name
    ranges = base.table("parameters").set_index("name")
    priors = []
    for name, entry in entries.items():
        if name not in known:
            issues.append(ValidationIssue(file, None, f"parameters.{name}", "not a model parameter (catalog/parameters.csv)"))
            continue
        if name in WHOLE_NUMBER_PARAMETERS:
            issues.append(ValidationIssue(file, None, f"parameters.{name}", "takes whole numbers, and calibration "
                                          "proposes real ones: compare its values with a sweep instead"))  # fmt: skip
            continue
        low, high = (_bound(ranges, name, column, default) for column, default in (("min_value", -math.inf),
                                                                                   ("max_value", math.inf)))  # fmt: skip
        prior, problems = _prior(file, name, entry, low, high)
        issues += problems
        if prior is not None:
            priors.append(prior)
    if issues:
        raise ScenarioError(issues)
    table = bundled_targets_path() if targets_name == "default" else (path.parent / targets_name).resolve()
    facilities = base.table("facilities")
    targets = load_targets(
        table,
        set(base.table("byproducts")["byproduct"]),
        set(base.table("technologies")["technology"]),
        set(facilities["city"].dropna().astype(str)),
    )
    ids = [t.target for t in targets]
    use = section.get("use", "calibration")
    if isinstance(use, str) and use in ROLES:
        fitted = tuple(t.target for t in targets if t.role == use)
    elif isinstance(use, list) and use and all(isinstance(u, str) for u in use):
        unknown = [u for u in use if u not in ids]
        if unknown:
            raise ScenarioError([ValidationIssue(file, None, "calibration.use", f"unknown target ids: {', '.join(unknown)}")])
        fitted = tuple(dict.fromkeys(use))
    else:
        raise ScenarioError([ValidationIssue(file, None, "calibration.use", f"must be a role ({', '.join(ROLES)}) "
                                             "or a non-empty list of target ids")])  # fmt: skip
    if not fitted:
        raise ScenarioError([ValidationIssue(file, None, "calibration.use", f"no target of {table} has role '{use}'")])
    return CalibrationSpec(
        name=str(section.get("name", path.stem)), scenario=scenario, targets=tuple(targets), fitted=fitted,
        priors=tuple(priors), scenario_digest=base.digest(), source=file, **settings,
    )  # fmt: skip
