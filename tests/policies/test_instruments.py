"""Each policy instrument on the tiny park, checked against a hand calculation.

Tiny park (tests/data/tiny): one steel plant, 12,000 t of slag a month; cement plants 20 km
(near) and 100 km (far) away each take up to 5,000 t; a third is beyond the 150 km haul limit.
Per tonne: w = 260 CNY, r = -75 CNY (landfill 50 + EP tax 25), transport 0.5 x km + 5,
price = r + 0.5 (w - transport - r).
"""

import datetime as dt
import shutil

import numpy as np
import pytest

from symbiosim import SymbiosisModel
from symbiosim.policies import (
    CapacityReplacement,
    CapexSubsidy,
    EnvironmentalTax,
    FacilitationPlatform,
    LandfillFee,
    PerTonneSubsidy,
    ProductionLimit,
    Scope,
    TransportSubsidy,
)

ALWAYS = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))
STEEL = Scope(sectors=("steel",))


def first_month(toml, *policies, **overrides):
    model = SymbiosisModel(toml, rng=3, policies=list(policies), **overrides)
    model.step()
    return model, model.flows.set_index("buyer_id")


def price(w, km, r):
    return r + 0.5 * (w - (0.5 * km + 5) - r)


def test_landfill_fee_lowers_the_reservation_by_exactly_the_fee(tiny_park_toml):
    base, base_flows = first_month(tiny_park_toml)
    model, flows = first_month(tiny_park_toml, LandfillFee(*ALWAYS, cny_per_t=25.0, scope=STEEL))
    assert model.accounts.prices.reservation - base.accounts.prices.reservation == pytest.approx(
        np.where(model.market.routes.seller == model.facility_ids.index("steel_s"), -25.0, 0.0)
    )
    assert flows.loc["cement_near", "price_cny_per_t"] == pytest.approx(price(260, 20, -100))  # 72.5
    assert flows.loc["cement_near", "seller_gain_cny_per_t"] == pytest.approx(
        base_flows.loc["cement_near", "seller_gain_cny_per_t"] + 12.5
    )
    steel = model.facility_ids.index("steel_s")
    assert model.accounts.money["landfill_fee_cny"][steel] == pytest.approx(2000 * 75.0)


def test_ep_tax_set_for_one_byproduct(tiny_park_toml):
    model, _ = first_month(
        tiny_park_toml, EnvironmentalTax(*ALWAYS, cny_per_t=1000.0, byproducts=("steel_slag",), mode="set")
    )
    assert np.unique(model.accounts.prices.reservation).tolist() == [-1050.0]
    steel = model.facility_ids.index("steel_s")
    assert model.accounts.money["ep_tax_cny"][steel] == pytest.approx(2000 * 1000.0)


def test_per_tonne_subsidy_raises_the_covered_buyers_willingness_to_pay(tiny_park_toml):
    near = Scope(facility_ids=("cement_near",))
    model, flows = first_month(
        tiny_park_toml, PerTonneSubsidy(*ALWAYS, cny_per_t=30.0, technologies=("T2",), scope=near)
    )
    assert flows.loc["cement_near", "price_cny_per_t"] == pytest.approx(price(290, 20, -75))  # 100
    assert flows.loc["cement_far", "price_cny_per_t"] == pytest.approx(price(260, 100, -75))  # 65, unchanged
    buyer = model.facility_ids.index("cement_near")
    assert model.accounts.money["subsidy_cny"][buyer] == pytest.approx(5000 * 30.0)
    assert model.accounts.money["subsidy_cny"].sum() == pytest.approx(5000 * 30.0)


def test_transport_subsidy_is_paid_per_tonne_km(tiny_park_toml):
    model, flows = first_month(tiny_park_toml, TransportSubsidy(*ALWAYS, cny_per_t_km=0.2))
    assert flows.loc["cement_far", "price_cny_per_t"] == pytest.approx(price(260 + 0.2 * 100, 100, -75))  # 75
    assert model.accounts.money["subsidy_cny"].sum() == pytest.approx(5000 * 0.2 * 20 + 5000 * 0.2 * 100)


def test_uniform_limit_halves_covered_output_only_in_covered_months(tiny_park_toml):
    limit = ProductionLimit(dt.date(2025, 2, 1), dt.date(2025, 3, 31), cap_share=0.5, scope=STEEL)
    model = SymbiosisModel(tiny_park_toml, rng=3, policies=[limit])
    steel, cement = model.facility_ids.index("steel_s"), model.facility_ids.index("cement_near")
    generated, cement_output = [], []
    for _ in range(4):
        model.step()
        generated.append(model.accounts.ledger["generated_t"][steel].sum())
        cement_output.append(model.state.output[cement].sum())
    assert generated == pytest.approx([12000.0, 6000.0, 6000.0, 12000.0])
    assert cement_output == pytest.approx([cement_output[0]] * 4)  # not covered


def test_a_limit_from_mid_month_is_averaged_over_the_days(tiny_park_toml):
    limit = ProductionLimit(dt.date(2025, 1, 16), dt.date(2025, 6, 30), cap_share=0.5, scope=STEEL)
    model, _ = first_month(tiny_park_toml, limit)
    steel = model.facility_ids.index("steel_s")
    assert model.accounts.ledger["generated_t"][steel].sum() == pytest.approx(12000.0 * (1 - 16 / 31 * 0.5))


def _graded_park(tiny_park_toml, tmp_path):
    park = tmp_path / "park"
    shutil.copytree(tiny_park_toml.parent, park)
    (park / "grades.csv").write_text("facility_id,emission_grade,source\ncement_near,A,test\ncement_far,C,test\n")
    toml = park / "scenario.toml"
    toml.write_text(toml.read_text() + '\n[tables.emission_grades]\nfile = "grades.csv"\n')
    return toml


def test_the_three_limit_modes_differ_as_designed(tiny_park_toml, tmp_path):
    toml = _graded_park(tiny_park_toml, tmp_path)
    window = (dt.date(2025, 2, 1), dt.date(2025, 12, 31))
    cement = Scope(sectors=("cement",))
    modes = {
        "uniform": ProductionLimit(*window, cap_share=0.0, scope=cement),
        "graded": ProductionLimit(*window, cap_share=0.0, scope=cement, mode="graded", grade_caps={"A": 1.0, "C": 0.5}),
        "symbiosis_aware": ProductionLimit(
            *window, cap_share=0.0, scope=cement, mode="symbiosis_aware", exempt_top_k=1
        ),
    }
    bought = {}
    for name, limit in modes.items():
        model = SymbiosisModel(toml, rng=3, policies=[limit])
        model.run(2)
        feb = model.flows[model.flows["step"] == 2].groupby("buyer_id")["tonnes"].sum()
        bought[name] = feb.to_dict()
    assert bought["uniform"] == {}  # every kiln shut: no symbiotic flow at all
    assert bought["graded"] == pytest.approx({"cement_near": 5000.0, "cement_far": 2500.0})  # grade A free, C halved
    # the key node of January (near and far tie at 5,000 t; the first in node order wins) keeps its flow
    assert bought["symbiosis_aware"] == pytest.approx({"cement_near": 5000.0})


def test_named_facilities_are_exempt_in_symbiosis_aware_mode(tiny_park_toml):
    limit = ProductionLimit(
        *ALWAYS,
        cap_share=0.0,
        scope=Scope(sectors=("cement",)),
        mode="symbiosis_aware",
        exempt_facility_ids=("cement_far",),
    )
    _, flows = first_month(tiny_park_toml, limit)
    assert flows.index.tolist() == ["cement_far"]


def test_a_platform_makes_every_search_find_its_candidates(tiny_park_toml, park_with_column):
    # the kilns run T2 from the start (nameplate), but nobody is known and an agent's own search finds
    # nothing: only the platform helps
    park = park_with_column(tiny_park_toml, "technologies.csv", "initial_base", "nameplate")
    isolated = {"initial_knowledge_km": 0.0, "discovery_probability": 0.0, "referral_probability": 0.0}
    without = SymbiosisModel(park, rng=3, **isolated)
    without.run(3)
    assert without.flows.empty
    with_platform = SymbiosisModel(park, rng=3, policies=[FacilitationPlatform(*ALWAYS)], **isolated)
    with_platform.run(3)
    assert set(with_platform.flows["buyer_id"]) == {"cement_near", "cement_far"}
    assert with_platform.flows["step"].min() == 2  # found by the first month's search, traded in the second


def test_capex_subsidy_halves_the_capex_of_an_investment(tiny_park_without_t2):
    runs = {}
    for share in (0.0, 0.5):
        policies = [CapexSubsidy(*ALWAYS, share=share, technologies=("T2",))] if share else []
        model = SymbiosisModel(tiny_park_without_t2, rng=1, consider_probability=1.0, policies=policies)
        model.run(12)
        runs[share] = model.record.adoptions
        paid = model.datacollector.get_model_vars_dataframe()["subsidy_cny"].iloc[12]  # December
        assert paid == pytest.approx(sum(a.capacity_t_per_yr * 250.0 * share for a in model.record.adoptions))
    assert runs[0.0]
    assert len(runs[0.0]) == len(runs[0.5])
    for plain, subsidised in zip(runs[0.0], runs[0.5], strict=True):
        assert plain.capex_cny == pytest.approx(plain.capacity_t_per_yr * 250.0)
        assert subsidised.capex_cny == pytest.approx(subsidised.capacity_t_per_yr * 250.0 * 0.5)


def test_policies_compose(tiny_park_toml):
    model, flows = first_month(
        tiny_park_toml,
        LandfillFee(*ALWAYS, cny_per_t=25.0),
        PerTonneSubsidy(*ALWAYS, cny_per_t=30.0),
        ProductionLimit(*ALWAYS, cap_share=0.8, scope=STEEL),
        ProductionLimit(*ALWAYS, cap_share=0.5, scope=STEEL),  # the lower cap wins
    )
    steel = model.facility_ids.index("steel_s")
    assert model.accounts.ledger["generated_t"][steel].sum() == pytest.approx(6000.0)
    # the halved supply leaves the far kiln (100 km) with room: the seller could sell there at
    # up to w - t = 290 - 55, so the near kiln pays that rather than the split (prices from competition)
    assert flows.loc["cement_near", "price_cny_per_t"] == pytest.approx(290 - (0.5 * 100 + 5))
    assert flows.loc["cement_near", "price_cny_per_t"] > price(290, 20, -100)


def test_unknown_names_in_a_policy_are_an_error(tiny_park_toml):
    with pytest.raises(ValueError, match="unknown technologies"):
        first_month(tiny_park_toml, PerTonneSubsidy(*ALWAYS, cny_per_t=1.0, technologies=("T99",)))
    with pytest.raises(ValueError, match="mode must be one of"):
        ProductionLimit(*ALWAYS, cap_share=0.5, mode="everyone")


def test_carbon_price_is_paid_on_emissions_and_raises_the_value_of_avoided_co2(tiny_park_toml):
    from symbiosim.policies import CarbonPrice

    cement = Scope(sectors=("cement",))
    model, flows = first_month(tiny_park_toml, CarbonPrice(*ALWAYS, cny_per_t_co2=100.0, scope=cement))
    # a tonne of slag on the 20 km route avoids 1 x 853.4 - 20.4 (grinding) - 20 x 0.031 kg of CO2
    avoided_t_per_t = (853.4 - 20.4 - 20 * 0.031) / 1000
    assert flows.loc["cement_near", "price_cny_per_t"] == pytest.approx(price(260 + 100 * avoided_t_per_t, 20, -75))
    near = model.facility_ids.index("cement_near")
    assert model.accounts.money["emission_charges_cny"][near] == pytest.approx(100.0 * model.accounts.ledger["co2_t"][near])
    steel = model.facility_ids.index("steel_s")
    assert model.accounts.money["emission_charges_cny"][steel] == 0.0  # not covered


def test_free_allocation_is_deducted_before_the_carbon_price(tiny_park_toml):
    from symbiosim.policies import CarbonPrice

    policy = CarbonPrice(
        *ALWAYS, cny_per_t_co2=100.0, scope=Scope(sectors=("cement",)), free_allocation={"cement": 0.5}
    )
    model, _ = first_month(tiny_park_toml, policy)
    near = model.facility_ids.index("cement_near")
    free_t = 0.5 * model.state.output[near, model.catalog.products.index("cement")]  # 0.5 t per t of 50 kt cement
    assert model.accounts.money["emission_charges_cny"][near] == pytest.approx(100.0 * (model.accounts.ledger["co2_t"][near] - free_t))


def test_air_pollutant_tax_per_pollution_equivalent(tiny_park_toml):
    from symbiosim.policies import AirPollutantTax

    model, _ = first_month(tiny_park_toml, AirPollutantTax(*ALWAYS, cny_per_equivalent=1.2, scope=STEEL))
    steel = model.facility_ids.index("steel_s")
    led = model.accounts.ledger
    expected = 1.2 * 1000 * (led["so2_t"][steel] / 0.95 + led["nox_t"][steel] / 0.95 + led["pm_t"][steel] / 4.0)
    assert model.accounts.money["emission_charges_cny"][steel] == pytest.approx(expected)
    assert model.accounts.summary["fiscal_cost_cny"] == pytest.approx(-model.accounts.money["ep_tax_cny"].sum() - expected)


def test_vat_rebate_threshold_rule_by_hand(tiny_park_toml):
    from symbiosim.policies import VATRebate

    # each kiln: 50 kt cement + 33.3 kt clinker a month -> raw material 1.55 x 33,333 + 50,000
    # = 101,667 t; income 50,000 x 400 + 33,333 x 300 = 30 M CNY; rebate 0.7 x 0.13 x 30 M
    raw_t = 1.55 * 400_000 / 12 + 50_000
    income = 50_000 * 400 + 400_000 / 12 * 300
    rebate = 0.7 * 0.13 * income
    reachable = VATRebate(*ALWAYS, threshold=0.04)  # needs 4,067 t: within the 5,000 t cap
    model, flows = first_month(tiny_park_toml, reachable)
    premium = rebate / 5000  # the rebate spread over the 5,000 t the kiln can take
    assert flows.loc["cement_near", "price_cny_per_t"] == pytest.approx(price(260 + premium, 20, -75))
    near = model.facility_ids.index("cement_near")
    assert 5000 / raw_t >= 0.04
    assert model.accounts.money["vat_rebate_cny"][near] == pytest.approx(rebate)
    assert model.accounts.summary["vat_rebate_cny"] == pytest.approx(2 * rebate)  # near and far both qualify
    out_of_reach = VATRebate(*ALWAYS, threshold=0.2)  # needs 20,333 t: more than the kiln can take
    model, flows = first_month(tiny_park_toml, out_of_reach)
    assert flows.loc["cement_near", "price_cny_per_t"] == pytest.approx(price(260, 20, -75))  # no premium
    assert model.accounts.money["vat_rebate_cny"].sum() == 0.0


def output_by_month(toml, months, *policies):
    model = SymbiosisModel(toml, rng=3, policies=list(policies))
    rows = []
    for _ in range(months):
        model.step()
        rows.append(dict(zip(model.facility_ids, model.state.output.sum(axis=1), strict=True)))
    return model, rows


def test_capacity_retired_for_good_and_replaced_at_the_ratio(tiny_park_toml):
    swap = CapacityReplacement(
        dt.date(2025, 2, 10),
        scope=Scope(facility_ids=("cement_near",)),
        replaced_by=("cement_far",),
        replacement_ratio=2.0,
    )
    _, base = output_by_month(tiny_park_toml, 4)
    model, out = output_by_month(tiny_park_toml, 4, swap)
    assert out[0] == base[0]  # January: before the retirement
    for month in (1, 2, 3):  # from February on, for good (the window was one day)
        assert out[month]["cement_near"] == 0.0
        # 600 kt retired at 2:1 adds 300 kt to the 600 kt plant: x1.5
        assert out[month]["cement_far"] == pytest.approx(1.5 * base[month]["cement_far"])
        assert out[month]["cement_out"] == base[month]["cement_out"]
    changes = model.record.capacity_changes.set_index(["facility_id", "product"])
    assert changes.loc[("cement_near", "cement"), "capacity_after_per_yr"] == 0.0
    assert changes.loc[("cement_far", "clinker"), "capacity_after_per_yr"] == pytest.approx(600_000.0)
    assert len(changes) == 4  # two products at each of the two plants, changed once
    near = model.facility_ids.index("cement_near")
    assert model.accounts.ledger["bought_t"][near].sum() == 0.0  # a closed kiln buys no slag


@pytest.mark.parametrize(
    ("below", "retired"), [(500_000.0, set()), (700_000.0, {"cement_near", "cement_far", "cement_out"})]
)
def test_only_covered_facilities_below_the_size_limit_retire(tiny_park_toml, below, retired):
    policy = CapacityReplacement(dt.date(2025, 1, 1), scope=Scope(sectors=("cement",)), below_capacity=below)
    _, out = output_by_month(tiny_park_toml, 1, policy)
    assert {f for f, units in out[0].items() if units == 0 and f != "landfill_alpha"} == retired


def test_capacity_replacement_from_a_scenario_file(tiny_park_toml, tmp_path):
    park = tmp_path / "park"
    shutil.copytree(tiny_park_toml.parent, park)
    toml = park / "scenario.toml"
    toml.write_text(
        toml.read_text()
        + '\n[[policies]]\ntype = "capacity_replacement"\nstart = "2025-03-01"\nfacility_ids = ["steel_s"]\n'
    )
    _, out = output_by_month(toml, 3)
    assert [month["steel_s"] for month in out][2] == 0.0
    assert out[1]["steel_s"] > 0
