"""Metrics of a run: ledgers add up to the model's series, the counterfactual matches a run without exchanges."""

import numpy as np
import pandas as pd
import pytest

from symbiosim import SymbiosisModel
from symbiosim.metrics import enterprise
from symbiosim.metrics.indicators import default_indicators
from symbiosim.metrics.ledger import aggregate
from symbiosim.runs.metric_tables import (
    MetricUnavailableError,
    annual_totals,
    government_table,
    synergy_assessment,
    value_flow_of,
)

LEDGER_VS_SERIES = {
    "energy_tce": "energy_tce",
    "energy_saved_tce": "energy_saved_tce",
    "co2_t": "co2_t",
    "co2_avoided_t": "co2_avoided_t",
    "so2_t": "so2_t",
    "nox_avoided_t": "nox_avoided_t",
    "landfilled_t": "landfilled_t",
    "sold_t": "exchanged_t",
    "ep_tax_cny": "ep_tax_cny",
    "vat_rebate_cny": "vat_rebate_cny",
    "profit_cny": "profit_cny",
    "product_revenue_cny": "output_value_cny",
}


@pytest.fixture(scope="module")
def jjj_run():
    model = SymbiosisModel(rng=2, years=3, collect_agent_data=False)
    model.run()
    return model


def test_facility_ledger_adds_up_to_the_series_every_month(jjj_run):
    series = jjj_run.datacollector.get_model_vars_dataframe().iloc[1:].reset_index(drop=True)
    monthly = aggregate(jjj_run.facility_ledger, jjj_run.catalog.facilities, "region", "month")
    assert len(monthly) == len(series) == 36
    for ledger_column, series_column in LEDGER_VS_SERIES.items():
        np.testing.assert_allclose(monthly[ledger_column], series[series_column], rtol=1e-9, err_msg=ledger_column)


def test_every_level_sums_to_the_region(jjj_run):
    ledger, facilities = jjj_run.facility_ledger, jjj_run.catalog.facilities
    region = aggregate(ledger, facilities, "region", "year").set_index("period")["co2_t"]
    for level in ("facility", "sector", "city", "province"):
        by_level = aggregate(ledger, facilities, level, "year").groupby("period")["co2_t"].sum()
        np.testing.assert_allclose(by_level, region, rtol=1e-12, err_msg=level)
    assert list(region.index) == ["2025", "2026", "2027"]


def test_government_ledger_matches_the_fiscal_cost_series(jjj_run):
    series = jjj_run.datacollector.get_model_vars_dataframe().iloc[1:].reset_index(drop=True)
    table = government_table(annual_totals(jjj_run)).set_index("year")
    expected = series["fiscal_cost_cny"].groupby(np.arange(len(series)) // 12).sum().to_numpy()
    np.testing.assert_allclose(table["net_fiscal_cost_cny"], expected, rtol=1e-9)
    per_t = table["net_fiscal_cost_cny"] / table["co2_avoided_t"]
    np.testing.assert_allclose(table["net_fiscal_cost_cny_per_t_co2_avoided"], per_t)


def test_synergy_of_a_run_covers_its_full_years(jjj_run):
    assessment, values, note = synergy_assessment(annual_totals(jjj_run))
    assert list(values.index) == ["2025", "2026", "2027"]
    assert "2025-2027" in note
    assert ((assessment.order_degrees >= 0) & (assessment.order_degrees <= 1)).all().all()
    assert assessment.coupling["D"].between(0, 1).all()
    subsystem = default_indicators().set_index("indicator")["subsystem"]
    sums = assessment.weights.groupby(assessment.weights.index.map(subsystem)).sum()
    assert sums.to_dict() == pytest.approx({"circular_economy": 1.0, "low_carbon": 1.0})


def test_one_full_year_is_too_short_for_a_synergy_degree():
    model = SymbiosisModel(rng=2, years=1, collect_agent_data=False)
    model.run()
    with pytest.raises(MetricUnavailableError, match="two full calendar years; the run has 1"):
        synergy_assessment(annual_totals(model))


def _first_month(toml, **overrides):
    model = SymbiosisModel(toml, rng=3, **overrides)
    model.step()
    return model


def test_the_counterfactual_is_the_run_without_exchanges(tiny_park_toml):
    """Without exchanges (no partner known, no search) each plant earns what the counterfactual says."""
    trading = _first_month(tiny_park_toml)
    alone = _first_month(tiny_park_toml, initial_knowledge_km=0.0, discovery_probability=0.0)
    assert trading.accounts.summary["exchanged_t"] > 0
    assert alone.accounts.summary["exchanged_t"] == 0
    ledger = trading.facility_ledger.set_index("facility_id")
    for facility in ("steel_s", "cement_near", "cement_far"):
        i = trading.facility_index[facility]
        totals = ledger.loc[facility].drop(["step", "date"]).to_dict()
        charge = float(trading.levers.landfill_fee[i, 0] + trading.levers.ep_tax[i, 0])  # the park's one by-product
        without = enterprise.accounts(totals, charge)["non_synergistic"]
        assert without["net_profit_cny"] == pytest.approx(alone.accounts.money["profit_cny"][i]), facility
        assert without["energy_tce"] == pytest.approx(alone.accounts.ledger["energy_tce"][i]), facility
        assert without["solid_waste_t"] == pytest.approx(alone.accounts.ledger["landfilled_t"][i].sum()), facility
        gas = sum(alone.accounts.ledger[f"{p}_t"][i] for p in ("so2", "nox", "pm"))
        assert without["waste_gas_t"] == pytest.approx(gas), facility


def test_value_flow_of_an_enterprise_in_a_run(tiny_park_toml):
    model = SymbiosisModel(tiny_park_toml, rng=3, years=1)
    model.run()
    table = value_flow_of(model, "cement_near").set_index("mode")
    assert set(table.index) == {"synergistic", "non_synergistic"}
    # with its exchanges the kiln earns more on the same output and uses less energy: it scores higher
    assert table.loc["synergistic", "net_profit_cny"] > table.loc["non_synergistic", "net_profit_cny"]
    assert table.loc["synergistic", "composite"] > table.loc["non_synergistic", "composite"]
    assert table.loc["synergistic", "composite_rescaled"] == pytest.approx(
        table.loc["synergistic", "composite"] / table.loc["synergistic", "weight_covered"]
    )
    assert isinstance(table, pd.DataFrame)
