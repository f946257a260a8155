"""Synthetic regions: seeded, JJJ-like scenarios of any number of facilities, for scaling studies.

A synthetic region copies the make-up of a base scenario (by default the bundled
Beijing–Tianjin–Hebei one, "JJJ") and scales it to ``n`` facilities:

* **Sector mix.** Industrial facilities (every sector but the urban ones) are split among
  sectors in the base's proportions (largest-remainder rounding, so the counts add up to
  exactly ``n``). Each one copies the process ``route`` and every capacity row (product,
  unit, capacity) of a facility of its sector drawn from the base, so every facility has a
  valid set of capacities.
* **Cities.** There is one city per ``facilities per base city`` facilities (JJJ: 308
  facilities in 13 cities, so about one per 24). Each city has one facility of each urban
  sector (landfill, MSW collection, sewage sludge, hazardous waste) at its centre, copied
  from one base city, so it is sized like the base's. Cities differ in industrial weight as
  the base's do: each city's share of industry is the industrial count of a base city
  drawn at random.
* **Space.** City centres are spread over a square by a jittered grid (one centre per cell,
  at a random point of a randomly chosen cell); industrial facilities lie around their
  city's centre with the base's spread (JJJ: about 30 km per axis). The square's area is
  ``n`` divided by the base's density of facilities (facilities per 10,000 km² of the
  base's bounding box), so the number of partners within a route's reach (the distance
  at which it can still pay) stays about the base's as ``n`` grows. Positions in km are mapped to degrees around the base's centre
  with the (equal-area) sinusoidal projection.

The catalog tables (sectors, products, by-products, generation, materials, technologies,
seasonality, parameters) are the base's, unchanged; emission grades and distances are
empty; the base's policies and removals are not carried over. The result is validated as a
loaded scenario is (each table against its schema, then the cross-table checks), and the
same ``(n_facilities, rng)`` always gives identical tables.
"""

import math

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from symbiosim.environment.geography import EARTH_RADIUS_KM
from symbiosim.environment.scenario import CATALOG_TABLES, OVERRIDE_TABLES, Scenario, _finish, default_scenario
from symbiosim.environment.validation import ValidationIssue, empty_table, validate_table

__all__ = ["URBAN_SECTORS", "synthetic_scenario"]

URBAN_SECTORS = ("landfill", "msw_collection", "sludge_treatment", "hazardous_waste")
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180  # one degree of latitude (of longitude at the equator)
KM2_PER_10K_KM2 = 1e4
MAX_ABS_LATITUDE_DEG = 80.0  # nearer the poles the sinusoidal layout distorts distances too much
MAX_ABS_LONGITUDE_DEG = 180.0
PROVINCE = "Synthetic"

type Coordinates = tuple[NDArray[np.float64], NDArray[np.float64]]


def _apportion(total: int, weights: NDArray[np.float64]) -> NDArray[np.int64]:
    """Split ``total`` into whole parts in proportion to ``weights`` (largest remainder, ties in order).

    >>> _apportion(10, np.array([61.0, 65.0, 58.0])).tolist()
    [3, 4, 3]
    """
    quota = total * weights / weights.sum()
    counts = np.floor(quota).astype(np.int64)
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[: total - int(counts.sum())]] += 1
    return counts


def _base_geometry(facilities: pd.DataFrame, is_urban: NDArray[np.bool_]) -> tuple[float, float, float]:
    """Density, facilities per city and cluster spread of a base scenario's facilities.

    Returns:
        Facilities per 10,000 km² of the bounding box of all facilities; facilities per city;
        and the spread (km, root-mean-square per axis) of industrial facilities around the
        centroid of their city's industrial facilities.
    """
    lat = facilities["latitude"].to_numpy(dtype=float)
    lon = facilities["longitude"].to_numpy(dtype=float)
    height_km = np.ptp(lat) * KM_PER_DEGREE
    width_km = np.ptp(lon) * KM_PER_DEGREE * math.cos(math.radians(float(lat.mean())))
    density = len(facilities) / max(height_km * width_km, 1.0) * KM2_PER_10K_KM2
    per_city = len(facilities) / facilities["city"].nunique()
    industry = facilities.loc[~is_urban, ["city", "latitude", "longitude"]].astype(
        {"latitude": float, "longitude": float}
    )
    centre = industry.groupby("city")[["latitude", "longitude"]].transform("mean")
    y_km = (industry["latitude"] - centre["latitude"]).to_numpy() * KM_PER_DEGREE
    x_km = (
        (industry["longitude"] - centre["longitude"]).to_numpy()
        * KM_PER_DEGREE
        * np.cos(np.radians(centre["latitude"].to_numpy()))
    )
    spread_km = float(np.sqrt((np.concatenate([x_km, y_km]) ** 2).mean())) if len(industry) else 0.0
    return density, per_city, spread_km


def _city_centres_km(n_cities: int, side_km: float, gen: np.random.Generator) -> NDArray[np.float64]:
    """``n_cities`` centres (x, y km, origin at the square's centre) by a jittered grid over a square."""
    columns = math.ceil(math.sqrt(n_cities))
    rows = math.ceil(n_cities / columns)
    cells = gen.permutation(columns * rows)[:n_cities]
    cell_km = np.array([side_km / columns, side_km / rows])
    corner = np.column_stack([cells % columns, cells // columns]) * cell_km
    return corner + gen.random((n_cities, 2)) * cell_km - side_km / 2


def _to_degrees(x_km: NDArray[np.float64], y_km: NDArray[np.float64], lat0: float, lon0: float) -> Coordinates:
    """Latitude and longitude (degrees) of points given in km east and north of (lat0, lon0).

    The sinusoidal projection (equal-area): y is arc length along the meridian, x along the
    point's parallel.

    Raises:
        ValueError: a point falls beyond ``MAX_ABS_LATITUDE_DEG`` or ``MAX_ABS_LONGITUDE_DEG``.
    """
    lat = lat0 + y_km / KM_PER_DEGREE
    if np.abs(lat).max(initial=0.0) > MAX_ABS_LATITUDE_DEG:
        raise ValueError(f"the region reaches latitude {np.abs(lat).max():.1f}: too many facilities for its density")
    lon = lon0 + x_km / (KM_PER_DEGREE * np.cos(np.radians(lat)))
    if np.abs(lon).max(initial=0.0) > MAX_ABS_LONGITUDE_DEG:
        raise ValueError(f"the region reaches longitude {np.abs(lon).max():.1f}: too many facilities for its density")
    return lat, lon


def _urban_templates(facilities: pd.DataFrame, urban: list[str]) -> pd.DataFrame:
    """Base cities that have a facility of every urban sector: one row per city, one column per sector (id)."""
    sites = facilities[facilities["sector"].isin(urban)].drop_duplicates(["city", "sector"])
    table = sites.pivot(index="city", columns="sector", values="facility_id")
    return table.reindex(columns=urban).dropna()


def synthetic_scenario(
    n_facilities: int,
    rng: int = 0,
    base: Scenario | None = None,
    density_per_10k_km2: float | None = None,
) -> Scenario:
    """A seeded synthetic region of ``n_facilities`` facilities with the sector mix and geography of ``base``.

    Args:
        n_facilities: number of facilities, urban sites included (>= the number of urban
            sectors in ``base``, 4 for JJJ; up to about 100,000 at the JJJ density before the
            region would reach beyond 80 degrees of latitude).
        rng: seed (int >= 0); the same ``(n_facilities, rng)`` gives identical tables.
        base: scenario whose catalog, sector mix, capacities, facilities per city and
            cluster spread are copied; default the bundled JJJ scenario.
        density_per_10k_km2: facilities per 10,000 km² of the region (> 0); default the
            base's, over the bounding box of its facilities (JJJ: about 9.3).

    Returns:
        A validated scenario named ``"Synthetic N (seed S)"``. Its facilities table has
        ids ``syn_<sector>_<number>``, names ``"Synthetic <sector> <number>"``, cities
        ``"City 1"`` ... ``"City k"`` in province ``"Synthetic"``, ``is_synthetic`` true and
        source ``"synthetic (symbiosim.environment.synthetic, seed S)"``; urban sites are
        numbered after their city.

    Raises:
        ValueError: ``n_facilities``, ``rng`` or ``density_per_10k_km2`` is out of range, or
            the base has no facility to copy.
        ScenarioError: the region fails the scenario checks (e.g. a base whose catalog does
            not cover its own facilities).

    Example:
        >>> region = synthetic_scenario(50, rng=3)
        >>> len(region.table("facilities")), region.table("facilities")["city"].nunique()
        (50, 2)
    """
    if not isinstance(rng, int) or isinstance(rng, bool) or rng < 0:
        raise ValueError(f"rng must be a whole number >= 0, not {rng!r}")
    if density_per_10k_km2 is not None and not (math.isfinite(density_per_10k_km2) and density_per_10k_km2 > 0):
        raise ValueError(f"density_per_10k_km2 must be a positive number, not {density_per_10k_km2!r}")
    base = default_scenario() if base is None else base
    base_fac = base.table("facilities").reset_index(drop=True)
    sectors = list(dict.fromkeys(base_fac["sector"]))
    urban = [s for s in URBAN_SECTORS if s in sectors]
    industrial = [s for s in sectors if s not in urban]
    is_urban = base_fac["sector"].isin(urban).to_numpy()
    if not isinstance(n_facilities, int) or isinstance(n_facilities, bool) or n_facilities < max(len(urban), 1):
        raise ValueError(f"n_facilities must be a whole number >= {max(len(urban), 1)}, not {n_facilities!r}")
    templates = _urban_templates(base_fac, urban)
    if not industrial or (urban and templates.empty):
        raise ValueError("base needs industrial facilities and a city with a facility of every urban sector")
    density, per_city, spread_km = _base_geometry(base_fac, is_urban)
    density = density_per_10k_km2 or density
    gen = np.random.default_rng(rng)
    source = f"synthetic (symbiosim.environment.synthetic, seed {rng})"

    n_cities = max(1, round(n_facilities / per_city))
    side_km = math.sqrt(n_facilities / density * KM2_PER_10K_KM2)
    centres_km = _city_centres_km(n_cities, side_km, gen)
    industry_per_base_city = base_fac[~is_urban].groupby("city").size().to_numpy(dtype=float)
    city_weight = gen.choice(industry_per_base_city, size=n_cities)
    city_weight /= city_weight.sum()

    # industrial facilities: per sector, a template facility and a city each
    base_counts = np.array([(base_fac["sector"] == sector).sum() for sector in industrial], dtype=float)
    counts = _apportion(n_facilities - len(urban) * n_cities, base_counts)
    parts = []
    for sector, count in zip(industrial, counts.tolist(), strict=True):
        pool = base_fac.loc[base_fac["sector"] == sector, "facility_id"].to_numpy()
        numbers = np.arange(1, count + 1).astype(str)
        parts.append(
            pd.DataFrame(
                {
                    "sector": sector,
                    "number": numbers,
                    "template": gen.choice(pool, size=count),
                    "city_index": gen.choice(n_cities, size=count, p=city_weight),
                }
            )
        )
    industry = pd.concat(parts, ignore_index=True)
    offsets_km = gen.normal(0.0, spread_km, size=(len(industry), 2))
    industry_xy = centres_km[industry["city_index"].to_numpy()] + offsets_km
    # urban sites: one of each urban sector per city, at its centre, copied from one base city
    chosen = templates.iloc[gen.integers(len(templates), size=n_cities)] if urban else templates
    city_numbers = np.arange(1, n_cities + 1)
    sites = pd.DataFrame(
        {
            "sector": np.tile(urban, n_cities),
            "number": np.repeat(city_numbers, len(urban)).astype(str),
            "template": chosen.to_numpy().reshape(-1),
            "city_index": np.repeat(city_numbers - 1, len(urban)),
        }
    )
    placed = pd.concat([industry, sites], ignore_index=True)
    xy = np.vstack([industry_xy, centres_km[sites["city_index"].to_numpy()]])
    lat0 = float(base_fac["latitude"].min() + base_fac["latitude"].max()) / 2
    lon0 = float(base_fac["longitude"].min() + base_fac["longitude"].max()) / 2
    latitude, longitude = _to_degrees(xy[:, 0], xy[:, 1], lat0, lon0)

    route_of = base_fac.set_index("facility_id")["route"]
    label = placed["sector"].str.replace("_", " ")
    facilities = pd.DataFrame(
        {
            "facility_id": "syn_" + placed["sector"] + "_" + placed["number"],
            "name": "Synthetic " + label + " " + placed["number"],
            "sector": placed["sector"],
            "route": placed["template"].map(route_of).to_numpy(),
            "city": "City " + (placed["city_index"] + 1).astype(str),
            "province": PROVINCE,
            "latitude": latitude,
            "longitude": longitude,
            "is_synthetic": True,
            "source": source,
            "note": "route and capacities copied from " + placed["template"],
        }
    )
    base_caps = base.table("capacities").rename(columns={"facility_id": "template"})
    copied = pd.DataFrame({"facility_id": facilities["facility_id"], "template": placed["template"]}).merge(
        base_caps, on="template", how="inner", sort=False
    )
    capacities = pd.DataFrame(
        {
            "facility_id": copied["facility_id"],
            "product": copied["product"],
            "capacity_per_yr": copied["capacity_per_yr"].to_numpy(dtype=float),
            "unit": copied["unit"],
            "source": source,
            "note": "copied from " + copied["template"],
        }
    )

    tables = {name: base.tables[name].copy() for name in CATALOG_TABLES}
    issues: list[ValidationIssue] = []
    for name, frame in (("facilities", facilities), ("capacities", capacities)):
        tables[name], found = validate_table(frame, name, f"synthetic {name} (seed {rng})")
        issues += found
    tables["emission_grades"] = empty_table("emission_grades")
    for name in ("distances", *OVERRIDE_TABLES, "behaviour"):
        tables[name] = empty_table(name)
    tables["outlets"] = empty_table("outlets")  # the bundled outlets are those of the JJJ provinces
    _finish(tables, issues)
    return Scenario(
        name=f"Synthetic {n_facilities} (seed {rng})",
        tables=tables,
        parameters=dict(base.parameters),
        start=base.start,
        years=base.years,
        source=source,
    )
