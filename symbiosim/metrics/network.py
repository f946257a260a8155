"""Network metrics of the exchange flows: effective radius, key nodes, distance decay."""

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

__all__ = ["effective_radius_km", "key_nodes", "profit_distance_spearman", "weighted_quantile"]


def weighted_quantile(values: NDArray[np.float64], weights: NDArray[np.float64], q: float) -> float:
    """Quantile ``q`` (0-1) of ``values`` weighted by ``weights`` (inverted CDF, no interpolation).

    >>> weighted_quantile(np.array([10.0, 50.0, 100.0]), np.array([1.0, 1.0, 8.0]), 0.5)
    100.0

    Raises:
        ValueError: if the arrays differ in length, weights are negative, or all are zero.
    """
    values, weights = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    if values.shape != weights.shape:
        raise ValueError("values and weights must have the same shape")
    if (weights < 0).any():
        raise ValueError("weights must be non-negative")
    if not 0 <= q <= 1:
        raise ValueError("q must be in [0, 1]")
    total = weights.sum()
    if total <= 0:
        raise ValueError("weights sum to zero")
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / total
    return float(values[order][np.searchsorted(cumulative, q - 1e-12)])


def effective_radius_km(flows: pd.DataFrame, quantile: float = 0.9) -> pd.DataFrame:
    """Tonne-weighted distance quantiles per by-product (SPEC 7.7: effective symbiosis radius).

    Args:
        flows: rows with ``byproduct``, ``tonnes`` and ``distance_km``.
        quantile: the radius quantile (default 0.9).

    Returns:
        Index ``byproduct``; columns ``median_km``, ``radius_km`` (the quantile), ``tonnes``.
    """
    rows = []
    for byproduct, group in flows[flows["tonnes"] > 0].groupby("byproduct", sort=True):
        km, t = group["distance_km"].to_numpy(), group["tonnes"].to_numpy()
        rows.append(
            {
                "byproduct": byproduct,
                "median_km": weighted_quantile(km, t, 0.5),
                "radius_km": weighted_quantile(km, t, quantile),
                "tonnes": float(t.sum()),
            }
        )
    return pd.DataFrame(rows, columns=["byproduct", "median_km", "radius_km", "tonnes"]).set_index("byproduct")


def key_nodes(flows: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """Facilities ranked by their share of all tonnes exchanged (as seller or buyer).

    Args:
        flows: rows with ``seller_id``, ``buyer_id`` and ``tonnes``.
        top: how many to return.

    Returns:
        Columns ``facility_id``, ``tonnes``, ``share`` (of total tonnes), ``partners``.
    """
    sold = flows.groupby("seller_id")["tonnes"].sum()
    bought = flows.groupby("buyer_id")["tonnes"].sum()
    tonnes = sold.add(bought, fill_value=0.0)
    partners = (
        pd.concat([flows.groupby("seller_id")["buyer_id"].nunique(), flows.groupby("buyer_id")["seller_id"].nunique()])
        .groupby(level=0)
        .sum()
    )
    total = float(flows["tonnes"].sum())
    table = pd.DataFrame({"tonnes": tonnes, "partners": partners}).fillna(0)
    table["share"] = table["tonnes"] / (2 * total) if total > 0 else 0.0
    table = table.sort_values(["tonnes"], ascending=False, kind="stable").head(top)
    return table.rename_axis("facility_id").reset_index()[["facility_id", "tonnes", "share", "partners"]]


def profit_distance_spearman(distance_km: NDArray[np.float64], profit_cny: NDArray[np.float64]) -> float:
    """Spearman rank correlation of path profit against distance (the seed found -0.22)."""
    if len(distance_km) < 3:
        return float("nan")
    return float(stats.spearmanr(distance_km, profit_cny).statistic)
