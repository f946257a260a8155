"""Synthetic regions: seeded, JJJ-like, valid scenarios of any size, on which the model runs."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from symbiosim import SymbiosisModel
from symbiosim.environment.geography import EARTH_RADIUS_KM
from symbiosim.environment.scenario import CATALOG_TABLES, Scenario
from symbiosim.environment.synthetic import URBAN_SECTORS, synthetic_scenario
from symbiosim.environment.validation import ScenarioError, schema

KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180
SHARE_TOLERANCE = 0.01
RELATIVE = 1e-9


@pytest.fixture(scope="module")
def region(jjj) -> Scenario:
    return synthetic_scenario(1000, rng=7, base=jjj)


def _equal_area_km(facilities: pd.DataFrame) -> np.ndarray:
    """Sinusoidal-projection coordinates (km) around the mean longitude: areas are kept."""
    lat = facilities["latitude"].to_numpy(dtype=float)
    lon = facilities["longitude"].to_numpy(dtype=float)
    x = (lon - lon.mean()) * KM_PER_DEGREE * np.cos(np.radians(lat))
    return np.column_stack([x, lat * KM_PER_DEGREE])


def _median_nearest_km(xy: np.ndarray) -> float:
    distance, _ = cKDTree(xy).query(xy, k=2)
    return float(np.median(distance[:, 1]))


def test_same_seed_gives_identical_tables_and_another_seed_differs(jjj):
    a, b, c = (synthetic_scenario(300, rng=seed, base=jjj) for seed in (3, 3, 4))
    assert a.tables.keys() == b.tables.keys()
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert not a.table("facilities")[["latitude", "longitude"]].equals(c.table("facilities")[["latitude", "longitude"]])
    assert not a.table("capacities")["capacity_per_yr"].equals(c.table("capacities")["capacity_per_yr"])


@pytest.mark.parametrize("n", [4, 5, 37, 300, 1001])
def test_has_exactly_the_number_of_facilities_asked_for(jjj, n):
    assert len(synthetic_scenario(n, rng=1, base=jjj).table("facilities")) == n


def test_sector_shares_match_the_base_mix(jjj, region):
    expected = jjj.table("facilities")["sector"].value_counts(normalize=True)
    shares = region.table("facilities")["sector"].value_counts(normalize=True)
    assert set(shares.index) == set(expected.index)
    assert (shares - expected).abs().max() <= SHARE_TOLERANCE


def test_ids_are_unique_and_valid_and_rows_are_labelled_synthetic(region):
    facilities = region.table("facilities")
    pattern = re.compile(schema()["facilities"]["columns"]["facility_id"]["pattern"])
    assert facilities["facility_id"].is_unique
    assert facilities["facility_id"].map(lambda v: bool(pattern.fullmatch(v))).all()
    assert facilities["is_synthetic"].map(lambda v: v is True).all()
    assert (facilities["province"] == "Synthetic").all()
    assert facilities["city"].str.fullmatch(r"City \d+").all()
    assert facilities["name"].str.fullmatch(r"Synthetic [a-z ]+ \d+").all()
    assert (facilities["source"] == "synthetic (symbiosim.environment.synthetic, seed 7)").all()
    assert region.table("emission_grades").empty


def test_coordinates_are_valid_and_density_is_about_the_base(jjj, region):
    def density_per_10k_km2(facilities: pd.DataFrame) -> float:
        lat, lon = facilities["latitude"].astype(float), facilities["longitude"].astype(float)
        width_km = np.ptp(lon) * KM_PER_DEGREE * np.cos(np.radians(lat.mean()))
        return len(facilities) / (np.ptp(lat) * KM_PER_DEGREE * width_km) * 1e4

    facilities = region.table("facilities")
    assert facilities["latitude"].between(-90, 90).all()
    assert facilities["longitude"].between(-180, 180).all()
    assert 0.5 < density_per_10k_km2(facilities) / density_per_10k_km2(jjj.table("facilities")) < 2.0


def test_every_facility_copies_capacities_of_its_own_sector(jjj, region):
    def products_by_sector(scenario: Scenario) -> pd.DataFrame:
        caps = scenario.table("capacities").merge(scenario.table("facilities")[["facility_id", "sector"]])
        return caps[["sector", "product", "unit"]].drop_duplicates()

    base_rows = set(products_by_sector(jjj).itertuples(index=False))
    assert set(products_by_sector(region).itertuples(index=False)) <= base_rows
    base_with_capacity = set(
        jjj.table("facilities").loc[lambda f: f["facility_id"].isin(jjj.table("capacities")["facility_id"]), "sector"]
    )
    facilities = region.table("facilities")
    should_have = facilities[facilities["sector"].isin(base_with_capacity)]
    assert should_have["facility_id"].isin(region.table("capacities")["facility_id"]).all()
    assert (region.table("capacities")["capacity_per_yr"] > 0).all()
    base_routes = set(jjj.table("facilities")[["sector", "route"]].itertuples(index=False))
    assert set(facilities[["sector", "route"]].itertuples(index=False)) <= base_routes


def test_each_city_has_one_of_each_urban_site_at_one_place(region):
    facilities = region.table("facilities")
    urban = facilities[facilities["sector"].isin(URBAN_SECTORS)]
    per_city = urban.groupby("city")
    assert (per_city["sector"].nunique() == len(URBAN_SECTORS)).all()
    assert (per_city.size() == len(URBAN_SECTORS)).all()
    assert (per_city[["latitude", "longitude"]].nunique() == 1).all().all()
    assert set(per_city.groups) == set(facilities["city"])


def test_facilities_cluster_around_cities_unlike_uniform_points(region):
    facilities = region.table("facilities")
    industry = _equal_area_km(facilities[~facilities["sector"].isin(URBAN_SECTORS)])
    low, high = industry.min(axis=0), industry.max(axis=0)
    uniform = np.random.default_rng(0).uniform(low, high, size=industry.shape)
    assert _median_nearest_km(industry) < 0.6 * _median_nearest_km(uniform)


def test_catalog_tables_are_the_base_ones_unchanged(jjj, region):
    for name in CATALOG_TABLES:
        if name == "outlets":  # the bundled outlets are those of the JJJ provinces
            assert region.tables[name].empty
            continue
        pd.testing.assert_frame_equal(region.tables[name], jjj.tables[name])
    assert region.parameters == jjj.parameters


def test_bad_arguments_raise_value_error(jjj):
    for kwargs in (
        {"n_facilities": 3},
        {"n_facilities": 10, "rng": -1},
        {"n_facilities": 10, "density_per_10k_km2": 0},
    ):
        with pytest.raises(ValueError, match="must be"):
            synthetic_scenario(base=jjj, **kwargs)


def test_region_that_fails_the_scenario_checks_raises(jjj):
    tables = dict(jjj.tables)
    tables["products"] = tables["products"][tables["products"]["product"] != "clinker"]
    broken = Scenario(name="no clinker", tables=tables, parameters=dict(jjj.parameters))
    with pytest.raises(ScenarioError, match="unknown product 'clinker'"):
        synthetic_scenario(100, rng=0, base=broken)


def test_model_runs_a_year_with_exchanges_and_balanced_mass():
    model = SymbiosisModel(synthetic_scenario(300, rng=1), rng=1, years=1, collect_agent_data=False)
    assert model.landfills.has_landfill.all()  # every synthetic city has its landfill
    for _ in range(12):
        model.step()
        led = model.accounts.ledger
        inflow = led["generated_t"] + led["drawn_from_stock_t"]
        not_landfilled = led["disposed_t"] * ~model.catalog.is_landfilled[None, :]
        outflow = led["sold_t"] + led["outlet_t"] + led["added_to_stock_t"] + led["landfilled_t"] + not_landfilled
        assert np.all(np.abs(inflow - outflow) <= RELATIVE * np.maximum(inflow, 1.0))
        assert np.allclose(led["sold_t"].sum(axis=0), led["bought_t"].sum(axis=0), rtol=RELATIVE)
    assert not model.running
    series = model.datacollector.get_model_vars_dataframe()
    assert len(series) == 13
    assert (series["exchanged_t"].iloc[1:] > 0).all()
