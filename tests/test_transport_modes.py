"""Transport modes: each route goes by the cheapest mode that reaches, and pays and emits as that mode.

Tiny park (tests/data/tiny): one steel plant; kilns 20 km (near), 100 km (far) and 200 km (out,
beyond the road's 150 km haul limit) away. Road: 0.5 CNY/t km + 5 CNY/t. A rail mode for steel
slag at 0.17 CNY/t km + 30 CNY/t up to 500 km costs, per tonne:

    near  20 km: road 15.0  against rail 33.4 -> road
    far  100 km: road 55.0  against rail 47.0 -> rail
    out  200 km: road -     against rail 64.0 -> rail (road does not reach)
"""

from pathlib import Path

import numpy as np
import pytest

from symbiosim import SymbiosisModel
from symbiosim.environment.routes import MODES
from symbiosim.environment.scenario import ScenarioError, load_scenario

RAIL = "steel_slag,rail,0.17,30,500,0.005,0.012,test,"
HEADER = ("byproduct,mode,tariff_cny_per_t_km,fixed_cost_cny_per_t,max_km,transport_kgce_per_t_km,"
          "transport_co2_kg_per_t_km,source,note")  # fmt: skip


def park_with(tiny_park_toml, tmp_path, *rows: str) -> str:
    (tmp_path / "transport_modes.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    toml = tmp_path / "park.toml"
    toml.write_text(
        f'[scenario]\nname = "tiny park with rail"\nextends = "{tiny_park_toml.as_posix()}"\n'
        '[tables.transport_modes]\nfile = "transport_modes.csv"\n'
    )
    return str(toml)


def by_buyer(model: SymbiosisModel) -> dict[str, tuple[str, float]]:
    routes, ids = model.market.routes, model.facility_ids
    return {ids[c]: (MODES[m], t) for c, m, t in zip(routes.buyer, routes.mode, routes.transport_cny_per_t, strict=True)}


def test_each_route_takes_the_cheapest_mode_that_reaches(tiny_park_toml, tmp_path):
    model = SymbiosisModel(park_with(tiny_park_toml, tmp_path, RAIL), rng=3)
    assert by_buyer(model) == {
        "cement_near": ("road", pytest.approx(15.0)),
        "cement_far": ("rail", pytest.approx(47.0)),
        "cement_out": ("rail", pytest.approx(64.0)),
    }
    model.step()
    flows = model.flows.set_index("buyer_id")
    assert flows["mode"].to_dict() == {"cement_near": "road", "cement_far": "rail", "cement_out": "rail"}
    assert flows["transport_cny_per_t"].to_dict() == pytest.approx({"cement_near": 15.0, "cement_far": 47.0,
                                                                    "cement_out": 64.0})  # fmt: skip
    # the haul's energy and CO2 are the mode's: per tonne, factor x km
    far = model.facility_ids.index("cement_far")
    r = np.flatnonzero(model.market.routes.buyer == far)[0]
    assert model.factors.transport["energy_saved_tce"][r] == pytest.approx(0.005)
    assert model.factors.transport["co2_avoided_t"][r] == pytest.approx(0.012)
    near = np.flatnonzero(model.market.routes.buyer == model.facility_ids.index("cement_near"))[0]
    assert model.factors.transport["energy_saved_tce"][near] == pytest.approx(0.0143)


def test_without_modes_every_route_goes_by_road(tiny_park_toml, jjj):
    model = SymbiosisModel(tiny_park_toml, rng=3)
    assert set(by_buyer(model)) == {"cement_near", "cement_far"}  # the road does not reach 200 km
    default = SymbiosisModel(jjj, rng=1, years=1)
    assert (default.market.routes.mode == 0).all()


def test_the_freight_lever_scales_every_mode(tiny_park_toml, tmp_path):
    model = SymbiosisModel(park_with(tiny_park_toml, tmp_path, RAIL), rng=3, freight_tariff_factor=2.0)
    # far: road 1.0 x 100 + 5 = 105 against rail 0.34 x 100 + 30 = 64; near: road 25 against rail 36.8
    assert by_buyer(model) == {
        "cement_near": ("road", pytest.approx(25.0)),
        "cement_far": ("rail", pytest.approx(64.0)),
        "cement_out": ("rail", pytest.approx(98.0)),
    }


def test_bad_modes_are_located(tiny_park_toml, tmp_path):
    toml = park_with(tiny_park_toml, tmp_path, "steel_slag,truck,0.17,30,500,0.005,0.012,test,",
                     "gold,rail,0.17,30,500,0.005,0.012,test,")  # fmt: skip
    with pytest.raises(ScenarioError) as error:
        load_scenario(toml)
    text = str(error.value)
    assert "transport_modes.csv, row 2, column 'mode': 'truck' is not one of" in text
    assert "transport_modes.csv, row 3, column 'byproduct': unknown byproduct 'gold'" in text


def test_the_planner_names_the_mode_of_its_paths(tiny_park_toml, tmp_path):
    from symbiosim.metrics.planner import solve
    from symbiosim.runs.optimize import snapshot_of_scenario

    snapshot, _ = snapshot_of_scenario(park_with(tiny_park_toml, tmp_path, RAIL), 2025, rng=3)
    paths = solve(snapshot, "economic").paths.set_index("buyer")
    assert paths["mode"].to_dict() == {"cement_near": "road", "cement_far": "rail", "cement_out": "rail"}


def with_distances(toml: str, tmp_path, *rows: str) -> str:
    """The park with a distances table of ``rows`` (seller, buyer, km, mode); the steel plant is the seller."""
    seller = load_scenario(toml).table("facilities").query("sector == 'steel'")["facility_id"].iloc[0]
    lines = ["from_facility_id,to_facility_id,distance_km,mode", *(f"{seller},{row}" for row in rows)]
    (tmp_path / "distances.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Path(toml).open("a", encoding="utf-8") as file:
        file.write('[tables.distances]\nfile = "distances.csv"\n')
    return toml


def test_a_pair_can_have_its_own_distance_by_one_mode(tiny_park_toml, tmp_path):
    """A rail siding makes the far kiln 40 km away by rail, while the road stays 100 km.

    Rail 0.17 x 40 + 30 = 36.8 CNY/t beats road 55.0, and the route's distance is the rail's.
    """
    model = SymbiosisModel(with_distances(park_with(tiny_park_toml, tmp_path, RAIL), tmp_path, "cement_far,40,rail"), rng=3)
    routes = model.market.routes
    far = np.flatnonzero(routes.buyer == model.facility_ids.index("cement_far"))[0]
    assert MODES[routes.mode[far]] == "rail"
    assert routes.transport_cny_per_t[far] == pytest.approx(36.8)
    assert routes.distance_km[far] == pytest.approx(40.0)
    assert by_buyer(model)["cement_near"] == ("road", pytest.approx(15.0))  # other pairs as before


def test_a_pair_has_one_distance_for_every_mode(tiny_park_toml, tmp_path):
    toml = with_distances(park_with(tiny_park_toml, tmp_path, RAIL), tmp_path, "cement_far,90,", "cement_far,95,")
    with pytest.raises(ScenarioError, match="duplicate key"):
        load_scenario(toml)


def test_a_mode_distance_within_reach_keeps_a_pair_the_road_cannot_reach(tiny_park_toml, tmp_path):
    """The road to the far kiln is given as 600 km (beyond every reach), the rail as 40 km: the route goes by rail."""
    toml = with_distances(park_with(tiny_park_toml, tmp_path, RAIL), tmp_path, "cement_far,600,", "cement_far,40,rail")
    assert by_buyer(SymbiosisModel(toml, rng=3))["cement_far"] == ("rail", pytest.approx(36.8))
