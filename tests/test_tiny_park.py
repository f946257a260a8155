"""A hand-built park whose trades are computed by hand (tests/data/tiny).

One steel plant makes 100 kt/month of crude steel and 0.12 t slag per t: 12,000 t/month of
steel slag. Three cement plants each make 50 kt/month of cement; technology T2 takes up to
0.1 t slag per t cement: 5,000 t/month each. Road distances are given: 20 km (near),
100 km (far) and 200 km (beyond the 150 km haul limit). Storage is zero, so the rest is
landfilled.

Per tonne: willingness to pay w = 1.0 x 300 (clinker) - 40 (opex) = 260 CNY;
reservation r = -(50 landfill + 25 EP tax) = -75 CNY (storage only defers landfill);
transport t = 0.5 x km + 5; surplus s = w - t - r; price = r + 0.5 s.
"""

import datetime as dt

import numpy as np
import pytest

from symbiosim import SymbiosisModel

W, R = 260.0, -75.0


def transport(km: float) -> float:
    return 0.5 * km + 5.0


def price(km: float) -> float:
    return R + 0.5 * (W - transport(km) - R)


@pytest.fixture
def park(tiny_park_toml):
    model = SymbiosisModel(tiny_park_toml, rng=3)
    model.step()
    return model


def test_first_month_trades_match_hand_calculation(park):
    flows = park.flows.set_index("buyer_id")
    assert set(flows.index) == {"cement_near", "cement_far"}  # cement_out is beyond the haul limit
    for buyer, km in (("cement_near", 20.0), ("cement_far", 100.0)):
        row = flows.loc[buyer]
        assert row["tonnes"] == pytest.approx(5000.0)
        assert row["distance_km"] == km
        assert row["price_cny_per_t"] == pytest.approx(price(km))  # 84 and 64 CNY/t
        assert row["seller_gain_cny_per_t"] == pytest.approx(price(km) - R)
        assert row["buyer_gain_cny_per_t"] == pytest.approx(W - transport(km) - price(km))
    assert flows.loc["cement_near", "price_cny_per_t"] == pytest.approx(85.0)  # -75 + (260 - 15 + 75) / 2
    assert flows.loc["cement_far", "price_cny_per_t"] == pytest.approx(65.0)  # -75 + (260 - 55 + 75) / 2


def test_first_month_ledgers_match_hand_calculation(park):
    ids = park.facility_ids
    steel, landfill = ids.index("steel_s"), ids.index("landfill_alpha")
    assert park.accounts.ledger["generated_t"][steel].sum() == pytest.approx(12000.0)
    assert park.accounts.ledger["landfilled_t"][steel].sum() == pytest.approx(2000.0)
    assert park.accounts.money["byproduct_sales_cny"][steel] == pytest.approx(5000 * 85.0 + 5000 * 65.0)
    assert park.accounts.money["landfill_fee_cny"][steel] == pytest.approx(2000 * 50.0)
    assert park.accounts.money["ep_tax_cny"][steel] == pytest.approx(2000 * 25.0)
    assert park.accounts.money["landfill_revenue_cny"][landfill] == pytest.approx(2000 * 50.0)
    # eq. 6: 110 kgce of clinker displaced - 4.67 kgce grinding - km x 0.0143 kgce/t.km, per tonne
    near = park.flows.set_index("buyer_id").loc["cement_near"]
    assert near["energy_saved_tce"] == pytest.approx(5000 * (110 - 4.67 - 20 * 0.0143) / 1000)
    assert park.accounts.summary["energy_saved_tce"] == pytest.approx(
        5000 * (110 - 4.67 - 20 * 0.0143) / 1000 + 5000 * (110 - 4.67 - 100 * 0.0143) / 1000
    )
    assert park.date == dt.date(2025, 1, 1)


def test_first_trade_becomes_a_contract_honoured_next_month(park):
    first = park.flows.set_index("buyer_id")["price_cny_per_t"]
    park.step()
    second = park.flows[park.flows["step"] == 2].set_index("buyer_id")
    for buyer in ("cement_near", "cement_far"):
        assert second.loc[buyer, "contract_tonnes"] == pytest.approx(5000.0)
        assert second.loc[buyer, "price_cny_per_t"] == pytest.approx(first[buyer])
        assert second.loc[buyer, "start_step"] == 1


class HalveSteel:
    """A test policy: the steel plant may run at half capacity from February 2025."""

    start, end = dt.date(2025, 2, 1), dt.date(2030, 1, 1)

    def apply(self, levers, view, date):
        levers.limit_factor[view.facility_index["steel_s"]] = 0.5


def test_contract_shortfall_costs_trust(tiny_park_toml):
    model = SymbiosisModel(tiny_park_toml, rng=3, policies=[HalveSteel()])
    model.step()
    model.step()  # 6,000 t of slag for 10,000 t of contracts: oldest first, near before far
    second = model.flows[model.flows["step"] == 2].set_index("buyer_id")["tonnes"]
    assert second["cement_near"] == pytest.approx(5000.0)
    assert second["cement_far"] == pytest.approx(1000.0)
    mk = model.market
    ids = model.facility_ids
    link_far = np.flatnonzero(mk.routes.link_buyer == ids.index("cement_far"))[0]
    link_near = np.flatnonzero(mk.routes.link_buyer == ids.index("cement_near"))[0]
    assert mk.book.trust[link_near] == pytest.approx(1.0)  # fully honoured
    assert mk.book.trust[link_far] == pytest.approx(1.0 * (1 - 0.5 * 0.8))  # 80% short, trust_loss 0.5
    assert model.accounts.ledger["landfilled_t"].sum() == pytest.approx(0.0)


def test_unknown_partner_gets_nothing(tiny_park_toml):
    model = SymbiosisModel(tiny_park_toml, rng=3, initial_knowledge_km=50, discovery_probability=0.0)
    model.step()
    assert set(model.flows["buyer_id"]) == {"cement_near"}
    assert model.accounts.ledger["landfilled_t"].sum() == pytest.approx(7000.0)


def test_a_city_without_landfill_pays_disposal_outside_the_scenario(tiny_park_toml, tmp_path):
    import shutil

    park = tmp_path / "park"
    shutil.copytree(tiny_park_toml.parent, park)
    toml = park / "scenario.toml"
    toml.write_text(toml.read_text() + '\n[remove]\nfacilities = ["landfill_alpha"]\n')
    model = SymbiosisModel(toml, rng=3)
    model.step()
    assert model.accounts.money["landfill_fee_cny"].sum() == pytest.approx(2000 * 50.0)
    assert model.accounts.money["landfill_revenue_cny"].sum() == 0.0
    assert model.accounts.summary["landfill_fees_outside_cny"] == pytest.approx(2000 * 50.0)
