"""`symbiosim compare`: the same seeds for every scenario, a side-by-side table and plots."""

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from symbiosim.runs.compare import compare_scenarios, paired_differences

LIMIT = """
[[policies]]
type = "production_limit"
start = "2025-02-01"
end = "2025-05-31"
cap_share = 0.5
sectors = ["steel"]
"""


@pytest.fixture
def two_parks(tiny_park_toml, tmp_path):
    base, limited = tmp_path / "base", tmp_path / "limited"
    shutil.copytree(tiny_park_toml.parent, base)
    shutil.copytree(tiny_park_toml.parent, limited)
    (base / "scenario.toml").rename(base / "baseline.toml")
    text = (limited / "scenario.toml").read_text() + LIMIT
    (limited / "scenario.toml").unlink()
    (limited / "steel_limit.toml").write_text(text)
    return base / "baseline.toml", limited / "steel_limit.toml"


def test_compare_measures_the_flow_a_limit_costs(two_parks, tmp_path):
    result = compare_scenarios(list(two_parks), seeds=[1, 2], out=tmp_path / "out", progress=False)
    table = result.table
    # hand calculation: from February to May the steel plant makes 6,000 t of slag a month for
    # 10,000 t of contracts, so each month 4,000 t go undelivered: 16 kt in all
    assert table.loc["contract_undelivered_kt_whole_run", ("steel_limit", "mean")] == pytest.approx(16.0)
    assert table.loc["contract_shortfalls_whole_run", ("steel_limit", "mean")] == 4
    assert table.loc["symbiotic_flow_lost_kt_vs_first", ("steel_limit", "mean")] == pytest.approx(16.0)
    assert table.loc["symbiotic_flow_lost_kt_during_limits", ("steel_limit", "mean")] == pytest.approx(16.0)
    assert table.loc["symbiotic_flow_lost_kt_during_limits", ("baseline", "mean")] == 0.0
    assert table.loc["contract_undelivered_kt_whole_run", ("baseline", "mean")] == 0.0
    assert table.loc["exchanged_kt_per_yr", ("baseline", "mean")] == pytest.approx(120.0)  # 10 kt a month
    runs = pd.read_csv(tmp_path / "out" / "compare_runs.csv")
    assert set(runs["seed"]) == {1, 2}
    assert set(runs["scenario"]) == {"baseline", "steel_limit"}
    assert {p.name for p in result.files} == {
        "compare_runs.csv", "compare.csv", "compare_paired.csv", "compare.md", "compare_series.png",
    }  # fmt: skip
    # the limit costs 16 kt in every seed: the paired difference is -16 kt with no spread
    paired = result.paired.set_index("metric")
    assert paired.at["exchanged_kt_whole_run", "mean_difference"] == pytest.approx(-16.0)
    assert paired.at["exchanged_kt_whole_run", "sd_difference"] == pytest.approx(0.0, abs=1e-9)
    assert paired.at["exchanged_kt_whole_run", "ci_low"] == pytest.approx(-16.0)
    assert (paired["reference"] == "baseline").all()
    assert (paired["scenario"] == "steel_limit").all()
    assert (tmp_path / "out" / "compare_series.png").read_bytes()[:4] == b"\x89PNG"


def test_compare_command_line(two_parks, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "symbiosim.runs.cli",
            "compare",
            *map(str, two_parks),
            "--seeds",
            "2",
            "--out",
            str(tmp_path / "cmp"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "| metric | baseline | steel_limit |" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "symbiosim.runs.cli", "compare", str(two_parks[0]), "--seeds", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "--seeds must be at least 1" in bad.stderr


def test_flow_lost_during_limits_counts_only_the_limited_months():
    from symbiosim.runs.compare import _lost_during_limits

    months = [1, 2, 3, 4]
    reference = pd.DataFrame({"month": months, "exchanged_t": [10e3] * 4, "limited_facilities": 0})
    limited = pd.DataFrame({"month": months, "exchanged_t": [10e3, 6e3, 7e3, 8e3], "limited_facilities": [0, 3, 3, 0]})
    lost = _lost_during_limits(
        [reference.assign(scenario="base", draw=0, seed=1), limited.assign(scenario="limit", draw=0, seed=1)], "base"
    ).set_index("scenario")["value"]
    assert lost["limit"] == pytest.approx(4.0 + 3.0)  # kt, months 2 and 3 only; month 4 is after the limit
    assert lost["base"] == 0.0


INACTIVE = """
[[policies]]
type = "carbon_price"
start = "2040-01-01"
end = "2040-12-31"
cny_per_t_co2 = 300.0
"""


def test_a_policy_that_never_applies_changes_nothing_seed_by_seed(tiny_park_toml, tmp_path):
    """Same seeds, and a policy outside the horizon: every paired difference is exactly 0."""
    folder = tmp_path / "park"
    shutil.copytree(tiny_park_toml.parent, folder)
    (folder / "later_carbon_price.toml").write_text((folder / "scenario.toml").read_text() + INACTIVE)
    result = compare_scenarios(
        [folder / "scenario.toml", folder / "later_carbon_price.toml"], seeds=[1, 2, 3], out=tmp_path / "out",
        progress=False,
    )  # fmt: skip
    assert len(result.paired) > 20
    # every metric of every seed is the same in both runs (NaN where it is NaN in both)
    wide = result.runs.pivot_table(index=["seed", "metric"], columns="scenario", values="value", dropna=False)
    pd.testing.assert_series_equal(wide["scenario"], wide["later_carbon_price"], check_names=False)
    assert (result.paired["mean_difference"].dropna() == 0.0).all()


def test_paired_confidence_interval_by_hand():
    # differences 1, 2, 6 over three seeds: mean 3, sd sqrt(7), t(0.975, 2) = 4.3027
    runs = pd.DataFrame({
        "scenario": ["a"] * 3 + ["b"] * 3, "seed": [1, 2, 3] * 2, "metric": ["m"] * 6,
        "value": [10.0, 20.0, 30.0, 11.0, 22.0, 36.0],
    })  # fmt: skip
    row = paired_differences(runs, "a").iloc[0]
    half = 4.302652729911275 * 7**0.5 / 3**0.5
    assert (row["seeds"], row["mean_difference"]) == (3, pytest.approx(3.0))
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(3.0 - half), pytest.approx(3.0 + half))
