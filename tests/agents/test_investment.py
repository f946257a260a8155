"""Agent behaviour: appraisal, room to install, installation and retirement, checked by hand on the tiny park.

The tiny park without T2 at the start (tests/conftest.py): one steel plant makes 12,000 t of
slag a month that nobody can take; cement plants 20 km (near), 100 km (far) and 200 km (beyond
the haul limit) away could install T2 (0.1 t per t cement, 5,000 t a month at full output).
Per tonne near: willingness to pay 260, transport 0.5 x 20 + 5 = 15, reservation -75, so the
surplus is 320 CNY/t and the buyer's half 160 CNY/t.
"""

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from symbiosim import SymbiosisModel
from symbiosim.agents import InvestmentRound, annuity_factor
from symbiosim.agents.investment import appraise, install, retire, room_to_install_tpa
from symbiosim.policies import LandfillFee


@pytest.fixture
def eleven_months(tiny_park_without_t2):
    """The park just before its first investment round (nobody has traded: all slag was landfilled)."""
    model = SymbiosisModel(tiny_park_without_t2, rng=3)
    model.run(11)
    assert model.accounts.summary["exchanged_t"] == 0
    return model


def _round(model):
    wtp, reservation = model.route_prices()
    return InvestmentRound(model.state, model.catalog, model.market, wtp, reservation,
                           model.levers.capex_subsidy_share, model.neighbours, model.params, model.rng,
                           model.month_index)  # fmt: skip


def test_appraisal_expects_what_known_sellers_could_not_place_at_the_buyers_share_of_the_surplus(eleven_months):
    model = eleven_months
    near, k = model.facility_index["cement_near"], model.catalog.technologies.index("T2")
    volume, margin = appraise(_round(model), near, k)
    assert volume == pytest.approx(12_000 * 12)  # 11 months unsold, scaled to a year; no rival uses T2
    assert margin == pytest.approx(0.5 * (260 - 15 + 75))
    beyond = model.facility_index["cement_out"]
    assert appraise(_round(model), beyond, k) == (0.0, 0.0)  # no route within the haul limit


def test_a_rival_that_already_uses_the_technology_halves_the_expected_volume(eleven_months):
    model = eleven_months
    k = model.catalog.technologies.index("T2")
    model.state.installed_tpa[model.facility_index["cement_far"], k] = 1.0
    volume, _ = appraise(_round(model), model.facility_index["cement_near"], k)
    assert volume == pytest.approx(12_000 * 12 / 2)


def test_room_to_install_is_the_smaller_of_the_own_cap_and_the_group_cap_left(eleven_months):
    model = eleven_months
    near, k = model.facility_index["cement_near"], model.catalog.technologies.index("T2")
    assert room_to_install_tpa(model.state, model.catalog, near, k) == pytest.approx(0.1 * 600_000)
    model.state.used_this_year_t[near, k] = 11 * 1_000.0  # 1,000 t a month already used
    assert room_to_install_tpa(model.state, model.catalog, near, k) == pytest.approx(0.1 * 600_000 - 12_000)


def test_installation_depreciates_the_capex_over_the_lifetime_and_books_the_subsidy(eleven_months):
    model = eleven_months
    state, near, k = model.state, model.facility_index["cement_near"], model.catalog.technologies.index("T2")
    install(state, model.catalog, near, k, 60_000.0, 15e6, model.month_index, subsidy_cny=5e6)
    assert state.installed_tpa[near, k] == 60_000.0
    assert state.depreciation_cny_per_month[near] == pytest.approx(15e6 / (20 * 12))
    assert state.capex_subsidy_paid_cny == 5e6
    assert state.vintages[-1].last_month == model.month_index + 20 * 12 - 1


def test_retirement_removes_the_line_and_ends_its_contracts_without_touching_others(eleven_months):
    model = eleven_months
    state, mk = model.state, model.market
    near, far = model.facility_index["cement_near"], model.facility_index["cement_far"]
    k = model.catalog.technologies.index("T2")
    install(state, model.catalog, near, k, 60_000.0, 15e6, model.month_index)
    install(state, model.catalog, far, k, 60_000.0, 15e6, model.month_index + 12)
    routes = mk.routes.of_technology[k]
    mk.book.contract_end[routes] = 500  # contracts in force on every route
    end = state.vintages[0].last_month + 1
    retire(state, mk, end)
    assert state.installed_tpa[near, k] == 0.0
    assert state.installed_tpa[far, k] == 60_000.0
    assert state.depreciation_cny_per_month[near] == 0.0
    of_near = routes[mk.routes.buyer[routes] == near]
    assert (mk.book.contract_end[of_near] == end - 1).all()  # ended, a planned end
    assert (mk.book.contract_end[routes[mk.routes.buyer[routes] == far]] == 500).all()
    assert [v.facility for v in state.vintages] == [far]


def test_a_sure_investor_adopts_when_npv_and_payback_pass(tiny_park_without_t2):
    model = SymbiosisModel(tiny_park_without_t2, rng=3, consider_probability=1.0)
    model.run(12)  # the December round
    adopted = {a.facility_id: a for a in model.record.adoptions}
    assert set(adopted) == {"cement_near", "cement_far"}  # cement_out has no route
    near = adopted["cement_near"]
    capacity = min(0.1 * 600_000, 12_000 * 12)
    assert near.capacity_t_per_yr == pytest.approx(capacity)
    assert near.capex_cny == pytest.approx(capacity * 250)
    assert near.npv_cny == pytest.approx(capacity * 160 * annuity_factor(0.08, 20) - capacity * 250)
    assert near.payback_yr == pytest.approx(250 / 160)
    assert np.isclose(model.state.installed_tpa[model.facility_index["cement_near"], 0], capacity)


def _edit_technologies(toml, change, extra_row: str = "") -> None:
    """Change every row of the park's technologies.csv by ``change`` (column -> value) and append ``extra_row``."""
    table = Path(toml).parent / "technologies.csv"
    rows = list(csv.DictReader(table.open(newline="")))
    for row in rows:
        row.update(change)
    with table.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    table.write_text(table.read_text() + extra_row)


def test_appraisal_counts_the_outlet_tonnes_a_buyer_would_outbid(tiny_park_without_t2):
    # T2 opex 235: w = 300 - 235 = 65 CNY/t, so at the seller's gate the near kiln would pay up to 65 - 15 = 50 and the
    # far one 65 - 55 = 10. The outlet (tests/data/tiny/outlets.csv) has 8 blocks of 500 t/month worth 30, 10, -10,
    # ..., -110 at the gate; the steel plant (reservation -75, landfill) sells it the six blocks worth -70 or more,
    # 3,000 t a month, and landfills the other 9,000.
    _edit_technologies(tiny_park_without_t2, {"opex_cny_per_t": "235"})
    model = SymbiosisModel(Path(tiny_park_without_t2).parent / "outlet.toml", rng=3)
    model.run(11)
    k = model.catalog.technologies.index("T2")
    near, _ = appraise(_round(model), model.facility_index["cement_near"], k)
    far, _ = appraise(_round(model), model.facility_index["cement_far"], k)
    assert near == pytest.approx((9000 + 3000) * 12)  # it outbids every block
    assert far == pytest.approx((9000 + 3000 * 2 / 3) * 12)  # the outlet keeps the blocks worth 30 and 10 to it


def test_an_investor_expects_the_outlet_price_of_the_past_year_a_trader_last_months(tiny_park_toml):
    # The steel plant's alternative to a route is landfill (-75 CNY/t) or its outlet market. Its outlet traded at 10
    # and 30 CNY/t in two months of the past year and at 100 last month: a trade is priced against 100, a 20-year line
    # against the mean of the months it traded, 20.
    model = SymbiosisModel(tiny_park_toml.parent / "outlet.toml", rng=3)
    model.run(11)
    book = model.market.book
    book.outlet_price_by_month[0, :] = np.nan
    book.outlet_price_by_month[0, [3, 7]] = [10.0, 30.0]
    book.outlet_price[0] = 100.0
    _, trader = model.route_prices()
    _, investor = model.route_prices(over_year=True)
    assert trader == pytest.approx(100.0)
    assert investor == pytest.approx(20.0)


def test_a_plant_does_not_build_two_lines_of_one_shared_cap_on_the_same_room(tiny_park_without_t2):
    # A second slag technology T2X shares T2's cap (0.1 t per t cement, 60,000 t/yr) at a lower margin (opex 60): the
    # December round installs T2 first (the better margin) and leaves T2X no room, at both kilns
    row = "T2X,steel slag powder by a second line,steel_slag,cement,cement,0.1,slag,cement,clinker,1.0,4.67,20.4,60,250,20,0.0,test,\n"
    _edit_technologies(tiny_park_without_t2, {"cap_group": "slag"}, row)
    model = SymbiosisModel(tiny_park_without_t2, rng=3, consider_probability=1.0)
    model.run(12)
    installed = dict(zip(model.catalog.technologies, model.state.installed_tpa[model.facility_index["cement_near"]], strict=True))
    assert installed == {"T2": pytest.approx(60_000.0), "T2X": 0.0}
    far = model.state.installed_tpa[model.facility_index["cement_far"]]
    assert far.sum() == pytest.approx(60_000.0)


def test_a_landfill_fee_raises_the_capacity_built_on_the_default_region(jjj):
    # A fee makes every tonne kept out of landfill worth more to its seller: prices on routes fall by part of it, so
    # buyers keep more per tonne and lines that fell short of the payback limit now pass. Expected: more capacity
    # (the base at the start is the same in both runs: it is sized without policies). Over five years: a plant
    # considers a technology it lacks with a calibrated 0.13 a year (catalog/parameters.csv), so a lever that works
    # through investment shows only as the years' appraisals add up (after 3 years +0.06%, after 5 years +2.0%).
    fee = LandfillFee(dt.date(2025, 1, 1), dt.date(2040, 12, 31), cny_per_t=100.0)
    runs = {name: SymbiosisModel(jjj, rng=1, years=5, policies=policies)
            for name, policies in (("base", []), ("fee", [fee]))}  # fmt: skip
    np.testing.assert_array_equal(runs["base"].state.installed_tpa, runs["fee"].state.installed_tpa)
    for model in runs.values():
        model.run()
    symbiosis = runs["base"].catalog.tech_is_symbiosis
    built = {name: model.state.installed_tpa[:, symbiosis].sum() for name, model in runs.items()}
    assert built["fee"] > built["base"] * 1.005  # measured: +2.0% after 5 years, seed 1
    assert len(runs["fee"].record.adoptions) > len(runs["base"].record.adoptions)
