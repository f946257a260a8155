"""Runs whose metrics cannot all be computed still write every output, with NaN and the reason.

Each park is written as scenario data from the tiny park (tests/data/tiny): one facility; no
sinks; no cement plants (the sink is a brickworks); one by-product that is never landfilled;
a one-year run; cement plants all beyond the haul limit (no substitution ever happens).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from symbiosim.runs.metric_tables import TABLE_COLUMNS, UNAVAILABLE, MetricUnavailableWarning
from symbiosim.runs.single import run_scenario

TINY = Path(__file__).parents[1] / "data" / "tiny"


def _extending(folder: Path, name: str, years: int, removed: list[str]) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f'[scenario]\nname = "{name}"\nextends = "{(TINY / "scenario.toml").as_posix()}"\nyears = {years}\n'
        f"[remove]\nfacilities = {json.dumps(removed)}\n",
        encoding="utf-8",
    )
    return path


def _edited_copy(folder: Path, name: str, years: int, edit) -> Path:
    """A copy of the tiny park with every CSV passed through ``edit`` (text -> text)."""
    park = folder / name
    shutil.copytree(TINY, park)
    for csv in park.glob("*.csv"):
        csv.write_text(edit(csv.name, csv.read_text(encoding="utf-8")), encoding="utf-8")
    toml = park / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("years = 1", f"years = {years}"), encoding="utf-8")
    return toml


def _no_cement(name: str, text: str) -> str:
    """The sink sector renamed (no cement plant left), with no line installed at the start.

    The brickworks invest in their first December, so exchanges grow from the second year and
    the other indicators vary over the years.
    """
    text = text.replace("cement", "brick").replace("Cement", "Brick").replace("BrickPlant", "CementPlant")
    return text.replace(",20,1.0,test,", ",20,0.0,test,") if name == "technologies.csv" else text


def _not_landfilled(name: str, text: str) -> str:
    return text.replace(",landfill,150,", ",not_extracted,150,") if name == "byproducts.csv" else text


PARKS = {
    "one_facility": lambda d: _extending(
        d, "one_facility", 2, ["cement_near", "cement_far", "cement_out", "landfill_alpha"]
    ),
    "no_sinks": lambda d: _extending(d, "no_sinks", 2, ["cement_near", "cement_far", "cement_out"]),
    "no_cement_plants": lambda d: _edited_copy(d, "no_cement_plants", 3, _no_cement),
    "one_byproduct_never_landfilled": lambda d: _edited_copy(d, "one_byproduct_never_landfilled", 2, _not_landfilled),
    "one_year": lambda d: _extending(d, "one_year", 1, []),
    "no_substitution": lambda d: _extending(d, "no_substitution", 3, ["cement_near", "cement_far"]),
}
EXPECTED = {  # table -> words its reason must contain, per park
    "one_facility": {"network_summary": "no symbiosis exchanges", "value_flow": "no key symbiosis node"},
    "no_sinks": {"radius_annual": "no symbiosis exchanges", "synergy_annual": "no indicator"},
    "no_cement_plants": {"synergy_indicators": "cement_output_t is not positive"},
    "one_byproduct_never_landfilled": {"synergy_indicators": "generated_solid_t is not positive"},
    "one_year": {"synergy_annual": "two full calendar years"},
    "no_substitution": {"synergy_annual": "no indicator", "synergy_indicators": "constant in every period"},
}


@pytest.fixture(scope="module")
def default_two_years(tmp_path_factory):
    """The default scenario, two years: every metric can be computed."""
    return run_scenario(years=2, rng=3, out=tmp_path_factory.mktemp("default"), progress=False)


def test_a_full_run_has_every_metric_with_the_documented_columns(default_two_years):
    manifest = json.loads((default_two_years.folder / "manifest.json").read_text())
    assert "unavailable" not in manifest["metrics"]
    for name, columns in TABLE_COLUMNS.items():
        table = pd.read_csv(default_two_years.folder / f"{name}.csv")
        assert list(table.columns) == columns, name
        assert len(table) > 0, name


@pytest.mark.parametrize("park", list(PARKS))
def test_a_metric_that_cannot_be_computed_is_nan_with_its_reason(park, tmp_path, default_two_years):
    toml = PARKS[park](tmp_path)
    with pytest.warns(MetricUnavailableWarning) as caught:
        result = run_scenario(toml, out=tmp_path / "out", progress=False)
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert written == {p.name for p in default_two_years.folder.iterdir()}  # every output, no other
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    unavailable = manifest["metrics"]["unavailable"]
    for table, words in EXPECTED[park].items():
        assert words in unavailable[table], (table, unavailable.get(table))
    messages = [str(w.message) for w in caught]
    assert all("\n" not in m for m in messages)
    for name in TABLE_COLUMNS:
        table = pd.read_csv(tmp_path / "out" / f"{name}.csv")
        assert list(table.columns[: len(TABLE_COLUMNS[name])]) == TABLE_COLUMNS[name], name
        if name not in unavailable:
            assert UNAVAILABLE not in table.columns, name
            continue
        assert any(name in m and unavailable[name] in m for m in messages), name
        reasons = table[UNAVAILABLE].fillna("")
        assert (reasons != "").any(), name
        if name == "synergy_indicators" and table["indicator"].notna().all():  # per indicator: NaN, weight 0
            missing = table[reasons != ""]
            assert missing["order_degree"].isna().all()
            assert (missing["weight"] == 0).all()
        else:
            values = table.drop(columns=[UNAVAILABLE, "year"], errors="ignore")
            assert values.isna().all(axis=None), name
    assert result.metrics.keys() >= TABLE_COLUMNS.keys()


def test_without_cement_plants_the_synergy_rests_on_the_other_indicators(tmp_path):
    toml = PARKS["no_cement_plants"](tmp_path)
    with pytest.warns(MetricUnavailableWarning):
        result = run_scenario(toml, out=tmp_path / "out", progress=False)
    synergy = result.metrics["synergy_annual"]
    indicators = result.metrics["synergy_indicators"]
    assert synergy["D"].notna().all()  # computed, from the indicators that can be assessed
    cement = indicators[indicators["indicator"] == "cement_substitution_t_per_t"]
    assert cement["value"].isna().all()
    assert (cement["weight"] == 0).all()
    assessed = indicators[indicators[UNAVAILABLE] == ""]
    assert assessed.groupby(["year", "subsystem"])["weight"].sum().round(12).eq(1).all()


def test_the_command_exits_0_with_one_line_per_warning(tmp_path):
    toml = PARKS["no_substitution"](tmp_path)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "symbiosim.runs.cli", "run", "--scenario", str(toml), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines, done.stderr
    assert all(line.startswith("warning: ") for line in lines), done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert all(any(reason in line for line in lines) for reason in manifest["metrics"]["unavailable"].values())
    assert (out / "synergy.png").stat().st_size > 0
    assert (out / "radius.png").stat().st_size > 0
