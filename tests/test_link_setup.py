"""Link set-up costs: a new route opens only if its trade, recurring over a contract, pays for the set-up.

Hand calculations: one seller and one kiln, w = 100, r = -50, t = 5 CNY/t, so the surplus is
145 CNY/t; 100 t now and 100 t a month over the 12-month contract that follows gain
1,300 x 145 = 188,500 CNY together. The set-up is paid
once, by seller and buyer in proportion to their gains; the planner opens a route with a
set-up cost only where its tonnes pay for it (``tests/metrics/test_planner.py``).
"""

import numpy as np
import pytest

from symbiosim import SymbiosisModel
from symbiosim.environment.contracts import TrustRules
from symbiosim.environment.market import Market, MonthInputs
from symbiosim.environment.routes import Routes

RULES = TrustRules(initial=0.6, gain=0.2, loss=0.5, minimum=0.3)


def one_route_market(setup_cny: float, seller_part: float = np.nan) -> Market:
    km = np.array([10.0])
    zero = np.zeros(1, dtype=np.intp)
    market = Market(Routes.from_arrays(zero, np.array([1]), zero, zero, km, 0.5 * km), np.array([12]), RULES,
                    setup_cny=np.array([setup_cny]))  # fmt: skip
    market.setup_seller_share[:] = seller_part
    market.book.known[:] = True
    return market


def clear(market: Market, step: int = 1, stock_t: float = 0.0):
    """One month: 100 t generated (plus ``stock_t`` held over) and a kiln with room for all of it."""
    supply = np.array([[100.0 + stock_t], [0.0]])
    capacity = np.array([[0.0], [100.0 + stock_t]])
    month = MonthInputs(
        supply_t=supply, generated_t=np.array([[100.0], [0.0]]), capacity_t=capacity, group_capacity_t=capacity.copy(),
        wtp_cny_per_t=np.array([100.0]), reservation_cny_per_t=np.array([-50.0]), is_installed=np.ones(1, bool),
        season_now=np.ones(2), installed_monthly_t=np.full((2, 1), 1e9), season_peak=np.ones(2), seller_share=0.5,
    )  # fmt: skip
    return market.clear(step, month)


@pytest.mark.parametrize(("setup_cny", "trades"), [(0.0, True), (188_000.0, True), (189_000.0, False)])
def test_a_route_opens_only_if_a_contract_pays_for_its_set_up(setup_cny, trades):
    result = clear(one_route_market(setup_cny))
    assert bool(result.tonnes[0] == 100.0) is trades
    if trades:
        # equal split: each side gains 72.5 CNY/t and pays half of the set-up
        assert result.setup_seller_cny[0] == pytest.approx(setup_cny / 2)
        assert result.setup_buyer_cny[0] == pytest.approx(setup_cny / 2)


def test_stock_sold_once_does_not_count_toward_a_set_up():
    # 900 t of stock and 100 t a month: the first month trades 1,000 t, but only 100 t recur;
    # over the contract 1,000 + 12 x 100 = 2,200 t gain 319,000 CNY, less than a 1 M CNY set-up
    assert clear(one_route_market(1_000_000.0), stock_t=900.0).tonnes[0] == 0.0
    assert clear(one_route_market(300_000.0), stock_t=900.0).tonnes[0] == 1_000.0


def test_the_set_up_is_paid_once():
    market = one_route_market(100_000.0)
    first, second = clear(market, step=1), clear(market, step=2)
    assert first.tonnes[0] == second.tonnes[0] == 100.0
    assert first.setup_seller_cny[0] + first.setup_buyer_cny[0] == pytest.approx(100_000.0)
    assert second.setup_seller_cny[0] == second.setup_buyer_cny[0] == 0.0


def test_set_up_costs_enter_the_ledgers_and_profit_of_both_sides(tiny_park_toml, park_with_column):
    base = SymbiosisModel(str(tiny_park_toml), rng=3)
    model = SymbiosisModel(park_with_column(tiny_park_toml, "byproducts.csv", "link_setup_cny", 1_000_000.0), rng=3)
    for m in (base, model):
        m.step()
    opened = int((model.accounts.tonnes > 0).sum())
    assert opened > 0
    assert np.array_equal(model.accounts.tonnes, base.accounts.tonnes)  # every route pays for its set-up here
    setup = model.accounts.money["link_setup_cny"]
    assert setup.sum() == pytest.approx(1_000_000.0 * opened)
    steel = model.facility_ids.index("steel_s")
    assert 0 < setup[steel] < setup.sum()  # the seller pays a part, the kilns the rest
    profit_gap = base.accounts.money["profit_cny"] - model.accounts.money["profit_cny"]
    np.testing.assert_allclose(profit_gap, setup, atol=1e-6)
    model.step()
    assert model.accounts.money["link_setup_cny"].sum() == 0.0  # routes set up last month


def test_a_set_up_no_contract_can_pay_for_stops_every_trade(tiny_park_toml, park_with_column):
    model = SymbiosisModel(park_with_column(tiny_park_toml, "byproducts.csv", "link_setup_cny", 1e9), rng=3)
    model.run(3)
    assert model.flows.empty or model.flows["tonnes"].sum() == 0


@pytest.mark.parametrize(
    ("seller_part", "setup_cny", "trades"),
    [(1.0, 94_000.0, True), (1.0, 95_000.0, False), (0.0, 94_000.0, True), (0.0, 95_000.0, False),
     (0.5, 188_000.0, True), (0.5, 189_000.0, False), (0.8, 117_000.0, True), (0.8, 118_000.0, False)],
)  # fmt: skip
def test_a_side_that_invests_alone_must_recoup_it_from_its_own_gain(seller_part, setup_cny, trades):
    """Seller-side (part 1), buyer-side (0) or shared investment: each side recoups its own part.

    Each side's gain over the contract,
    72.5 CNY/t x 1,300 t = 94,250 CNY at the equal split, must pay its part: alone, either side recoups at
    most 94,250; shared half and half, 188,500 together; 80 % from the seller, 94,250 / 0.8 = 117,812.
    """
    result = clear(one_route_market(setup_cny, seller_part))
    assert bool(result.tonnes[0] == 100.0) is trades
    if trades:
        assert result.setup_seller_cny[0] == pytest.approx(seller_part * setup_cny)
        assert result.setup_buyer_cny[0] == pytest.approx((1 - seller_part) * setup_cny)


@pytest.mark.parametrize(("seller_part", "payers"), [("", {"steel_s": 10e6, "cement_near": 5e6, "cement_far": 5e6}),
                                                     ("1", {"steel_s": 10e6}), ("0", {"cement_near": 10e6})])  # fmt: skip
def test_who_invests_decides_which_routes_open_on_the_tiny_park(tmp_path, seller_part, payers):
    """Who invests decides which routes open.

    tests/test_tiny_park.py by hand, with a 10 M CNY set-up per steel-slag route: a route carries
    5,000 t now and 12 x 5,000 t over its contract, surplus 320 CNY/t at 20 km and 280 at 100 km.
    Shared by gains, both routes pay (20.8 and 18.2 M CNY together). A side investing alone keeps
    half: 10.4 M at 20 km pays, 9.1 M at 100 km does not, so only the near kiln is supplied.
    """
    import shutil
    from pathlib import Path

    folder = tmp_path / "park"
    shutil.copytree(Path(__file__).parent / "data" / "tiny", folder)
    byproducts = folder / "byproducts.csv"
    lines = byproducts.read_text(encoding="utf-8").splitlines()
    lines[0] += ",link_setup_cny,link_setup_seller_share"
    lines[1] += f",10000000,{seller_part}"
    byproducts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = SymbiosisModel(folder / "scenario.toml", rng=3)
    model.step()
    paid = {fid: v for fid, v in zip(model.facility_ids, model.accounts.money["link_setup_cny"], strict=True) if v}
    assert paid == pytest.approx(payers)
    assert set(model.flows["buyer_id"]) == ({"cement_near", "cement_far"} if seller_part == "" else {"cement_near"})


def test_the_guide_shows_who_builds_the_steam_mains(tmp_path):
    """docs/scenarios.md tabulates a 3-year seed-1 run with a 3 M CNY/km set-up per steam pipeline; keep it true."""
    from pathlib import Path

    import pandas as pd

    root = Path(__file__).resolve().parents[1]
    catalog = pd.read_csv(root / "symbiosim/environment/data/catalog/byproducts.csv", keep_default_na=False, dtype=str)
    doc = (root / "docs" / "scenarios.md").read_text(encoding="utf-8")
    cases = {"no set-up cost": None, "seller and buyer, by their gains (blank)": "", "the seller (1)": "1",
             "the buyer (0)": "0"}  # fmt: skip
    for number, (label, part) in enumerate(cases.items()):
        folder = tmp_path / f"case{number}"
        folder.mkdir()
        if part is None:
            model = SymbiosisModel(rng=1, years=3)
        else:
            steam = catalog[catalog["byproduct"] == "steam"].assign(link_setup_cny_per_km="3000000", link_setup_seller_share=part)
            steam.to_csv(folder / "byproducts.csv", index=False)
            (folder / "s.toml").write_text('[scenario]\nname = "steam mains"\nyears = 3\n[tables.byproducts]\n'
                                           'file = "byproducts.csv"\nmode = "extend"\n', encoding="utf-8")  # fmt: skip
            model = SymbiosisModel(folder / "s.toml", rng=1)
        model.run(36)
        steam_flows = model.flows[model.flows["byproduct"] == "steam"]
        pipelines = len(steam_flows.groupby(["seller_id", "buyer_id"]))
        setups = model.facility_ledger["link_setup_cny"].sum()
        row = f"| {label} | {pipelines} | {steam_flows['tonnes'].sum() / 1e6:.2f} | {setups / 1e6:.0f} |"
        assert row in doc, row
