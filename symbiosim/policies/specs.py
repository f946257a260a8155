"""Policy objects from the validated ``[[policies]]`` specifications of a scenario file."""

import datetime as dt
from dataclasses import fields

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

__all__ = ["POLICY_TYPES", "build_policies"]

POLICY_TYPES = {
    "production_limit": ProductionLimit,
    "landfill_fee": LandfillFee,
    "environmental_tax": EnvironmentalTax,
    "per_tonne_subsidy": PerTonneSubsidy,
    "capex_subsidy": CapexSubsidy,
    "transport_subsidy": TransportSubsidy,
    "carbon_price": CarbonPrice,
    "air_pollutant_tax": AirPollutantTax,
    "vat_rebate": VATRebate,
    "facilitation_platform": FacilitationPlatform,
    "capacity_replacement": CapacityReplacement,
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
        if "scope" in {f.name for f in fields(POLICY_TYPES[kind])}:
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
                policies.append(POLICY_TYPES[kind](start=start, end=end, **arguments))
    return policies
