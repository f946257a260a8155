"""Candidate routes of a scenario: which seller can send which by-product to which buyer, how far.

A *route* is a (seller, buyer, technology) triple within the by-product's haul limit; a
*link* is a (seller, buyer) pair, which carries what the two know of each other and their
trust (see :mod:`symbiosim.environment.market`). Routes do not change during a run.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from symbiosim.environment.arrays import CatalogArrays
from symbiosim.environment.geography import candidate_pairs

__all__ = ["Routes", "build_routes"]


@dataclass(frozen=True)
class Routes:
    """Per-route and per-link arrays (routes sorted by technology, then as found).

    Attributes:
        seller, buyer, technology, byproduct: per-route indices.
        distance_km: per-route road distance.
        transport_cny_per_t: per-route transport cost (tariff x km + loading), paid by the buyer.
        link: per-route index of its (seller, buyer) link.
        link_seller, link_buyer, link_km: per-link seller, buyer and distance.
        of_technology: the routes of each technology.
    """

    seller: NDArray[np.intp]
    buyer: NDArray[np.intp]
    technology: NDArray[np.intp]
    byproduct: NDArray[np.intp]
    distance_km: NDArray[np.float64]
    transport_cny_per_t: NDArray[np.float64]
    link: NDArray[np.intp]
    link_seller: NDArray[np.intp]
    link_buyer: NDArray[np.intp]
    link_km: NDArray[np.float64]
    of_technology: tuple[NDArray[np.intp], ...]

    @property
    def n_routes(self) -> int:
        """Number of routes."""
        return len(self.seller)

    @property
    def n_links(self) -> int:
        """Number of (seller, buyer) links."""
        return len(self.link_seller)

    @classmethod
    def from_arrays(
        cls,
        seller: NDArray[np.intp],
        buyer: NDArray[np.intp],
        technology: NDArray[np.intp],
        byproduct: NDArray[np.intp],
        distance_km: NDArray[np.float64],
        transport_cny_per_t: NDArray[np.float64],
        n_technologies: int | None = None,
    ) -> "Routes":
        """Routes from per-route arrays; the links are the distinct (seller, buyer) pairs."""
        pairs = np.column_stack([seller, buyer]) if len(seller) else np.empty((0, 2), dtype=np.intp)
        links, link = np.unique(pairs, axis=0, return_inverse=True)
        link = link.reshape(-1).astype(np.intp)
        link_km = np.zeros(len(links))
        link_km[link] = distance_km
        n_k = (int(technology.max()) + 1 if len(technology) else 0) if n_technologies is None else n_technologies
        return cls(
            seller=seller,
            buyer=buyer,
            technology=technology,
            byproduct=byproduct,
            distance_km=distance_km,
            transport_cny_per_t=transport_cny_per_t,
            link=link,
            link_seller=links[:, 0].astype(np.intp),
            link_buyer=links[:, 1].astype(np.intp),
            link_km=link_km,
            of_technology=tuple(np.flatnonzero(technology == k) for k in range(n_k)),
        )


def build_routes(
    catalog: CatalogArrays,
    circuity_factor: float,
    distances: pd.DataFrame,
    is_seller: NDArray[np.bool_],
    tariff_factor: float = 1.0,
) -> Routes:
    """Every route of a scenario: for each technology, its by-product's sellers to its eligible buyers.

    Road distance is the great-circle distance x ``circuity_factor``, or the distance given in
    the ``distances`` table (``from_facility_id``, ``to_facility_id``, ``distance_km``); pairs
    beyond the by-product's ``max_haul_km`` are left out.

    Args:
        catalog: the scenario's arrays.
        circuity_factor: road km per great-circle km.
        distances: given distances (rows naming unknown facilities are ignored).
        is_seller: (facilities, by-products) which facilities generate each by-product.
        tariff_factor: multiplies every freight tariff (not the loading cost): the freight lever.
    """
    fac, byp = catalog.facilities, catalog.byproduct
    lat, lon = fac["latitude"].to_numpy(dtype=float), fac["longitude"].to_numpy(dtype=float)
    index = {facility_id: i for i, facility_id in enumerate(catalog.facility_ids)}
    given = {
        (index[f], index[t]): float(km)
        for f, t, km in zip(
            distances["from_facility_id"], distances["to_facility_id"], distances["distance_km"], strict=True
        )
        if f in index and t in index
    }
    parts: list[tuple[np.ndarray, ...]] = []
    for k in range(len(catalog.technologies)):
        b = int(catalog.tech_byproduct[k])
        max_km = float(byp.at[b, "max_haul_km"])
        sellers = np.flatnonzero(is_seller[:, b])
        buyers = np.flatnonzero(catalog.eligible[:, k])
        i, j, km = candidate_pairs(lat[sellers], lon[sellers], lat[buyers], lon[buyers], max_km, circuity_factor)
        s, c = sellers[i], buyers[j]
        if given:
            pairs = dict(zip(zip(s.tolist(), c.tolist(), strict=True), km.tolist(), strict=True))
            seller_set, buyer_set = set(sellers.tolist()), set(buyers.tolist())
            for (fs, fc), dist in given.items():
                if fs in seller_set and fc in buyer_set:
                    pairs[(fs, fc)] = dist
            pairs = {key: d for key, d in sorted(pairs.items()) if d <= max_km}
            s = np.array([key[0] for key in pairs], dtype=np.intp)
            c = np.array([key[1] for key in pairs], dtype=np.intp)
            km = np.array(list(pairs.values()), dtype=float)
        keep = s != c
        parts.append(
            (s[keep], c[keep], np.full(keep.sum(), k, dtype=np.intp), np.full(keep.sum(), b, dtype=np.intp), km[keep])
        )
    seller, buyer, tech, byproduct, km = (np.concatenate([part[f] for part in parts]) for f in range(5))
    tariff = byp["tariff_cny_per_t_km"].to_numpy(dtype=float)[byproduct] * tariff_factor
    fixed = byp["fixed_cost_cny_per_t"].to_numpy(dtype=float)[byproduct]
    return Routes.from_arrays(
        seller.astype(np.intp),
        buyer.astype(np.intp),
        tech.astype(np.intp),
        byproduct.astype(np.intp),
        km,
        tariff * km + fixed,
        n_technologies=len(catalog.technologies),
    )
