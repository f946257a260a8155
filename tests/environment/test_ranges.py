"""Ranges of catalog values (environment/ranges.py): validation with located errors, and drawn scenarios."""

import os

import numpy as np
import pandas as pd
import pytest

from symbiosim.environment.ranges import BUNDLED_RANGES, drawn_scenario, load_ranges, quantile_value, read_ranges
from symbiosim.environment.scenario import default_scenario, load_scenario
from symbiosim.environment.validation import ScenarioError

HEADER = "table,rows,columns,distribution,low,high,scale,unit,source,note\n"


@pytest.fixture
def tiny(tiny_park_toml):
    return load_scenario(tiny_park_toml)


def _ranges(tmp_path, *rows):
    path = tmp_path / "ranges.csv"
    path.write_text(HEADER + "".join(f"{row},test,\n" for row in rows), encoding="utf-8")
    return path


def _problems(path, scenario):
    with pytest.raises(ScenarioError) as caught:
        load_ranges(path, scenario)
    return [str(issue) for issue in caught.value.issues]


def test_the_bundled_ranges_hold_for_the_default_scenario_and_cite_a_source():
    ranges = load_ranges(None, default_scenario())
    assert len(ranges) >= 10
    table = pd.read_csv(BUNDLED_RANGES)
    assert table["source"].str.contains(r"\b[VDU]\b").all()
    calibrated = {"max_payback_yr", "initial_knowledge_km", "consider_probability", "bargaining_share", "diffusion_weight"}
    assert not any(r.table == "parameters" and r.rows.split("=")[-1] in calibrated for r in ranges)


def test_triangular_quantiles_by_hand_and_by_sampling():
    # low 0, mode 1, high 4: F(mode) = 1/4; below it x = sqrt(u * 4 * 1), above it x = 4 - sqrt((1-u) * 4 * 3)
    assert quantile_value("triangular", 0.0, 1.0, 4.0, 0.25) == pytest.approx(1.0)
    assert quantile_value("triangular", 0.0, 1.0, 4.0, 0.04) == pytest.approx(0.4)
    assert quantile_value("triangular", 0.0, 1.0, 4.0, 0.88) == pytest.approx(4.0 - np.sqrt(0.12 * 12))
    assert quantile_value("uniform", 2.0, 99.0, 6.0, 0.5) == 4.0
    assert quantile_value("triangular", 3.0, 3.0, 3.0, 0.7) == 3.0  # a point
    u = np.random.default_rng(1).random(20000)
    draws = np.array([quantile_value("triangular", 0.0, 1.0, 4.0, x) for x in u])
    assert draws.mean() == pytest.approx(5.0 / 3.0, abs=0.03)  # (low + mode + high) / 3
    assert draws.min() >= 0.0
    assert draws.max() <= 4.0


def test_a_draw_sets_every_matched_cell_and_leaves_the_scenario_alone(tmp_path, tiny_park_toml):
    path = _ranges(
        tmp_path,
        "materials,material=clinker,price_cny_per_unit,triangular,200,500,absolute,CNY/t",
        "outlets,*,price_first_cny_per_t;price_last_cny_per_t,uniform,0.5,1.5,relative,factor",
        "parameters,name=discount_rate,value,uniform,0.04,0.12,absolute,per year",
    )
    scenario = load_scenario(tiny_park_toml.parent / "outlet.toml")
    ranges = load_ranges(path, scenario)
    before = scenario.digest()
    # clinker 300 is the mode: F(300) = (300 - 200) / 300 = 1/3; uniform factor at 0.75 is 1.25
    drawn = drawn_scenario(scenario, ranges, np.array([1 / 3, 0.75, 0.5]))
    assert drawn.table("materials").set_index("material").at["clinker", "price_cny_per_unit"] == pytest.approx(300.0)
    outlet = drawn.table("outlets").iloc[0]
    assert (outlet["price_first_cny_per_t"], outlet["price_last_cny_per_t"]) == (pytest.approx(75.0), pytest.approx(-125.0))
    assert drawn.parameters["discount_rate"] == pytest.approx(0.08)
    assert drawn.table("parameters").set_index("name").at["discount_rate", "value"] == pytest.approx(0.08)
    assert scenario.digest() == before
    assert scenario.table("outlets").iloc[0]["price_first_cny_per_t"] == 60


def test_a_numeric_filter_matches_the_number_however_it_is_written(tmp_path, tiny):
    one = _ranges(tmp_path, "byproducts,landfill_fee_cny_per_t=50,landfill_fee_cny_per_t,uniform,20,100,absolute,CNY/t")
    (matched,) = load_ranges(one, tiny)
    assert matched.mask(tiny.table("byproducts")).all()
    drawn = drawn_scenario(tiny, [matched], np.array([0.0]))
    assert drawn.table("byproducts")["landfill_fee_cny_per_t"].tolist() == [20.0]


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        ("landfills,*,fee,uniform,1,2,absolute,CNY/t", "table", "is not one of"),
        ("materials,material=clinker,colour,uniform,1,2,absolute,x", "columns", "not a numeric (float) column"),
        ("materials,material=clinker,unit,uniform,1,2,absolute,x", "columns", "not a numeric (float) column"),
        ("materials,material=gold,price_cny_per_unit,uniform,1,2,absolute,x", "rows", "matches no row"),
        ("materials,colour=red,price_cny_per_unit,uniform,1,2,absolute,x", "rows", "is not * or column=value"),
        ("materials,material=clinker,price_cny_per_unit,uniform,310,400,absolute,x", "low", "outside the range"),
        ("materials,material=clinker,price_cny_per_unit,uniform,400,310,absolute,x", "high", "is below low"),
        ("materials,material=clinker,price_cny_per_unit,uniform,1.1,1.5,relative,x", "low", "low <= 1 <= high"),
        ("products,*,utilisation,uniform,0.5,1.5,relative,x", "high", "outside its valid bounds"),
        ("outlets,*,price_first_cny_per_t;price_last_cny_per_t,uniform,1,2,absolute,x", "columns", "need scale = relative"),
        ("parameters,name=discount_rate,value,uniform,0.0,0.9,absolute,x", "high", "valid bounds 0-0.5"),
        ("materials,material=clinker,price_cny_per_unit,normal,1,2,absolute,x", "distribution", "is not one of"),
        ("materials,material=clinker,price_cny_per_unit,uniform,1,inf,absolute,x", "high", "not a finite number"),
    ],
)
def test_a_bad_range_is_refused_by_file_row_and_column(tmp_path, tiny, row, column, words):
    problems = _problems(_ranges(tmp_path, row), tiny)
    assert len(problems) == 1, problems
    assert f"ranges.csv, row 2, column '{column}'" in problems[0]
    assert words in problems[0]


def test_a_ranges_path_that_is_not_a_regular_file_is_refused(tmp_path, tiny):
    assert "not a regular file" in _problems(tmp_path, tiny)[0]
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    assert "not a regular file" in _problems(fifo, tiny)[0]
    assert "file not found" in _problems(tmp_path / "missing.csv", tiny)[0]


def test_two_rows_that_vary_one_cell_are_refused_and_masks_follow_the_scenario_as_given(tmp_path, tiny):
    both = _ranges(
        tmp_path,
        "byproducts,byproduct=steel_slag,landfill_fee_cny_per_t,uniform,20,100,absolute,CNY/t",
        "byproducts,landfill_fee_cny_per_t=50,landfill_fee_cny_per_t,uniform,20,100,absolute,CNY/t",
    )
    (problem,) = _problems(both, tiny)
    assert "row 3, column 'rows': varies byproducts.landfill_fee_cny_per_t in rows that row 2" in problem
    # a filter on a column another row varies still selects the rows of the scenario as given
    ranges = read_ranges(_ranges(
        tmp_path,
        "byproducts,*,landfill_fee_cny_per_t,uniform,20,100,absolute,CNY/t",
        "byproducts,landfill_fee_cny_per_t=50,ep_tax_cny_per_t,uniform,0,50,absolute,CNY/t",
    ))  # fmt: skip
    for first in (0.0, 1.0):
        drawn = drawn_scenario(tiny, ranges, np.array([first, 1.0]))
        assert drawn.table("byproducts")["ep_tax_cny_per_t"].tolist() == [50.0]
