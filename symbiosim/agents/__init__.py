"""Enterprise agents: the common Enterprise and one class per sector family.

The class for a sector is named in ``catalog/sectors.csv`` (column ``agent_class``), so a
new sector needs no Python: it can reuse any class listed in ``AGENT_CLASSES``.
"""

from symbiosim.agents.base import Adoption, Enterprise, annuity_factor
from symbiosim.agents.cement import CementPlant
from symbiosim.agents.chemical import ChemicalPlant
from symbiosim.agents.power import PowerPlant
from symbiosim.agents.steel import SteelPlant
from symbiosim.agents.waste import WasteFacility

AGENT_CLASSES: dict[str, type[Enterprise]] = {
    cls.__name__: cls for cls in (Enterprise, SteelPlant, PowerPlant, CementPlant, ChemicalPlant, WasteFacility)
}

__all__ = [
    "AGENT_CLASSES",
    "Adoption",
    "CementPlant",
    "ChemicalPlant",
    "Enterprise",
    "PowerPlant",
    "SteelPlant",
    "WasteFacility",
    "annuity_factor",
]
