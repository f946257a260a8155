"""Treatment routes beside landfill: their own fee, energy and CO2, counted as treated, not landfilled.

The tiny park (tests/data/tiny, see tests/test_tiny_park.py) sends its steel slag to a
treatment instead of landfill: 300 CNY/t, 10 kgce/t and 50 kg CO2/t. By hand, per tonne:
w = 260, reservation r = -300 (the fee a sale avoids; no EP tax, no landfill fee), transport
t = 0.5 km + 5; price = r + (w - t - r) / 2: -27.5 CNY/t at 20 km and -47.5 at 100 km (the
steel plant pays the kiln to take its slag). 2,000 t of the 12,000 t are unsold: treated.
"""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symbiosim import SymbiosisModel
from symbiosim.environment.scenario import load_scenario
from symbiosim.environment.validation import ScenarioError

TINY = Path(__file__).parent / "data" / "tiny"
DOC = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"
TREATMENTS = (
    "route,name,fee_cny_per_t,energy_kgce_per_t,co2_kg_per_t,source,note\n"
    "slag_treatment,slag stabilisation,{fee},{kgce},{co2},test,\n"
)


def _park(tmp_path: Path, fee: float = 300.0, kgce: float = 10.0, co2: float = 50.0, route: str = "slag_treatment") -> Path:
    folder = tmp_path / f"park_{fee:g}_{kgce:g}_{co2:g}_{route}"
    shutil.copytree(TINY, folder)
    byproducts = folder / "byproducts.csv"
    byproducts.write_text(byproducts.read_text(encoding="utf-8").replace(",landfill,", f",{route},"), encoding="utf-8")
    (folder / "treatments.csv").write_text(TREATMENTS.format(fee=fee, kgce=kgce, co2=co2), encoding="utf-8")
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '[tables.treatments]\nfile = "treatments.csv"\n', encoding="utf-8")
    return toml


def _first_month(toml: Path) -> SymbiosisModel:
    model = SymbiosisModel(toml, rng=3)
    model.step()
    return model


def test_treated_tonnes_pay_the_route_fee_and_are_not_landfilled(tmp_path):
    model = _first_month(_park(tmp_path))
    steel = model.facility_ids.index("steel_s")
    ledger, money = model.accounts.ledger, model.accounts.money
    assert ledger["treated_t"][steel].sum() == pytest.approx(2000.0)
    assert ledger["landfilled_t"].sum() == 0.0
    assert money["treatment_cny"][steel] == pytest.approx(2000 * 300.0)
    assert money["landfill_fee_cny"].sum() == money["ep_tax_cny"].sum() == money["landfill_revenue_cny"].sum() == 0.0
    flows = model.flows.set_index("buyer_id")
    assert flows.loc["cement_near", "price_cny_per_t"] == pytest.approx(-300 + (260 - 15 + 300) / 2)  # -27.5
    assert flows.loc["cement_far", "price_cny_per_t"] == pytest.approx(-300 + (260 - 55 + 300) / 2)  # -47.5
    assert flows.loc["cement_near", "seller_gain_cny_per_t"] == pytest.approx(-27.5 + 300)
    summary = model.accounts.summary
    assert summary["treated_t"] == summary["treated_t.steel_slag"] == pytest.approx(2000.0)
    assert summary["landfilled_t"] == 0.0


def test_the_treatment_energy_and_co2_are_the_generators(tmp_path):
    with_burden = _first_month(_park(tmp_path, kgce=10.0, co2=50.0))
    without = _first_month(_park(tmp_path, kgce=0.0, co2=0.0))
    steel = with_burden.facility_ids.index("steel_s")
    extra_tce = with_burden.accounts.ledger["energy_tce"] - without.accounts.ledger["energy_tce"]
    extra_co2 = with_burden.accounts.ledger["co2_t"] - without.accounts.ledger["co2_t"]
    assert extra_tce[steel] == pytest.approx(2000 * 10 / 1000)  # 20 tce
    assert extra_co2[steel] == pytest.approx(2000 * 50 / 1000)  # 100 t
    others = np.arange(with_burden.n_facilities) != steel
    assert np.allclose(extra_tce[others], 0.0)
    assert np.allclose(extra_co2[others], 0.0)
    assert np.allclose(with_burden.flows["tonnes"], without.flows["tonnes"])  # the burden is not priced


@pytest.mark.parametrize(("fee", "buyers"), [(110.0, set()), (120.0, {"cement_near"}), (150.0, {"cement_near"}),
                                             (160.0, {"cement_near", "cement_far"})])  # fmt: skip
def test_a_dearer_treatment_makes_kiln_lines_pay(tmp_path, fee, buyers):
    """A dearer disposal alternative makes kiln lines pay, the nearest first.

    Economist's expectation: it widens each route's surplus, so buyers' lines that did not pay
    start to. With opex 300 CNY/t the slag is worth nothing to
    a kiln (w = 0), so the surplus is the fee less freight, s = fee - 15 (near) or fee - 55 (far), and
    the kiln keeps half. Its line (250 CNY per t/yr) pays within the park's 5-year payback only if
    s / 2 >= 50: from a fee of 115 CNY/t for the near kiln and 155 for the far one.
    """
    toml = _park(tmp_path, fee=fee)
    technologies = toml.parent / "technologies.csv"
    technologies.write_text(technologies.read_text(encoding="utf-8").replace(",40,250,", ",300,250,"), encoding="utf-8")
    model = _first_month(toml)
    flows = model.flows
    assert set(flows["buyer_id"]) == buyers
    assert model.accounts.ledger["treated_t"].sum() == pytest.approx(12000.0 - 5000.0 * len(buyers))
    for buyer, km in (("cement_near", 20.0), ("cement_far", 100.0)):
        if buyer in buyers:
            price = flows.set_index("buyer_id").loc[buyer, "price_cny_per_t"]
            assert price == pytest.approx(-fee + (0.0 - (0.5 * km + 5) + fee) / 2)


def test_a_landfill_fee_policy_does_not_touch_a_treatment(tmp_path):
    from symbiosim.policies.fiscal import LandfillFee

    toml = _park(tmp_path)
    base = _first_month(toml)
    policy = LandfillFee(start=base.start, end=base.start.replace(year=base.start.year + 1), cny_per_t=500.0)
    taxed = SymbiosisModel(toml, rng=3, policies=[policy])
    taxed.step()
    assert np.array_equal(taxed.flows["tonnes"].to_numpy(), base.flows["tonnes"].to_numpy())
    assert taxed.accounts.money["treatment_cny"].sum() == pytest.approx(base.accounts.money["treatment_cny"].sum())


def test_outputs_report_treated_tonnes_and_fees(tmp_path):
    from symbiosim.runs.single import run_scenario

    run_scenario(_park(tmp_path), out=tmp_path / "out", progress=False)
    out = tmp_path / "out"
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    assert summary.loc["steel_slag", "treated_kt"] > 0
    assert summary.loc["steel_slag", "landfilled_kt"] == 0
    assert summary.loc["all solid", "treated_kt"] == pytest.approx(summary.loc["steel_slag", "treated_kt"])
    ledger = pd.read_csv(out / "facility_ledger.csv")
    steel = ledger[ledger["facility_id"] == "steel_s"]
    assert steel["treatment_cny"].sum() == pytest.approx(300.0 * steel["treated_t"].sum())
    assert steel["generated_solid_t"].sum() == pytest.approx(steel["generated_t"].sum())  # treated slag is solid waste
    series = pd.read_csv(out / "timeseries.csv")
    treated = series[(series["variable"] == "treated_t") & (series["item"] == "all")]
    assert treated["value"].sum() == pytest.approx(steel["treated_t"].sum())
    assert set(treated["unit"]) == {"t"}


def test_the_default_region_with_sludge_incinerated(tmp_path):
    """The bundled sludge_incineration route (400 CNY/t against landfill's 200) on the default region.

    Expected: no sludge is landfilled; none is lost (sludge has no storage, so generated =
    exchanged + sold to outlets + treated each month); and more sludge is used, not less, since
    the dearer alternative widens the surplus of every sale (to kilns and to outlets alike).
    """
    catalog = pd.read_csv(Path(__file__).resolve().parents[1] / "symbiosim/environment/data/catalog/byproducts.csv",
                          keep_default_na=False)  # fmt: skip
    sludge = catalog[catalog["byproduct"] == "sludge"].copy()
    sludge["disposal_route"] = "sludge_incineration"
    sludge.to_csv(tmp_path / "byproducts.csv", index=False)
    toml = tmp_path / "sludge.toml"
    toml.write_text('[scenario]\nname = "sludge incinerated"\nyears = 2\n\n[tables.byproducts]\nfile = "byproducts.csv"\n',
                    encoding="utf-8")  # fmt: skip
    base, incinerated = SymbiosisModel(rng=1, years=2), SymbiosisModel(toml, rng=1)
    base.run(24)
    incinerated.run(24)
    wide = incinerated.datacollector.get_model_vars_dataframe().iloc[1:]
    base_wide = base.datacollector.get_model_vars_dataframe().iloc[1:]
    assert base_wide["landfilled_t.sludge"].sum() > 0  # the lever has something to move
    assert (wide["landfilled_t.sludge"] == 0).all()
    parts = wide["exchanged_t.sludge"] + wide["outlet_t.sludge"] + wide["treated_t.sludge"]
    assert np.allclose(parts, wide["generated_t.sludge"], rtol=1e-9)
    used, base_used = (w["exchanged_t.sludge"].sum() + w["outlet_t.sludge"].sum() for w in (wide, base_wide))
    assert used > base_used
    assert (wide["treated_t"] == wide["treated_t.sludge"]).all()


def test_an_unknown_route_is_named_with_the_routes_there_are(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_park(tmp_path, route="slag_burning"))
    issue = next(i for i in caught.value.issues if i.column == "disposal_route")
    assert issue.file.endswith("byproducts.csv")
    assert issue.row == 2
    assert "unknown disposal route 'slag_burning'" in issue.rule
    assert "slag_treatment" in issue.rule


def test_a_treatment_cannot_take_a_built_in_name(tmp_path):
    toml = _park(tmp_path)
    path = toml.parent / "treatments.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("slag_treatment,", "landfill,"), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(toml)
    issue = next(i for i in caught.value.issues if i.column == "route")
    assert issue.file.endswith("treatments.csv")
    assert issue.row == 2
    assert "built-in disposal route" in issue.rule


def test_the_guide_shows_the_treatment_example_it_checks():
    doc = DOC.read_text(encoding="utf-8")
    assert TREATMENTS.format(fee=300, kgce=10, co2=50).strip() in doc
    assert "−27.5" in doc
    assert "−47.5" in doc
