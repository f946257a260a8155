"""Sector behaviour: steel and cement output follow net prices, power plants follow load.

Expected sizes come from hand calculation: with supply elasticity e, a plant's output is its
usual output x (net price / price)^e, the ratio taken over its whole usual output; the coal
plants of a province serve the same load in equal hours whatever limits some of them face,
and CHP plants run at least their floor in the heating season while the others make room.
"""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symbiosim import SymbiosisModel
from symbiosim.agents import AGENT_CLASSES, CementPlant, PowerPlant, SteelPlant
from symbiosim.agents.sectors import equal_hours
from symbiosim.policies import CarbonPrice, ProductionLimit
from symbiosim.policies.scope import Scope

START, END = dt.date(2025, 1, 1), dt.date(2040, 12, 31)


def park_with_elasticity(park_with_column, toml, elasticity: float) -> str:
    """The tiny park (utilisation 1, no season) with a supply elasticity for steel and cement."""
    return park_with_column(toml, "sectors.csv", "supply_elasticity",
                            lambda sector: elasticity if sector in ("steel", "cement") else "")  # fmt: skip


def first_month_rate(scenario: str, policies: list) -> tuple[dict[str, np.ndarray], list[str]]:
    """Each facility's first-month output as a share of capacity, per product."""
    model = SymbiosisModel(scenario, rng=1, policies=policies)
    model.step()
    rate = model.state.output * 12 / np.where(model.state.capacity_per_yr > 0, model.state.capacity_per_yr, 1.0)
    return {fid: rate[i] for i, fid in enumerate(model.facility_ids)}, model.catalog.products


def carbon(price: float, **free: float) -> CarbonPrice:
    return CarbonPrice(START, END, price, Scope(sectors=("steel", "cement")), free_allocation=free)


def test_the_sector_classes_are_the_ones_scenarios_name():
    assert AGENT_CLASSES["SteelPlant"] is SteelPlant
    assert AGENT_CLASSES["PowerPlant"] is PowerPlant
    assert AGENT_CLASSES["CementPlant"] is CementPlant


@pytest.mark.parametrize("elasticity", [0.5, 1.0, 2.0])
def test_a_carbon_price_cuts_steel_output_by_the_hand_computed_share(tiny_park_toml, park_with_column, elasticity):
    scenario = park_with_elasticity(park_with_column, tiny_park_toml, elasticity)
    rate, products = first_month_rate(scenario, [carbon(100.0)])
    steel = rate["steel_s"][products.index("crude_steel")]
    # 1.9 t CO2 per t x 100 CNY/t = 190 CNY/t on a 3,600 CNY/t price (pollutants are not charged)
    assert steel == pytest.approx((1 - 190 / 3600) ** elasticity)


def test_cement_products_move_together_with_the_plant_net_price(tiny_park_toml, park_with_column):
    scenario = park_with_elasticity(park_with_column, tiny_park_toml, 1.0)
    rate, products = first_month_rate(scenario, [carbon(100.0)])
    # revenue 600 kt x 400 + 400 kt x 300 = 360 M CNY; charges 600 kt x 1.88 + 400 kt x 85.34 = 35.264 M CNY
    expected = 1 - 35.264 / 360
    near = rate["cement_near"]
    assert near[products.index("cement")] == pytest.approx(expected)
    assert near[products.index("clinker")] == pytest.approx(expected)


def test_free_allocation_at_the_emission_intensity_leaves_output_alone(tiny_park_toml, park_with_column):
    scenario = park_with_elasticity(park_with_column, tiny_park_toml, 1.0)
    rate, products = first_month_rate(scenario, [carbon(300.0, crude_steel=1.9)])
    assert rate["steel_s"][products.index("crude_steel")] == pytest.approx(1.0)


def test_a_production_limit_binds_below_the_price_response(tiny_park_toml, park_with_column):
    scenario = park_with_elasticity(park_with_column, tiny_park_toml, 1.0)
    limit = ProductionLimit(START, END, 0.5, Scope(sectors=("steel",)))
    rate, products = first_month_rate(scenario, [carbon(100.0), limit])
    assert rate["steel_s"][products.index("crude_steel")] == pytest.approx(0.5)


def test_without_an_elasticity_output_ignores_the_carbon_price(tiny_park_toml):
    rate, products = first_month_rate(str(tiny_park_toml), [carbon(300.0)])
    assert rate["steel_s"][products.index("crude_steel")] == pytest.approx(1.0)


@given(
    st.lists(
        st.tuples(st.floats(1.0, 1e6), st.one_of(st.just(0.0), st.floats(0.01, 0.9)), st.floats(0.0, 1.0)),
        min_size=1,
        max_size=12,
    )
)
def test_equal_hours_serves_the_load_the_ceilings_allow(plants):
    capacity, usual, ceiling = (np.array(column) for column in zip(*plants, strict=True))
    rate = equal_hours(capacity, usual, ceiling)
    load = capacity @ usual
    running = usual > 0  # a plant that does not usually run stays idle
    assert capacity @ rate == pytest.approx(min(load, capacity[running] @ ceiling[running]), rel=1e-9, abs=1e-6)
    assert (rate <= ceiling + 1e-12).all()
    assert (rate >= np.minimum(usual, ceiling) - 1e-12).all()  # nobody runs less than it would alone
    free = (rate < ceiling - 1e-9) & (usual > 0)
    if free.sum() > 1:  # plants below their ceiling run the same multiple of their usual rate
        multiple = rate[free] / usual[free]
        np.testing.assert_allclose(multiple, multiple[0])


@given(
    st.lists(
        st.tuples(st.floats(1.0, 1e6), st.one_of(st.just(0.0), st.floats(0.01, 0.9)), st.floats(0.0, 1.0),
                  st.one_of(st.just(0.0), st.floats(0.0, 1.0))),
        min_size=1,
        max_size=12,
    )
)
def test_equal_hours_serves_must_run_floors_first(plants):
    capacity, usual, ceiling, floor = (np.array(column) for column in zip(*plants, strict=True))
    rate = equal_hours(capacity, usual, ceiling, floor)
    low = np.minimum(floor, ceiling)
    top = np.where(usual > 0, ceiling, low)
    assert (rate >= low - 1e-12).all()
    assert (rate <= top + 1e-12).all()
    # the load is served unless the floors exceed it (all at their floor) or the ceilings cannot reach it
    expected = min(max(capacity @ usual, capacity @ low), capacity @ top)
    assert capacity @ rate == pytest.approx(expected, rel=1e-9, abs=1e-6)
    free = (rate > low + 1e-9) & (rate < top - 1e-9) & (usual > 0)
    if free.sum() > 1:  # plants between their floor and ceiling run the same multiple of their usual rate
        multiple = rate[free] / usual[free]
        np.testing.assert_allclose(multiple, multiple[0], rtol=1e-7)


def test_chp_plants_run_their_heating_floor_and_the_others_make_room(jjj):
    # January is wholly in the heating season: CHP plants run at least 0.7 of capacity, the province's load is
    # unchanged, and the other plants run less than without the floor; July is outside it: nothing changes
    runs = {floor: SymbiosisModel(jjj, rng=2, years=1, chp_heating_floor=floor) for floor in (0.0, 0.7)}
    fac, j = runs[0.0].catalog.facilities, runs[0.0].catalog.products.index("electricity")
    power = (fac["sector"] == "power").to_numpy()
    chp = power & fac["chp"].map(lambda value: value is True).to_numpy(dtype=bool)
    assert 30 <= chp.sum() < power.sum()
    for month in range(1, 8):
        for model in runs.values():
            model.step()
        without, with_floor = (runs[floor].state.output[:, j] for floor in (0.0, 0.7))
        for province in ("Hebei", "Beijing", "Tianjin"):
            rows = power & (fac["province"] == province).to_numpy()
            assert with_floor[rows].sum() == pytest.approx(without[rows].sum(), rel=1e-9)
        if month == 1:
            capacity_mwh = runs[0.7].state.capacity_per_yr[chp, j] / 12
            assert (with_floor[chp] >= 0.7 * capacity_mwh * (1 - 1e-9)).all()
            assert (with_floor[power & ~chp] < without[power & ~chp]).all()
        if month == 7:
            np.testing.assert_allclose(with_floor[power], without[power], rtol=1e-12)


def test_limited_power_plants_hand_their_hours_to_the_rest_of_the_province(jjj):
    limit = ProductionLimit(START, END, 0.2, Scope(cities=("Tangshan",), sectors=("power",)))
    base, limited = SymbiosisModel(jjj, rng=2, years=1), SymbiosisModel(jjj, rng=2, years=1, policies=[limit])
    for model in (base, limited):
        model.run(3)
    fac, j = base.catalog.facilities, base.catalog.products.index("electricity")
    power = (fac["sector"] == "power").to_numpy()
    tangshan = power & (fac["city"] == "Tangshan").to_numpy()
    assert tangshan.any()
    for province in ("Hebei", "Beijing", "Tianjin"):
        rows = power & (fac["province"] == province).to_numpy()
        assert limited.state.output[rows, j].sum() == pytest.approx(base.state.output[rows, j].sum(), rel=1e-9)
    capacity_mwh = limited.state.capacity_per_yr[tangshan, j] / 12
    assert (limited.state.output[tangshan, j] <= 0.2 * capacity_mwh + 1e-6).all()
    others = power & (fac["province"] == "Hebei").to_numpy() & ~tangshan
    assert (limited.state.output[others, j] > base.state.output[others, j]).all()


def test_a_carbon_price_cuts_steel_and_cement_output_in_the_default_region_but_not_power(jjj):
    price = CarbonPrice(START, END, 100.0, Scope(sectors=("power", "steel", "cement")))
    base, priced = SymbiosisModel(jjj, rng=2, years=1), SymbiosisModel(jjj, rng=2, years=1, policies=[price])
    for model in (base, priced):
        model.run(2)
    sector = base.catalog.facilities["sector"].to_numpy()
    products = base.catalog.products

    def output(model, name, product):
        return model.state.output[sector == name, products.index(product)].sum()

    # every steel plant: 1.9 t CO2 x 100 CNY on 3,600 CNY/t (blast-furnace iron has no price of its own)
    makes_steel = base.state.capacity_per_yr[:, products.index("crude_steel")] > 0
    for product in ("crude_steel", "pig_iron"):
        j = products.index(product)
        ratio = priced.state.output[makes_steel, j].sum() / base.state.output[makes_steel, j].sum()
        assert ratio == pytest.approx(1 - 190 / 3600)
    assert output(priced, "cement", "clinker") < 0.95 * output(base, "cement", "clinker")
    assert output(priced, "power", "electricity") == pytest.approx(output(base, "power", "electricity"))
    generated = priced.accounts.ledger["generated_t"].sum() / base.accounts.ledger["generated_t"].sum()
    assert generated < 1.0
