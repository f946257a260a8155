"""Build the bundled JJJ facility tables from the Global Energy Monitor extracts.

Reads the plant-level CSVs in ``data/jjj_gem/`` (CC BY 4.0, see its README) and the
city table shipped in the package, and writes two tables into the package:

* ``symbiosim/environment/data/jjj/facilities.csv``: one row per facility;
* ``symbiosim/environment/data/jjj/capacities.csv``: one row per facility and product.

Every imputed or synthetic value says so in the ``note`` column. Run from the repository
root: ``python scripts/build_jjj_facilities.py [--out DIR]``. The output is deterministic, and
a test checks that the bundled tables are exactly what this script builds.
"""

import argparse
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
GEM = ROOT / "data" / "jjj_gem"
PACKAGE_DATA = ROOT / "symbiosim" / "environment" / "data" / "jjj"

T_PER_MT = 1e6
HOURS_PER_YEAR = 8760.0
DAYS_PER_YEAR = 365.0
# Assumption: a grate incinerator produces about 0.45 MWh of electricity per tonne of MSW,
# so 1 MW of electric capacity treats 24 MWh/day / 0.45 MWh/t = 53 t/day; rounded to 50.
MSW_T_PER_DAY_PER_MW = 50.0

GIST = "Global Energy Monitor, Global Iron and Steel Tracker, March 2025 (CC BY 4.0)"
GCPT = "Global Energy Monitor, Global Coal Plant Tracker, July 2024 (CC BY 4.0)"
GCCT = "Global Energy Monitor, Global Cement and Concrete Tracker, July 2025 V1 (CC BY 4.0)"
GBPT = "Global Energy Monitor, Global Bioenergy Power Tracker, September 2024 (CC BY 4.0)"
GCHI = "Global Energy Monitor, Global Chemicals Inventory, November 2025 V1 (CC BY 4.0)"
# Assumption: GCHI has no capacities; one nominal size for every plant (0.3-0.5 Mt/yr is
# typical of single ammonia, methanol or aromatics units in the region).
CHEMICAL_OUTPUT_T_PER_YR = 0.4e6
CHP_NAME = "热电"  # "thermal-electric": how Chinese plant names mark combined heat and power


def _facility(row: pd.Series, sector: str, fid: str, route: str, source: str) -> dict:
    return {
        "facility_id": fid,
        "name": row["name"],
        "sector": sector,
        "route": route,
        "city": row["city_derived"],
        "province": row["province"],
        "latitude": float(row["latitude"]),
        "longitude": float(row["longitude"]),
        "is_synthetic": False,
        "chp": "",
        "source": source,
        "note": "",
    }


def _capacity(fid: str, product: str, value: float, unit: str, source: str, note: str = "") -> dict:
    return {
        "facility_id": fid,
        "product": product,
        "capacity_per_yr": round(float(value), 3),
        "unit": unit,
        "source": source,
        "note": note,
    }


def steel(facilities: list[dict], capacities: list[dict]) -> None:
    """Add the operating steel plants of the region and their capacities."""
    for _, row in pd.read_csv(GEM / "steel_plants.csv").iterrows():
        fid = f"steel_{row['gem_plant_id'].lower()}"
        facilities.append(_facility(row, "steel", fid, row["route"], GIST))
        if row["crude_steel_capacity_mtpa"] > 0:
            capacities.append(_capacity(fid, "crude_steel", row["crude_steel_capacity_mtpa"] * T_PER_MT, "t", GIST))
        if row["bf_capacity_mtpa"] > 0:
            capacities.append(
                _capacity(fid, "pig_iron", row["bf_capacity_mtpa"] * T_PER_MT, "t", GIST, "blast-furnace iron capacity")
            )


def power(facilities: list[dict], capacities: list[dict]) -> None:
    """Add the operating coal power plants of the region and their capacities."""
    for _, row in pd.read_csv(GEM / "power_plants.csv").iterrows():
        fid = f"power_{row['gem_location_id'].lower()}"
        facility = _facility(row, "power", fid, str(row["combustion_technology"]), GCPT)
        # a plant whose local name contains 热电 ("thermal-electric", the Chinese name of a CHP plant) supplies
        # district heat: 34 of the 65 plants, 20.8 of 60.9 GW
        facility["chp"] = CHP_NAME in str(row["name_local"])
        facilities.append(facility)
        capacities.append(
            _capacity(fid, "electricity", row["capacity_mw"] * HOURS_PER_YEAR, "MWh", GCPT, "capacity_mw x 8760 h")
        )


def cement(facilities: list[dict], capacities: list[dict]) -> None:
    """Add the operating cement plants of the region and their capacities."""
    plants = pd.read_csv(GEM / "cement_plants.csv")
    both = plants.dropna(subset=["cement_capacity_mtpa", "clinker_capacity_mtpa"])
    both = both[both["plant_type"] == "integrated"]
    ratio = float((both["cement_capacity_mtpa"] / both["clinker_capacity_mtpa"]).median())
    median_integrated = plants[plants["plant_type"] == "integrated"][
        ["cement_capacity_mtpa", "clinker_capacity_mtpa"]
    ].median()
    median_grinding = float(plants[plants["plant_type"] == "grinding"]["cement_capacity_mtpa"].median())
    for _, row in plants.iterrows():
        fid = f"cement_{row['gem_plant_id'].lower()}"
        facilities.append(_facility(row, "cement", fid, row["plant_type"], GCCT))
        cem, clk = row["cement_capacity_mtpa"], row["clinker_capacity_mtpa"]
        cem_note = clk_note = ""
        if row["plant_type"] == "grinding":
            clk = 0.0
            if pd.isna(cem):
                cem, cem_note = median_grinding, "imputed: median of grinding plants (source gives >0)"
        elif row["plant_type"] == "clinker only":
            cem = 0.0
        else:
            if pd.isna(cem) and pd.isna(clk):
                cem, clk = median_integrated["cement_capacity_mtpa"], median_integrated["clinker_capacity_mtpa"]
                cem_note = clk_note = "imputed: median of integrated plants (source gives >0)"
            elif pd.isna(cem):
                cem, cem_note = clk * ratio, f"imputed: clinker x median cement/clinker ratio {ratio:.3f}"
            elif pd.isna(clk):
                clk, clk_note = cem / ratio, f"imputed: cement / median cement/clinker ratio {ratio:.3f}"
        if cem > 0:
            capacities.append(_capacity(fid, "cement", cem * T_PER_MT, "t", GCCT, cem_note))
        if clk > 0:
            capacities.append(_capacity(fid, "clinker", clk * T_PER_MT, "t", GCCT, clk_note))


def chemical(facilities: list[dict], capacities: list[dict]) -> None:
    """Add the chemical plants of the region and their capacities."""
    for _, row in pd.read_csv(GEM / "chemical_plants.csv").iterrows():
        fid = f"chemical_{row['gem_plant_id'].lower()}"
        route = "coal" if row["feedstock"] == "coal" else "other"
        fac = _facility(row, "chemical", fid, route, GCHI)
        fac["note"] = f"products: {row['primary_products']}; feedstock: {row['feedstock']}"
        facilities.append(fac)
        capacities.append(
            _capacity(
                fid,
                "chemical_output",
                CHEMICAL_OUTPUT_T_PER_YR,
                "t",
                "assumption",
                "GCHI gives no capacity; nominal 0.4 Mt/yr per plant (assumption)",
            )
        )


def incineration(facilities: list[dict], capacities: list[dict]) -> None:
    """Add the MSW incineration plants of the region and their capacities."""
    for _, row in pd.read_csv(GEM / "waste_to_energy_plants.csv").iterrows():
        fid = f"incineration_{row['gem_location_id'].lower()}"
        route = "msw+sludge" if bool(row["sludge_cofiring"]) else "msw"
        facilities.append(_facility(row, "incineration", fid, route, GBPT))
        capacities.append(
            _capacity(fid, "electricity", row["capacity_mw"] * HOURS_PER_YEAR, "MWh", GBPT, "capacity_mw x 8760 h")
        )
        capacities.append(
            _capacity(
                fid,
                "msw_treatment",
                row["capacity_mw"] * MSW_T_PER_DAY_PER_MW * DAYS_PER_YEAR,
                "t",
                "assumption",
                "50 t/day of MSW per MW electric (0.45 MWh/t, assumption)",
            )
        )


def urban(facilities: list[dict], capacities: list[dict]) -> None:
    """Add each city's synthetic urban sources (MSW, sewage sludge, hazardous waste) and its landfill."""
    cities = pd.read_csv(PACKAGE_DATA / "cities.csv")
    rates = pd.read_csv(PACKAGE_DATA / "urban_waste.csv").set_index("product")
    kinds = [
        ("msw_collection", "msw_generated", "municipal solid waste collection"),
        ("sludge_treatment", "sludge_generated", "sewage sludge (wastewater plants)"),
        ("hazardous_waste", "hw_generated", "hazardous-waste generators"),
        ("landfill", None, "sanitary and industrial landfill"),
    ]
    for _, city in cities.iterrows():
        for sector, product, label in kinds:
            fid = f"{sector}_{city['city'].lower()}"
            facilities.append(
                {
                    "facility_id": fid,
                    "name": f"{city['city']} {label} (synthetic)",
                    "sector": sector,
                    "route": "city",
                    "city": city["city"],
                    "province": city["province"],
                    "latitude": city["latitude"],
                    "longitude": city["longitude"],
                    "is_synthetic": True,
                    "source": "synthetic: one aggregate facility per city at the city seat "
                    "(docs/data.md, Synthetic facilities)",
                    "note": "location and size are synthetic",
                }
            )
            if product is not None:
                rate = rates.loc[product]
                capacities.append(
                    _capacity(
                        fid,
                        product,
                        city["population_2020"] * rate["t_per_capita_per_yr"],
                        "t",
                        rate["source"],
                        "population_2020 x t_per_capita_per_yr (synthetic)",
                    )
                )


def main(argv: list[str] | None = None) -> None:
    """Build both tables into ``--out`` (default: the package's data folder)."""
    parser = argparse.ArgumentParser(description="Build the bundled JJJ facility tables.")
    parser.add_argument("--out", type=Path, default=PACKAGE_DATA, help="output folder")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    facilities: list[dict] = []
    capacities: list[dict] = []
    for build in (steel, power, cement, chemical, incineration, urban):
        build(facilities, capacities)
    fac = pd.DataFrame(facilities)
    assert fac["facility_id"].is_unique
    fac.to_csv(out / "facilities.csv", index=False, lineterminator="\n")
    pd.DataFrame(capacities).to_csv(out / "capacities.csv", index=False, lineterminator="\n")
    print(f"{len(fac)} facilities, {len(capacities)} capacity rows written to {out}")


if __name__ == "__main__":
    main()
