"""Value-flow evaluation of an enterprise: what a run supplies, and the cases it cannot grade."""

import pytest

from symbiosim.metrics.enterprise import NEEDED, accounts, evaluate_enterprise

BASE = dict.fromkeys(NEEDED, 0.0) | {
    "profit_cny": 100.0,
    "product_cost_cny": 500.0,
    "avoided_material_cny": 60.0,
    "byproduct_purchases_cny": 10.0,
    "transport_cny": 20.0,
    "energy_tce": 9.0,
    "energy_saved_tce": 1.0,
    "so2_t": 2.0,
    "so2_avoided_t": 0.5,
    "landfilled_t": 4.0,
    "sold_solid_t": 6.0,
    "byproduct_sales_cny": 30.0,
    "supply_cost_cny": 6.0,
    "landfill_fee_cny": 200.0,
}


def test_a_seller_pays_to_landfill_what_it_sold_in_the_counterfactual():
    books = accounts(BASE, landfill_charge_cny_per_t=75.0)
    without = books["non_synergistic"]
    # 100 - 30 sales + 6 supply - 6 x 75 landfill + 30 bought - 60 avoided = -404
    assert without["net_profit_cny"] == pytest.approx(-404.0)
    assert without["solid_waste_t"] == 10.0
    assert without["waste_gas_t"] == 2.5
    assert without["waste_treatment_cost_cny"] == pytest.approx(200.0 + 6 * 75.0)
    assert books["synergistic"]["waste_treatment_cost_cny"] == pytest.approx(206.0)


def test_a_loss_in_either_mode_cannot_be_graded():
    table = evaluate_enterprise(BASE, landfill_charge_cny_per_t=75.0)
    assert table["composite"].isna().all()
    assert table["note"].str.contains("net profit <= 0 in non_synergistic").all()


def test_a_profitable_buyer_is_graded_on_the_indicators_a_run_supplies():
    buyer = BASE | {"sold_solid_t": 0.0, "byproduct_sales_cny": 0.0, "supply_cost_cny": 0.0}
    table = evaluate_enterprise(buyer, landfill_charge_cny_per_t=75.0).set_index("mode")
    # A11, A14, A21, B21, B22, B24: 0.042 + 0.075 + 0.236 + 0.036 + 0.039 + 0.036
    assert table["weight_covered"].tolist() == pytest.approx([0.464, 0.464])
    assert table.loc["synergistic", "composite"] > table.loc["non_synergistic", "composite"]
    without_raw_material = buyer | {"product_cost_cny": 0.0, "avoided_material_cny": 0.0}
    without_raw_material |= {"byproduct_purchases_cny": 0.0, "transport_cny": 0.0}
    table = evaluate_enterprise(without_raw_material, landfill_charge_cny_per_t=75.0)
    assert table["weight_covered"].tolist() == pytest.approx([0.464 - 0.042 - 0.236] * 2)  # no A11, A21
