"""Uncertainty in results: draws from the posterior, the catalog's ranges and seeds (runs/draws.py, runs/uncertainty.py)."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from symbiosim.environment.scenario import load_scenario
from symbiosim.environment.validation import ScenarioError
from symbiosim.model import SymbiosisModel
from symbiosim.runs.compare import compare_scenarios, run_metrics
from symbiosim.runs.draws import UncertaintyOptions, load_posterior, plan_draws
from symbiosim.runs.optimize import optimize_scenario
from symbiosim.runs.uncertainty import plan_monte_carlo, planner_monte_carlo, run_draws

CLINKER = "table,rows,columns,distribution,low,high,scale,unit,source,note\n" \
          "materials,material=clinker,price_cny_per_unit,triangular,{low},{high},absolute,CNY/t,test,\n"  # fmt: skip
INACTIVE = """
[[policies]]
type = "carbon_price"
start = "2030-01-01"
end = "2030-12-31"
cny_per_t_co2 = 300.0
"""


@pytest.fixture
def park(tiny_park_toml, tmp_path):
    """The tiny park, a copy with a carbon price that never applies, and a ranges table of the clinker price."""
    folder = tmp_path / "park"
    shutil.copytree(tiny_park_toml.parent, folder)
    (folder / "later_carbon_price.toml").write_text((folder / "scenario.toml").read_text() + INACTIVE)
    (folder / "ranges.csv").write_text(CLINKER.format(low=200, high=500), encoding="utf-8")
    return folder


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "symbiosim.runs.cli", *map(str, args)], capture_output=True,
                          text=True, check=False)  # fmt: skip


def test_draws_are_a_function_of_the_base_seed_and_of_the_sources(park):
    scenario = load_scenario(park / "scenario.toml")
    ranges = park / "ranges.csv"
    first, again = (plan_draws(6, 7, scenario, ranges_path=ranges).table() for _ in range(2))
    pd.testing.assert_frame_equal(first, again)
    other = plan_draws(6, 8, scenario, ranges_path=ranges).table()
    assert not np.allclose(first.filter(like="param.").to_numpy(), other.filter(like="param.").to_numpy())
    assert first["seed"].tolist() == [7, 8, 9, 10, 11, 12]
    posterior_only = plan_draws(4, 7, scenario, ("posterior",)).table()
    assert posterior_only["seed"].tolist() == [7] * 4
    assert not posterior_only.filter(like="range.").columns.size
    seeds_only = plan_draws(3, 7, scenario, ("seed",)).table()
    assert list(seeds_only.columns) == ["draw", "seed"]
    quantiles = first["range.materials[material=clinker].price_cny_per_unit"]
    assert quantiles.between(0, 1).all()


def test_posterior_particles_are_drawn_by_weight(park, tmp_path):
    scenario = load_scenario(park / "scenario.toml")
    record = tmp_path / "record"
    record.mkdir()
    table = pd.DataFrame({"max_payback_yr": [2.0, 7.0, 9.0], "consider_probability": [0.1, 0.2, 0.3],
                          "weight": [0.0, 5.0, 0.0], "distance": [1.0, 1.0, 1.0]})  # fmt: skip
    table.to_csv(record / "posterior.csv", index=False)
    plan = plan_draws(5, 1, scenario, ("posterior",), calibration=record)
    assert plan.parameters["max_payback_yr"].tolist() == [7.0] * 5
    assert load_posterior(record, scenario)["weight"].tolist() == [0.0, 1.0, 0.0]
    table.assign(weight=[0.0, 0.0, 0.0]).to_csv(record / "posterior.csv", index=False)
    with pytest.raises(ValueError, match="column 'weight'"):
        load_posterior(record, scenario)
    table.rename(columns={"max_payback_yr": "payback"}).to_csv(record / "posterior.csv", index=False)
    with pytest.raises(ValueError, match=r"\['payback'\] are not parameters"):
        load_posterior(record, scenario)
    with pytest.raises(ValueError, match="no calibration posterior"):
        load_posterior(tmp_path / "nowhere", scenario)


def test_draws_of_seeds_alone_are_the_plain_runs_of_those_seeds(park):
    scenario = load_scenario(park / "scenario.toml")
    plan = plan_draws(2, 3, scenario, ("seed",))
    runs, monthly = run_draws(scenario, plan, progress=False)
    for draw, seed in enumerate(plan.seeds):
        model = SymbiosisModel(scenario, rng=seed, collect_agent_data=False)
        model.run()
        got = runs[runs["draw"] == draw].set_index("metric")["value"]
        pd.testing.assert_series_equal(got, pd.Series(run_metrics(model)), check_names=False)
    assert len(monthly) == 2 * 12


def test_run_with_posterior_writes_intervals_and_repeats_them_from_its_outputs(park, tmp_path):
    out, again = tmp_path / "run", tmp_path / "again"
    done = _cli("run", "--scenario", park / "scenario.toml", "--posterior", "3", "--ranges", park / "ranges.csv",
                "--out", out, "--quiet")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Uncertainty over 3 draws" in done.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"uncertainty.csv", "uncertainty_runs.csv", "uncertainty_draws.csv", "uncertainty.png"} <= set(manifest["files"])
    assert manifest["uncertainty"] == {"draws": 3, "sources": ["seed", "posterior", "ranges"], "calibration": "bundled",
                                       "ranges": str((park / "ranges.csv").resolve())}  # fmt: skip
    table = pd.read_csv(out / "uncertainty.csv").set_index("metric")
    assert (table["draws"] == 3).all()
    finite = table.dropna(subset=["p05", "p95"])
    assert (finite["p05"] <= finite["p50"]).all()
    assert (finite["p50"] <= finite["p95"]).all()
    series = pd.read_csv(out / "timeseries.csv")
    exchanged = series[(series["variable"] == "exchanged_t") & (series["item"] == "all")]["value"].sum() / 1000
    assert table.at["exchanged_kt_per_yr", "central"] == pytest.approx(exchanged)  # the tiny park runs one year
    repeated = _cli("run", "--from-outputs", out, "--out", again, "--quiet")
    assert repeated.returncode == 0, repeated.stderr
    for name in ("uncertainty.csv", "uncertainty_runs.csv", "uncertainty_draws.csv"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", "seed"], "need --posterior N"),
        (["--posterior", "0"], "--posterior must be at least 1"),
        (["--posterior", "2", "--calibration", "{tmp}"], "no calibration posterior"),
        (["--posterior", "2", "--ranges", "{bad}"], "ranges.csv, row 2, column 'low'"),
    ],
)
def test_bad_uncertainty_options_are_refused_before_anything_is_written(park, tmp_path, args, message):
    (park / "ranges.csv").write_text(CLINKER.format(low=310, high=500), encoding="utf-8")  # 300 is outside
    args = [a.format(tmp=tmp_path, bad=park / "ranges.csv") for a in args]
    done = _cli("run", "--scenario", park / "scenario.toml", "--out", tmp_path / "out", "--quiet", *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_compare_runs_every_scenario_with_the_same_draws(park, tmp_path):
    """A policy that never applies, under draws of the posterior, ranges and seeds: every paired difference is 0."""
    options = UncertaintyOptions(3, ranges=park / "ranges.csv")
    result = compare_scenarios([park / "scenario.toml", park / "later_carbon_price.toml"], seeds=[11],
                               out=tmp_path / "out", progress=False, uncertainty=options)  # fmt: skip
    wide = result.runs.pivot_table(index=["seed", "metric"], columns="scenario", values="value", dropna=False)
    pd.testing.assert_series_equal(wide["scenario"], wide["later_carbon_price"], check_names=False)
    assert (result.paired[["mean_difference", "p05_difference", "p95_difference"]].dropna() == 0.0).all().all()
    assert sorted(result.runs["seed"].unique()) == [11, 12, 13]
    draws = pd.read_csv(tmp_path / "out" / "compare_draws.csv")
    assert len(draws) == 3
    assert draws.filter(like="param.").nunique().max() > 1  # the particles differ from draw to draw
    assert "over 3 draws varying seed, posterior, ranges" in (tmp_path / "out" / "compare.md").read_text()
    table = result.table
    assert (table[("scenario", "p05")] <= table[("scenario", "p95")]).all()


def test_the_planner_over_draws_of_a_point_range_is_the_central_optimum(park):
    """A range of one value: every draw is the scenario itself, so each central path is used in every draw."""
    (park / "ranges.csv").write_text(CLINKER.format(low=300, high=300), encoding="utf-8")
    scenario = load_scenario(park / "scenario.toml")
    central, _, _ = optimize_scenario(scenario)
    drawn = planner_monte_carlo(scenario, plan_monte_carlo(3, 1, scenario, park / "ranges.csv"), central,
                                progress=False)  # fmt: skip
    used = drawn.paths[drawn.paths["central_t"] > 0]
    assert len(used) > 0
    assert (used["activation_probability"] == 1.0).all()
    for level in ("p10_t", "p50_t", "p90_t", "mean_t"):
        np.testing.assert_allclose(used[level], used["central_t"], rtol=1e-6)
    assert (drawn.paths.loc[drawn.paths["central_t"] == 0, "activation_probability"] == 0).all()


def test_the_planners_profit_rises_with_the_price_of_the_clinker_it_displaces(park):
    """The economic optimum's value cannot fall when a good it saves (clinker) is worth more."""
    scenario = load_scenario(park / "scenario.toml")
    plan = plan_monte_carlo(8, 2, scenario, park / "ranges.csv")
    central, _, _ = optimize_scenario(scenario, schemes=("economic",))
    drawn = planner_monte_carlo(scenario, plan, central, schemes=("economic",), progress=False)
    order = plan.quantiles.iloc[:, 0].to_numpy().argsort()
    profit = drawn.draw_totals.set_index("draw").loc[order, "profit_cny"].to_numpy()
    assert (np.diff(profit) >= -1e-6 * abs(profit).max()).all()
    assert profit[-1] > profit[0]
    shares = drawn.paths["activation_probability"] * len(plan)
    np.testing.assert_allclose(shares, shares.round())  # a share of whole draws


def test_optimize_monte_carlo_command_line(park, tmp_path):
    done = _cli("optimize", "--scenario", park / "scenario.toml", "--monte-carlo", "2", "--ranges",
                park / "ranges.csv", "--out", tmp_path / "opt", "--quiet")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Over 2 draws of the catalog's ranges" in done.stdout
    for name in ("planner_mc_paths.csv", "planner_mc_totals.csv", "planner_mc_draws.csv", "planner_mc_draw_totals.csv"):
        assert (tmp_path / "opt" / name).is_file(), name
    bad = _cli("optimize", "--scenario", park / "scenario.toml", "--ranges", park / "ranges.csv")
    assert bad.returncode == 2
    assert "--ranges needs --monte-carlo N" in bad.stderr


def test_compare_without_seed_draws_pairs_draw_by_draw(park, tmp_path):
    """--vary posterior: every draw has the same seed, yet the pairs are the draws (not all N x N combinations)."""
    options = UncertaintyOptions(3, sources=("posterior",))
    result = compare_scenarios([park / "scenario.toml", park / "later_carbon_price.toml"], seeds=[5],
                               out=tmp_path / "out", progress=False, uncertainty=options)  # fmt: skip
    assert result.paired["seeds"].max() == 3  # fewer where a metric is undefined in some draws (NaN)
    assert result.paired.set_index("metric").at["exchanged_kt_whole_run", "seeds"] == 3
    assert (result.paired["mean_difference"].dropna() == 0.0).all()
    lost = result.runs[result.runs["metric"] == "symbiotic_flow_lost_kt_during_limits"]
    assert len(lost) == 2 * 3
    assert set(result.runs["seed"]) == {5}


def test_compare_refuses_scenarios_that_differ_in_a_parameter_the_posterior_draws(park, tmp_path):
    text = (park / "scenario.toml").read_text()
    (park / "payback3.toml").write_text(text + "\n[parameters]\nmax_payback_yr = 3.0\n")
    with pytest.raises(ValueError, match="set max_payback_yr differently"):
        compare_scenarios([park / "scenario.toml", park / "payback3.toml"], seeds=[1], out=tmp_path / "out",
                          progress=False, uncertainty=UncertaintyOptions(2))  # fmt: skip
    assert not (tmp_path / "out").exists()
    done = compare_scenarios([park / "scenario.toml", park / "payback3.toml"], seeds=[1], out=tmp_path / "ok",
                             progress=False, uncertainty=UncertaintyOptions(2, sources=("seed",)))  # fmt: skip
    assert len(done.runs) > 0


def test_a_parameter_set_in_the_scenario_file_is_the_centre_of_its_range(park, tmp_path):
    """A TOML override of a parameter is the value its range scales (not the catalog's)."""
    text = (park / "scenario.toml").read_text()
    (park / "freight2.toml").write_text(text + "\n[parameters]\nfreight_tariff_factor = 2.0\n")
    ranges = tmp_path / "freight.csv"
    ranges.write_text("table,rows,columns,distribution,low,high,scale,unit,source,note\n"
                      "parameters,name=freight_tariff_factor,value,uniform,0.5,1.5,relative,factor,test,\n")  # fmt: skip
    scenario = load_scenario(park / "freight2.toml")
    plan = plan_draws(4, 1, scenario, ("ranges",), ranges_path=ranges)
    for i in range(4):
        drawn, _, _ = plan.draw(scenario, i)
        u = plan.quantiles.iloc[i, 0]
        assert drawn.parameters["freight_tariff_factor"] == pytest.approx(2.0 * (0.5 + u))
    assert scenario.parameters["freight_tariff_factor"] == 2.0


def test_a_range_of_a_parameter_the_posterior_draws_is_refused(park, tmp_path):
    ranges = tmp_path / "payback.csv"
    ranges.write_text("table,rows,columns,distribution,low,high,scale,unit,source,note\n"
                      "parameters,name=max_payback_yr,value,uniform,0.5,1.5,relative,factor,test,\n")  # fmt: skip
    scenario = load_scenario(park / "scenario.toml")
    with pytest.raises(ScenarioError, match=r"payback.csv, row 2, column 'rows': varies max_payback_yr"):
        plan_draws(2, 1, scenario, ranges_path=ranges)
    assert plan_draws(2, 1, scenario, ("ranges",), ranges_path=ranges).ranges  # without the posterior it is drawn


def test_the_bundled_ranges_leave_out_with_a_warning_what_a_scenario_does_not_have(park):
    scenario = load_scenario(park / "scenario.toml")  # the tiny park: no outlets, no coal, no T10-T14
    with pytest.warns(UserWarning, match="bundled ranges do not apply to 'tiny park'"):
        plan = plan_draws(2, 1, scenario, ("ranges",))
    assert 0 < len(plan.ranges) < len(plan.ranges) + len(plan.left_out)
    assert all(r.label in plan.quantiles.columns for r in plan.ranges)
    assert any("matches no row of outlets" in str(issue) for issue in plan.left_out)


def test_posterior_values_outside_a_parameters_bounds_are_refused(park, tmp_path):
    scenario = load_scenario(park / "scenario.toml")
    (tmp_path / "posterior.csv").write_text("bargaining_share,weight\n0.5,1\n1.5,1\n")
    with pytest.raises(ValueError, match=r"posterior.csv, column 'bargaining_share': values 0.5-1.5 leave"):
        load_posterior(tmp_path, scenario)


def test_a_resumed_run_makes_the_draws_its_checkpoint_recorded(park, tmp_path):
    from symbiosim.runs.checkpoint import save_checkpoint
    from symbiosim.runs.single import run_scenario

    options = UncertaintyOptions(2, ranges=park / "ranges.csv")
    whole = run_scenario(park / "scenario.toml", rng=3, out=tmp_path / "whole", progress=False, uncertainty=options)
    model = SymbiosisModel(load_scenario(park / "scenario.toml"), rng=3, collect_agent_data=False)
    for _ in range(5):
        model.step()
    save_checkpoint(model, tmp_path / "resumed" / "checkpoint", 3, {"uncertainty": options.record()})
    resumed = run_scenario(out=tmp_path / "resumed", progress=False, resume=True)
    for name in ("uncertainty.csv", "uncertainty_runs.csv", "uncertainty_draws.csv"):
        assert (resumed.folder / name).read_bytes() == (whole.folder / name).read_bytes(), name


def test_ranges_or_calibration_without_their_source_are_refused(park, tmp_path):
    done = _cli("run", "--scenario", park / "scenario.toml", "--posterior", "2", "--vary", "seed", "--ranges",
                park / "ranges.csv", "--out", tmp_path / "out")  # fmt: skip
    assert done.returncode == 2
    assert "--vary leaves out ranges" in done.stderr
    done = _cli("compare", park / "scenario.toml", "--posterior", "2", "--vary", "ranges", "--calibration", tmp_path)
    assert done.returncode == 2
    assert "--vary leaves out posterior" in done.stderr
