"""The policy registry: every policy type once.

A policy type is one entry of the scenario schema (``environment/data/schema.toml``,
``[policy_types.NAME]``: each key with its type, unit, range and meaning), which validates the
``[[policies]]`` of scenario files and the app's controls (``environment/policy_specs.py``),
and one class here, whose ``kind`` is that name. :func:`build_policies` makes the policy
objects from validated specifications; :func:`reference_table` documents every type and key
(the table in ``docs/scenarios.md``, kept equal to it by a test). A new policy type is a class
with a ``kind`` and an ``apply(levers, view, date)``, added to ``REGISTRY``, plus its keys in
the schema; the fees, taxes, subsidies and charges it sets may depend on the date and its keys,
not on the exchanges it sees (``policies/bounds.py``: which routes exist follows from them).
"""

import datetime as dt
from dataclasses import fields

from symbiosim.environment.validation import schema
from symbiosim.policies.capacity import CapacityReplacement
from symbiosim.policies.emissions import AirPollutantTax, CarbonPrice
from symbiosim.policies.fiscal import (
    CapexSubsidy,
    EnvironmentalTax,
    LandfillFee,
    PerTonneSubsidy,
    TransportSubsidy,
    VATRebate,
)
from symbiosim.policies.information import FacilitationPlatform
from symbiosim.policies.production import ProductionLimit
from symbiosim.policies.schedule import Policy, month_end
from symbiosim.policies.scope import Scope

__all__ = ["REGISTRY", "build_policies", "policy_keys", "reference_table"]

REGISTRY: dict[str, type] = {
    cls.kind: cls
    for cls in (
        ProductionLimit,
        LandfillFee,
        EnvironmentalTax,
        PerTonneSubsidy,
        CapexSubsidy,
        TransportSubsidy,
        CarbonPrice,
        AirPollutantTax,
        VATRebate,
        FacilitationPlatform,
        CapacityReplacement,
    )
}
SCOPE_FIELDS = ("provinces", "cities", "sectors", "facility_ids")


def _shift(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February
        return date.replace(year=date.year + years, day=28)


def build_policies(specs: list[dict], first_month: dt.date, last_month: dt.date) -> list[Policy]:
    """One policy object per specification, and per year of the run for ``every_year`` ones.

    Args:
        specs: validated specifications (``Scenario.policies``).
        first_month: first day of the run's first month.
        last_month: first day of the run's last month.
    """
    policies: list[Policy] = []
    for spec in specs:
        kind = spec["type"]
        arguments = {k: v for k, v in spec.items() if k not in ("type", "start", "end", "every_year", *SCOPE_FIELDS)}
        if "scope" in {f.name for f in fields(REGISTRY[kind])}:
            arguments["scope"] = Scope(**{k: tuple(spec.get(k, ())) for k in SCOPE_FIELDS})
        for key in ("exempt_facility_ids", "pollutants", "byproducts", "technologies", "replaced_by"):
            if key in arguments:
                arguments[key] = tuple(arguments[key])
        if "raw_material_t_per_t" in arguments:
            arguments["raw_material_t_per_t"] = tuple(arguments["raw_material_t_per_t"].items())
        offsets = [0]
        if spec["every_year"]:
            offsets = range(first_month.year - spec["end"].year - 1, last_month.year - spec["start"].year + 1)
        for years in offsets:
            start, end = _shift(spec["start"], years), _shift(spec["end"], years)
            if end >= first_month and start <= month_end(last_month):
                policies.append(REGISTRY[kind](start=start, end=end, **arguments))
    return policies


def policy_keys(kind: str) -> dict[str, dict]:
    """The keys of a policy type (besides ``type``, ``start``, ``end``, ``every_year`` and the scope), from the schema."""
    return schema()["policy_types"][kind]


def _range(spec: dict) -> str:
    if "allowed" in spec:
        return f" (one of {', '.join(spec['allowed'])})"
    if "references" in spec:
        return f" (names in {spec['references']})"
    if "min" in spec or "max" in spec:
        return f" ({spec.get('min', '')}–{spec.get('max', '')})"
    return ""


def reference_table() -> str:
    """Every policy type and key as a Markdown table: type, key, value type, unit, required, meaning."""
    lines = ["| type | key | type | unit | required | meaning |", "|---|---|---|---|---|---|"]
    for kind in REGISTRY:
        keys = policy_keys(kind)
        if not keys:
            lines.append(f"| `{kind}` | — |  |  |  | no keys beyond the common ones |")
        for key, spec in keys.items():
            required = "yes" if spec.get("required", True) else "no"
            meaning = spec.get("meaning", "").replace("emission_grades", "`emission_grades`") + _range(spec)
            lines.append(f"| `{kind}` | `{key}` | {spec['type']} | {spec.get('unit', '')} | {required} | {meaning} |")
    return "\n".join(lines)
