"""Build the package's compact copy of the five Global Energy Monitor trackers (worldwide).

Reads the unmodified GEM source files in ``data/gem/sources/`` (CC BY 4.0; see
``data/gem/README.md``) and writes one Parquet table per tracker into
``symbiosim/environment/data/gem/``: the operating plants of the whole world, one row per
plant, with the few columns ``symbiosim region`` needs (ids, names, country, province or
state, municipality, coordinates, status, capacities in tonnes or MW, route fields).

Run from the repository root (needs ``openpyxl``, installed with the ``dev`` extra)::

    python scripts/build_gem_trackers.py [--sources DIR] [--out DIR]

The output is deterministic; a test checks that the bundled tables are what this script builds.
"""

import argparse
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "data" / "gem" / "sources"
PACKAGE_DATA = ROOT / "symbiosim" / "environment" / "data" / "gem"

FILES = {
    "steel": "gem_gist_map_2025-03-25.csv",
    "coal": "gem_gcpt_2024-07.xlsx",
    "cement": "gem_gcct_2025-07.xlsx",
    "bioenergy": "gem_gbpt_2024-09.xlsx",
    "chemicals": "gem_gchi_2025-11.xlsx",
}
T_PER_KT = 1e3
T_PER_MT = 1e6
# Names of combined heat and power plants: the Chinese 热电 ("thermal-electric"), English and German words.
CHP_WORDS = ("热电", "chp", "cogeneration", "combined heat", "heizkraftwerk")
WASTE_FUELS = ("refuse (municipal and industrial wastes)", "wastewater and sewage sludge")
COMMON = [
    "gem_id",
    "name",
    "name_local",
    "country",
    "subnational",
    "municipality",
    "latitude",
    "longitude",
    "coordinate_accuracy",
    "status",
    "start_year",
]


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def _year(values: pd.Series) -> pd.Series:
    """The first four digits of a start date or year (0 when unknown)."""
    return pd.to_numeric(_text(values).str[:4], errors="coerce").fillna(0).astype("int32")


def _coordinates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    parts = _text(values).str.split(",", n=1, expand=True)
    return pd.to_numeric(parts[0], errors="coerce"), pd.to_numeric(parts[1], errors="coerce")


TEXT_FIELDS = ("name", "name_local", "country", "subnational", "municipality", "coordinate_accuracy")


def _described(rows: pd.DataFrame, gem_id: pd.Series | pd.Index, source: dict[str, str | None]) -> pd.DataFrame:
    """The common columns of a tracker's rows: ``source`` names its column of each field.

    A field named ``None`` is blank (GIST has no municipality); ``coordinates`` names one
    ``"lat, lon"`` column instead of ``latitude`` and ``longitude``.
    """
    frame = pd.DataFrame({"gem_id": np.asarray(gem_id)})
    for field in TEXT_FIELDS:
        frame[field] = _text(rows[source[field]]).to_numpy() if source[field] else ""
    if "coordinates" in source:
        lat, lon = _coordinates(rows[source["coordinates"]])
    else:
        lat, lon = (pd.to_numeric(rows[source[f]], errors="coerce") for f in ("latitude", "longitude"))
    frame["latitude"], frame["longitude"] = lat.to_numpy(), lon.to_numpy()
    return frame


def _finish(frame: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    frame = frame.dropna(subset=["latitude", "longitude"])
    frame = frame[frame["latitude"].between(-90, 90) & frame["longitude"].between(-180, 180)]
    for column in ("latitude", "longitude"):
        frame[column] = frame[column].astype("float64").round(6)
    return frame[COMMON + extra].sort_values("gem_id", kind="stable").reset_index(drop=True)


def steel(path: Path) -> pd.DataFrame:
    """Operating iron and steel plants (GIST map file): capacities in t/yr and the process route."""
    raw = pd.read_csv(path)
    raw = raw[raw["plant-status"].isin(["operating", "operating-pre-retirement"])]

    def capacity(kind: str) -> pd.Series:
        columns = [f"operating-{p}nominal-{kind}-capacity-(ttpa)" for p in ("", "pre-retirement-")]
        return sum(pd.to_numeric(raw.get(c, 0), errors="coerce").fillna(0) for c in columns) * T_PER_KT

    frame = _described(raw, raw["plant-id"], {
        "name": "plant-name-(english)", "name_local": "plant-name-(other-language)", "country": "country/area",
        "subnational": "subnational-unit-(province/state)", "municipality": None, "latitude": "lat",
        "longitude": "lng", "coordinate_accuracy": "coordinate-accuracy"})  # fmt: skip
    frame["status"] = _text(raw["plant-status"]).to_numpy()
    frame["start_year"] = _year(raw["start-date"]).to_numpy()
    for column, kind in (("crude_steel_t", "crude-steel"), ("bof_t", "bof-steel"), ("eaf_t", "eaf-steel"),
                         ("bf_iron_t", "bf"), ("dri_t", "dri")):  # fmt: skip
        frame[column] = capacity(kind).to_numpy()
    bf, eaf, bof, dri = (frame[c] > 0 for c in ("bf_iron_t", "eaf_t", "bof_t", "dri_t"))
    conditions = [bf & eaf, bf & (bof | (frame["crude_steel_t"] > 0)), bf, dri & eaf, eaf, dri]
    routes = ["BF-BOF+EAF", "BF-BOF", "BF-ironmaking-only", "DRI-EAF", "EAF", "DRI-only"]
    frame["route"] = np.select(conditions, routes, default="other")
    return _finish(frame, ["route", "crude_steel_t", "bof_t", "eaf_t", "bf_iron_t", "dri_t"])


def _plants_of_units(units: pd.DataFrame, unit_id: str, source: dict[str, str]) -> tuple[pd.DataFrame, object]:
    """Operating units summed to plants (GEM location ID): the common columns, MW and unit counts, by plant.

    ``source`` names the tracker's column of each common field (and ``start_year``); a plant
    takes the fields of its largest unit. Returns the plant table and the grouped units.
    """
    units = units.copy()
    units["capacity_mw"] = pd.to_numeric(units["Capacity (MW)"], errors="coerce").fillna(0.0)
    units = units.sort_values(["GEM location ID", "capacity_mw", unit_id], ascending=[True, False, True])
    grouped = units.groupby("GEM location ID", sort=True)
    first = grouped.first()
    frame = _described(first, first.index, source)
    frame["status"] = "operating"
    frame["start_year"] = grouped[source["start_year"]].min().pipe(_year).values
    frame["capacity_mw"] = grouped["capacity_mw"].sum().round(3).values
    frame["units"] = grouped.size().astype("int32").values
    return frame, grouped


def coal(path: Path) -> pd.DataFrame:
    """Operating coal power plants (GCPT units summed by location): MW, units, technology, CHP."""
    units = pd.read_excel(path, sheet_name="Units")
    units = units[units["Status"] == "operating"].copy()
    names = (_text(units["Plant name"]) + " " + _text(units["Plant name (local)"])).str.lower()
    heat = _text(units["Captive residential use"]).isin(["heat", "both"])
    units["chp"] = names.apply(lambda n: any(w in n for w in CHP_WORDS)) | heat
    frame, grouped = _plants_of_units(units, "GEM unit/phase ID", {
        "name": "Plant name", "name_local": "Plant name (local)", "country": "Country/Area",
        "subnational": "Subnational unit (province, state)", "municipality": "Major area (prefecture, district)",
        "latitude": "Latitude", "longitude": "Longitude", "coordinate_accuracy": "Location accuracy",
        "start_year": "Start year"})  # fmt: skip
    frame["combustion_technology"] = _text(grouped.first()["Combustion technology"]).values
    frame["chp"] = grouped["chp"].any().values
    return _finish(frame, ["capacity_mw", "units", "combustion_technology", "chp"])


def cement(path: Path) -> pd.DataFrame:
    """Operating cement plants (GCCT): cement and clinker capacity in t/yr (blank when GEM gives none)."""
    raw = pd.read_excel(path, sheet_name="Plant Data")
    raw = raw[raw["Operating status"].isin(["operating", "operating pre-retirement"])]
    frame = _described(raw, raw["GEM Plant ID"], {
        "name": "GEM Asset name (English)", "name_local": "Asset name (other language)", "country": "Country/Area",
        "subnational": "Subnational unit", "municipality": "Municipality", "coordinates": "Coordinates",
        "coordinate_accuracy": "Coordinate accuracy"})  # fmt: skip
    frame["status"] = _text(raw["Operating status"]).to_numpy()
    frame["start_year"] = _year(raw["Start date"]).to_numpy()
    frame["plant_type"] = _text(raw["Plant type"]).to_numpy()
    for column, name in (("cement_t", "Cement"), ("clinker_t", "Clinker")):
        frame[column] = pd.to_numeric(raw[f"{name} Capacity (millions metric tonnes per annum)"], errors="coerce").to_numpy() * T_PER_MT
    return _finish(frame, ["plant_type", "cement_t", "clinker_t"])


def bioenergy(path: Path) -> pd.DataFrame:
    """Operating waste-to-energy plants (GBPT, both sheets): units burning refuse or sewage sludge, by location."""
    units = pd.concat([pd.read_excel(path, sheet_name=s) for s in ("Data", "Below Threshold")], ignore_index=True)
    fuel = _text(units["Fuel"])
    units = units[(units["Status"] == "operating") & fuel.apply(lambda f: any(w in f for w in WASTE_FUELS))].copy()
    units["sludge"] = _text(units["Fuel"]).str.contains("sewage sludge", regex=False)
    frame, grouped = _plants_of_units(units, "GEM phase ID", {
        "name": "Project Name", "name_local": "Project Name in Local Language / Script", "country": "Country/Area",
        "subnational": "State/Province", "municipality": "Major Area (prefecture, district)",
        "latitude": "Latitude", "longitude": "Longitude", "coordinate_accuracy": "Location Accuracy",
        "start_year": "Start Year"})  # fmt: skip
    frame["sludge_cofiring"] = grouped["sludge"].any().values
    return _finish(frame, ["capacity_mw", "units", "sludge_cofiring"])


def chemicals(path: Path) -> pd.DataFrame:
    """Chemical plants (GCHI lists operating plants only): products and feedstock, no capacities."""
    raw = pd.read_excel(path, sheet_name="Plant data")
    frame = _described(raw, raw["GEM plant ID"], {
        "name": "Plant name (English)", "name_local": "Plant name (other language)", "country": "Country/area",
        "subnational": "Subnational unit", "municipality": "Municipality", "coordinates": "Coordinates",
        "coordinate_accuracy": "Coordinate accuracy"})  # fmt: skip
    frame["status"] = "operating"
    frame["start_year"] = np.int32(0)
    frame["primary_products"] = _text(raw["Primary products"]).to_numpy()
    frame["feedstock"] = _text(raw["Feedstock"]).to_numpy()
    return _finish(frame, ["primary_products", "feedstock"])


BUILDERS = {"steel": steel, "coal": coal, "cement": cement, "bioenergy": bioenergy, "chemicals": chemicals}


def build(sources: Path) -> dict[str, pd.DataFrame]:
    """Every tracker's table, built from the source files in ``sources``."""
    return {name: builder(sources / FILES[name]) for name, builder in BUILDERS.items()}


def write(tables: dict[str, pd.DataFrame], out: Path, sources: Path) -> None:
    """Write the tables as Parquet (zstd, no pandas index) and a manifest of the source files' SHA-256."""
    out.mkdir(parents=True, exist_ok=True)
    lines = ["tracker,file,sha256,plants"]
    for name, frame in tables.items():
        frame.to_parquet(out / f"{name}.parquet", index=False, compression="zstd")
        digest = hashlib.sha256((sources / FILES[name]).read_bytes()).hexdigest()
        lines.append(f"{name},{FILES[name]},{digest},{len(frame)}")
    (out / "sources.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Build the Parquet tables from ``--sources`` into ``--out`` (default: the package's data folder)."""
    parser = argparse.ArgumentParser(description="Build the package's compact GEM tracker tables.")
    parser.add_argument("--sources", type=Path, default=SOURCES, help="folder of the GEM source files")
    parser.add_argument("--out", type=Path, default=PACKAGE_DATA, help="output folder")
    args = parser.parse_args(argv)
    tables = build(args.sources)
    write(tables, args.out, args.sources)
    print(", ".join(f"{name} {len(frame):,}" for name, frame in tables.items()), f"plants written to {args.out}")


if __name__ == "__main__":
    main()
