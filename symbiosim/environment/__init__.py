"""Geography, the exchange network, the by-product market, scenarios and bundled data.

This is the lowest layer: it imports nothing from the rest of the package.
"""

from symbiosim.environment.contracts import TrustRules
from symbiosim.environment.geography import candidate_pairs, great_circle_km
from symbiosim.environment.market import Market
from symbiosim.environment.network import exchange_graph, to_geojson, write_geojson, write_graphml
from symbiosim.environment.pricing import route_surplus, split_price
from symbiosim.environment.scenario import Scenario, default_scenario, load_scenario
from symbiosim.environment.validation import ScenarioError, ValidationIssue

__all__ = [
    "Market",
    "Scenario",
    "ScenarioError",
    "TrustRules",
    "ValidationIssue",
    "candidate_pairs",
    "default_scenario",
    "exchange_graph",
    "great_circle_km",
    "load_scenario",
    "route_surplus",
    "split_price",
    "to_geojson",
    "write_geojson",
    "write_graphml",
]
