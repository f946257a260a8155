"""Enterprise agents: the common :class:`Enterprise` and one class per sector family.

The class for a sector is named in the scenario's ``sectors`` table (column ``agent_class``).
The classes are those of ``environment/data/agent_classes.csv``: one row per class, with its
description. Sector classes with behaviour of their own (how steel and cement plants set
output from net prices, how power plants follow load) are in ``agents/sectors.py``; sectors
otherwise differ through the catalog tables (products, by-products, technologies, prices).
A row of that table without a class in ``agents/sectors.py`` gets the common enterprise
behaviour, so a new sector needs no Python.
"""

from symbiosim.agents.base import Adoption, Enterprise
from symbiosim.agents.investment import InvestmentRound, annuity_factor, annuity_factors
from symbiosim.agents.production import OutputConditions
from symbiosim.agents.sectors import SECTOR_CLASSES
from symbiosim.agents.state import FacilityState, Vintage
from symbiosim.environment.validation import agent_classes


def _agent_class(name: str, description: str) -> type[Enterprise]:
    if name in SECTOR_CLASSES:
        return SECTOR_CLASSES[name]
    return type(name, (Enterprise,), {"__doc__": description, "__module__": __name__})


AGENT_CLASSES: dict[str, type[Enterprise]] = {
    name: _agent_class(name, description) for name, description in agent_classes().items()
}
SteelPlant = AGENT_CLASSES["SteelPlant"]
PowerPlant = AGENT_CLASSES["PowerPlant"]
CementPlant = AGENT_CLASSES["CementPlant"]
ChemicalPlant = AGENT_CLASSES["ChemicalPlant"]
WasteFacility = AGENT_CLASSES["WasteFacility"]

__all__ = [
    "AGENT_CLASSES",
    "Adoption",
    "CementPlant",
    "ChemicalPlant",
    "Enterprise",
    "FacilityState",
    "InvestmentRound",
    "OutputConditions",
    "PowerPlant",
    "SteelPlant",
    "Vintage",
    "WasteFacility",
    "annuity_factor",
    "annuity_factors",
]
