"""Invalid scenario input gives precise errors (file, row or TOML key, column, rule), all at once.

Each test starts from a writable copy of ``tests/data/tiny`` (a complete scenario with
``extends = "none"``) or from a small extension of the default scenario, breaks it on a
known line, and checks the exact :class:`ValidationIssue` that comes back. Single-mistake
tests also check that nothing else is reported, so a cascade of follow-up errors fails.
"""

import copy
import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from symbiosim import ScenarioError, SymbiosisModel, default_scenario, load_scenario
from symbiosim.environment.scenario import SCENARIO_TABLES
from symbiosim.environment.validation import ValidationIssue, schema

TINY = Path(__file__).parent / "data" / "tiny"
DOC = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"
DEFAULT_STEEL = "steel_p100000120125"  # first row of the bundled jjj/facilities.csv


# --- helpers ----------------------------------------------------------------------------
@pytest.fixture
def park(tmp_path) -> Path:
    """A writable copy of the tiny park; returns its folder (scenario.toml inside)."""
    folder = tmp_path / "park"
    shutil.copytree(TINY, folder)
    return folder


def _format_row(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a CSV file, addressed by line number (header = 1) and column name."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(csv.reader([lines[0]]))
    cells = next(csv.reader([lines[line - 1]]))
    cells[header.index(column)] = value
    lines[line - 1] = _format_row(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def drop_column(path: Path, column: str) -> None:
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    position = rows[0].index(column)
    path.write_text("\n".join(_format_row(r[:position] + r[position + 1 :]) for r in rows) + "\n", encoding="utf-8")


def set_toml(folder: Path, old: str, new: str) -> Path:
    toml = folder / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    assert old in text
    toml.write_text(text.replace(old, new, 1), encoding="utf-8")
    return toml


def issues_of(path: Path) -> list[ValidationIssue]:
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.issues, "a ScenarioError must list its issues"
    return err.value.issues


def the_issue(path: Path) -> ValidationIssue:
    """The one issue reported for a scenario with exactly one mistake."""
    issues = issues_of(path)
    assert len(issues) == 1, "\n".join(map(str, issues))
    return issues[0]


def check(issue: ValidationIssue, file: str, row: int | None, column: str | None, phrase: str) -> None:
    assert Path(issue.file).name == file, issue
    assert issue.row == row, issue
    assert issue.column == column, issue
    assert phrase in issue.rule, issue


def extension(tmp_path: Path, tables: dict[str, str], extra_toml: str = "", mode: str = "extend") -> Path:
    """A scenario extending the default with the given CSV texts (table name -> file content)."""
    lines = ['[scenario]\nname = "extension"\nextends = "default"\n', extra_toml]
    for table, text in tables.items():
        (tmp_path / f"{table}_extra.csv").write_text(text, encoding="utf-8")
        lines.append(f'[tables.{table}]\nfile = "{table}_extra.csv"\nmode = "{mode}"\n')
    toml = tmp_path / "scenario.toml"
    toml.write_text("\n".join(lines), encoding="utf-8")
    return toml


def header_of(table: str) -> str:
    return ",".join(schema()[table]["columns"])


def row_text(record: dict, table: str) -> str:
    """One CSV line of a table from a record (as in ``Scenario.table(...).to_dict("records")``)."""
    return _format_row(["" if record[c] is None else str(record[c]) for c in schema()[table]["columns"]])


# --- the starting point is valid --------------------------------------------------------
def test_unmodified_copy_loads(park):
    scenario = load_scenario(park / "scenario.toml")
    assert len(scenario.table("facilities")) == 5
    assert scenario.name == "tiny park"


# --- one mistake, one precise issue -----------------------------------------------------
def test_missing_required_column(park):
    drop_column(park / "products.csv", "utilisation")
    check(the_issue(park / "scenario.toml"), "products.csv", 1, "utilisation", "required column 'utilisation'")


def test_non_numeric_value_in_numeric_column(park):
    set_cell(park / "capacities.csv", 3, "capacity_per_yr", "lots")
    check(the_issue(park / "scenario.toml"), "capacities.csv", 3, "capacity_per_yr", "'lots' is not a number")


def test_negative_capacity(park):
    set_cell(park / "capacities.csv", 4, "capacity_per_yr", "-5")
    issue = the_issue(park / "scenario.toml")
    check(issue, "capacities.csv", 4, "capacity_per_yr", "below the minimum 0.0")
    assert "product units per year" in issue.rule  # the unit is named


def test_latitude_above_90(park):
    set_cell(park / "facilities.csv", 3, "latitude", "91.5")
    check(the_issue(park / "scenario.toml"), "facilities.csv", 3, "latitude", "91.5 is above the maximum 90.0")


def test_unknown_byproduct_referenced_by_a_technology(park):
    set_cell(park / "technologies.csv", 2, "byproduct", "steel_slagg")
    issue = the_issue(park / "scenario.toml")
    check(issue, "technologies.csv", 2, "byproduct", "unknown byproduct 'steel_slagg'")
    assert "byproducts" in issue.rule


def test_unknown_sector_is_reported_once(park):
    set_cell(park / "facilities.csv", 4, "sector", "cemnt")  # cement_far: its capacities must not cascade
    check(the_issue(park / "scenario.toml"), "facilities.csv", 4, "sector", "unknown sector 'cemnt'")


def test_duplicate_facility_id_in_one_file(park):
    set_cell(park / "facilities.csv", 6, "facility_id", "steel_s")  # landfill_alpha is referenced nowhere
    check(the_issue(park / "scenario.toml"), "facilities.csv", 6, "facility_id", "duplicate key (facility_id=steel_s)")


def test_duplicate_key_is_compared_after_conversion(park):
    (park / "seasonality.csv").write_text(
        "sector,month,factor,source,note\ncement,1,0.5,test,\ncement,2,0.6,test,\ncement,01,0.7,test,\n",
        encoding="utf-8",
    )
    issue = the_issue(park / "scenario.toml")
    check(issue, "seasonality.csv", 4, "sector", "duplicate key (sector=cement, month=1)")
    assert "first on row 2" in issue.rule


def test_capacity_unit_must_match_product_unit(park):
    set_cell(park / "capacities.csv", 2, "unit", "MWh")
    check(the_issue(park / "scenario.toml"), "capacities.csv", 2, "unit", "unit 'MWh' does not match products unit 't'")


def test_cap_product_must_be_a_product_of_the_sink_sector(park):
    set_cell(park / "technologies.csv", 2, "cap_product", "crude_steel")
    check(
        the_issue(park / "scenario.toml"),
        "technologies.csv",
        2,
        "cap_product",
        "sink sector 'cement' has no product 'crude_steel'",
    )


def test_unknown_agent_class(park):
    set_cell(park / "sectors.csv", 3, "agent_class", "KilnPlant")
    check(the_issue(park / "scenario.toml"), "sectors.csv", 3, "agent_class", "'KilnPlant' is not one of")


def test_distance_to_unknown_facility(park):
    set_cell(park / "distances.csv", 3, "to_facility_id", "cement_nowhere")
    check(
        the_issue(park / "scenario.toml"), "distances.csv", 3, "to_facility_id", "unknown facility id 'cement_nowhere'"
    )


def test_blank_required_number(park):
    set_cell(park / "byproducts.csv", 2, "tariff_cny_per_t_km", "")
    check(the_issue(park / "scenario.toml"), "byproducts.csv", 2, "tariff_cny_per_t_km", "value is required but blank")


@pytest.mark.parametrize(
    ("file", "line", "column"),
    [("facilities.csv", 4, "sector"), ("sectors.csv", 3, "agent_class"), ("technologies.csv", 2, "byproduct")],
)
def test_blank_id_or_code_is_an_issue_not_a_crash(park, file, line, column):
    set_cell(park / file, line, column, "")
    with pytest.raises(ScenarioError) as err:
        SymbiosisModel(park / "scenario.toml", rng=1)
    [issue] = err.value.issues
    check(issue, file, line, column, "value is required but blank")


def test_blank_free_text_is_allowed(park):
    set_cell(park / "facilities.csv", 4, "city", "")
    set_cell(park / "technologies.csv", 2, "source", "")
    assert len(load_scenario(park / "scenario.toml").table("facilities")) == 5


def test_byte_order_mark_is_accepted_and_other_encodings_are_not(park):
    facilities = park / "facilities.csv"
    facilities.write_text(facilities.read_text(encoding="utf-8"), encoding="utf-8-sig")
    assert "facility_id" in load_scenario(park / "scenario.toml").table("facilities").columns
    sectors = park / "sectors.csv"
    sectors.write_text(
        sectors.read_text(encoding="utf-8").replace("steel plant", "Stahlwerk für Stähle"), encoding="latin-1"
    )
    issues = issues_of(park / "scenario.toml")
    check(issues[0], "sectors.csv", None, None, "not UTF-8")


def test_non_numeric_parameter_in_csv_is_an_issue_not_a_crash(park):
    set_cell(park / "parameters.csv", 2, "value", "one point three")
    check(the_issue(park / "scenario.toml"), "parameters.csv", 2, "value", "'one point three' is not a number")


# --- rows are line numbers, also in awkward files ---------------------------------------
def test_rows_are_line_numbers_with_blank_lines_and_multiline_cells(park):
    facilities = park / "facilities.csv"
    header, steel, near, far, out, landfill = facilities.read_text(encoding="utf-8").splitlines()
    steel = steel.removesuffix(",") + ',"a note\nspanning two lines"'  # lines 2-3
    far = far.replace(",39.50,", ",99.50,")
    text = "\n".join([header, steel, "", near, far, ",,,,,,,,,,", out, landfill]) + "\n"
    facilities.write_text(text, encoding="utf-8")  # blank line 4, near on 5, far on 6, empty cells on 7
    check(the_issue(park / "scenario.toml"), "facilities.csv", 6, "latitude", "99.5 is above the maximum 90.0")


def test_row_with_too_many_cells(park):
    facilities = park / "facilities.csv"
    lines = facilities.read_text(encoding="utf-8").splitlines()
    lines[3] += ",surplus"
    facilities.write_text("\n".join(lines) + "\n", encoding="utf-8")
    check(the_issue(park / "scenario.toml"), "facilities.csv", 4, None, "row has 12 cells but the header has 11")


def test_empty_csv_file(park):
    (park / "materials.csv").write_text("", encoding="utf-8")
    issues = issues_of(park / "scenario.toml")
    check(issues[0], "materials.csv", None, None, "file is empty")
    check(issues[1], "scenario.toml", None, "tables.materials", "table is required")
    assert len(issues) == 2


# --- the TOML file ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        ('"2025-13"', "'2025-13' is not a month YYYY-MM"),
        ('"1600-01"', "year 1600 is outside 1700-2161"),
        ('"2162-06"', "year 2162 is outside 1700-2161"),
        ('"2025-01-garbage"', "is not a month YYYY-MM"),
        ('"January 2025"', "is not a month YYYY-MM"),
        ("202501", "is not a month YYYY-MM"),
    ],
)
def test_start_out_of_range_or_malformed(park, value, phrase):
    toml = set_toml(park, 'start = "2025-01"', f"start = {value}")
    check(the_issue(toml), "scenario.toml", None, "scenario.start", phrase)


def test_start_as_toml_date_is_accepted(park):
    toml = set_toml(park, 'start = "2025-01"', "start = 2026-03-01")
    assert load_scenario(toml).start.isoformat() == "2026-03-01"


@pytest.mark.parametrize("value", ["0", "101", '"10"', "2.5", "true", "-3"])
def test_years_out_of_range(park, value):
    toml = set_toml(park, "years = 1", f"years = {value}")
    check(the_issue(toml), "scenario.toml", None, "scenario.years", "whole number of years in 1-100")


def test_unknown_and_non_numeric_parameters(park):
    toml = set_toml(
        park,
        "[tables.sectors]",
        '[parameters]\ncircuity_factr = 1.4\nbargaining_share = "half"\ndiscount_rate = nan\n'
        "initial_knowledge_km = 45\n\n[tables.sectors]",
    )
    issues = issues_of(toml)
    assert len(issues) == 3, "\n".join(map(str, issues))
    check(issues[0], "scenario.toml", None, "parameters.circuity_factr", "unknown parameter")
    check(issues[1], "scenario.toml", None, "parameters.bargaining_share", "'half' is not a number")
    check(issues[2], "scenario.toml", None, "parameters.discount_rate", "not a finite number")


def test_parameter_override_is_applied(park):
    toml = set_toml(park, "[tables.sectors]", "[parameters]\ninitial_knowledge_km = 45\n\n[tables.sectors]")
    assert load_scenario(toml).parameters["initial_knowledge_km"] == 45.0


def test_unknown_sections_and_keys(park):
    toml = set_toml(park, 'extends = "none"', 'extends = "none"\ntitle = "typo"')
    text = toml.read_text(encoding="utf-8")
    text = text.replace(
        '[tables.distances]\nfile = "distances.csv"', '[tables.distances]\nfile = "distances.csv"\nmod = "replace"'
    )
    text += (
        '\n[tables.technology]\nfile = "technologies.csv"\n\n[scenarios]\nyears = 2\n\n[remove]\nsectors = ["steel"]\n'
    )
    toml.write_text(text, encoding="utf-8")
    issues = {issue.column: issue for issue in issues_of(toml)}
    assert set(issues) == {"scenarios", "scenario.title", "tables.distances.mod", "tables.technology", "remove.sectors"}
    check(issues["scenarios"], "scenario.toml", None, "scenarios", "unknown section 'scenarios'")
    check(issues["scenario.title"], "scenario.toml", None, "scenario.title", "unknown key")
    check(
        issues["tables.distances.mod"],
        "scenario.toml",
        None,
        "tables.distances.mod",
        "unknown key (allowed: file, mode)",
    )
    check(issues["tables.technology"], "scenario.toml", None, "tables.technology", "unknown table")
    check(issues["remove.sectors"], "scenario.toml", None, "remove.sectors", "only 'facilities' can be removed")


def test_bad_mode_and_extends(park):
    toml = set_toml(park, 'extends = "none"', 'extends = "nothing"')
    toml = set_toml(
        park,
        '[tables.distances]\nfile = "distances.csv"',
        '[tables.distances]\nfile = "distances.csv"\nmode = "append"',
    )
    issues = {issue.column: issue for issue in issues_of(toml)}
    check(
        issues["scenario.extends"], "scenario.toml", None, "scenario.extends", "must be 'default', 'none' or the name"
    )
    check(
        issues["tables.distances.mode"], "scenario.toml", None, "tables.distances.mode", "must be 'extend' or 'replace'"
    )


@pytest.mark.parametrize("section", ['scenario = "tiny"', "tables = 3", 'parameters = ["a"]', 'remove = "x"'])
def test_section_that_is_not_a_table(tmp_path, section):
    toml = tmp_path / "scenario.toml"
    toml.write_text(section + "\n", encoding="utf-8")
    name = section.split(" ")[0]
    check(the_issue(toml), "scenario.toml", None, name, "must be a table")


def test_toml_syntax_error_names_the_line(park):
    toml = park / "scenario.toml"
    lines = toml.read_text(encoding="utf-8").splitlines()
    assert lines[4] == "years = 1"
    lines[4] = "years = = 1"  # line 5
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    check(the_issue(toml), "scenario.toml", 5, None, "not valid TOML")


def test_missing_scenario_file(tmp_path):
    check(the_issue(tmp_path / "nowhere.toml"), "nowhere.toml", None, None, "file not found")


def test_missing_csv_file_named_in_tables(park):
    toml = set_toml(park, 'file = "materials.csv"', 'file = "materials_v2.csv"')
    issues = issues_of(toml)
    assert len(issues) == 2, "\n".join(map(str, issues))
    check(issues[0], "materials_v2.csv", None, None, "file not found")
    assert Path(issues[0].file).parent == park  # relative to the TOML file
    check(issues[1], "scenario.toml", None, "tables.materials", "table is required when extends = 'none'")


def test_missing_csv_file_when_extending(tmp_path):
    toml = tmp_path / "scenario.toml"
    toml.write_text('[tables.technologies]\nfile = "extra.csv"\n', encoding="utf-8")
    check(the_issue(toml), "extra.csv", None, None, "file not found")


def test_removing_unknown_facility(park):
    toml = set_toml(
        park, "[tables.sectors]", '[remove]\nfacilities = ["cement_out", "cement_nowhere"]\n\n[tables.sectors]'
    )
    check(the_issue(toml), "scenario.toml", None, "remove.facilities", "unknown facility id 'cement_nowhere'")


def test_removing_a_facility_drops_its_rows(park):
    toml = set_toml(park, "[tables.sectors]", '[remove]\nfacilities = ["cement_far"]\n\n[tables.sectors]')
    scenario = load_scenario(toml)
    assert scenario.removed == ["cement_far"]
    for table, columns in {"facilities": ["facility_id"], "capacities": ["facility_id"]}.items():
        assert "cement_far" not in set(scenario.table(table)[columns[0]])
    distances = scenario.table("distances")
    assert "cement_far" not in set(distances["to_facility_id"]) | set(distances["from_facility_id"])


def test_remove_must_be_a_list_of_ids(park):
    toml = set_toml(park, "[tables.sectors]", '[remove]\nfacilities = "cement_far"\n\n[tables.sectors]')
    check(the_issue(toml), "scenario.toml", None, "remove.facilities", "must be a list of facility ids")


# --- every problem at once --------------------------------------------------------------
def test_three_mistakes_in_one_file_give_three_issues(park):
    facilities = park / "facilities.csv"
    set_cell(facilities, 2, "latitude", "95")
    set_cell(facilities, 3, "sector", "cemnt")
    set_cell(facilities, 5, "is_synthetic", "maybe")
    issues = issues_of(park / "scenario.toml")
    assert len(issues) == 3, "\n".join(map(str, issues))
    by_row = {issue.row: issue for issue in issues}
    check(by_row[2], "facilities.csv", 2, "latitude", "above the maximum 90.0")
    check(by_row[3], "facilities.csv", 3, "sector", "unknown sector 'cemnt'")
    check(by_row[5], "facilities.csv", 5, "is_synthetic", "'maybe' is not a boolean")


def test_mistakes_in_several_files_and_the_toml_are_reported_together(park):
    set_cell(park / "capacities.csv", 3, "capacity_per_yr", "-1")
    set_cell(park / "technologies.csv", 2, "lifetime_yr", "20.5")
    drop_column(park / "materials.csv", "price_cny_per_unit")
    toml = set_toml(park, 'start = "2025-01"', 'start = "2025-00"')
    set_toml(park, "[tables.sectors]", "[parameters]\nno_such_parameter = 1\n\n[tables.sectors]")
    issues = issues_of(toml)
    found = {(Path(i.file).name, i.row, i.column) for i in issues}
    assert found == {
        ("capacities.csv", 3, "capacity_per_yr"),
        ("technologies.csv", 2, "lifetime_yr"),
        ("materials.csv", 1, "price_cny_per_unit"),
        ("scenario.toml", None, "scenario.start"),
        ("scenario.toml", None, "parameters.no_such_parameter"),
    }
    message = str(ScenarioError(issues))
    assert message.startswith("5 problem(s) in scenario input:")
    assert all(str(issue) in message for issue in issues)


def test_error_is_a_value_error_with_readable_lines(park):
    set_cell(park / "facilities.csv", 3, "latitude", "91.5")
    with pytest.raises(
        ValueError, match=r"facilities\.csv, row 3, column 'latitude': 91\.5 is above the maximum 90\.0"
    ):
        load_scenario(park / "scenario.toml")


# --- extend and replace -----------------------------------------------------------------
def test_extend_with_an_existing_key_replaces_the_default_row(tmp_path, jjj):
    default_facilities = jjj.table("facilities")
    row = default_facilities.iloc[0].to_dict()
    assert row["facility_id"] == DEFAULT_STEEL
    row.update(name="Renamed steel plant", latitude=38.5)
    text = header_of("facilities") + "\n" + row_text(row, "facilities")
    text += "\nsteel_new,New steel plant,steel,EAF,Cangzhou,Hebei,38.3,117.5,True,,test,\n"
    scenario = load_scenario(extension(tmp_path, {"facilities": text}))
    facilities = scenario.table("facilities")
    assert facilities["facility_id"].is_unique
    assert len(facilities) == len(default_facilities) + 1  # one replaced, one appended
    replaced = facilities[facilities["facility_id"] == DEFAULT_STEEL]
    assert replaced["name"].tolist() == ["Renamed steel plant"]
    assert replaced["latitude"].tolist() == [38.5]
    assert replaced.index.tolist() == [0]  # in place: node ids of the other facilities are unchanged
    assert facilities["facility_id"].iloc[-1] == "steel_new"
    pd.testing.assert_series_equal(facilities["facility_id"].iloc[1:-1], default_facilities["facility_id"].iloc[1:])
    origin = scenario.tables["facilities"].iloc[0]
    assert (Path(origin["__file"]).name, origin["__line"]) == ("facilities_extra.csv", 2)


def test_extend_replaces_a_technology_by_key(tmp_path, jjj):
    technologies = jjj.table("technologies")
    t1 = technologies[technologies["technology"] == "T1"].iloc[0].to_dict()
    t1["cap_t_per_t"] = 0.05
    text = header_of("technologies") + "\n" + row_text(t1, "technologies") + "\n"
    scenario = load_scenario(extension(tmp_path, {"technologies": text}))
    merged = scenario.table("technologies")
    assert merged["technology"].tolist() == technologies["technology"].tolist()
    assert merged.loc[merged["technology"] == "T1", "cap_t_per_t"].tolist() == [0.05]


def test_duplicate_inside_an_extension_file_is_still_an_error(tmp_path):
    row = "steel_new,New steel plant,steel,EAF,Cangzhou,Hebei,38.3,117.5,True,,test,"
    toml = extension(tmp_path, {"facilities": f"{header_of('facilities')}\n{row}\n{row}\n"})
    check(the_issue(toml), "facilities_extra.csv", 3, "facility_id", "duplicate key (facility_id=steel_new)")


def test_replace_mode_drops_the_default_rows(tmp_path, jjj):
    t1 = jjj.table("technologies").iloc[0].to_dict()
    text = header_of("technologies") + "\n" + row_text(t1, "technologies") + "\n"
    scenario = load_scenario(extension(tmp_path, {"technologies": text}, mode="replace"))
    assert scenario.table("technologies")["technology"].tolist() == ["T1"]


def test_replace_with_an_empty_file_is_an_error(tmp_path):
    toml = extension(tmp_path, {"facilities": header_of("facilities") + "\n"}, mode="replace")
    check(the_issue(toml), "scenario.toml", None, "tables.facilities", "table is required but empty")


def test_extension_errors_point_at_the_extension_file(tmp_path):
    text = (
        header_of("capacities") + f"\n{DEFAULT_STEEL},crude_steel,-100,t,test,\n{DEFAULT_STEEL},cement,1000,t,test,\n"
    )
    issues = issues_of(extension(tmp_path, {"capacities": text}))
    assert len(issues) == 2, "\n".join(map(str, issues))
    check(issues[0], "capacities_extra.csv", 2, "capacity_per_yr", "below the minimum")
    check(issues[1], "capacities_extra.csv", 3, "product", "sector 'steel' has no product 'cement'")


# --- nothing half-done ------------------------------------------------------------------
def test_failed_load_raises_and_leaves_the_default_untouched(tmp_path):
    before = default_scenario()
    schema_before = copy.deepcopy(schema())
    text = header_of("facilities") + f"\n{DEFAULT_STEEL},Changed,steel,BF-BOF,Cangzhou,Hebei,95,117.8,False,test,\n"
    toml = extension(
        tmp_path,
        {"facilities": text},
        extra_toml='[parameters]\ncircuity_factor = 2.0\n[remove]\nfacilities = ["steel_p100000120105"]\n',
    )
    result = None
    with pytest.raises(ScenarioError):
        result = load_scenario(toml)
    assert result is None
    with pytest.raises(ScenarioError):
        SymbiosisModel(toml, rng=1)
    after = default_scenario()
    assert schema() == schema_before
    assert after.parameters == before.parameters
    assert after.parameters["circuity_factor"] == 1.3
    for name in SCENARIO_TABLES:
        pd.testing.assert_frame_equal(after.tables[name], before.tables[name])
    facilities = after.table("facilities")
    assert "steel_p100000120105" in set(facilities["facility_id"])
    assert facilities.loc[facilities["facility_id"] == DEFAULT_STEEL, "name"].iloc[0] != "Changed"
    # and a model built afterwards is the ordinary default one
    model = SymbiosisModel(rng=1)
    assert len(model.facility_ids) == len(before.table("facilities"))


def test_the_guide_shows_a_real_error_message(tmp_path, monkeypatch):
    """docs/scenarios.md pastes the message this bad scenario gives; keep it true."""
    monkeypatch.chdir(tmp_path)
    folder = Path("bad_park")
    shutil.copytree(TINY, folder)
    set_cell(folder / "facilities.csv", 3, "latitude", "91.5")
    set_cell(folder / "capacities.csv", 4, "capacity_per_yr", "-400000")
    set_cell(folder / "technologies.csv", 2, "byproduct", "steel_slagg")
    set_toml(folder, 'start = "2025-01"', 'start = "2025-13"')
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder / "scenario.toml")
    assert len(err.value.issues) == 4
    assert str(err.value) in DOC.read_text(encoding="utf-8")


# --- parameters: every one present, each within its range --------------------------------
def test_parameter_override_outside_its_range(tmp_path):
    toml = extension(tmp_path, {}, extra_toml="[parameters]\nbargaining_share = 5\ninvestment_month = 13\n")
    issues = issues_of(toml)
    assert len(issues) == 2
    check(issues[0], "scenario.toml", None, "parameters.bargaining_share", "above the maximum 1.0")
    check(issues[1], "scenario.toml", None, "parameters.investment_month", "above the maximum 12.0")


def test_parameter_row_outside_its_own_range(park):
    parameters = park / "parameters.csv"
    text = parameters.read_text(encoding="utf-8").splitlines()
    text[0] += ",min_value,max_value"
    text[1:] = [line + ",," for line in text[1:]]
    parameters.write_text("\n".join(text) + "\n", encoding="utf-8")
    set_cell(parameters, 3, "max_value", "0.4")  # bargaining_share 0.5 above its own maximum
    check(the_issue(park / "scenario.toml"), "parameters.csv", 3, "value", "above the maximum 0.4")


def test_every_model_parameter_is_required(park):
    parameters = park / "parameters.csv"
    lines = parameters.read_text(encoding="utf-8").splitlines()
    parameters.write_text("\n".join(line for line in lines if not line.startswith("initial_trust,")) + "\n")
    issue = the_issue(park / "scenario.toml")
    assert issue.column == "initial_trust"
    assert "required parameter" in issue.rule


def test_python_override_outside_its_range():
    with pytest.raises(ScenarioError, match=r"parameters\.min_trust.*above the maximum"):
        SymbiosisModel(min_trust=2.0)
