"""Per-facility tables: a plant's own utilisation, prices, seasons and demand for a technology."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symbiosim.environment.arrays import build_arrays
from symbiosim.environment.scenario import load_scenario
from symbiosim.environment.validation import ScenarioError
from symbiosim.model import SymbiosisModel

JJJ = Path(__file__).resolve().parents[1] / "symbiosim" / "environment" / "data" / "jjj"
FACILITIES = pd.read_csv(JJJ / "facilities.csv")
POWER = FACILITIES.query("sector == 'power' and chp != True")["facility_id"].iloc[0]
CEMENT = FACILITIES.query("sector == 'cement' and route == 'integrated'")["facility_id"].iloc[0]
STEEL = FACILITIES.query("sector == 'steel'")["facility_id"].iloc[0]
CLINKER_ONLY = FACILITIES.query("sector == 'cement' and route == 'clinker only'")["facility_id"].iloc[0]


def _scenario(folder: Path, tables: dict[str, str], extra: str = "") -> Path:
    lines = ["[scenario]", "years = 1", ""]
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
        lines += [f"[tables.{name}]", f'file = "{name}.csv"', ""]
    path = folder / "scenario.toml"
    path.write_text("\n".join(lines) + extra, encoding="utf-8")
    return path


def test_a_facility_can_have_its_own_utilisation_price_and_season(tmp_path):
    """Hand check: output = capacity x utilisation x season / 12; revenue = output x price."""
    path = _scenario(tmp_path, {
        "facility_products": f"facility_id,product,utilisation,price_cny_per_unit,cost_cny_per_unit,source\n"
                             f"{POWER},electricity,0.5,600,,metering data 2024\n",
        "facility_seasonality": f"facility_id,month,factor,source\n{POWER},1,1.2,metering data 2024\n",
    })  # fmt: skip
    base, own = build_arrays(load_scenario()), build_arrays(load_scenario(path))
    i, j = base.facility_ids.index(POWER), base.products.index("electricity")
    assert own.utilisation[i, j] == 0.5
    assert own.product_factors["price_cny"][i, j] == 600.0
    assert own.product_factors["cost_cny"][i, j] == base.product_factors["cost_cny"][i, j]  # blank keeps the sector's
    assert own.season[i, 0] == 1.2
    assert (own.season[i, 1:] == base.season[i, 1:]).all()
    others = np.arange(base.n_facilities) != i
    assert np.array_equal(own.utilisation[others], base.utilisation[others])
    assert np.array_equal(own.season[others], base.season[others])
    model = SymbiosisModel(path, rng=1)
    model.step()
    row = model.facility_ledger.set_index("facility_id").loc[POWER]
    expected = own.capacity_per_yr[i, j] * 0.5 * 1.2 / 12
    assert row["output_main_units"] == pytest.approx(expected)
    assert row["product_revenue_cny"] == pytest.approx(expected * 600.0)


def test_a_buyer_states_its_demand_for_a_technology_in_tonnes(tmp_path):
    """A stated cap replaces cap_t_per_t x capacity, above or below it; an ungrouped technology's own group follows it."""
    arrays = build_arrays(load_scenario())
    k = arrays.technologies.index("T12")  # kiln co-processing of sludge: no shared cap group
    i = arrays.facility_ids.index(CEMENT)
    assert arrays.eligible[i, k]
    catalog_cap = arrays.full_cap_tpa[i, k]
    text = f"facility_id,technology,cap_t_per_yr,source\n{CEMENT},T12,{5 * catalog_cap},permit\n"
    own = build_arrays(load_scenario(_scenario(tmp_path, {"facility_technologies": text})))
    assert own.full_cap_tpa[i, k] == pytest.approx(5 * catalog_cap)
    group, product = own.tech_group[k], own.group_cap_product[own.tech_group[k]]
    assert own.facility_group_cap[i, group] * own.capacity_per_yr[i, product] == pytest.approx(5 * catalog_cap)
    others = np.arange(own.n_facilities) != i
    assert np.array_equal(own.facility_group_cap[others], arrays.facility_group_cap[others])


def test_a_zero_cap_stops_a_use_the_plant_would_make(tmp_path):
    base = SymbiosisModel(_scenario(tmp_path, {}), rng=1)
    base.run()
    used = base.flows[base.flows["buyer_id"].str.startswith("cement_")].groupby(["buyer_id", "technology"])["tonnes"].sum()
    buyer, technology = used.idxmax()  # the kiln's biggest use in the base run
    (tmp_path / "off").mkdir()
    text = f"facility_id,technology,cap_t_per_yr,source\n{buyer},{technology},0,plant survey\n"
    model = SymbiosisModel(_scenario(tmp_path / "off", {"facility_technologies": text}), rng=1)
    model.run()
    flows = model.flows
    assert flows[(flows["buyer_id"] == buyer) & (flows["technology"] == technology)]["tonnes"].sum() == 0.0
    assert not model.catalog.eligible[model.catalog.facility_ids.index(buyer), model.catalog.technologies.index(technology)]


@pytest.mark.parametrize(
    ("table", "text", "column", "rule"),
    [
        ("facility_products", f"facility_id,product,utilisation,source\n{STEEL},clinker,0.5,x\n", "product",
         "sector 'steel' has no product 'clinker'"),
        ("facility_products", f"facility_id,product,utilisation,source\n{STEEL},crude_steel,,x\n", "utilisation",
         "changes nothing"),
        ("facility_products", "facility_id,product,utilisation,source\nno_such_plant,crude_steel,0.5,x\n", "facility_id",
         "no_such_plant"),
        ("facility_seasonality", f"facility_id,month,factor,source\n{STEEL},13,1.0,x\n", "month", "13"),
        ("facility_technologies", f"facility_id,technology,cap_t_per_yr,source\n{STEEL},T2,100,x\n", "technology",
         "run by the cement sector"),
        ("facility_technologies", f"facility_id,technology,cap_t_per_yr,source\n{CEMENT},T2,-1,x\n", "cap_t_per_yr",
         "below the minimum"),
        ("facility_technologies", f"facility_id,technology,cap_t_per_yr,source\n{CLINKER_ONLY},T12,100,x\n",
         "facility_id", "no capacity of 'cement'"),
    ],
)  # fmt: skip
def test_bad_facility_rows_are_located(tmp_path, table, text, column, rule):
    path = _scenario(tmp_path, {table: text})
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    issues = caught.value.issues
    assert any(i.column == column and rule in i.rule and i.file.endswith(f"{table}.csv") and i.row == 2 for i in issues), issues


def test_removing_a_facility_removes_its_own_rows(tmp_path):
    text = f"facility_id,product,utilisation,source\n{STEEL},crude_steel,0.5,x\n"
    path = _scenario(tmp_path, {"facility_products": text}, f'[remove]\nfacilities = ["{STEEL}"]\n')
    scenario = load_scenario(path)
    assert scenario.tables["facility_products"].empty


def test_the_example_is_what_the_guide_shows_and_takes_effect():
    example = Path(__file__).resolve().parents[1] / "examples" / "facility_data"
    guide = (Path(__file__).resolve().parents[1] / "docs" / "scenarios.md").read_text(encoding="utf-8")
    for table in ("facility_products", "facility_seasonality", "facility_technologies", "behaviour"):
        assert (example / f"{table}.csv").read_text(encoding="utf-8").strip() in guide, table
    arrays = build_arrays(load_scenario(example / "scenario.toml"))
    kiln = arrays.facility_ids.index(pd.read_csv(example / "facility_seasonality.csv")["facility_id"].iloc[0])
    assert arrays.season[kiln, 1] == 0.0
    assert arrays.full_cap_tpa[kiln, arrays.technologies.index("T12")] == 30000.0
