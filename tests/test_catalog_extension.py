"""A by-product, a material, a sector and a technology can be added with data files only.

The main test loads ``examples/extend_catalog/`` exactly as shipped (the worked example of
``docs/scenarios.md``), so the example and the guide stay true.
"""

import re
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest

from symbiosim import ScenarioError, SymbiosisModel, load_scenario
from symbiosim.agents import AGENT_CLASSES
from symbiosim.environment.validation import schema

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "extend_catalog"
DOC = ROOT / "docs" / "scenarios.md"
GLASS_PLANTS = {"glass_shahe_a", "glass_shahe_b"}
MONTHS = 4


@pytest.fixture(scope="module")
def glass_model() -> SymbiosisModel:
    """The worked example, run for a few months."""
    model = SymbiosisModel(EXAMPLE / "scenario.toml", rng=1)
    model.run(MONTHS)
    return model


def _mass_balance(model: SymbiosisModel, b: int) -> None:
    """This month: what was on offer is sold, stored or disposed of, for by-product b."""
    led = model.accounts.ledger
    on_offer = led["generated_t"][:, b] + led["drawn_from_stock_t"][:, b]
    placed = led["sold_t"][:, b] + led["outlet_t"][:, b] + led["added_to_stock_t"][:, b] + led["disposed_t"][:, b]
    np.testing.assert_allclose(on_offer, placed, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(led["sold_t"][:, b].sum(), led["bought_t"][:, b].sum(), rtol=1e-9)
    assert (led["sold_t"][:, b] >= 0).all()
    assert (led["added_to_stock_t"][:, b] >= -1e-9).all()
    assert (led["disposed_t"][:, b] >= -1e-9).all()


def test_example_adds_its_rows_to_the_default_catalog():
    scenario = load_scenario(EXAMPLE / "scenario.toml")
    assert "glass" in set(scenario.table("sectors")["sector"])
    assert "glass_cullet" in set(scenario.table("byproducts")["byproduct"])
    assert "silica_sand" in set(scenario.table("materials")["material"])
    technologies = scenario.table("technologies")
    assert {"T1", "T13", "W1", "T99"} <= set(technologies["technology"])  # extended, not replaced
    facilities = scenario.table("facilities")
    assert set(facilities["facility_id"]) >= GLASS_PLANTS
    assert facilities["facility_id"].is_unique
    # the new rows keep pointing at the example's files (for error messages)
    t99 = scenario.tables["technologies"].set_index("technology").loc["T99"]
    assert Path(t99["__file"]).name == "technologies.csv"
    assert Path(t99["__file"]).parent == EXAMPLE


def test_new_technology_is_installed_and_has_routes(glass_model):
    model = glass_model
    k = model.catalog.technologies.index("T99")
    sectors = model.catalog.facilities["sector"].to_numpy()
    installed = model.state.installed_tpa[:, k] > 0
    assert installed.sum() > 0
    assert (sectors[installed] == "cement").all()
    # initial_adoption_share = 1.0: the eligible plants (cement with a kiln) whose line pays start with it,
    # sized to the cullet they used: together no more than the two glass plants generate
    assert (installed <= model.catalog.eligible[:, k]).all()
    b = model.catalog.byproducts.index("glass_cullet")
    generated_tpa = model.catalog.mean_generation_t[:, b].sum() * 12
    assert 0 < model.state.installed_tpa[:, k].sum() <= generated_tpa * (1 + 1e-9)
    routes = np.flatnonzero(model.market.routes.technology == k)
    assert set(np.flatnonzero(installed)) <= set(model.market.routes.buyer[routes])
    assert len(routes) > 0
    sellers = {model.facility_ids[i] for i in model.market.routes.seller[routes]}
    assert sellers == GLASS_PLANTS
    assert (sectors[model.market.routes.buyer[routes]] == "cement").all()
    assert (model.market.routes.byproduct[routes] == b).all()


def test_distance_table_overrides_the_great_circle_estimate(glass_model):
    model = glass_model
    k = model.catalog.technologies.index("T99")
    ids = np.asarray(model.facility_ids)
    mk = model.market
    given = {("glass_shahe_a", "cement_p100000125023"): 12.0, ("glass_shahe_b", "cement_p100000123235"): 19.0}
    for (seller, buyer), km in given.items():
        route = np.flatnonzero((ids[mk.routes.seller] == seller) & (ids[mk.routes.buyer] == buyer) & (mk.routes.technology == k))
        assert len(route) == 1
        assert mk.routes.distance_km[route[0]] == pytest.approx(km)


def test_new_byproduct_is_generated_exchanged_and_balanced(glass_model):
    model = glass_model
    b = model.catalog.byproducts.index("glass_cullet")
    flows = model.flows
    cullet = flows[flows["byproduct"] == "glass_cullet"]
    assert cullet["tonnes"].sum() > 0
    assert set(cullet["technology"]) == {"T99"}
    assert set(cullet["seller_id"]) <= GLASS_PLANTS
    # generation by hand: capacity x utilisation / 12 x 0.05 t cullet per t glass (no seasonality row)
    ids = list(model.facility_ids)
    generated = model.accounts.ledger["generated_t"][:, b]
    assert generated[ids.index("glass_shahe_a")] == pytest.approx(600_000 * 0.80 / 12 * 0.05)
    assert generated[ids.index("glass_shahe_b")] == pytest.approx(400_000 * 0.80 / 12 * 0.05)
    assert generated.sum() == pytest.approx(generated[[ids.index(f) for f in GLASS_PLANTS]].sum())
    # flows of the latest month match the ledgers
    latest = cullet[cullet["step"] == model.month_index]
    assert latest["tonnes"].sum() == pytest.approx(model.accounts.ledger["sold_t"][:, b].sum())
    assert model.accounts.summary["exchanged_t.glass_cullet"] == pytest.approx(latest["tonnes"].sum())
    _mass_balance(model, b)


def test_mass_balance_of_the_new_byproduct_every_month():
    model = SymbiosisModel(EXAMPLE / "scenario.toml", rng=2)
    b = model.catalog.byproducts.index("glass_cullet")
    k = model.catalog.technologies.index("T99")
    for _ in range(MONTHS):
        model.step()
        _mass_balance(model, b)
        # no buyer takes more than its installed capacity allows in a month
        bought = np.bincount(
            model.market.routes.buyer, weights=model.accounts.tonnes * (model.market.routes.technology == k), minlength=model.n_facilities
        )
        assert (bought <= model.state.installed_tpa[:, k] / 12 + 1e-6).all()
    total = model.flows.query("byproduct == 'glass_cullet'")["tonnes"].sum()
    assert total > 0


def test_glass_plants_are_agents_of_the_named_class(glass_model):
    glass = [a for a in glass_model.agent_list if a.sector == "glass"]
    assert {a.facility_id for a in glass} == GLASS_PLANTS
    assert all(type(a) is AGENT_CLASSES["Enterprise"] for a in glass)


# --- variants built in tmp_path ---------------------------------------------------------
def _copy_example(tmp_path: Path) -> Path:
    target = tmp_path / "example"
    shutil.copytree(EXAMPLE, target)
    return target


@pytest.mark.parametrize("agent_class", schema()["sectors"]["columns"]["agent_class"]["allowed"])
def test_new_sector_with_any_allowed_agent_class(tmp_path, agent_class):
    folder = _copy_example(tmp_path)
    (folder / "sectors.csv").write_text(
        f"sector,agent_class,description,source,note\nglass,{agent_class},float glass plant,test,\n", encoding="utf-8"
    )
    model = SymbiosisModel(folder / "scenario.toml", rng=1)
    glass = [a for a in model.agent_list if a.sector == "glass"]
    assert len(glass) == 2
    assert all(type(a) is AGENT_CLASSES[agent_class] for a in glass)
    model.run(2)
    assert model.flows.query("byproduct == 'glass_cullet'")["tonnes"].sum() > 0


def test_agent_class_outside_the_allowed_list_is_rejected(tmp_path):
    folder = _copy_example(tmp_path)
    (folder / "sectors.csv").write_text(
        "sector,agent_class,description,source,note\nglass,GlassPlant,float glass plant,test,\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder / "scenario.toml")
    [issue] = err.value.issues
    assert Path(issue.file).name == "sectors.csv"
    assert (issue.row, issue.column) == (2, "agent_class")
    assert "'GlassPlant' is not one of" in issue.rule


def test_byproduct_from_an_existing_sector_needs_only_data(tmp_path):
    """Incinerator bottom ash: a new generation row for the existing incineration sector."""
    (tmp_path / "byproducts.csv").write_text(
        (EXAMPLE / "byproducts.csv").read_text(encoding="utf-8").splitlines()[0]
        + "\nbottom_ash,incinerator bottom ash,False,landfill,150,0.45,5,50,25,2,3,0,12,0.0143,0.031,test,\n",
        encoding="utf-8",
    )
    (tmp_path / "generation.csv").write_text(
        "sector,route,product,byproduct,t_per_unit,source,note\n"
        "incineration,*,msw_treatment,bottom_ash,0.2,test,about 20% of MSW mass\n",
        encoding="utf-8",
    )
    (tmp_path / "materials.csv").write_text(
        "material,unit,price_cny_per_unit,energy_kgce_per_unit,co2_kg_per_unit,so2_kg_per_unit,"
        "nox_kg_per_unit,pm_kg_per_unit,source,note\nshale,t,40,3,6,0,0.01,0.05,test,\n",
        encoding="utf-8",
    )
    header = (EXAMPLE / "technologies.csv").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "technologies.csv").write_text(
        header + "\nT98,bottom ash replaces shale in raw meal,bottom_ash,cement,clinker,0.05,,clinker,shale,"
        "1.0,0,0,10,30,20,1.0,test,\n",
        encoding="utf-8",
    )
    (tmp_path / "scenario.toml").write_text(
        '[scenario]\nextends = "default"\nyears = 1\n'
        "[parameters]\ninitial_knowledge_km = 150\n"
        '[tables.byproducts]\nfile = "byproducts.csv"\n'
        '[tables.generation]\nfile = "generation.csv"\n'
        '[tables.materials]\nfile = "materials.csv"\n'
        '[tables.technologies]\nfile = "technologies.csv"\n',
        encoding="utf-8",
    )
    model = SymbiosisModel(tmp_path / "scenario.toml", rng=1)
    assert model.params["initial_knowledge_km"] == 150
    model.run(3)
    b, k = model.catalog.byproducts.index("bottom_ash"), model.catalog.technologies.index("T98")
    sectors = model.catalog.facilities["sector"].to_numpy()
    generators = np.flatnonzero(model.accounts.ledger["generated_t"][:, b] > 0)
    assert len(generators) > 0
    assert set(sectors[generators]) == {"incineration"}
    assert (model.state.installed_tpa[:, k] > 0).any()
    ash = model.flows.query("byproduct == 'bottom_ash'")
    assert ash["tonnes"].sum() > 0
    assert set(ash["technology"]) == {"T98"}
    _mass_balance(model, b)


def test_replace_mode_keeps_only_the_new_technology(tmp_path):
    folder = _copy_example(tmp_path)
    toml = (folder / "scenario.toml").read_text(encoding="utf-8")
    (folder / "scenario.toml").write_text(toml.replace('mode = "extend"', 'mode = "replace"'), encoding="utf-8")
    model = SymbiosisModel(folder / "scenario.toml", rng=1)
    assert model.catalog.technologies == ["T99"]
    model.run(2)
    assert set(model.flows["technology"]) == {"T99"}


# --- the guide stays true ---------------------------------------------------------------
def test_example_folder_matches_the_guide():
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    doc = DOC.read_text(encoding="utf-8")
    data = tomllib.loads((EXAMPLE / "scenario.toml").read_text(encoding="utf-8"))
    for spec in data["tables"].values():
        assert (EXAMPLE / spec["file"]).is_file()
        assert spec["file"] in readme
    assert (EXAMPLE / "scenario.toml").read_text(encoding="utf-8").strip() in doc
    assert "examples/extend_catalog" in doc
    for name in ("T99", "glass_cullet", "silica_sand"):
        assert name in doc
        assert name in readme
    # each CSV shown in the guide is the file shipped in the example
    for csv_file in sorted(EXAMPLE.glob("*.csv")):
        file = csv_file.name
        text = csv_file.read_text(encoding="utf-8").strip()
        assert text in doc, f"docs/scenarios.md does not show examples/extend_catalog/{file} as shipped"


def test_guide_lists_every_column_of_the_schema():
    doc = DOC.read_text(encoding="utf-8")
    tables = {name: spec for name, spec in schema().items() if "columns" in spec}
    for table, spec in tables.items():
        heading = re.search(rf"^### `{table}`.*$", doc, flags=re.MULTILINE)
        assert heading, f"no section for table {table}"
        section = doc[heading.end() :].split("\n### ", 1)[0]
        for column, col in spec["columns"].items():
            row = re.search(rf"^\| `{column}` \|.*$", section, flags=re.MULTILINE)
            assert row, f"column {table}.{column} missing from docs/scenarios.md"
            assert f"| {col['type']} |" in row.group(0)
            if col.get("unit"):
                assert col["unit"] in row.group(0)


def test_guide_lists_every_policy_type_and_key():
    """The policy table of docs/scenarios.md is the registry's reference table, and the registry is the schema's."""
    from dataclasses import fields

    from symbiosim.policies import REGISTRY, reference_table

    doc = DOC.read_text(encoding="utf-8")
    assert reference_table() in doc[doc.index("## Policies") :]
    assert set(REGISTRY) == set(schema()["policy_types"])
    common = {"start", "end", "scope"}
    for kind, cls in REGISTRY.items():
        built = {f.name for f in fields(cls)} - common  # what the class takes besides window and scope
        assert built == set(schema()["policy_types"][kind]), kind
