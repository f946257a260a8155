"""A scenario with its own facilities: actionable errors, counts of what it uses, attribution of its data."""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from symbiosim.environment.scenario import load_scenario
from symbiosim.environment.validation import ScenarioError
from symbiosim.runs.single import run_scenario

TINY = Path(__file__).parent / "data" / "tiny"
BUNDLED_GRADES = Path(__file__).parents[1] / "symbiosim" / "environment" / "data" / "jjj" / "emission_grades.csv"
PARK = """[scenario]
name = "my park"
years = 1
[tables.facilities]
file = "facilities.csv"
mode = "replace"
[tables.capacities]
file = "capacities.csv"
mode = "replace"
"""
GRADES = """[tables.emission_grades]
file = "emission_grades.csv"
mode = "replace"
"""


@pytest.fixture
def park(tmp_path):
    """The tiny park's plants (one steel plant, three cement plants, a landfill) on the bundled catalog."""
    for name in ("facilities.csv", "capacities.csv"):
        shutil.copy(TINY / name, tmp_path / name)
    frame = pd.read_csv(tmp_path / "facilities.csv")
    frame.assign(source="Survey of the park, 2024").to_csv(tmp_path / "facilities.csv", index=False)
    (tmp_path / "park.toml").write_text(PARK, encoding="utf-8")
    return tmp_path


def _validate(*path):
    return subprocess.run([sys.executable, "-m", "symbiosim.runs.cli", "validate", *map(str, path)],
                          capture_output=True, text=True, check=False)  # fmt: skip


def test_replaced_facilities_with_the_bundled_grades_give_one_message_saying_what_to_replace(park):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(park / "park.toml")
    (issue,) = caught.value.issues
    grades = len(pd.read_csv(BUNDLED_GRADES))
    assert issue.file == "jjj/emission_grades.csv"
    assert issue.column == "facility_id"
    assert f"{grades} row(s) of the bundled emission_grades table" in issue.rule
    assert "not in your own facilities table" in issue.rule
    assert '[tables.emission_grades] file = "emission_grades.csv" mode = "replace"' in issue.rule
    done = _validate(park / "park.toml")
    assert done.returncode == 2
    assert "1 problem(s)" in done.stdout


def test_what_the_message_says_works_and_counts_are_of_what_the_park_uses(park):
    (park / "emission_grades.csv").write_text(BUNDLED_GRADES.read_text().splitlines()[0] + "\n")
    (park / "park.toml").write_text(PARK + GRADES, encoding="utf-8")
    done = _validate(park / "park.toml")
    assert done.returncode == 0, done.stdout
    catalog = load_scenario(None).tables
    # a BF-BOF plant without pig iron makes steel slag only; cement plants take it by T1 and T2
    assert (f"5 facilities, 1 of {len(catalog['byproducts'])} by-products in use, "
            f"2 of {len(catalog['technologies'])} technologies in use, 0 policies") in done.stdout  # fmt: skip
    default = _validate()
    assert f"{len(catalog['byproducts'])} by-products, {len(catalog['technologies'])} technologies" in default.stdout


def test_a_run_of_own_data_credits_its_sources_and_lists_only_the_by_products_it_has(park, tmp_path):
    (park / "emission_grades.csv").write_text(BUNDLED_GRADES.read_text().splitlines()[0] + "\n")
    (park / "park.toml").write_text(PARK + GRADES, encoding="utf-8")
    result = run_scenario(park / "park.toml", out=tmp_path / "out", progress=False)
    attribution = (tmp_path / "out" / "ATTRIBUTION.md").read_text()
    assert "- Survey of the park, 2024 (5 facilities)" in attribution
    assert "Global Energy Monitor" not in attribution
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", index_col=0)
    assert list(summary.index) == ["steel_slag", "all solid"]
    assert result.summary.loc["steel_slag", "generated_kt"] > 0


def test_the_default_run_keeps_the_gem_attribution(tmp_path):
    run_scenario(years=1, out=tmp_path / "out", progress=False)
    attribution = (tmp_path / "out" / "ATTRIBUTION.md").read_text()
    assert "Global Iron and Steel Tracker, March 2025 (CC BY 4.0) (61 facilities)" in attribution
    assert "## Global Energy Monitor data" in attribution
    assert "https://creativecommons.org/licenses/by/4.0/" in attribution


def test_a_park_that_starts_in_1972_runs_with_its_own_dates(tmp_path):
    """Any start year that dates can hold: a historical park (Kalundborg's first exchanges date from 1972)."""
    park = tmp_path / "old"
    shutil.copytree(TINY, park)
    text = (park / "scenario.toml").read_text().replace('start = "2025-01"', 'start = "1972-01"')
    (park / "scenario.toml").write_text(text + '\n[[policies]]\ntype = "landfill_fee"\nstart = "1972-06-01"\n'
                                        'end = "1972-12-31"\ncny_per_t = 20.0\n')  # fmt: skip
    result = run_scenario(park / "scenario.toml", out=tmp_path / "out", progress=False)
    series = pd.read_csv(tmp_path / "out" / "timeseries.csv")
    assert series["date"].dropna().iloc[0] == "1972-01-01"
    assert series["date"].dropna().iloc[-1] == "1972-12-01"
    assert result.model.date.year == 1972
    assert (result.model.levers.landfill_fee == 50.0 + 20.0).all()  # the policy of 1972 holds in December
