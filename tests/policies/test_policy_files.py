"""Policies scheduled in scenario files: [[policies]] tables, validated on load."""

import re
import shutil
from pathlib import Path

import pytest

from symbiosim import ScenarioError, SymbiosisModel, load_scenario


@pytest.fixture
def park(tiny_park_toml, tmp_path):
    folder = tmp_path / "park"
    shutil.copytree(tiny_park_toml.parent, folder)
    return folder / "scenario.toml"


def with_policies(toml, text):
    toml.write_text(toml.read_text() + "\n" + text)
    return toml


def monthly_slag(toml, months):
    model = SymbiosisModel(toml, rng=3, years=3)
    steel = model.facility_ids.index("steel_s")
    generated = []
    for _ in range(months):
        model.step()
        generated.append(round(model.accounts.ledger["generated_t"][steel].sum()))
    return generated


def test_a_production_limit_from_the_scenario_file(park):
    toml = with_policies(
        park,
        """
[[policies]]
type = "production_limit"
start = "2025-02-01"
end = 2025-03-31
cap_share = 0.5
sectors = ["steel"]
""",
    )
    assert monthly_slag(toml, 4) == [12000, 6000, 6000, 12000]


def test_a_heating_season_every_year(park):
    toml = with_policies(
        park,
        """
[[policies]]
type = "production_limit"
start = "2025-11-15"
end = "2026-03-15"
every_year = true
cap_share = 0.5
cities = ["Alpha"]
sectors = ["steel"]
""",
    )
    slag = monthly_slag(toml, 36)
    full, half = 12000, 6000
    november, march = round(full * (1 - 16 / 30 * 0.5)), round(full * (1 - 15 / 31 * 0.5))
    expected_year = [half, half, march, *[full] * 7, november, half]  # Jan..Dec
    assert slag[:12] == expected_year  # the winter 2024-25 reaches into the first months of the run
    assert slag[12:24] == expected_year
    assert slag[24:36] == expected_year


def test_every_policy_problem_is_reported_with_its_key_path(park):
    toml = with_policies(
        park,
        """
[[policies]]
type = "production_limit"
start = "2025-11-15"
end = "2025-10-01"
cap_share = 1.5
cap_sharee = 0.5
cities = ["Gotham"]

[[policies]]
type = "per_tonne_subsidy"
start = "2025-13-01"
end = "2026-01-01"
cny_per_t = "lots"
technologies = ["T99"]

[[policies]]
type = "carbon_tax"
start = "2025-01-01"
end = "2026-01-01"
""",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(toml)
    found = {(issue.column, issue.rule.split(" ")[0]) for issue in err.value.issues}
    assert {column for column, _ in found} == {
        "policies[0].end",
        "policies[0].cap_share",
        "policies[0].cap_sharee",
        "policies[0].cities",
        "policies[1].start",
        "policies[1].cny_per_t",
        "policies[1].technologies",
        "policies[2].type",
    }
    rules = {issue.column: issue.rule for issue in err.value.issues}
    assert "above the maximum 1.0" in rules["policies[0].cap_share"]
    assert "unknown key" in rules["policies[0].cap_sharee"]
    assert "Gotham" in rules["policies[0].cities"]
    assert "not a date" in rules["policies[1].start"]
    assert "T99" in rules["policies[1].technologies"]
    assert all(issue.file.endswith("scenario.toml") for issue in err.value.issues)


def test_policies_must_be_an_array_of_tables(park):
    park.write_text('policies = "none"\n' + park.read_text())  # a top-level key, before any table
    with pytest.raises(ScenarioError, match=r"array of tables"):
        load_scenario(park)


def test_emission_charges_from_the_scenario_file(park):
    toml = with_policies(
        park,
        """
[[policies]]
type = "carbon_price"
start = "2025-01-01"
end = "2025-12-31"
cny_per_t_co2 = 100.0
sectors = ["cement"]
free_allocation = { cement = 0.5 }

[[policies]]
type = "air_pollutant_tax"
start = "2025-01-01"
end = "2025-12-31"
cny_per_equivalent = 4.8
pollutants = ["so2", "nox"]
cities = ["Alpha"]
""",
    )
    model = SymbiosisModel(toml, rng=3)
    model.step()
    near = model.facility_ids.index("cement_near")
    free_t = 0.5 * model.state.output[near, model.catalog.products.index("cement")]
    led = model.accounts.ledger
    air = 4.8 * 1000 / 0.95 * (led["so2_t"][near] + led["nox_t"][near])
    assert model.accounts.money["emission_charges_cny"][near] == pytest.approx(100.0 * (led["co2_t"][near] - free_t) + air)


def test_bad_emission_charge_entries(park):
    toml = with_policies(
        park,
        """
[[policies]]
type = "carbon_price"
start = "2025-01-01"
end = "2025-12-31"
cny_per_t_co2 = -5
free_allocation = { unobtainium = 1.0 }

[[policies]]
type = "air_pollutant_tax"
start = "2025-01-01"
end = "2025-12-31"
cny_per_equivalent = 1.2
pollutants = ["co"]
""",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(toml)
    assert {issue.column for issue in err.value.issues} == {
        "policies[0].cny_per_t_co2",
        "policies[0].free_allocation",
        "policies[1].pollutants",
    }


def test_a_schedule_from_a_csv_file(park):
    (park.parent / "limits.csv").write_text(
        "start,end,cap_share,sectors\n"
        "2025-02-01,2025-02-28,0.5,\n"
        "\n"  # a blank line is skipped but counted
        "2025-03-01,2025-03-31,0.25,steel;cement\n"
    )
    toml = with_policies(
        park,
        '[[policies]]\ntype = "production_limit"\nschedule = "limits.csv"\ncap_share = 1.0\nsectors = ["steel"]\n',
    )
    assert len(load_scenario(toml).policies) == 2
    assert monthly_slag(toml, 4) == [12000, 6000, 3000, 12000]


def test_every_problem_in_a_schedule_names_its_file_row_and_column(park):
    (park.parent / "limits.csv").write_text(
        "start,end,cap_share,cities,colour\n"
        "2025-02-01,2025-02-28,half,Alpha,red\n"
        "2025-03-01,2025-02-01,0.5,Gotham,blue\n"
        "2025-04-01,,0.5,,\n"
    )
    toml = with_policies(park, '[[policies]]\ntype = "production_limit"\nschedule = "limits.csv"\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(toml)
    found = {(issue.row, issue.column): issue for issue in err.value.issues}
    assert all(issue.file.endswith("limits.csv") for issue in err.value.issues)
    assert "unknown column" in found[(1, "colour")].rule
    assert "'half' is not a number" in found[(2, "cap_share")].rule
    assert "before start" in found[(3, "end")].rule
    assert "unknown cities: ['Gotham']" in found[(3, "cities")].rule
    assert "not a date" in found[(4, "end")].rule
    assert len(err.value.issues) == 5


@pytest.mark.parametrize(
    ("schedule", "phrase"),
    [('"missing.csv"', "file not found"), ("3", "must be the name of a CSV file")],
)
def test_a_missing_schedule_file_is_reported(park, schedule, phrase):
    toml = with_policies(park, f'[[policies]]\ntype = "carbon_price"\nschedule = {schedule}\n')
    with pytest.raises(ScenarioError, match=phrase):
        load_scenario(toml)


def test_the_carbon_price_path_of_the_guide(park):
    guide = (Path(__file__).parents[2] / "docs" / "scenarios.md").read_text(encoding="utf-8")
    section = guide[guide.index("### Policy schedules in CSV files") :].split("\n## ", 1)[0]
    toml_text, csv_text = re.findall(r"```(?:toml|text)\n(.*?)```", section, flags=re.DOTALL)[:2]
    toml = with_policies(park, toml_text.replace('"power", "steel", "cement"', '"steel", "cement"'))
    (park.parent / "carbon_path.csv").write_text(csv_text)
    prices = [(p["start"].year, p["cny_per_t_co2"]) for p in load_scenario(toml).policies]
    assert prices == [(2025, 60.0), (2027, 100.0), (2030, 150.0)]
    (park.parent / "carbon_path.csv").write_text(csv_text.replace("100", "high"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(toml)
    [issue] = err.value.issues
    message = re.findall(r"e\.g\. `(.*?)`", section.replace("\n", " "))[-1]
    assert str(issue).endswith(message)
