"""Metrics: pure functions of arrays and tables (no model, agents, RNG or I/O beyond their own data tables).

* ``ledger``: energy and emission effects of exchanges (Cao et al. 2025, eq. 6-7), ledgers summed by
  facility, sector, city, province or region per month or year, and the government ledger;
* ``network``: links, degree, key nodes and betweenness, effective symbiosis radius,
  profit-distance correlation, robustness, clustering by city;
* ``weights``: entropy, AHP and combined weights;
* ``synergy``: order degrees, subsystem order degrees and the composite-system synergy degree;
* ``coupling``: coupling coordination degree of n subsystems, with its bands;
* ``indicators``: the default circular-economy and low-carbon indicators of a run, and their
  assessment (order degrees, synergy, coupling);
* ``value_flow``: value-flow evaluation of synergistic against non-synergistic production;
* ``enterprise``: an enterprise's accounts with its exchanges and in the counterfactual without them.
"""

from symbiosim.metrics import coupling, enterprise, indicators, synergy, value_flow, weights
from symbiosim.metrics.ledger import aggregate, exchange_effects, government_ledger, weighted_sum_by
from symbiosim.metrics.network import effective_radius_km, key_nodes, profit_distance_spearman, weighted_quantile

__all__ = [
    "aggregate",
    "coupling",
    "effective_radius_km",
    "enterprise",
    "exchange_effects",
    "government_ledger",
    "indicators",
    "key_nodes",
    "profit_distance_spearman",
    "synergy",
    "value_flow",
    "weighted_quantile",
    "weighted_sum_by",
    "weights",
]
