"""Policy controls by name: the few numbers and switches of the browser app and of sweeps.

:func:`app_policies` turns them into policy objects for a run; each control is also a sweep
dimension (``symbiosim sweep``).
"""

import datetime as dt

from symbiosim.policies import (
    CarbonPrice,
    EnvironmentalTax,
    FacilitationPlatform,
    PerTonneSubsidy,
    ProductionLimit,
    Scope,
    VATRebate,
)

__all__ = ["CONTROLS", "LIMIT_MODES", "LIMIT_MONTHS", "app_policies"]

LIMIT_MODES = ("off", "uniform", "graded", "symbiosis_aware")
LIMIT_MONTHS = {  # (first month, first day), (last month, last day); a window crossing the new year
    "heating season (15 Nov - 15 Mar)": ((11, 15), (3, 15)),
    "winter (Dec - Feb)": ((12, 1), (2, 28)),
    "whole year": ((1, 1), (12, 31)),
}
LIMIT_SCOPE = Scope(cities=("Tangshan", "Handan"), sectors=("steel", "cement"))
KEY_NODES_EXEMPT = 5
CONTROLS = {  # name: kind and, for numbers, the valid range
    "vat_rebate": ("bool", None, None),
    "landfill_tax_cny_per_t": ("float", 0.0, 1000.0),
    "carbon_price_cny_per_t_co2": ("float", 0.0, 2000.0),
    "subsidy_cny_per_t": ("float", 0.0, 1000.0),
    "limit_mode": ("str", LIMIT_MODES, None),
    "limit_cap_share": ("float", 0.0, 1.0),
    "limit_months": ("str", tuple(LIMIT_MONTHS), None),
    "platform": ("bool", None, None),
}


def _windows(start: dt.date, years: int, months: str) -> list[tuple[dt.date, dt.date]]:
    (m0, d0), (m1, d1) = LIMIT_MONTHS[months]
    crosses = (m1, d1) < (m0, d0)
    return [
        (dt.date(year, m0, d0), dt.date(year + 1 if crosses else year, m1, d1))
        for year in range(start.year - (1 if crosses else 0), start.year + years)
    ]


def app_policies(
    start: dt.date,
    years: int,
    *,
    vat_rebate: bool = False,
    landfill_tax_cny_per_t: float = 0.0,
    carbon_price_cny_per_t_co2: float = 0.0,
    subsidy_cny_per_t: float = 0.0,
    limit_mode: str = "off",
    limit_cap_share: float = 0.5,
    limit_months: str = "heating season (15 Nov - 15 Mar)",
    platform: bool = False,
) -> list:
    """The policies of the app's controls, for a run from ``start`` over ``years``.

    The production limit covers steel and cement in Tangshan and Handan; graded mode exempts
    grade-A plants; symbiosis-aware mode exempts the 5 key symbiosis nodes.
    """
    first, last = dt.date(start.year - 1, 1, 1), dt.date(start.year + years, 12, 31)
    policies: list = []
    if vat_rebate:
        policies.append(VATRebate(first, last, scope=Scope(sectors=("cement",))))
    if landfill_tax_cny_per_t > 0:
        policies.append(EnvironmentalTax(first, last, cny_per_t=float(landfill_tax_cny_per_t)))
    if carbon_price_cny_per_t_co2 > 0:
        covered = Scope(sectors=("power", "steel", "cement"))
        policies.append(CarbonPrice(first, last, cny_per_t_co2=float(carbon_price_cny_per_t_co2), scope=covered))
    if subsidy_cny_per_t > 0:
        policies.append(PerTonneSubsidy(first, last, cny_per_t=float(subsidy_cny_per_t)))
    if platform:
        policies.append(FacilitationPlatform(first, last))
    if limit_mode != "off":
        if limit_mode not in LIMIT_MODES:
            raise ValueError(f"limit_mode must be one of {LIMIT_MODES}, not {limit_mode!r}")
        extra = {
            "graded": {"grade_caps": {"A": 1.0}},
            "symbiosis_aware": {"exempt_top_k": KEY_NODES_EXEMPT},
        }.get(limit_mode, {})
        for begin, end in _windows(start, years, limit_months):
            policies.append(
                ProductionLimit(
                    begin, end, cap_share=float(limit_cap_share), scope=LIMIT_SCOPE, mode=limit_mode, **extra
                )
            )
    return policies
