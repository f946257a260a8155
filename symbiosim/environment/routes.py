"""Candidate routes of a scenario: which seller can send which by-product to which buyer, how far.

A *route* is a (seller, buyer, technology) triple that a mode of transport reaches (a physical
limit such as a steam main's, or a limit the scenario sets) and that could pay in some month of
the run (:class:`GainBound`); a *link* is a (seller, buyer) pair, which carries what the two
know of each other and their trust (see :mod:`symbiosim.environment.market`). Routes do not
change during a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from symbiosim.environment.arrays import CatalogArrays
from symbiosim.environment.geography import candidate_pairs, great_circle_km

__all__ = ["MODES", "GainBound", "Routes", "build_routes", "setup_cny"]

MODES = ("road", "rail", "water", "pipeline")  # road: the by-product's own tariff (byproducts.csv)


@dataclass(frozen=True)
class GainBound:
    """The most a tonne can gain on a route in any month of a run, before freight (CNY/t).

    A route can pay only if ``buyer[b, k] + seller[s, p] + transport_subsidy[p] x km`` is at
    least its freight; a route that never can is left out, which changes nothing a run does
    (no trade, search or appraisal uses a route whose gain is not positive).

    Attributes:
        buyer_cny_per_t: (facilities, technologies) the highest willingness to pay of a buyer
            (the technology's value, subsidies, avoided charges, any VAT premium; inf: no bound).
        seller_cny_per_t: (facilities, by-products) the most a seller avoids by selling (its
            highest disposal charges less its supply cost), i.e. minus its lowest reservation.
        transport_subsidy_cny_per_t_km: (by-products,) the highest transport subsidy.
    """

    buyer_cny_per_t: NDArray[np.float64]
    seller_cny_per_t: NDArray[np.float64]
    transport_subsidy_cny_per_t_km: NDArray[np.float64]

    def reach_km(self, offers: list[ModeOffer], k: int, b: int) -> float:
        """How far any route of technology ``k`` (by-product ``b``) can pay by its best mode (inf: no bound)."""
        gain = float(self.buyer_cny_per_t[:, k].max(initial=-np.inf) + self.seller_cny_per_t[:, b].max(initial=-np.inf))
        subsidy = float(self.transport_subsidy_cny_per_t_km[b])
        reach = 0.0
        for offer in offers:
            net_tariff = offer.tariff_cny_per_t_km - subsidy
            paying = np.inf if net_tariff <= 0 else (gain - offer.fixed_cost_cny_per_t) / net_tariff
            reach = max(reach, min(paying, offer.max_km))
        return reach

    def pays(self, seller: NDArray[np.intp], buyer: NDArray[np.intp], technology: NDArray[np.intp],
             byproduct: NDArray[np.intp], km: NDArray[np.float64], cost: NDArray[np.float64]) -> NDArray[np.bool_]:  # fmt: skip
        """Which routes could pay in some month: gain before freight + transport subsidy >= freight."""
        gain = self.buyer_cny_per_t[buyer, technology] + self.seller_cny_per_t[seller, byproduct]
        return gain + self.transport_subsidy_cny_per_t_km[byproduct] * km >= cost - 1e-9


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
        mode: per-route transport mode, an index into ``MODES`` (None: all by road).
        transport_kgce_per_t_km, transport_co2_kg_per_t_km: per-route energy and CO2 of the
            haul per t km, those of its mode (None: the by-product's road factors).
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
    mode: NDArray[np.intp] | None = None
    transport_kgce_per_t_km: NDArray[np.float64] | None = None
    transport_co2_kg_per_t_km: NDArray[np.float64] | None = None

    @property
    def n_routes(self) -> int:
        """Number of routes."""
        return len(self.seller)

    @property
    def mode_names(self) -> NDArray[np.object_]:
        """Per-route transport mode by name (all ``road`` when the routes carry no modes)."""
        return self.mode_names_of(np.arange(self.n_routes))

    def mode_names_of(self, rows: NDArray[np.intp]) -> NDArray[np.object_]:
        """The transport mode by name of the routes ``rows``."""
        mode = self.mode[rows] if self.mode is not None else np.zeros(len(rows), dtype=np.intp)
        return np.asarray(MODES, dtype=object)[mode]

    def at_seller(self, table: NDArray) -> NDArray:
        """Per route, ``table[seller, byproduct]`` of a (facilities, by-products) table."""
        return table.ravel().take(self.flat_index("seller", table.shape[1]))

    def at_buyer(self, table: NDArray) -> NDArray:
        """Per route, ``table[buyer, technology]`` of a (facilities, technologies) table."""
        return table.ravel().take(self.flat_index("buyer", table.shape[1]))

    def flat_index(self, side: str, n_columns: int) -> NDArray[np.intp]:
        """Each route's flat index into a table of its seller's by-products (``side`` "seller") or its buyer's technologies ("buyer").

        Computed once per shape: a flat gather is several times faster than a 2-D one over every route.
        """
        cache = self.__dict__.setdefault("_flat", {})  # the dataclass is frozen; the index only depends on it
        if (side, n_columns) not in cache:
            row, column = (self.seller, self.byproduct) if side == "seller" else (self.buyer, self.technology)
            cache[side, n_columns] = row * n_columns + column
        return cache[side, n_columns]

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
        mode: NDArray[np.intp] | None = None,
        transport_factors: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    ) -> Routes:
        """Routes from per-route arrays; the links are the distinct (seller, buyer) pairs.

        ``transport_factors`` are the per-route energy (kgce) and CO2 (kg) per t km of each
        route's mode.
        """
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
            mode=mode,
            transport_kgce_per_t_km=None if transport_factors is None else transport_factors[0],
            transport_co2_kg_per_t_km=None if transport_factors is None else transport_factors[1],
        )


def build_routes(
    catalog: CatalogArrays,
    circuity_factor: float,
    distances: pd.DataFrame,
    is_seller: NDArray[np.bool_],
    tariff_factor: float = 1.0,
    gain_bound: GainBound | None = None,
) -> Routes:
    """Every route of a scenario: for each technology, its by-product's sellers to its eligible buyers.

    Road distance is the great-circle distance x ``circuity_factor``, or the distance given in
    the ``distances`` table (``from_facility_id``, ``to_facility_id``, ``distance_km``). A route
    goes by the cheapest of the by-product's modes that reach that far: road (its tariff, loading
    cost and ``max_haul_km`` in ``byproducts``) and those of ``transport_modes`` (each with its own
    tariff, fixed cost and ``max_km``), cost = tariff x km + fixed cost, over the same distance;
    pairs no mode reaches are left out, and so are those that cannot pay in any month of the
    run where a ``gain_bound`` is given. A blank ``max_haul_km`` sets no road limit.

    Args:
        catalog: the scenario's arrays.
        circuity_factor: road km per great-circle km.
        distances: given distances (rows naming unknown facilities are ignored).
        is_seller: (facilities, by-products) which facilities generate each by-product.
        tariff_factor: multiplies every freight tariff (not the loading cost): the freight lever.
        gain_bound: the most a tonne can gain on a route over the run (None: keep every route a
            mode reaches).
    """
    fac = catalog.facilities
    lat, lon = fac["latitude"].to_numpy(dtype=float), fac["longitude"].to_numpy(dtype=float)
    index = {facility_id: i for i, facility_id in enumerate(catalog.facility_ids)}
    given, by_mode = _given_distances(distances, index, lat, lon, circuity_factor)
    parts: list[tuple[np.ndarray, ...]] = []
    offers = mode_offers(catalog, tariff_factor)
    for k in range(len(catalog.technologies)):
        b = int(catalog.tech_byproduct[k])
        max_km = max(offer.max_km for offer in offers[b])
        if gain_bound is not None:
            max_km = gain_bound.reach_km(offers[b], k, b)
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
            # a pair with a mode's own distance stays if any of its distances is within reach
            pairs = {key: d for key, d in sorted(pairs.items()) if min([d, *by_mode.get(key, {}).values()]) <= max_km}
            s = np.array([key[0] for key in pairs], dtype=np.intp)
            c = np.array([key[1] for key in pairs], dtype=np.intp)
            km = np.array(list(pairs.values()), dtype=float)
        keep = s != c
        parts.append(
            (s[keep], c[keep], np.full(keep.sum(), k, dtype=np.intp), np.full(keep.sum(), b, dtype=np.intp), km[keep])
        )
    seller, buyer, tech, byproduct, km = (np.concatenate([part[f] for part in parts]) for f in range(5))
    cost, mode, kgce, co2, km = cheapest_mode(offers, byproduct, km, _mode_km(by_mode, seller, buyer, km))
    reached = np.isfinite(cost)
    if gain_bound is not None:
        reached &= gain_bound.pays(seller, buyer, tech, byproduct, km, cost)
    return Routes.from_arrays(
        seller[reached].astype(np.intp),
        buyer[reached].astype(np.intp),
        tech[reached].astype(np.intp),
        byproduct[reached].astype(np.intp),
        km[reached],
        cost[reached],
        n_technologies=len(catalog.technologies),
        mode=mode[reached],
        transport_factors=(kgce[reached], co2[reached]),
    )


def setup_cny(catalog: CatalogArrays, routes: Routes) -> NDArray[np.float64]:
    """Per route, its one-off set-up cost (CNY): the by-product's ``link_setup_cny`` + ``link_setup_cny_per_km`` x km."""
    b = routes.byproduct
    return catalog.link_setup_cny[b] + catalog.link_setup_cny_per_km[b] * routes.distance_km


class ModeOffer(NamedTuple):
    """One way a by-product can travel: its cost and transport factors, and how far it reaches."""

    mode: int  # index into MODES
    tariff_cny_per_t_km: float  # already multiplied by the freight lever
    fixed_cost_cny_per_t: float
    kgce_per_t_km: float
    co2_kg_per_t_km: float
    max_km: float

    @classmethod
    def of_row(cls, mode: str, row: pd.Series, max_column: str, tariff_factor: float) -> ModeOffer:
        """The offer of a ``byproducts`` row (road, reach ``max_haul_km``, blank: no limit) or a ``transport_modes`` row."""
        reach = float(row[max_column])
        return cls(MODES.index(mode), float(row["tariff_cny_per_t_km"]) * tariff_factor,
                   float(row["fixed_cost_cny_per_t"]), float(row["transport_kgce_per_t_km"]),
                   float(row["transport_co2_kg_per_t_km"]), np.inf if np.isnan(reach) else reach)  # fmt: skip


def mode_offers(catalog: CatalogArrays, tariff_factor: float) -> list[list[ModeOffer]]:
    """Per by-product, the modes it can travel by: road first (``byproducts``), then its ``transport_modes`` rows.

    Every tariff is multiplied by ``tariff_factor`` (the freight lever).
    """
    offers = [[ModeOffer.of_row("road", r, "max_haul_km", tariff_factor)] for _, r in catalog.byproduct.iterrows()]
    index = {name: b for b, name in enumerate(catalog.byproducts)}
    for _, r in catalog.transport_modes.iterrows():
        offers[index[r["byproduct"]]].append(ModeOffer.of_row(r["mode"], r, "max_km", tariff_factor))
    return offers


def cheapest_mode(
    offers: list[list[ModeOffer]],
    byproduct: NDArray[np.intp],
    km: NDArray[np.float64],
    mode_km: dict[int, NDArray[np.float64]] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per route, the cost (CNY/t; inf where no mode reaches), mode, transport factors and distance of its cheapest mode.

    ``mode_km`` gives a mode its own distance per route (a river or rail line is not the road);
    the other modes travel ``km``.
    """
    cost = np.full(len(km), np.inf)
    mode = np.zeros(len(km), dtype=np.intp)
    kgce, co2, chosen_km = np.zeros(len(km)), np.zeros(len(km)), km.copy()
    for b, modes in enumerate(offers):
        rows = np.flatnonzero(byproduct == b)
        for m in modes:
            distance = (mode_km or {}).get(m.mode, km)[rows]
            cost_by_mode = m.tariff_cny_per_t_km * distance + m.fixed_cost_cny_per_t
            offer = np.where(distance <= m.max_km + 1e-9, cost_by_mode, np.inf)
            better = offer < cost[rows]
            chosen = rows[better]
            cost[chosen], mode[chosen], chosen_km[chosen] = offer[better], m.mode, distance[better]
            kgce[chosen], co2[chosen] = m.kgce_per_t_km, m.co2_kg_per_t_km
    return cost, mode, kgce, co2, chosen_km


def _given_distances(
    distances: pd.DataFrame, index: dict[str, int], lat: NDArray[np.float64], lon: NDArray[np.float64], circuity: float
) -> tuple[dict[tuple[int, int], float], dict[tuple[int, int], dict[int, float]]]:
    """The ``distances`` rows: every mode's distance of a pair (blank ``mode``), and a mode's own distance.

    A pair given only a mode's distance keeps great-circle x circuity as its road distance.
    """
    given: dict[tuple[int, int], float] = {}
    by_mode: dict[tuple[int, int], dict[int, float]] = {}
    modes = distances["mode"] if "mode" in distances else pd.Series("", index=distances.index)
    for f, t, km, m in zip(distances["from_facility_id"], distances["to_facility_id"], distances["distance_km"],
                           modes, strict=True):  # fmt: skip
        if f not in index or t not in index:
            continue
        pair = (index[f], index[t])
        if isinstance(m, str) and m:
            by_mode.setdefault(pair, {})[MODES.index(m)] = float(km)
        else:
            given[pair] = float(km)
    for pair in by_mode:
        if pair not in given:
            i, j = pair
            given[pair] = float(great_circle_km(lat[i], lon[i], lat[j], lon[j])) * circuity
    return given, by_mode


def _mode_km(
    by_mode: dict[tuple[int, int], dict[int, float]],
    seller: NDArray[np.intp],
    buyer: NDArray[np.intp],
    km: NDArray[np.float64],
) -> dict[int, NDArray[np.float64]]:
    """Per mode with a distance of its own for some pair, every route's distance by that mode."""
    if not by_mode:
        return {}
    width = int(max(seller.max(initial=0), buyer.max(initial=0), *(max(p) for p in by_mode))) + 1
    keys = seller.astype(np.int64) * width + buyer
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    mode_km: dict[int, NDArray[np.float64]] = {}
    for (i, j), distances in by_mode.items():
        lo, hi = np.searchsorted(sorted_keys, [i * width + j, i * width + j + 1])
        for m, distance in distances.items():
            mode_km.setdefault(m, km.copy())[order[lo:hi]] = distance
    return mode_km
