"""Network metrics of the exchange flows (docs/metrics.md, "Network metrics").

Active links, tonnes and value by by-product; degree; key nodes by flow share and
betweenness; the effective symbiosis radius per by-product; the Spearman correlation of
path profit against distance; robustness (flow lost when a node is curtailed); clustering by
city. Every function takes a flows table (one row per route and month, as
``SymbiosisModel.flows``) for whatever period the caller selects.
"""

import networkx as nx
import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "CITY_COLUMNS",
    "byproduct_flows",
    "clustering_by_city",
    "degrees",
    "effective_radius_km",
    "key_nodes",
    "partner_graph",
    "profit_distance_spearman",
    "robustness",
    "weighted_quantile",
]


CITY_COLUMNS = (
    "facilities",
    "active_facilities",
    "within_city_t",
    "bought_from_outside_t",
    "sold_to_outside_t",
    "within_city_share",
    "clustering",
)  # of clustering_by_city, indexed by city

def weighted_quantile(values: NDArray[np.float64], weights: NDArray[np.float64], q: float) -> float:
    """Quantile ``q`` (0-1) of ``values`` weighted by ``weights`` (inverted CDF, no interpolation).

    Examples:
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
    """Tonne-weighted distance quantiles per by-product (effective symbiosis radius; docs/metrics.md, "Network metrics").

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


def key_nodes(flows: pd.DataFrame, top: int = 10, betweenness: bool = True) -> pd.DataFrame:
    """Facilities ranked by their share of all tonnes exchanged (as seller or buyer).

    Args:
        flows: rows with ``seller_id``, ``buyer_id`` and ``tonnes``.
        top: how many to return.
        betweenness: compute the betweenness column (exact, all shortest paths: the costly part
            for a national network); False leaves it NaN.

    Returns:
        Columns ``facility_id``, ``tonnes``, ``share`` (of total tonnes), ``partners`` and
        ``betweenness`` (normalised betweenness centrality in the undirected partner graph:
        the share of shortest paths between other facilities that pass through it).
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
    table["betweenness"] = (pd.Series(nx.betweenness_centrality(partner_graph(flows)), dtype=float)
                            if betweenness else np.nan)  # fmt: skip
    table = table.sort_values(["tonnes"], ascending=False, kind="stable").head(top)
    return table.rename_axis("facility_id").reset_index()[["facility_id", "tonnes", "share", "partners", "betweenness"]]


def profit_distance_spearman(distance_km: NDArray[np.float64], profit_cny: NDArray[np.float64]) -> float:
    """Spearman rank correlation of path profit against distance (Cao et al. 2025, §2.2, Fig. 5: -0.2192)."""
    if len(distance_km) < 3:
        return float("nan")
    ranks = np.column_stack([pd.Series(distance_km).rank().to_numpy(), pd.Series(profit_cny).rank().to_numpy()])
    if np.isnan(ranks).any() or (ranks.min(axis=0) == ranks.max(axis=0)).any():
        return float("nan")  # a missing value, or a constant: no correlation
    return float(np.corrcoef(ranks, rowvar=False)[1, 0])  # Pearson's r of average ranks, as scipy.stats.spearmanr


def partner_graph(flows: pd.DataFrame) -> nx.Graph:
    """Undirected graph of facilities that traded, edges weighted by tonnes (``seller_id``, ``buyer_id``, ``tonnes``)."""
    pairs = flows.groupby(["seller_id", "buyer_id"], sort=True)["tonnes"].sum().reset_index()
    graph = nx.Graph()
    for seller, buyer, tonnes in pairs.itertuples(index=False):
        if graph.has_edge(seller, buyer):
            graph[seller][buyer]["tonnes"] += float(tonnes)
        else:
            graph.add_edge(seller, buyer, tonnes=float(tonnes))
    return graph


def byproduct_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """Active links, tonnes and value by by-product.

    Args:
        flows: rows with ``byproduct``, ``seller_id``, ``buyer_id``, ``tonnes`` and ``price_cny_per_t``.

    Returns:
        Index ``byproduct``; columns ``active_links`` (distinct seller-buyer pairs),
        ``tonnes``, ``value_cny`` (price x tonnes; negative where sellers pay buyers to take
        the waste) and ``mean_price_cny_per_t`` (tonne-weighted).
    """
    frame = flows.assign(value_cny=flows["tonnes"] * flows["price_cny_per_t"])
    grouped = frame.groupby("byproduct", sort=True)
    table = pd.DataFrame(
        {
            "active_links": grouped.apply(lambda g: len(g[["seller_id", "buyer_id"]].drop_duplicates())),
            "tonnes": grouped["tonnes"].sum(),
            "value_cny": grouped["value_cny"].sum(),
        }
    )
    table["mean_price_cny_per_t"] = table["value_cny"] / table["tonnes"]
    return table.astype({"active_links": int})


def degrees(flows: pd.DataFrame) -> pd.DataFrame:
    """Partners and tonnes of each facility that traded.

    Returns:
        Index ``facility_id``; columns ``out_degree`` (distinct buyers), ``in_degree``
        (distinct sellers), ``degree`` (distinct partners either way), ``sold_t``, ``bought_t``.
    """
    out_degree = flows.groupby("seller_id")["buyer_id"].nunique()
    in_degree = flows.groupby("buyer_id")["seller_id"].nunique()
    graph = partner_graph(flows)
    table = pd.DataFrame(
        {
            "out_degree": out_degree,
            "in_degree": in_degree,
            "sold_t": flows.groupby("seller_id")["tonnes"].sum(),
            "bought_t": flows.groupby("buyer_id")["tonnes"].sum(),
        }
    ).fillna(0.0)
    table["degree"] = pd.Series(dict(graph.degree()))
    table = table.astype({"out_degree": int, "in_degree": int, "degree": int}).rename_axis("facility_id")
    return table[["out_degree", "in_degree", "degree", "sold_t", "bought_t"]].sort_index()


def robustness(flows: pd.DataFrame, curtailment_share: float = 1.0) -> pd.DataFrame:
    """Symbiotic flow lost when one facility is curtailed, facility by facility (first order).

    A facility curtailed by ``curtailment_share`` loses that share of what it sells and buys;
    its partners are taken not to find other partners within the period, so this is the
    flow at risk before any rerouting (the model's dynamic answer comes from running a
    production limit on the facility and comparing).

    Args:
        flows: rows with ``seller_id``, ``buyer_id`` and ``tonnes``.
        curtailment_share: share of the facility's output cut, 0-1.

    Returns:
        Index ``facility_id``; columns ``flow_lost_t``, ``share_of_flow`` (of all tonnes) and
        ``partners_affected``; sorted by flow lost, largest first.

    Raises:
        ValueError: ``curtailment_share`` outside 0-1.
    """
    if not 0.0 <= curtailment_share <= 1.0:
        raise ValueError(f"curtailment_share must lie in 0-1, not {curtailment_share}")
    table = degrees(flows)
    total = float(flows["tonnes"].sum())
    lost = curtailment_share * (table["sold_t"] + table["bought_t"])
    result = pd.DataFrame(
        {
            "flow_lost_t": lost,
            "share_of_flow": lost / total if total > 0 else 0.0,
            "partners_affected": table["degree"],
        }
    )
    return result.sort_values("flow_lost_t", ascending=False, kind="stable")


def clustering_by_city(flows: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """How much of the symbiosis stays within each city.

    Args:
        flows: rows with ``seller_id``, ``buyer_id`` and ``tonnes``.
        facilities: ``facility_id`` and ``city``.

    Returns:
        Index ``city``; columns ``facilities``, ``active_facilities`` (traded at least once),
        ``within_city_t`` (both ends in the city), ``bought_from_outside_t``,
        ``sold_to_outside_t``, ``within_city_share`` (within ÷ all tonnes touching the city)
        and ``clustering`` (mean square clustering coefficient of the city's active facilities in
        the undirected partner graph: the share of possible squares -- two suppliers sharing two
        buyers -- that exist; Lind et al. 2005, Phys. Rev. E 72:056127). The triangle-based
        coefficient is nearly always 0 here, since suppliers rarely trade with each other.
    """
    city = facilities.set_index("facility_id")["city"]
    frame = flows.assign(seller_city=flows["seller_id"].map(city), buyer_city=flows["buyer_id"].map(city))
    same = frame["seller_city"] == frame["buyer_city"]
    graph = partner_graph(flows)
    coefficient = pd.Series(nx.square_clustering(graph), dtype=float)
    active = pd.Index(list(graph.nodes))
    table = pd.DataFrame(
        {
            "facilities": facilities.groupby("city")["facility_id"].nunique(),
            "active_facilities": city[city.index.isin(active)].value_counts(),
            "within_city_t": frame[same].groupby("seller_city")["tonnes"].sum(),
            "bought_from_outside_t": frame[~same].groupby("buyer_city")["tonnes"].sum(),
            "sold_to_outside_t": frame[~same].groupby("seller_city")["tonnes"].sum(),
            "clustering": coefficient.groupby(coefficient.index.map(city)).mean(),
        }
    )
    table[["active_facilities", "within_city_t", "bought_from_outside_t", "sold_to_outside_t"]] = table[
        ["active_facilities", "within_city_t", "bought_from_outside_t", "sold_to_outside_t"]
    ].fillna(0.0)
    touching = table["within_city_t"] + table["bought_from_outside_t"] + table["sold_to_outside_t"]
    table["within_city_share"] = (table["within_city_t"] / touching).where(touching > 0)
    table = table.astype({"facilities": int, "active_facilities": int}).rename_axis("city")
    return table[list(CITY_COLUMNS)].sort_index()
