"""By-products in units other than tonnes: district heat in MWh carried through ledgers and outputs."""

import numpy as np
import pandas as pd
import pytest

from symbiosim.environment.scenario import load_scenario
from symbiosim.environment.validation import ScenarioError
from symbiosim.runs.single import run_scenario

BYPRODUCTS = (
    "byproduct,name,is_hazardous,disposal_route,max_haul_km,tariff_cny_per_t_km,fixed_cost_cny_per_t,"
    "landfill_fee_cny_per_t,ep_tax_cny_per_t,storage_cost_cny_per_t_month,storage_months,supply_cost_cny_per_t,"
    "contract_months,transport_kgce_per_t_km,transport_co2_kg_per_t_km,unit,source\n"
    "district_heat,hot water for district heating,False,{route},20,2.0,0,0,0,0,0,40,120,0,0,MWh,illustrative\n"
)
GENERATION = "sector,route,product,byproduct,t_per_unit,source\npower,*,electricity,district_heat,0.3,illustrative\n"
TECHNOLOGIES = (
    "technology,name,byproduct,sink_sector,cap_product,cap_t_per_t,cap_group,requires_product,displaced_material,"
    "displaced_per_t,extra_energy_kgce_per_t,extra_co2_kg_per_t,opex_cny_per_t,capex_cny_per_tpa,lifetime_yr,"
    "initial_adoption_share,initial_base,is_symbiosis,source\n"
    "HEAT,heat from a power plant replaces a gas boiler,district_heat,chemical,chemical_output,0.5,,chemical_output,"
    "grid_electricity,0.3,0,0,5,20,25,1.0,,True,illustrative\n"
)


def _scenario(folder, route="not_extracted"):
    files = {"byproducts": BYPRODUCTS.format(route=route), "generation": GENERATION, "technologies": TECHNOLOGIES}
    lines = ["[scenario]", 'name = "heat in MWh"', "years = 1", ""]
    for table, text in files.items():
        (folder / f"{table}.csv").write_text(text, encoding="utf-8")
        lines += [f"[tables.{table}]", f'file = "{table}.csv"', ""]
    (folder / "heat.toml").write_text("\n".join(lines), encoding="utf-8")
    return folder / "heat.toml"


def test_heat_in_mwh_is_labelled_and_kept_out_of_tonne_totals(tmp_path):
    result = run_scenario(_scenario(tmp_path), out=tmp_path / "out", progress=False)
    out = tmp_path / "out"
    flows = pd.read_csv(out / "flows.csv")
    heat = flows[flows["byproduct"] == "district_heat"]
    assert len(heat) > 0, "the illustrative heat route should trade"
    assert set(heat["unit"]) == {"MWh"}
    assert set(flows.loc[flows["byproduct"] != "district_heat", "unit"]) == {"t"}
    series = pd.read_csv(out / "timeseries.csv")
    units = series[series["item"] == "district_heat"].groupby("variable")["unit"].first()
    assert units["exchanged_t"] == "MWh"
    assert units["generated_t"] == "MWh"
    wide = result.model.datacollector.get_model_vars_dataframe().iloc[1:]
    tonne_byproducts = [b for b in result.model.catalog.byproducts if b != "district_heat"]
    for total in ("exchanged_t", "outlet_t", "landfilled_t"):  # totals in t add up tonne by-products only
        parts = sum(wide[f"{total}.{b}"] for b in tonne_byproducts)
        assert np.allclose(wide[total], parts), total
    assert (wide["exchanged_t.district_heat"] > 0).any()
    ledger = pd.read_csv(out / "facility_ledger.csv")
    month = ledger[ledger["step"] == ledger["step"].max()]
    sold_t = flows[(flows["step"] == month["step"].iloc[0]) & (flows["unit"] == "t")]["tonnes"].sum()
    assert month["sold_t"].sum() == pytest.approx(sold_t, rel=1e-9)  # heat is not in the facilities' tonnes
    # the key nodes of a symbiosis-aware production limit weigh facilities by tonnes only
    recent = result.model._recent_tonnes(12)
    symbiosis_t = flows[(flows["unit"] == "t") & flows["is_symbiosis"]]
    by_facility = symbiosis_t.groupby("seller_id")["tonnes"].sum().add(symbiosis_t.groupby("buyer_id")["tonnes"].sum(), fill_value=0)
    assert recent.sum() == pytest.approx(by_facility.sum(), rel=1e-9)
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    assert summary.loc["district_heat", "unit"] == "thousand MWh"
    assert summary.loc["steel_slag", "unit"] == "kt"


def test_a_byproduct_in_mwh_cannot_be_landfilled(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_scenario(tmp_path, route="landfill"))
    issue = next(i for i in caught.value.issues if i.column == "disposal_route")
    assert issue.file.endswith("byproducts.csv")
    assert issue.row == 2
    assert "in MWh cannot be landfilled" in issue.rule


def test_the_guide_shows_the_example_it_runs():
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[1] / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert BYPRODUCTS.format(route="not_extracted").strip() in guide
