"""symbiosim: agent-based simulation of industrial symbiosis among energy-intensive industries.

The main entry point is :class:`SymbiosisModel`, a ``mesa.Model`` in which one step is one
calendar month; ``symbiosim run`` runs it from the command line.
"""

from symbiosim.environment.scenario import Scenario, default_scenario, load_scenario
from symbiosim.environment.validation import ScenarioError
from symbiosim.model import SymbiosisModel

__version__ = "0.1.0"

__all__ = ["Scenario", "ScenarioError", "SymbiosisModel", "__version__", "default_scenario", "load_scenario"]
