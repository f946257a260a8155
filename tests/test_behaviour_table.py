"""Behaviour parameters of a sector or a single facility (table ``behaviour``)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symbiosim.environment.arrays import build_arrays
from symbiosim.environment.scenario import load_scenario
from symbiosim.environment.validation import ScenarioError
from symbiosim.model import SymbiosisModel

FACILITIES = pd.read_csv(Path(__file__).resolve().parents[1] / "symbiosim" / "environment" / "data" / "jjj" / "facilities.csv")
CEMENT = FACILITIES.query("sector == 'cement'")["facility_id"].tolist()
HEADER = "parameter,applies_to,value,source\n"


def _scenario(folder: Path, rows: str, extra: str = "") -> Path:
    (folder / "behaviour.csv").write_text(HEADER + rows, encoding="utf-8")
    path = folder / "scenario.toml"
    path.write_text('[scenario]\nyears = 2\n[tables.behaviour]\nfile = "behaviour.csv"\n' + extra, encoding="utf-8")
    return path


def test_a_facility_row_beats_its_sector_row_which_beats_the_scenario(tmp_path):
    path = _scenario(tmp_path, f"consider_probability,cement,0.5,survey\nconsider_probability,{CEMENT[0]},0.9,survey\n")
    scenario = load_scenario(path)
    arrays = build_arrays(scenario)
    values = arrays.behaviour("consider_probability", scenario.parameters)
    index = {fid: i for i, fid in enumerate(arrays.facility_ids)}
    assert values[index[CEMENT[0]]] == 0.9
    assert all(values[index[fid]] == 0.5 for fid in CEMENT[1:])
    others = [i for fid, i in index.items() if fid not in CEMENT]
    assert np.all(values[others] == scenario.parameters["consider_probability"])


def test_a_sector_that_never_appraises_never_invests(tmp_path):
    """A plant appraises with probability consider_probability + diffusion_weight x its neighbours' adoption share.

    With no diffusion, consider_probability 0 for cement means no cement plant adopts a
    technology after the start, while with the scenario's value some do.
    """
    no_diffusion = "[parameters]\ndiffusion_weight = 0.0\n"
    base = SymbiosisModel(_scenario(tmp_path, "", no_diffusion), rng=1)
    base.run()
    assert any(a.facility_id in CEMENT for a in base.record.adoptions), "cement plants invest at the scenario's rate"
    (tmp_path / "off").mkdir()
    model = SymbiosisModel(_scenario(tmp_path / "off", "consider_probability,cement,0,illustrative\n", no_diffusion), rng=1)
    model.run()
    assert not any(a.facility_id in CEMENT for a in model.record.adoptions)


def test_a_wider_search_radius_knows_more_partners_from_the_start(tmp_path):
    kiln = CEMENT[0]
    wide = SymbiosisModel(_scenario(tmp_path, f"initial_knowledge_km,{kiln},300,survey\n"), rng=1)
    (tmp_path / "base").mkdir()
    base = SymbiosisModel(_scenario(tmp_path / "base", ""), rng=1)
    i = wide.catalog.facility_ids.index(kiln)
    routes = wide.market.routes
    mine = (routes.link_seller == i) | (routes.link_buyer == i)
    assert wide.market.book.known[mine].sum() > base.market.book.known[mine].sum()
    assert np.array_equal(wide.market.book.known[mine], routes.link_km[mine] <= 300.0)
    assert np.array_equal(wide.market.book.known[~mine], base.market.book.known[~mine])  # nobody else's changes


@pytest.mark.parametrize(
    ("rows", "column", "rule"),
    [
        ("consider_probability,glassworks,0.5,x\n", "applies_to", "neither a sector nor a facility id"),
        ("consider_probability,cement,1.5,x\n", "value", "outside the range of consider_probability"),
        ("bargaining_share,cement,0.5,x\n", "parameter", "bargaining_share"),
        ("max_payback_yr,cement,3,x\nmax_payback_yr,cement,4,x\n", "parameter", "duplicate"),
    ],
)
def test_bad_behaviour_rows_are_located(tmp_path, rows, column, rule):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_scenario(tmp_path, rows))
    issues = caught.value.issues
    assert any(i.column == column and rule in i.rule and i.file.endswith("behaviour.csv") for i in issues), issues


def test_removing_a_facility_removes_its_behaviour_rows(tmp_path):
    path = _scenario(tmp_path, f"max_payback_yr,{CEMENT[0]},3,x\n", f'[remove]\nfacilities = ["{CEMENT[0]}"]\n')
    assert load_scenario(path).tables["behaviour"].empty
