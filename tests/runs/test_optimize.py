"""The planner on a real JJJ snapshot: constraints hold, schemes rank as they must, the CLI writes its files."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symbiosim import SymbiosisModel
from symbiosim.environment.pricing import own_reservation_cny_per_t
from symbiosim.metrics.planner import SCHEMES, Snapshot, solve
from symbiosim.runs.optimize import emergent_vs_optimal, snapshot_of_model, snapshot_of_scenario

BASELINE = Path(__file__).parents[2] / "examples" / "policies" / "baseline.toml"
OUTLET_PARK = Path(__file__).parents[1] / "data" / "tiny" / "outlet.toml"
KILNS_ONLY = Path(__file__).parents[2] / "examples" / "markets" / "kilns_only.toml"
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
        "planner_outlet_sales.csv",
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


ROUTE_KEY = ["seller", "buyer", "technology"]


def _route_margins(model: SymbiosisModel, reservation: np.ndarray) -> pd.Series:
    """Margins of the model's symbiosis routes at its current prices, net of ``reservation`` (per route), by route key."""
    wtp, _ = model.route_prices()
    routes = model.market.routes
    ids, technologies = np.asarray(model.facility_ids, dtype=object), np.asarray(model.catalog.technologies, dtype=object)
    key = pd.MultiIndex.from_arrays([ids[routes.seller], ids[routes.buyer], technologies[routes.technology]], names=ROUTE_KEY)
    margins = pd.Series(wtp - routes.transport_cny_per_t - reservation, index=key)
    return margins[model.catalog.tech_is_symbiosis[routes.technology]]


def _planner_margins(snapshot: Snapshot, of: pd.Series) -> np.ndarray:
    """The snapshot's margins on the routes of ``of`` (NaN where the planner lacks one)."""
    return snapshot.routes.set_index(ROUTE_KEY)["margin_cny_per_t"].reindex(of.index).to_numpy()


def test_without_outlets_the_default_snapshot_solves_as_before():
    snapshot, model = snapshot_of_scenario(KILNS_ONLY, 2025, rng=1)
    assert snapshot.outlet_bids.empty  # the default region with its outlets replaced by none
    assert snapshot.outlet_sellers.empty
    # with no outlets a seller's own reservation is the model's route reservation, bit for bit
    _, reservation = model.route_prices()
    own = own_reservation_cny_per_t(model.catalog, model.levers.landfill_fee, model.levers.ep_tax)
    routes = model.market.routes
    np.testing.assert_array_equal(reservation, own[routes.seller, routes.byproduct])
    margins = _route_margins(model, reservation)
    np.testing.assert_array_equal(_planner_margins(snapshot, margins), margins.to_numpy())
    # and the empty outlet tables change neither the problem nor its solution
    bare = Snapshot(
        snapshot.routes, snapshot.supply, snapshot.capacity, snapshot.group_capacity, snapshot.vat, snapshot.period
    )
    for scheme in SCHEMES:
        with_tables, without = solve(snapshot, scheme), solve(bare, scheme)
        pd.testing.assert_frame_equal(
            with_tables.totals.drop(columns="solve_s"), without.totals.drop(columns="solve_s"), check_exact=True
        )
        pd.testing.assert_frame_equal(with_tables.paths, without.paths, check_exact=True)
        assert with_tables.totals.loc[0, "outlet_t"] == 0.0
        assert (with_tables.by_waste["outlet_t"] == 0.0).all()


@pytest.fixture(scope="module")
def outlet_park():
    return snapshot_of_scenario(OUTLET_PARK, 2025, rng=1)


def test_a_year_snapshot_holds_the_outlet_blocks_and_sellers(outlet_park):
    snapshot, _ = outlet_park
    # tests/data/tiny/outlets.csv: 48,000 t/yr in 8 blocks, delivered 50, 30, ..., -90 CNY/t, haul 20
    bids = snapshot.outlet_bids
    assert list(bids["block"]) == list(range(8))
    np.testing.assert_allclose(bids["gate_value_cny_per_t"], 30.0 - 20.0 * np.arange(8))
    np.testing.assert_allclose(bids["cap_t"], 48_000 / 8)
    # only the steel plant makes steel slag in Hebei; its own reservation: landfill 50 and EP tax 25 avoided
    assert snapshot.outlet_sellers.to_dict("records") == [
        {"seller": "steel_s", "outlet": "slag_road_base_hebei", "own_cny_per_t": -75.0}
    ]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_outlets_clear_what_the_kilns_leave_within_supply(outlet_park, scheme):
    snapshot, _ = outlet_park
    result = solve(snapshot, scheme)
    # every seller's routes and outlet sales together stay within its supply (eq. 2)
    sold = pd.concat(
        [result.paths[["seller", "byproduct", "tonnes"]], result.outlet_sales[["seller", "byproduct", "tonnes"]]]
    )
    load = sold.groupby(["seller", "byproduct"])["tonnes"].sum()
    supply = snapshot.supply.set_index(["seller", "byproduct"])["supply_t"]
    assert (load <= supply.reindex(load.index) + TOLERANCE_T).all()
    assert result.outlet_sales["tonnes"].sum() <= snapshot.outlet_bids["cap_t"].sum() + TOLERANCE_T
    totals = result.totals.iloc[0]
    # the kilns take 60,000 t each (their cap, margins 320 and 280 CNY/t, above any outlet block's)
    assert totals["tonnes_used"] == pytest.approx(120_000.0)
    if scheme == "theoretical":
        assert totals["outlet_t"] == 0.0
        return
    # 144,000 - 120,000 = 24,000 t left fill the four blocks whose margin over -75 is positive
    # and largest: 6,000 t x (105 + 85 + 65 + 45) = 1.8 M CNY
    assert totals["outlet_t"] == pytest.approx(24_000.0)
    assert totals["outlet_profit_cny"] == pytest.approx(1_800_000.0)
    assert totals["profit_cny"] == pytest.approx(totals["route_profit_cny"] + 1_800_000.0)
    assert result.by_waste.set_index("byproduct").loc["steel_slag", "outlet_t"] == pytest.approx(24_000.0)


def test_route_margins_leave_the_outlets_to_the_planner():
    model = SymbiosisModel(OUTLET_PARK, rng=3, collect_agent_data=False)
    model.run(2)  # the outlet paid -40 in month 1, above the seller's own -75 (tests/test_outlets.py)
    snapshot = snapshot_of_model(model)
    _, reservation = model.route_prices()
    own = own_reservation_cny_per_t(model.catalog, model.levers.landfill_fee, model.levers.ep_tax)
    own_per_route = own[model.market.routes.seller, model.market.routes.byproduct]
    assert (reservation > own_per_route).all()  # the model's reservation counts the outlet's price
    margins = _route_margins(model, own_per_route)
    np.testing.assert_array_equal(_planner_margins(snapshot, margins), margins.to_numpy())
    # the month's blocks: 500 t each
    np.testing.assert_allclose(snapshot.outlet_bids["cap_t"], 4_000 / 8)


def test_a_partial_year_sums_the_outlet_season_over_the_months_it_covers(tmp_path):
    # the outlet follows the landfill sector's season (0.5 in January-June, 1.5 in July-December);
    # a run from July covers six months of 2025: 6 x 500 t x 1.5 = 4,500 t per block (flat: 3,000)
    season = "\n".join(f"landfill,{m},{0.5 if m <= 6 else 1.5},test," for m in range(1, 13))
    (tmp_path / "seasonality.csv").write_text(f"sector,month,factor,source,note\n{season}\n")
    outlets = (OUTLET_PARK.parent / "outlets.csv").read_text().replace(",road,,test,", ",road,landfill,test,")
    (tmp_path / "outlets.csv").write_text(outlets)
    toml = tmp_path / "park.toml"
    toml.write_text(
        f'[scenario]\nname = "seasonal outlet"\nextends = "{OUTLET_PARK.as_posix()}"\nstart = "2025-07"\n'
        '[tables.outlets]\nfile = "outlets.csv"\n[tables.seasonality]\nfile = "seasonality.csv"\n'
    )
    year, model = snapshot_of_scenario(toml, 2025, rng=1)
    assert model.record.annual_months[2025] == 6
    np.testing.assert_allclose(year.outlet_bids["cap_t"], 6 * 500.0 * 1.5)
    august, _ = snapshot_of_scenario(toml, 2025, rng=1, month=8)
    np.testing.assert_allclose(august.outlet_bids["cap_t"], 500.0 * 1.5)
    january, _ = snapshot_of_scenario(toml, 2026, rng=1, month=1)
    np.testing.assert_allclose(january.outlet_bids["cap_t"], 500.0 * 0.5)


def test_emergent_and_optimal_tonnes_count_symbiosis_routes_only():
    model = SymbiosisModel(OUTLET_PARK, rng=3, collect_agent_data=False)
    model.run()
    row = emergent_vs_optimal(model, schemes=("economic",)).iloc[0]
    # the run's kilns take 10,000 t a month; its outlet sales (2,000 t a month) are left out, as are
    # the optimum's 24,000 t to the outlet: 120,000 t against 120,000 t
    series = model.datacollector.get_model_vars_dataframe()
    assert series["outlet_t"].sum() == pytest.approx(24_000.0)  # the run sold to the outlet as well
    assert row["emergent_tonnes_used"] == pytest.approx(120_000.0)
    assert row["optimal_tonnes_used"] == pytest.approx(120_000.0)
    assert row["ratio_tonnes_used"] == pytest.approx(1.0)
    # the outlet tonnes are compared beside them: 2,000 t a month over the year on both sides
    assert row["emergent_outlet_t"] == pytest.approx(24_000.0)
    assert row["optimal_outlet_t"] == pytest.approx(24_000.0)
    assert row["ratio_outlet_t"] == pytest.approx(1.0)


def test_the_planner_sees_every_route_a_mode_reaches_whatever_the_policies():
    """The market keeps the routes that can pay under a run's policies; the planner's candidates do not depend on them.

    On the routes both have, the planner's margins and effects are the market's.
    """
    plain, plain_model = snapshot_of_scenario(None, 2025, rng=1)
    with_vat, vat_model = snapshot_of_scenario(BASELINE, 2025, rng=1)
    assert plain.routes[ROUTE_KEY].equals(with_vat.routes[ROUTE_KEY])
    assert vat_model.market.n_routes > plain_model.market.n_routes  # the VAT rebate extends the market's reach
    own = own_reservation_cny_per_t(plain_model.catalog, plain_model.levers.landfill_fee, plain_model.levers.ep_tax)
    routes = plain_model.market.routes
    margins = _route_margins(plain_model, own[routes.seller, routes.byproduct])
    planner = _planner_margins(plain, margins)
    assert not np.isnan(planner).any()  # every market route is a planner route
    assert len(plain.routes) > len(margins)
    np.testing.assert_array_equal(planner, margins.to_numpy())
