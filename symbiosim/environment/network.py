"""The spatial exchange network: facilities as nodes, active exchanges as directed edges.

Nodes carry the facility's attributes and coordinates; an edge (seller -> buyer) carries the
by-product, technology, tonnes per month, road distance, price and the step the exchange
started. Several by-products between one pair become parallel edges of a MultiDiGraph.
"""

import json
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

__all__ = ["exchange_graph", "to_geojson", "write_geojson", "write_graphml"]

NODE_COLUMNS = ("facility_id", "name", "sector", "route", "city", "province", "latitude", "longitude", "is_synthetic")
EDGE_COLUMNS = ("byproduct", "technology", "tonnes_per_month", "distance_km", "price_cny_per_t", "start_step")


def exchange_graph(facilities: pd.DataFrame, flows: pd.DataFrame) -> nx.MultiDiGraph:
    """Build the network of one month's exchanges.

    Args:
        facilities: one row per facility, in node order; columns include ``NODE_COLUMNS``.
        flows: one row per active exchange with ``seller``, ``buyer`` (node ids) and
            ``EDGE_COLUMNS``.

    Returns:
        A MultiDiGraph with integer node ids 0..n-1.
    """
    graph = nx.MultiDiGraph()
    for node, row in enumerate(facilities[list(NODE_COLUMNS)].itertuples(index=False)):
        attrs = dict(zip(NODE_COLUMNS, row, strict=True))
        attrs["latitude"], attrs["longitude"] = float(attrs["latitude"]), float(attrs["longitude"])
        attrs["is_synthetic"] = bool(attrs["is_synthetic"])
        graph.add_node(node, **attrs)
    for row in flows.itertuples(index=False):
        attrs: dict[str, Any] = {c: getattr(row, c) for c in EDGE_COLUMNS}
        attrs["tonnes_per_month"] = float(attrs["tonnes_per_month"])
        attrs["distance_km"] = float(attrs["distance_km"])
        attrs["price_cny_per_t"] = float(attrs["price_cny_per_t"])
        attrs["start_step"] = int(attrs["start_step"])
        graph.add_edge(int(row.seller), int(row.buyer), key=f"{row.byproduct}:{row.technology}", **attrs)
    return graph


def write_graphml(graph: nx.MultiDiGraph, path: Path) -> None:
    """Write the network as GraphML."""
    nx.write_graphml(graph, path)


def to_geojson(graph: nx.MultiDiGraph) -> dict:
    """GeoJSON FeatureCollection: a Point per facility and a LineString per exchange."""
    features = []
    for node, attrs in graph.nodes(data=True):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [attrs["longitude"], attrs["latitude"]]},
                "properties": {"node": int(node), "kind": "facility", **attrs},
            }
        )
    for u, v, attrs in graph.edges(data=True):
        a, b = graph.nodes[u], graph.nodes[v]
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[a["longitude"], a["latitude"]], [b["longitude"], b["latitude"]]],
                },
                "properties": {
                    "kind": "exchange",
                    "seller": a["facility_id"],
                    "buyer": b["facility_id"],
                    **attrs,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def write_geojson(graph: nx.MultiDiGraph, path: Path) -> None:
    """Write the network as GeoJSON (WGS84 longitude/latitude)."""
    path.write_text(json.dumps(to_geojson(graph), indent=1, default=_plain), encoding="utf-8")


def _plain(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")
