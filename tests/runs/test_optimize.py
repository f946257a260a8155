"""The planner on a real JJJ snapshot: constraints hold, schemes rank as they must, the CLI writes its files."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symbiosim import SymbiosisModel
from symbiosim.metrics.planner import solve
from symbiosim.runs.optimize import emergent_vs_optimal, snapshot_of_model, snapshot_of_scenario

BASELINE = Path(__file__).parents[2] / "examples" / "policies" / "baseline.toml"
TOLERANCE_T = 1e-3  # tonnes: HiGHS's feasibility tolerance on ~10^7 t totals


@pytest.fixture(scope="module")
def snapshot():
    snap, _ = snapshot_of_scenario(BASELINE, 2025, rng=1)
    return snap


@pytest.fixture(scope="module")
def solved(snapshot):
    return {scheme: solve(snapshot, scheme) for scheme in ("theoretical", "economic", "win_win")}


def _loads(paths: pd.DataFrame, keys: list[str]) -> pd.Series:
    return paths.groupby(keys)["tonnes"].sum()


@pytest.mark.parametrize("scheme", ["theoretical", "economic", "win_win"])
def test_no_constraint_is_violated(snapshot, solved, scheme):
    paths = solved[scheme].paths.merge(snapshot.routes[["seller", "buyer", "technology", "group"]].drop_duplicates())
    assert (paths["tonnes"] >= 0).all()
    supply = snapshot.supply.set_index(["seller", "byproduct"])["supply_t"]
    assert (
        _loads(paths, ["seller", "byproduct"])
        <= supply.reindex(_loads(paths, ["seller", "byproduct"]).index) + TOLERANCE_T
    ).all()
    cap = snapshot.capacity.set_index(["buyer", "technology"])["cap_t"]
    used = _loads(paths, ["buyer", "technology"])
    assert (used <= cap.reindex(used.index) + TOLERANCE_T).all()
    group_cap = snapshot.group_capacity.set_index(["buyer", "group"])["cap_t"]
    group_used = _loads(paths, ["buyer", "group"])
    assert (group_used <= group_cap.reindex(group_used.index) + TOLERANCE_T).all()


def test_schemes_rank_as_they_must(snapshot, solved):
    totals = {scheme: result.totals.iloc[0] for scheme, result in solved.items()}
    assert totals["theoretical"]["tonnes_used"] >= totals["economic"]["tonnes_used"] - TOLERANCE_T
    assert totals["economic"]["profit_cny"] >= totals["win_win"]["profit_cny"] - 1.0  # a restriction costs profit
    assert totals["economic"]["vat_plants_qualified"] > 0  # the baseline has the rebate: a MILP
    relaxed = solve(snapshot, "economic", relax=True).totals.iloc[0]
    assert relaxed["profit_cny"] >= totals["economic"]["profit_cny"] - 1.0
    win_win = solved["win_win"].paths
    assert (win_win["energy_saved_tce"] > 0).all()
    assert (win_win["co2_avoided_t"] > 0).all()
    assert totals["economic"]["mip_gap"] <= 1e-4


def test_same_snapshot_same_solution(snapshot, solved):
    again = solve(snapshot, "economic")
    pd.testing.assert_frame_equal(again.paths, solved["economic"].paths)


def test_a_run_records_how_close_it_comes_to_the_planner():
    model = SymbiosisModel(rng=1, years=2, collect_agent_data=False)
    model.run()
    table = emergent_vs_optimal(model, schemes=("economic",))
    assert list(table["year"]) == [2025, 2026]
    assert table["ratio_tonnes_used"].between(0, 1.5).all()
    assert table["jaccard_paths"].between(0, 1).all()
    assert table.loc[1, "ratio_tonnes_used"] > table.loc[0, "ratio_tonnes_used"]  # the market learns
    # the emergent figures are the run's own symbiosis exchanges of the year
    flows = model.flows
    year_2025 = flows[flows["is_symbiosis"].astype(bool) & flows["date"].str.startswith("2025")]
    assert table.loc[0, "emergent_tonnes_used"] == pytest.approx(year_2025["tonnes"].sum())
    snapshot = snapshot_of_model(model, 2026)
    assert snapshot.period == "2026"
    np.testing.assert_allclose(
        snapshot.supply["supply_t"].sum(),
        np.einsum("np,npb->", model.record.annual_output[2026], model.catalog.generation_t_per_unit),
    )
    with pytest.raises(ValueError, match="no output for 2030"):
        snapshot_of_model(model, 2030)


@pytest.mark.slow
def test_optimize_command_line(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "symbiosim.runs.cli",
            "optimize",
            "--year",
            "2026",
            "--scheme",
            "theoretical",
            "economic",
            "--out",
            str(tmp_path / "opt"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Planner schemes for 2026" in result.stdout
    files = {p.name for p in (tmp_path / "opt").iterdir()}
    assert files == {
        "planner_totals.csv",
        "planner_paths.csv",
        "planner_by_waste.csv",
        "planner_new_capacity.csv",
        "planner_map.png",
        "planner_utilisation.png",
    }
    totals = pd.read_csv(tmp_path / "opt" / "planner_totals.csv")
    assert list(totals["scheme"]) == ["theoretical", "economic"]
    bad = subprocess.run(
        [sys.executable, "-m", "symbiosim.runs.cli", "optimize", "--year", "1999", "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert bad.returncode == 2
    assert "outside the scenario's horizon" in bad.stderr


def test_monthly_snapshots_add_up_to_the_year():
    model = SymbiosisModel(rng=1, years=1, collect_agent_data=False)
    monthly = []
    for _ in range(12):
        model.step()
        monthly.append(snapshot_of_model(model).supply["supply_t"].sum())
    year = snapshot_of_model(model, 2025)
    assert sum(monthly) == pytest.approx(year.supply["supply_t"].sum(), rel=1e-12)
    march, _ = snapshot_of_scenario(None, 2025, rng=1, month=3)
    assert march.period == "2025-03"
    assert march.supply["supply_t"].sum() == pytest.approx(monthly[2], rel=1e-12)  # output does not depend on trade
    with pytest.raises(ValueError, match="outside the scenario's horizon"):
        snapshot_of_scenario(None, 2025, month=13)
