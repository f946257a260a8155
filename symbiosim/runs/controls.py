"""Policy controls by name: the few numbers and switches of the browser app and of sweeps.

What each control does is data: ``examples/app/controls.toml`` (or the file named by the
``SYMBIOSIM_CONTROLS`` environment variable) gives, for each control, the policy it sets,
written as in a scenario file, and which of its keys the control's value sets. The policies
are checked against the scenario they are applied to and built by the policy registry, like
those of a scenario file. :func:`app_policies` turns control values into policies for a run;
each control is also a sweep dimension (``symbiosim sweep``).
"""

import datetime as dt
import os
import tomllib
from dataclasses import replace
from functools import cache
from pathlib import Path

from symbiosim.environment.policy_specs import validate_policies
from symbiosim.environment.scenario import Scenario
from symbiosim.environment.units import MONTHS_PER_YEAR, month_date
from symbiosim.environment.validation import ScenarioError, ValidationIssue
from symbiosim.policies import Policy, build_policies

__all__ = ["CONTROLS_FILE", "app_policies", "control_settings", "controls", "limit_modes", "limit_months"]

CONTROLS_ENV = "SYMBIOSIM_CONTROLS"
CONTROLS_FILE = Path(__file__).resolve().parents[2] / "examples" / "app" / "controls.toml"
OFF = "off"


@cache
def control_settings(path: Path | None = None) -> dict:
    """The controls file, parsed (``path``; default: ``SYMBIOSIM_CONTROLS`` or ``examples/app/controls.toml``).

    Raises:
        ScenarioError: the file is missing or not valid TOML.
    """
    path = Path(os.environ.get(CONTROLS_ENV, CONTROLS_FILE)) if path is None else path
    try:
        return {**tomllib.loads(path.read_text(encoding="utf-8")), "file": str(path)}
    except FileNotFoundError:
        reason = (
            f"the policy controls file is missing; it comes with the symbiosim repository (examples/app/), "
            f"or name one with {CONTROLS_ENV}"
        )
        raise ScenarioError([ValidationIssue(str(path), None, "controls", reason)]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ScenarioError([ValidationIssue(str(path), None, "controls", f"not valid TOML: {error}")]) from None


@cache
def controls() -> dict[str, tuple[str, object, object]]:
    """Every control: its kind (``bool``, ``float``, ``str``) and, for numbers, its valid range; for choices, the choices."""
    settings = control_settings()
    found: dict[str, tuple[str, object, object]] = {}
    for name, control in settings.get("controls", {}).items():
        found[name] = ("bool", None, None) if control["kind"] == "switch" else ("float", control["min"], control["max"])
    limit = settings.get("limit", {})
    if limit:
        found["limit_mode"] = ("str", (OFF, *limit["modes"]), None)
        found["limit_cap_share"] = ("float", 0.0, 1.0)
        found["limit_months"] = ("str", tuple(limit["windows"]), None)
    return found


def limit_modes() -> tuple[str, ...]:
    """The production limit's choices: ``off`` and its modes."""
    return tuple(controls().get("limit_mode", ("str", (OFF,), None))[1])


def limit_months() -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    """The production limit's windows: label -> ((first month, first day), (last month, last day))."""
    windows = control_settings().get("limit", {}).get("windows", {})
    return {label: tuple((int(day[:2]), int(day[3:])) for day in window) for label, window in windows.items()}


def _placed(issue: ValidationIssue, where: list[str]) -> ValidationIssue:
    """An issue of the i-th policy (``policies[i].key``) placed at its key path in the controls file."""
    head, _, key = (issue.column or "").partition(".")
    index = int(head.removeprefix("policies[").removesuffix("]")) if head.startswith("policies[") else None
    return replace(issue, column=f"{where[index]}.{key}") if index is not None else issue


def _windows(start: dt.date, years: int, months: str) -> list[tuple[dt.date, dt.date]]:
    (m0, d0), (m1, d1) = limit_months()[months]
    crosses = (m1, d1) < (m0, d0)
    return [
        (dt.date(year, m0, d0), dt.date(year + 1 if crosses else year, m1, d1))
        for year in range(start.year - (1 if crosses else 0), start.year + years)
    ]


def app_policies(scenario: Scenario, years: int, **values: object) -> list[Policy]:
    """The policies of the controls' ``values`` for a run of ``scenario`` over ``years`` from its start.

    Controls not given are off (switches) or 0 (numbers); the production limit is off unless
    ``limit_mode`` names a mode.

    Raises:
        ValueError: an unknown control or limit mode.
        ScenarioError: a policy of the controls file does not fit the scenario (e.g. a city it
            does not have), with the file and key path.
    """
    settings, start = control_settings(), scenario.start
    unknown = sorted(set(values) - set(controls()))
    if unknown:
        raise ValueError(f"unknown controls {unknown}; known: {sorted(controls())}")
    first, last = dt.date(start.year - 1, 1, 1), dt.date(start.year + years, 12, 31)
    entries: list[dict] = []
    where: list[str] = []  # the key path of each entry's policy in the controls file
    for name, control in settings.get("controls", {}).items():
        value = values.get(name, False if control["kind"] == "switch" else 0.0)
        if control["kind"] == "switch" and value:
            entries.append({**control["policy"], "start": first, "end": last})
        elif control["kind"] == "number" and float(value) > 0:
            entries.append({**control["policy"], control["sets"]: float(value), "start": first, "end": last})
        where += [f"controls.{name}.policy"] * (len(entries) - len(where))
    mode = values.get("limit_mode", OFF)
    if mode != OFF:
        if mode not in limit_modes():
            raise ValueError(f"limit_mode must be one of {limit_modes()}, not {mode!r}")
        limit = settings["limit"]
        share = float(values.get("limit_cap_share", limit["cap_share"]))
        months = str(values.get("limit_months", next(iter(limit_months()))))
        for begin, end in _windows(start, years, months):
            entries.append({**limit["policy"], **limit["modes"][mode], "mode": mode, "cap_share": share,
                            "start": begin, "end": end})  # fmt: skip
            where.append("limit.policy")
    specs, issues = validate_policies(entries, scenario.tables, settings["file"])
    if issues:
        raise ScenarioError(list(dict.fromkeys(_placed(issue, where) for issue in issues)))
    return build_policies(specs, start, month_date(start, years * MONTHS_PER_YEAR - 1))
