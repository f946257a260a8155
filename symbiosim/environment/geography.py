"""Distances between facilities and the candidate partner pairs within a haul limit.

Road distance = great-circle distance x circuity factor, unless a distance table gives the
pair. Candidate pairs are found with a k-d tree on unit-sphere coordinates (chord distance
is monotone in great-circle distance), so no all-pairs loop is needed.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse
from scipy.spatial import cKDTree

__all__ = [
    "EARTH_RADIUS_KM",
    "Landfills",
    "assign_landfills",
    "candidate_pairs",
    "great_circle_km",
    "same_sector_neighbours",
    "unit_vectors",
]

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


def great_circle_km(
    lat1: NDArray[np.float64], lon1: NDArray[np.float64], lat2: NDArray[np.float64], lon2: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Haversine great-circle distance in km (element-wise; degrees in).

    >>> round(float(great_circle_km(39.9042, 116.4074, 39.0842, 117.2009)), 1)  # Beijing-Tianjin
    113.8
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def unit_vectors(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.float64]:
    """Points on the unit sphere, shape (n, 3)."""
    phi, lmb = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lmb), np.cos(phi) * np.sin(lmb), np.sin(phi)])


def candidate_pairs(
    from_lat: NDArray[np.float64],
    from_lon: NDArray[np.float64],
    to_lat: NDArray[np.float64],
    to_lon: NDArray[np.float64],
    max_road_km: float,
    circuity: float,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """All (from, to) pairs whose road distance is at most ``max_road_km``.

    Args:
        from_lat: origins' latitudes, degrees.
        from_lon: origins' longitudes, degrees.
        to_lat: destinations' latitudes, degrees.
        to_lon: destinations' longitudes, degrees.
        max_road_km: haul limit in road km (>= 0).
        circuity: road km per great-circle km (>= 1 in practice).

    Returns:
        (origin index, destination index, road distance km), sorted by origin then destination.
    """
    if len(from_lat) == 0 or len(to_lat) == 0 or circuity <= 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty, np.empty(0)
    max_gc = max_road_km / circuity
    chord = 2 * np.sin(min(max_gc / EARTH_RADIUS_KM, np.pi) / 2)
    tree_to = cKDTree(unit_vectors(to_lat, to_lon))
    tree_from = cKDTree(unit_vectors(from_lat, from_lon))
    near = tree_from.sparse_distance_matrix(tree_to, chord * (1 + 1e-12), output_type="ndarray")
    i, j = near["i"].astype(np.intp), near["j"].astype(np.intp)
    km = great_circle_km(np.asarray(from_lat)[i], np.asarray(from_lon)[i], np.asarray(to_lat)[j], np.asarray(to_lon)[j])
    road = km * circuity
    keep = road <= max_road_km
    order = np.lexsort((j[keep], i[keep]))
    return i[keep][order], j[keep][order], road[keep][order]


@dataclass(frozen=True)
class Landfills:
    """Where each facility's landfilled tonnes go.

    Attributes:
        share: (facilities, facilities) sparse; row i splits facility i's gate fees equally among
            its city's landfills.
        has_landfill: (facilities,) the facility's city has a landfill in the scenario (where it
            has none, the fee is paid to disposal outside the scenario).
    """

    share: sparse.csr_matrix
    has_landfill: NDArray[np.bool_]
    _entries: sparse.coo_matrix = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_entries", self.share.tocoo())  # by paying facility, as ``share`` stores them

    def revenue_cny(self, fee_cny: NDArray[np.float64]) -> NDArray[np.float64]:
        """(facilities,) what each landfill receives of the gate fees ``fee_cny`` each facility paid.

        ``share.T @ fee_cny``, summed in the same order (by paying facility), without building
        the transposed matrix every month.
        """
        entries = self._entries
        return np.bincount(entries.col, weights=entries.data * fee_cny[entries.row], minlength=self.share.shape[1])


def assign_landfills(facilities: pd.DataFrame, receiving: set[str]) -> Landfills:
    """Send what a facility landfills to the landfill(s) of its city (sectors in ``receiving``)."""
    cities, sectors = facilities["city"].tolist(), facilities["sector"].tolist()
    by_city: dict[str, list[int]] = {}
    for index, (city, sector) in enumerate(zip(cities, sectors, strict=True)):
        if sector in receiving:
            by_city.setdefault(city, []).append(index)
    rows, cols, weights = [], [], []
    for index, city in enumerate(cities):
        for landfill in by_city.get(city, []):
            rows.append(index)
            cols.append(landfill)
            weights.append(1.0 / len(by_city[city]))
    n = len(facilities)
    share = sparse.csr_matrix((weights, (rows, cols)), shape=(n, n))
    return Landfills(share=share, has_landfill=np.asarray(share.sum(axis=1)).reshape(-1) > 0)


def same_sector_neighbours(
    lat: NDArray[np.float64], lon: NDArray[np.float64], sectors: NDArray, radius_km: float, circuity: float
) -> list[NDArray[np.intp]]:
    """Each facility's facilities of the same sector within ``radius_km`` road km (itself excluded)."""
    xyz = unit_vectors(lat, lon)
    chord = 2 * np.sin(radius_km / circuity / EARTH_RADIUS_KM / 2)
    tree = cKDTree(xyz)
    return [
        np.array([j for j in sorted(found) if j != i and sectors[j] == sectors[i]], dtype=np.intp)
        for i, found in enumerate(tree.query_ball_point(xyz, chord))
    ]
