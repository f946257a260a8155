"""Enterprise agents: the common :class:`Enterprise` and one class per sector family.

The class for a sector is named in the scenario's ``sectors`` table (column ``agent_class``).
The classes are those of ``environment/data/agent_classes.csv``: one row per class, with its
description. Sectors differ through the catalog tables (products, by-products, technologies,
prices), so every class carries the common enterprise behaviour; a new sector needs no
Python, and a class of its own needs only a row in that table.
"""

from symbiosim.agents.base import Adoption, Enterprise
from symbiosim.agents.investment import InvestmentRound, annuity_factor
from symbiosim.agents.state import FacilityState, Vintage
from symbiosim.environment.validation import agent_classes


def _agent_class(name: str, description: str) -> type[Enterprise]:
    if name == Enterprise.__name__:
        return Enterprise
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
    "PowerPlant",
    "SteelPlant",
    "Vintage",
    "WasteFacility",
    "annuity_factor",
]
