"""Scenario files that extend other scenario files (``extends = "parent.toml"``)."""

import shutil
from pathlib import Path

import pytest

from symbiosim import ScenarioError, load_scenario

LIMIT = """
[[policies]]
type = "production_limit"
start = "2025-02-01"
end = "2025-03-31"
cap_share = 0.5
sectors = ["steel"]
"""


@pytest.fixture
def park(tiny_park_toml, tmp_path):
    folder = tmp_path / "park"
    shutil.copytree(tiny_park_toml.parent, folder)
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text() + "\n[parameters]\nbargaining_share = 0.4\n" + LIMIT)
    return toml


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_child_inherits_everything_and_adds_its_own(park):
    parent = load_scenario(park)
    child = load_scenario(
        write(
            park.parent / "child.toml",
            '[scenario]\nname = "child"\nextends = "scenario.toml"\n[remove]\nfacilities = ["steel_s"]\n'
            + LIMIT.replace("steel", "cement"),
        )
    )
    assert child.name == "child"
    assert (child.start, child.years) == (parent.start, parent.years)
    assert child.parameters["bargaining_share"] == 0.4  # the parent's [parameters]
    assert [p["sectors"] for p in child.policies] == [("steel",), ("cement",)]  # parent's first
    assert child.removed == ["steel_s"]
    assert "steel_s" not in set(child.table("facilities")["facility_id"])
    assert len(child.table("facilities")) == len(parent.table("facilities")) - 1


def test_a_child_overrides_settings_and_parameters(park):
    child = load_scenario(
        write(
            park.parent / "child.toml",
            '[scenario]\nextends = "scenario.toml"\nyears = 2\nstart = "2026-03"\n'
            "[parameters]\nbargaining_share = 0.6\n",
        )
    )
    assert child.years == 2
    assert child.start.isoformat() == "2026-03-01"
    assert child.parameters["bargaining_share"] == 0.6


def test_a_grandchild_inherits_through_its_parent(park):
    write(park.parent / "child.toml", '[scenario]\nextends = "scenario.toml"\n' + LIMIT)
    grandchild = load_scenario(write(park.parent / "grandchild.toml", '[scenario]\nextends = "child.toml"\n'))
    assert len(grandchild.policies) == 2
    assert grandchild.parameters["bargaining_share"] == 0.4


def test_problems_in_the_parent_name_the_parent_file(park):
    write(park.parent / "child.toml", '[scenario]\nextends = "scenario.toml"\n')
    park.write_text(park.read_text().replace("cap_share = 0.5", "cap_share = 5"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(park.parent / "child.toml")
    [issue] = err.value.issues
    assert issue.file == str(park)
    assert issue.column == "policies[0].cap_share"


@pytest.mark.parametrize(
    ("extends", "phrase"),
    [
        ('"missing.toml"', "not found"),
        ('"child.toml"', "extend in a cycle: child.toml -> child.toml"),
        ('"scenario.csv"', "must be 'default', 'none' or the name of another scenario file"),
        ("3", "must be 'default', 'none' or the name of another scenario file"),
    ],
)
def test_a_bad_parent_is_reported_with_the_other_problems(park, extends, phrase):
    child = write(park.parent / "child.toml", f"[scenario]\nextends = {extends}\nyears = 0\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(child)
    issues = {issue.column: issue for issue in err.value.issues}
    assert phrase in issues["scenario.extends"].rule
    assert "scenario.years" in issues  # every problem is listed, not only the first


def test_a_longer_cycle_is_reported(park):
    write(park.parent / "a.toml", '[scenario]\nextends = "b.toml"\n')
    write(park.parent / "b.toml", '[scenario]\nextends = "a.toml"\n')
    with pytest.raises(ScenarioError, match=r"cycle: a.toml -> b.toml -> a.toml"):
        load_scenario(park.parent / "a.toml")


def test_the_digest_names_what_a_model_is_built_from():
    examples = Path(__file__).parents[1] / "examples" / "policies"
    default = load_scenario(None).digest()
    assert load_scenario(examples / "vat_rebate_off.toml").digest() == default  # the same model, another name
    assert load_scenario(examples / "baseline.toml").digest() != default  # one policy more
