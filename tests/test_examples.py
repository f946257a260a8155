"""Every example scenario loads and runs."""

from pathlib import Path

import pytest

from symbiosim import SymbiosisModel, load_scenario

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").rglob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_scenario_runs(path):
    scenario = load_scenario(path)
    model = SymbiosisModel(scenario, rng=1, years=1, collect_agent_data=False)
    model.run()
    assert model.last["exchanged_t"] > 0
    assert (path.parent / "README.md").is_file()


def test_heating_season_example_curtails_in_winter_only():
    uniform = Path(__file__).parents[1] / "examples" / "policies" / "heating_season_uniform.toml"
    model = SymbiosisModel(uniform, rng=1, years=1, collect_agent_data=False)
    covered = model.facilities.eval("city in ['Tangshan', 'Handan'] and sector in ['steel', 'cement']").to_numpy()
    caps = []
    for _ in range(12):
        model.step()
        caps.append(round(float(model.limit_factor[covered].max()), 4))
    november = round(1 - 16 / 30 * 0.5, 4)
    march = round(1 - 15 / 31 * 0.5, 4)
    assert caps == [0.5, 0.5, march, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, november, 0.5]
    assert (model.limit_factor[~covered] == 1.0).all()
