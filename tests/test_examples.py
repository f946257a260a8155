"""Every example scenario loads and runs."""

from pathlib import Path

import pytest

from symbiosim import SymbiosisModel, load_scenario

EXAMPLES = sorted(
    p for p in (Path(__file__).parents[1] / "examples").rglob("*.toml") if p.parent.name not in ("sweeps", "app", "calibration")
)
SWEEPS = sorted((Path(__file__).parents[1] / "examples" / "sweeps").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_scenario_runs(path):
    scenario = load_scenario(path)
    model = SymbiosisModel(scenario, rng=1, years=1, collect_agent_data=False)
    model.run()
    assert model.accounts.summary["exchanged_t"] > 0
    assert (path.parent / "README.md").is_file()


def test_heating_season_example_curtails_in_winter_only():
    uniform = Path(__file__).parents[1] / "examples" / "policies" / "heating_season_uniform.toml"
    model = SymbiosisModel(uniform, rng=1, years=1, collect_agent_data=False)
    covered = model.catalog.facilities.eval("city in ['Tangshan', 'Handan'] and sector in ['steel', 'cement']").to_numpy()
    caps = []
    for _ in range(12):
        model.step()
        caps.append(round(float(model.levers.limit_factor[covered].max()), 4))
    november = round(1 - 16 / 30 * 0.5, 4)
    march = round(1 - 15 / 31 * 0.5, 4)
    assert caps == [0.5, 0.5, march, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, november, 0.5]
    assert (model.levers.limit_factor[~covered] == 1.0).all()


POLICIES = Path(__file__).parents[1] / "examples" / "policies"


def test_graded_example_exempts_the_published_grade_a_plants():
    model = SymbiosisModel(POLICIES / "heating_season_graded.toml", rng=1, years=1, collect_agent_data=False)
    model.run(12)  # December: the limit is in force all month
    fac = model.catalog.facilities
    covered = fac.eval("city in ['Tangshan', 'Handan'] and sector in ['steel', 'cement']").to_numpy()
    grade_a = (fac["emission_grade"] == "A").to_numpy()
    assert (covered & grade_a).sum() >= 10  # Tangshan's grade-A steel plants and one in Handan
    assert (model.levers.limit_factor[covered & grade_a] == 1.0).all()
    assert (model.levers.limit_factor[covered & ~grade_a] == 0.5).all()
    assert (model.levers.limit_factor[~covered] == 1.0).all()


def test_capacity_swap_example_moves_capacity_to_the_coast():
    model = SymbiosisModel(POLICIES / "capacity_swap.toml", rng=1, years=3, collect_agent_data=False)
    before = model.state.capacity_per_yr.max(axis=1).copy()
    model.run(25)  # to January 2027
    after = model.state.capacity_per_yr.max(axis=1)
    fac = model.catalog.facilities
    retired = fac.eval("city == 'Tangshan' and sector == 'steel'").to_numpy() & (before < 3e6)
    assert retired.sum() >= 5
    assert (after[retired] == 0).all()
    coast = fac["facility_id"].isin(["steel_p100000120106", "steel_p100000120315"]).to_numpy()
    assert after[coast].sum() - before[coast].sum() == pytest.approx(before[retired].sum() / 1.5)
    unchanged = ~retired & ~coast
    assert (after[unchanged] == before[unchanged]).all()


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_example_sweep_specs_are_valid(path):
    from symbiosim.runs.sweep import load_spec, run_design

    design = run_design(load_spec(path))
    assert len(design.points) >= 12
    assert path.name in (path.parent / "README.md").read_text()


def test_every_control_applies_on_the_default_scenario():
    """The app's controls file (examples/app/controls.toml) fits the bundled scenario, every control on."""
    from symbiosim import default_scenario
    from symbiosim.runs.controls import app_policies, controls, limit_modes

    on = {name: kind == "bool" or 10.0 for name, (kind, _, _) in controls().items() if not name.startswith("limit_")}
    for mode in limit_modes()[1:]:
        policies = app_policies(default_scenario(), 2, **on, limit_mode=mode, limit_cap_share=0.5)
        assert {p.kind for p in policies} >= {"vat_rebate", "environmental_tax", "carbon_price", "production_limit"}


@pytest.mark.slow
def test_the_default_outlets_are_what_their_calibration_computes():
    """The default outlets (catalog/outlets.csv) are reproduced by scripts/calibrate_outlets.py (about 20 s)."""
    import subprocess
    import sys

    root = Path(__file__).parents[1]
    done = subprocess.run(
        [sys.executable, str(root / "scripts" / "calibrate_outlets.py"), "--check"],
        capture_output=True, text=True, check=False, cwd=root,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
