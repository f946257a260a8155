"""SymbiosisModel as a mesa.Model: construction, calendar, DataCollector, batch_run, network."""

import datetime as dt
import json

import networkx as nx
import numpy as np
import pytest
from mesa import batch_run

from symbiosim import SymbiosisModel
from symbiosim.agents import CementPlant, Enterprise, PowerPlant, SteelPlant, WasteFacility
from symbiosim.environment.network import to_geojson, write_geojson, write_graphml
from symbiosim.runs.outputs import exchange_network


@pytest.fixture(scope="module")
def year(jjj):
    model = SymbiosisModel(jjj, rng=2, years=1, collect_agent_data=True)
    model.run()
    return model


def test_default_scenario_has_every_sector_of_the_data(jjj):
    counts = jjj.table("facilities")["sector"].value_counts()
    assert counts["steel"] == 61
    assert counts["power"] == 65
    assert counts["cement"] == 58
    assert counts["chemical"] == 26
    assert counts["incineration"] == 46
    synthetic = jjj.table("facilities").query("is_synthetic")
    assert set(synthetic["sector"]) == {"landfill", "msw_collection", "sludge_treatment", "hazardous_waste"}
    assert len(synthetic) == 4 * 13


def test_agents_are_typed_and_placed_on_the_network(year):
    assert len(year.agent_list) == year.n_facilities == len(year.space.G)
    assert len(year.agents_by_type[SteelPlant]) == 61
    assert len(year.agents_by_type[CementPlant]) == 58
    for agent in year.agent_list:
        assert isinstance(agent, Enterprise)
        assert agent.cell is year.space[agent.index]
        assert tuple(agent.cell.position) == pytest.approx((agent.longitude, agent.latitude))


def test_calendar_months_and_horizon(year):
    assert year.month_index == 12
    assert year.date == dt.date(2025, 12, 1)
    assert not year.running
    assert SymbiosisModel(rng=1, start="2024-11").start == dt.date(2024, 11, 1)


def test_datacollector_series(year):
    series = year.datacollector.get_model_vars_dataframe()
    assert len(series) == 13  # initial state + 12 months
    for name in ("exchanged_t", "landfilled_t", "active_links", "profit_cny", "energy_tce", "co2_t"):
        assert name in series.columns
    for byproduct in year.catalog.byproducts:
        assert f"exchanged_t.{byproduct}" in series.columns
        assert f"utilisation_rate.{byproduct}" in series.columns
    steel = year.datacollector.get_agenttype_vars_dataframe(SteelPlant)
    assert set(steel.columns) >= {"output_units", "profit_cny", "co2_t", "sold_t"}
    assert steel["output_units"].max() > 0
    power = year.datacollector.get_agenttype_vars_dataframe(PowerPlant)
    assert power["sold_t"].sum() > 0


def test_agent_views_of_their_own_state(year):
    cement = year.agents_by_type[CementPlant].to_list()
    assert any(agent.technologies for agent in cement)
    assert any(agent.known_partners for agent in cement)
    landfill = [a for a in year.agents_by_type[WasteFacility] if a.sector == "landfill"]
    assert all(a.output == {} for a in landfill)


def test_unknown_override_is_rejected():
    with pytest.raises(TypeError, match="unknown parameter 'no_such_thing'"):
        SymbiosisModel(no_such_thing=1)


def test_seed_typed_as_text_is_accepted():
    a, b = SymbiosisModel(rng="7", years=1), SymbiosisModel(rng=7, years=1)
    a.run(2)
    b.run(2)
    assert a.accounts.summary == b.accounts.summary


def test_parameter_override_changes_behaviour():
    near = SymbiosisModel(rng=4, discovery_probability=0.0, referral_probability=0.0, initial_knowledge_km=1.0)
    near.run(3)
    assert near.accounts.summary["known_links"] == near.datacollector.get_model_vars_dataframe()["known_links"].iloc[0]


def test_batch_run_works_unchanged():
    rows = batch_run(
        SymbiosisModel,
        parameters={"bargaining_share": [0.3, 0.7], "collect_agent_data": False},
        rng=[1],
        max_steps=3,
        number_processes=1,
        data_collection_period=1,
        display_progress=False,
    )
    frame = __import__("pandas").DataFrame(rows)
    assert set(frame["bargaining_share"]) == {0.3, 0.7}
    assert frame["Step"].max() == 3
    assert (frame.groupby("bargaining_share")["exchanged_t"].max() > 0).all()


def test_exchange_network_exports(year, tmp_path):
    graph = exchange_network(year)
    assert graph.number_of_nodes() == year.n_facilities
    latest = year.flows[year.flows["step"] == year.month_index]
    assert graph.number_of_edges() == len(latest)
    _u, _v, attrs = next(iter(graph.edges(data=True)))
    assert set(attrs) >= {"byproduct", "technology", "tonnes_per_month", "distance_km", "price_cny_per_t", "start_step"}
    write_graphml(graph, tmp_path / "n.graphml")
    back = nx.read_graphml(tmp_path / "n.graphml", force_multigraph=True)
    assert back.number_of_edges() == graph.number_of_edges()
    write_geojson(graph, tmp_path / "n.geojson")
    data = json.loads((tmp_path / "n.geojson").read_text())
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds.count("facility") == year.n_facilities
    assert kinds.count("exchange") == len(latest)
    point = next(f for f in to_geojson(graph)["features"] if f["properties"]["kind"] == "facility")
    assert point["geometry"]["coordinates"] == [point["properties"]["longitude"], point["properties"]["latitude"]]


def test_invalid_horizon_or_start_override_is_rejected():
    from symbiosim import ScenarioError

    with pytest.raises(ScenarioError, match="years"):
        SymbiosisModel(years=0)
    with pytest.raises(ScenarioError, match="not a month YYYY-MM"):
        SymbiosisModel(start="2025-13")


def test_bad_python_overrides_give_scenario_errors():
    from symbiosim import ScenarioError

    for overrides, phrase in (
        ({"bargaining_share": float("nan")}, "not a finite number"),
        ({"bargaining_share": "abc"}, "not a number"),
        ({"years": 2.9}, "not a whole number"),
        ({"investment_month": 6.5}, "not a whole month"),
        ({"circuity_factor": 0.0}, "below the minimum"),
    ):
        with pytest.raises(ScenarioError, match=phrase):
            SymbiosisModel(**overrides)


def test_ranges_apply_even_when_a_scenario_table_has_none(tiny_park_toml):
    from symbiosim import ScenarioError

    with pytest.raises(ScenarioError, match="above the maximum"):
        SymbiosisModel(tiny_park_toml, bargaining_share=2.0)


def test_first_year_investment_does_not_depend_on_the_start_month(tiny_park_without_t2):
    sizes = []
    for start in ("2025-01", "2025-12"):  # a full first year, and a first year of one month
        model = SymbiosisModel(tiny_park_without_t2, rng=1, start=start, consider_probability=1.0)
        model.run(12)
        sizes.append([(a.facility_id, round(a.capacity_t_per_yr)) for a in model.record.adoptions if a.step <= 12])
    assert sizes[0]
    assert sizes[0] == sizes[1]


def test_capacity_is_depreciated_over_its_lifetime_then_retired(tiny_park_toml, tmp_path):
    import shutil

    park = tmp_path / "park"
    shutil.copytree(tiny_park_toml.parent, park)
    technologies = park / "technologies.csv"
    lines = technologies.read_text().splitlines()
    lines[1] = lines[1].replace(",250,20,1.0,test,", ",250,3,0.0,test,")  # 3-year life, none at the start
    technologies.write_text("\n".join(lines) + "\n")
    model = SymbiosisModel(park / "scenario.toml", rng=1, years=5, consider_probability=1.0)
    model.run(12)  # December: the first investments
    first = {(v[1], v[2]): v for v in model.state.vintages}
    assert first, "expected an investment in the first December"
    charged = {key: model.accounts.money["depreciation_cny"][key[0]] for key in first}
    for _ in range(35):  # months 13..47: the last month of a 36-month life started in month 12
        model.step()
        for key in first:
            charged[key] += model.accounts.money["depreciation_cny"][key[0]]
    for key, (_, index, _, _, monthly) in first.items():
        capex = next(
            a.capex_cny for a in model.record.adoptions if a.step == 12 and model.facility_ids[index] == a.facility_id
        )
        assert charged[key] == pytest.approx(capex)  # exactly the capex, over exactly 36 months
        assert monthly == pytest.approx(capex / 36)
    model.step()  # month 48: retired before trading (and may be replaced by a new investment)
    assert all(v[0] > 47 for v in model.state.vintages)
    alive = np.zeros_like(model.state.installed_tpa)
    for _, index, k, capacity, _ in model.state.vintages:
        alive[index, k] += capacity
    assert np.allclose(model.state.installed_tpa, alive)  # nothing was installed at the start


def test_agent_data_is_optional_and_off_by_default(jjj):
    model = SymbiosisModel(jjj, rng=2, years=1)
    model.run(2)
    assert model.datacollector.agenttype_reporters == {}
    assert len(model.facility_ledger) == 2 * model.n_facilities  # the model's own ledger is always kept
