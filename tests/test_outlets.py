"""Outlets in a whole model: the tiny park with one outlet for its steel slag, cleared by hand.

The tiny park (tests/data/tiny, see tests/test_tiny_park.py) makes 12,000 t/month of steel
slag; two kilns within reach take 5,000 t each. Its outlet (tests/data/tiny/outlets.csv)
takes 8 blocks of 500 t/month at delivered prices 50, 30, ..., -90 CNY/t and pays a haul of
20 CNY/t: gate values 30, 10, ..., -110. A seller's own reservation is -75 (landfill 50 + EP
tax 25 avoided).
"""

import numpy as np
import pytest

from symbiosim import SymbiosisModel

OWN_RESERVATION = -75.0


def write_park(tiny_park_toml, tmp_path, outlet_row: str | None = None, extra: str = "") -> str:
    """The tiny park with an outlet (its row replaced by ``outlet_row`` if given) and extra TOML."""
    folder = tiny_park_toml.parent
    table = (folder / "outlets.csv").read_text().splitlines()
    if outlet_row is not None:
        table = [table[0], outlet_row]
    (tmp_path / "outlets.csv").write_text("\n".join(table) + "\n")
    toml = tmp_path / "park.toml"
    toml.write_text(
        f'[scenario]\nname = "tiny park with an outlet"\nextends = "{tiny_park_toml.as_posix()}"\n'
        f'[tables.outlets]\nfile = "outlets.csv"\n{extra}'
    )
    return str(toml)


@pytest.fixture
def park(tiny_park_toml):
    model = SymbiosisModel(tiny_park_toml.parent / "outlet.toml", rng=3)
    model.step()
    return model


def test_kilns_first_then_the_outlet_takes_the_rest_at_one_price(park):
    # month 1: a trial clearing of all 12,000 t is a glut (the outlet takes 3,000 t worth >= -75),
    # so sellers expect -75 from the outlet, no more than their own reservation: the kiln trades
    # are those of the park without an outlet (85 and 65 CNY/t)
    flows = park.flows.set_index("buyer_id")
    assert flows["tonnes"].to_dict() == {"cement_near": 5000.0, "cement_far": 5000.0}
    assert flows["price_cny_per_t"].to_dict() == pytest.approx({"cement_near": 85.0, "cement_far": 65.0})
    # the 2,000 t left fill the blocks worth 30, 10, -10, -30; the next bid is -50:
    # price between -50 and -30 at the sellers' share 0.5
    steel = park.facility_ids.index("steel_s")
    outlets = park.accounts.outlets
    assert outlets.sold_t[steel, 0] == pytest.approx(2000.0)
    assert outlets.price_cny_per_t[0] == pytest.approx(-40.0)
    assert park.accounts.ledger["landfilled_t"].sum() == pytest.approx(0.0)
    assert park.accounts.money["byproduct_sales_cny"][steel] == pytest.approx(5000 * 85.0 + 5000 * 65.0)
    assert park.accounts.money["outlet_sales_cny"][steel] == pytest.approx(-2000 * 40.0)
    series = park.datacollector.get_model_vars_dataframe().iloc[-1]
    assert series["outlet_t.steel_slag"] == pytest.approx(2000.0)
    assert series["outlet_price_cny_per_t.steel_slag"] == pytest.approx(-40.0)
    assert series["utilisation_rate.steel_slag"] == pytest.approx(1.0)


def test_sellers_then_expect_the_outlet_price_and_bargain_from_it(park):
    # month 2: the outlet paid -40 last month, better than landfill (-75): a new trade must beat -40
    park.step()
    _, reservation = park.route_prices()
    assert reservation == pytest.approx(np.full(len(reservation), -40.0))
    # the contracts of month 1 (85 and 65) still bind: against its disposal route the seller gains
    rows = park.latest_flows.set_index("buyer_id")
    assert rows["price_cny_per_t"].to_dict() == pytest.approx({"cement_near": 85.0, "cement_far": 65.0})
    assert (rows["seller_gain_cny_per_t"] == rows["price_cny_per_t"] - OWN_RESERVATION).all()


def test_an_outlet_paying_more_than_the_kilns_takes_all_the_slag(tiny_park_toml, tmp_path):
    # demand 20,000 t/month at 400 -> 300 delivered: gate values about 300-375, above what either
    # kiln can pay (260 - transport): the kilns buy nothing, the outlet everything
    row = "slag_premium_hebei,steel_slag,Hebei,premium aggregate,240000,400,300,30,0.5,road,,test,"
    model = SymbiosisModel(write_park(tiny_park_toml, tmp_path, row), rng=3)
    model.run(3)
    assert model.flows.empty
    steel = model.facility_ids.index("steel_s")
    assert model.accounts.ledger["outlet_t"][steel, 0] == pytest.approx(12000.0)
    # a shortage: the seller ran out inside the blocks, so the price lies between two bids
    gate = 400.0 - 100.0 * (np.arange(8) + 0.5) / 8 - 20.0
    assert gate[-1] <= model.accounts.outlets.price_cny_per_t[0] <= gate[0]


@pytest.mark.parametrize("fee", [50.0, 150.0])
def test_a_landfill_fee_raises_what_the_outlet_takes_in_a_glut(tiny_park_toml, tmp_path, fee):
    """Without kilns, 12,000 t meet 4,000 t of outlet demand, part of it worth less than landfill.

    At fee 50 (reservation -75) the six blocks worth >= -75 take 3,000 t; at fee 150
    (reservation -175) all eight take 4,000 t. In a glut the price is the sellers' reservation.
    """
    extra = '[remove]\nfacilities = ["cement_near", "cement_far", "cement_out"]\n'
    extra += f'[[policies]]\ntype = "landfill_fee"\nstart = "2025-01-01"\nend = "2025-12-31"\ncny_per_t = {fee}\nmode = "set"\n'
    model = SymbiosisModel(write_park(tiny_park_toml, tmp_path, extra=extra), rng=3)
    model.step()
    taken = model.accounts.ledger["outlet_t"].sum()
    assert taken == pytest.approx(3000.0 if fee == 50.0 else 4000.0)
    assert model.accounts.outlets.price_cny_per_t[0] == pytest.approx(-(fee + 25.0))
    generated = model.accounts.ledger["generated_t"].sum()
    assert model.accounts.ledger["landfilled_t"].sum() == pytest.approx(generated - taken)


def test_mass_and_money_balance_with_an_outlet(park):
    for _ in range(11):
        park.step()
        led = park.accounts.ledger
        inflow = led["generated_t"] + led["drawn_from_stock_t"]
        outflow = led["sold_t"] + led["outlet_t"] + led["added_to_stock_t"] + led["disposed_t"]
        np.testing.assert_allclose(inflow, outflow, atol=1e-6)
        outlets = park.accounts.outlets
        np.testing.assert_allclose(outlets.sold_t.sum(), outlets.outlet_t.sum())
        route_sales = np.bincount(park.market.routes.seller, weights=park.accounts.value_cny, minlength=len(inflow))
        np.testing.assert_allclose(park.accounts.money["byproduct_sales_cny"], route_sales)
        np.testing.assert_allclose(park.accounts.money["outlet_sales_cny"],
                                   outlets.sold_t[:, 0] * outlets.price_cny_per_t[0])  # fmt: skip


def test_a_run_with_outlets_continues_exactly_from_a_saved_state(tiny_park_toml):
    toml = tiny_park_toml.parent / "outlet.toml"
    straight = SymbiosisModel(toml, rng=5)
    straight.run(7)
    resumed = SymbiosisModel(toml, rng=5)
    resumed.run(3)
    saved = resumed.saved_state()
    fresh = SymbiosisModel(toml, rng=5)
    fresh.restore(saved)
    fresh.run(4)
    np.testing.assert_array_equal(fresh.market.book.outlet_price, straight.market.book.outlet_price)
    a = straight.datacollector.get_model_vars_dataframe()
    b = fresh.datacollector.get_model_vars_dataframe()
    assert a.equals(b)


def test_a_market_the_kilns_leave_without_trade_does_not_raise_the_sellers_expectation(tiny_park_toml, tmp_path):
    """With only 8,000 t of slag the two kilns (10,000 t) take it all, so the outlet does not trade.

    Its quote (the first block's value, 161.25 at the gate) is not a price the seller's 8,000 t
    would fetch; sellers keep expecting the trial clearing of all their supply: a glut at -75.
    """
    row = "slag_outlet_hebei,steel_slag,Hebei,aggregate,48000,200,-100,30,0.5,road,,test,"
    extra = ('[[policies]]\ntype = "production_limit"\nstart = "2025-01-01"\nend = "2025-12-31"\ncap_share = 0.5\n'
             'sectors = ["steel"]\n')  # fmt: skip
    model = SymbiosisModel(write_park(tiny_park_toml, tmp_path, row, extra), rng=3)
    for _ in range(3):
        model.step()
        assert model.accounts.outlets.market_t[0] == 0.0
        assert model.accounts.outlets.price_cny_per_t[0] == pytest.approx(200 - 300 / 16 - 20)  # the quote: 161.25
        _, reservation = model.route_prices()
        assert reservation == pytest.approx(np.full(len(reservation), OWN_RESERVATION))
    assert model.market.book.trust.min() == 1.0  # no contract broken


def test_the_no_exchange_counterfactual_keeps_the_outlet_sales(park):
    """Value flow: without its symbiosis exchanges the steel plant landfills the 10,000 t the kilns took.

    Its outlet sale (2,000 t at -40 CNY/t) is business as usual and stays: the counterfactual
    loses the route sales (5,000 x 85 + 5,000 x 65) and pays the landfill fee and EP tax (75
    CNY/t) on the route tonnes only.
    """
    from symbiosim.metrics import enterprise

    steel = park.facility_ids.index("steel_s")
    ledger = park.facility_ledger
    totals = ledger[ledger["facility_id"] == "steel_s"].drop(columns=["step", "date", "facility_id"]).sum()
    assert totals["outlet_sales_cny"] == pytest.approx(-2000 * 40.0)
    assert totals["search_cny"] == 0.0  # nothing else the exchanges bring
    assert totals["subsidy_cny"] == 0.0
    books = enterprise.accounts(totals.to_dict(), landfill_charge_cny_per_t=-OWN_RESERVATION)
    with_exchanges = park.accounts.money["profit_cny"][steel]
    assert books["synergistic"]["net_profit_cny"] == pytest.approx(with_exchanges)
    route_sales, route_landfill = 5000 * 85.0 + 5000 * 65.0, 10_000 * 75.0
    assert books["non_synergistic"]["net_profit_cny"] == pytest.approx(with_exchanges - route_sales - route_landfill)
    assert books["non_synergistic"]["solid_waste_t"] == pytest.approx(totals["landfilled_t"] + 10_000)
