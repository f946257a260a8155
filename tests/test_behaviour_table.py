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
        ("bargaining_share,cement,0.5,x\n", "applies_to", "bargaining_share differs by by-product: 'cement' is not a by-product"),
        ("bargaining_share,steam,1.5,x\n", "value", "outside the range of bargaining_share"),
        ("discount_rate,steam,0.1,x\n", "parameter", "discount_rate"),
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


def _tiny_with_behaviour(tmp_path: Path, rows: str) -> Path:
    import shutil

    folder = tmp_path / "tiny"
    shutil.copytree(Path(__file__).parent / "data" / "tiny", folder)
    (folder / "behaviour.csv").write_text(HEADER + rows, encoding="utf-8")
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '[tables.behaviour]\nfile = "behaviour.csv"\n', encoding="utf-8")
    return toml


def test_a_byproducts_own_bargaining_share_sets_its_split(tmp_path):
    """A by-product's own seller share sets the split of its trades.

    The tiny park (tests/test_tiny_park.py) by hand: w = 260, r = -75, t = 0.5 km + 5 and price
    r + k (w - t - r). With the steel slag's own k = 0.8 instead of the scenario's 0.5, the kiln
    20 km away pays -75 + 0.8 x 320 = 181 CNY/t and the one 100 km away -75 + 0.8 x 280 = 149;
    the tonnes are those at 0.5, since who trades follows the surplus, not its split.
    """
    model = SymbiosisModel(_tiny_with_behaviour(tmp_path, "bargaining_share,steel_slag,0.8,survey\n"), rng=3)
    model.step()
    assert model.market.seller_share.tolist() == [0.8]
    flows = model.flows.set_index("buyer_id")
    assert flows.loc["cement_near", "price_cny_per_t"] == pytest.approx(181.0)
    assert flows.loc["cement_far", "price_cny_per_t"] == pytest.approx(149.0)
    assert flows["tonnes"].tolist() == [5000.0, 5000.0]
    assert flows.loc["cement_near", "seller_gain_cny_per_t"] == pytest.approx(0.8 * 320)


def test_a_stronger_seller_side_leaves_kilns_fewer_slag_lines(tmp_path):
    """Sellers with more bargaining power leave buyers less, so fewer lines pay.

    Economist's expectation on the default region: where steel-slag sellers take 0.9 of each trade's
    surplus instead of 0.5, a kiln keeps less of it, so fewer slag lines pay (at the start and after two
    years of investment rounds) and less slag is traded; other by-products are untouched. The slag price
    itself barely moves: sellers compete, and a rival seller's offer caps the split (environment/competition.py).
    """
    base = SymbiosisModel(_scenario(tmp_path, ""), rng=1)
    (tmp_path / "strong").mkdir()
    strong = SymbiosisModel(_scenario(tmp_path / "strong", "bargaining_share,steel_slag,0.9,illustrative\n"), rng=1)
    slag_lines = base.catalog.technology["byproduct"].to_numpy() == "steel_slag"

    def slag_line_tpa(model):
        return model.state.installed_tpa[:, slag_lines].sum()

    assert slag_line_tpa(strong) < slag_line_tpa(base)
    guide = (Path(__file__).resolve().parents[1] / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert f"({slag_line_tpa(strong) / 1e3:,.0f} kt/yr installed at the start instead of {slag_line_tpa(base) / 1e3:,.0f})" in guide
    for model in (base, strong):
        model.step()
    by_byproduct = [m.flows.groupby("byproduct").agg(t=("tonnes", "sum"), p=("price_cny_per_t", "mean")) for m in (base, strong)]
    assert by_byproduct[1].loc["steel_slag", "t"] < by_byproduct[0].loc["steel_slag", "t"]
    others = by_byproduct[0].index != "steel_slag"
    assert np.allclose(by_byproduct[1][others].to_numpy(), by_byproduct[0][others].to_numpy())
    for model in (base, strong):
        model.run(23)
    assert slag_line_tpa(strong) < slag_line_tpa(base)
    traded = [m.flows.query("byproduct == 'steel_slag' and step > 12")["tonnes"].sum() for m in (base, strong)]
    assert traded[1] < traded[0]
