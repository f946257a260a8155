"""Policy instruments and their schedule.

A policy has a validity window (``start``, ``end``, both days included) and is applied at the
start of every month its window touches, before production; it edits that month's policy
levers (production caps, fees, taxes, subsidies, the platform switch) for the facilities in
its :class:`Scope`; a capacity retirement or replacement changes capacity for good. Several
policies compose in list order. Every type is registered once in :mod:`symbiosim.policies.registry`.
"""

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
from symbiosim.policies.production import LIMIT_MODES, ProductionLimit
from symbiosim.policies.registry import REGISTRY, build_policies, reference_table
from symbiosim.policies.schedule import Policy, PolicySchedule, month_end, share_of_month
from symbiosim.policies.scope import Scope

__all__ = [
    "LIMIT_MODES",
    "REGISTRY",
    "AirPollutantTax",
    "CapacityReplacement",
    "CapexSubsidy",
    "CarbonPrice",
    "EnvironmentalTax",
    "FacilitationPlatform",
    "LandfillFee",
    "PerTonneSubsidy",
    "Policy",
    "PolicySchedule",
    "ProductionLimit",
    "Scope",
    "TransportSubsidy",
    "VATRebate",
    "build_policies",
    "month_end",
    "reference_table",
    "share_of_month",
]
