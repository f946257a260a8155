"""Patterns of a run: the quantities that calibration compares with observed targets.

Each pattern is computed over a window of months (a calibration uses the last 12) from the
window's by-product totals and its flows. The flows are the model's ``flows`` rows in the
window with ``tonnes > 0``, labelled with the seller's and buyer's city; only symbiosis flows
(``is_symbiosis``) count for every pattern except ``utilisation``, which counts every use.
The definitions (docs/calibration.md, "Targets"):

* ``utilisation``: (exchanged + sold to outlets) / generated, for one by-product (share).
* ``symbiosis_share``: symbiosis tonnes / generated, for one by-product (share).
* ``haul_p50_km``, ``haul_p90_km``: tonne-weighted median and 90th percentile of the road haul
  distance of a by-product's symbiosis flows (km).
* ``profit_distance_spearman``: Spearman's rank correlation of a route's profit per tonne
  (seller's and buyer's gain) with its distance, over the routes (seller, buyer, technology)
  active in the window (Cao et al. 2025, section 2.2).
* ``city_pair_share``: share of the symbiosis tonnes moved between two cities, either way.
* ``energy_saved_tce_per_yr``: energy saved by symbiosis, per year (tce/yr).

Every pattern but ``utilisation`` may be restricted to a set of technologies, and those that
need no by-product to one by-product; only ``city_pair_share`` names cities. A pattern with
nothing to measure (nothing generated, no tonnes, fewer than three routes) is NaN, except the
energy saved, which is then 0.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from symbiosim.metrics.network import profit_distance_spearman, weighted_quantile

__all__ = ["PATTERNS", "PatternSpec", "Window", "pattern_value"]

PATTERNS = {  # name -> unit
    "utilisation": "share",
    "symbiosis_share": "share",
    "haul_p50_km": "km",
    "haul_p90_km": "km",
    "profit_distance_spearman": "rho",
    "city_pair_share": "share",
    "energy_saved_tce_per_yr": "tce/yr",
}
NEEDS_BYPRODUCT = ("utilisation", "symbiosis_share", "haul_p50_km", "haul_p90_km")
MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class PatternSpec:
    """What to measure: a pattern, optionally of one by-product, some technologies, two cities."""

    pattern: str
    byproduct: str = ""
    technologies: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Window:
    """A run's months to measure.

    Attributes:
        months: how many months the window covers.
        generated_t: tonnes generated per by-product in the window.
        used_t: tonnes exchanged or sold to outlets per by-product in the window.
        flows: the window's flows with ``tonnes > 0``: ``seller_id``, ``buyer_id``,
            ``byproduct``, ``technology``, ``tonnes``, ``distance_km``, ``profit_cny_per_t``,
            ``energy_saved_tce``, ``is_symbiosis``, ``seller_city``, ``buyer_city``.
    """

    months: int
    generated_t: pd.Series
    used_t: pd.Series
    flows: pd.DataFrame


def _symbiosis(window: Window, spec: PatternSpec) -> pd.DataFrame:
    flows = window.flows[window.flows["is_symbiosis"].astype(bool)]
    if spec.byproduct:
        flows = flows[flows["byproduct"] == spec.byproduct]
    if spec.technologies:
        flows = flows[flows["technology"].isin(spec.technologies)]
    return flows


def pattern_value(spec: PatternSpec, window: Window) -> float:
    """The value of one pattern over a window (NaN when there is nothing to measure).

    Examples:
        >>> flows = pd.DataFrame({"seller_id": [1, 2], "buyer_id": [3, 3], "byproduct": ["fly_ash"] * 2,
        ...     "technology": ["T8"] * 2, "tonnes": [30.0, 10.0], "distance_km": [20.0, 80.0],
        ...     "profit_cny_per_t": [50.0, 10.0], "energy_saved_tce": [3.0, 1.0], "is_symbiosis": [True] * 2,
        ...     "seller_city": ["A", "B"], "buyer_city": ["A", "A"]})
        >>> w = Window(6, pd.Series({"fly_ash": 100.0}), pd.Series({"fly_ash": 70.0}), flows)
        >>> [pattern_value(PatternSpec(p, "fly_ash"), w) for p in ("utilisation", "symbiosis_share", "haul_p90_km")]
        [0.7, 0.4, 80.0]
        >>> pattern_value(PatternSpec("city_pair_share", cities=("B", "A")), w)
        0.25
        >>> pattern_value(PatternSpec("energy_saved_tce_per_yr"), w)
        8.0

    Raises:
        ValueError: an unknown pattern.
    """
    if spec.pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {spec.pattern!r} (known: {', '.join(PATTERNS)})")
    if spec.pattern in ("utilisation", "symbiosis_share"):
        generated = float(window.generated_t.get(spec.byproduct, 0.0))
        if generated <= 0:
            return math.nan
        if spec.pattern == "utilisation":
            return float(window.used_t.get(spec.byproduct, 0.0)) / generated
        return float(_symbiosis(window, spec)["tonnes"].sum()) / generated
    flows = _symbiosis(window, spec)
    if spec.pattern == "energy_saved_tce_per_yr":
        return float(flows["energy_saved_tce"].sum()) * MONTHS_PER_YEAR / window.months
    tonnes = flows["tonnes"].to_numpy(float)
    if tonnes.sum() <= 0:
        return math.nan
    if spec.pattern in ("haul_p50_km", "haul_p90_km"):
        q = 0.5 if spec.pattern == "haul_p50_km" else 0.9
        return weighted_quantile(flows["distance_km"].to_numpy(float), tonnes, q)
    if spec.pattern == "city_pair_share":
        a, b = spec.cities
        s, c = flows["seller_city"], flows["buyer_city"]
        between = ((s == a) & (c == b)) | ((s == b) & (c == a))
        return float(tonnes[between.to_numpy()].sum() / tonnes.sum())
    # profit_distance_spearman: routes active in the window, tonne-weighted mean profit per tonne
    routes = flows.assign(profit_cny=flows["profit_cny_per_t"] * flows["tonnes"]).groupby(
        ["seller_id", "buyer_id", "technology"], sort=True
    )
    table = routes.agg(distance_km=("distance_km", "first"), tonnes=("tonnes", "sum"), profit_cny=("profit_cny", "sum"))
    per_t = (table["profit_cny"] / table["tonnes"]).to_numpy(float)
    distance = table["distance_km"].to_numpy(float)
    if len(table) < 3 or np.ptp(distance) == 0 or np.ptp(per_t) == 0:
        return math.nan
    return profit_distance_spearman(distance, per_t)
