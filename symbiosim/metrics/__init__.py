"""Metrics: pure functions of arrays and tables (no model, agents, RNG or I/O).

* ``ledger``: energy and emission effects of exchanges (seed eq. 6-7);
* ``network``: effective symbiosis radius, key nodes, profit-distance correlation.
"""

from symbiosim.metrics.ledger import exchange_effects, weighted_sum_by
from symbiosim.metrics.network import effective_radius_km, key_nodes, profit_distance_spearman, weighted_quantile

__all__ = [
    "effective_radius_km",
    "exchange_effects",
    "key_nodes",
    "profit_distance_spearman",
    "weighted_quantile",
    "weighted_sum_by",
]
