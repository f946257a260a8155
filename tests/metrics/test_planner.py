"""The planner's schemes on instances solved by hand, and its guarantees."""

import pandas as pd
import pytest

from symbiosim.metrics.planner import PlannerError, Snapshot, solve

EFFECTS = {
    "energy_saved_tce": 0.1,
    "co2_avoided_t": 0.8,
    "so2_avoided_t": 0.0,
    "nox_avoided_t": 0.0,
    "pm_avoided_t": 0.0,
}


def instance(vat: bool = False, near_saves_energy: bool = True) -> Snapshot:
    """A hand-solved instance: one steel plant with 100 t of slag and two kilns.

    Kiln B1 has 60 t of installed capacity and earns 30 CNY/t; kiln B2 may install 80 t at
    10 CNY/t and earns 25 CNY/t (before its capacity cost).
    """
    routes = pd.DataFrame(
        {
            "seller": ["s1", "s1"],
            "buyer": ["b1", "b2"],
            "byproduct": ["slag", "slag"],
            "technology": ["T", "T"],
            "group": ["g", "g"],
            "distance_km": [20.0, 60.0],
            "margin_cny_per_t": [30.0, 25.0],
            "is_listed_waste": [True, True],
            **{k: [v, v] for k, v in EFFECTS.items()},
        }
    )
    if not near_saves_energy:
        routes.loc[0, "energy_saved_tce"] = -0.01
    return Snapshot(
        routes=routes,
        supply=pd.DataFrame({"seller": ["s1"], "byproduct": ["slag"], "supply_t": [100.0]}),
        capacity=pd.DataFrame(
            {
                "buyer": ["b1", "b2"],
                "technology": ["T", "T"],
                "cap_t": [60.0, 80.0],
                "installed_t": [60.0, 0.0],
                "upgrade_cny_per_t": [10.0, 10.0],
            }
        ),
        group_capacity=pd.DataFrame({"buyer": ["b1", "b2"], "group": ["g", "g"], "cap_t": [1000.0, 1000.0]}),
        vat=pd.DataFrame({"buyer": ["b2"], "rebate_cny": [500.0], "needed_t": [70.0]})
        if vat
        else pd.DataFrame(columns=["buyer", "rebate_cny", "needed_t"]),
    )


def tonnes_by_buyer(result) -> dict[str, float]:
    return result.paths.groupby("buyer")["tonnes"].sum().round(6).to_dict()


def test_theoretical_uses_every_tonne_the_caps_allow():
    result = solve(instance(), "theoretical")
    assert result.totals.loc[0, "tonnes_used"] == pytest.approx(100.0)  # min(100, 60 + 80)
    assert result.by_waste.set_index("byproduct").loc["slag", "utilisation_rate"] == pytest.approx(1.0)
    # of the equally large solutions, the one with the least new capacity: b1's 60 installed t, 40 t new at b2
    assert result.totals.loc[0, "new_capacity_t"] == pytest.approx(40.0)


def test_economic_fills_the_better_kiln_first():
    result = solve(instance(), "economic")
    # b1: 60 t x 30 = 1,800; b2: 40 t x (25 - 10 for new capacity) = 600
    assert tonnes_by_buyer(result) == {"b1": 60.0, "b2": 40.0}
    assert result.totals.loc[0, "profit_cny"] == pytest.approx(2400.0)
    assert result.totals.loc[0, "new_capacity_t"] == pytest.approx(40.0)


def test_the_vat_threshold_binary_changes_the_allocation():
    result = solve(instance(vat=True), "economic")
    # b2 needs 70 t for its 500 CNY rebate: 30 x 30 + 70 x 15 + 500 = 2,450 > 2,400 without it
    assert tonnes_by_buyer(result) == {"b1": 30.0, "b2": 70.0}
    assert result.totals.loc[0, "profit_cny"] == pytest.approx(2450.0)
    assert result.totals.loc[0, "vat_plants_qualified"] == 1
    relaxed = solve(instance(vat=True), "economic", relax=True)
    # the rebate spread as 500/70 CNY per tonne: 1,800 + 40 x (15 + 500/70) = 2,685.71
    assert relaxed.totals.loc[0, "profit_cny"] == pytest.approx(1800 + 40 * (15 + 500 / 70))
    assert relaxed.totals.loc[0, "profit_cny"] >= result.totals.loc[0, "profit_cny"]


def test_a_threshold_beyond_the_plants_capacity_wins_no_rebate_even_relaxed():
    """b2 would need 90 t, but its line takes at most 80 t: the rebate is out of reach, its binary fixed at 0."""
    snapshot = instance(vat=True)
    snapshot.vat["needed_t"] = 90.0
    for relax in (False, True):
        result = solve(snapshot, "economic", relax=relax)
        assert result.totals.loc[0, "vat_rebate_cny"] == 0.0
        assert result.totals.loc[0, "profit_cny"] == pytest.approx(2400.0)  # as without a rebate


def test_win_win_drops_routes_without_a_net_environmental_benefit():
    result = solve(instance(near_saves_energy=False), "win_win")
    assert tonnes_by_buyer(result) == {"b2": 80.0}  # only the route that saves energy; 80 t x 15
    assert result.totals.loc[0, "profit_cny"] == pytest.approx(80 * 15.0)


def test_same_inputs_same_solution():
    first, second = solve(instance(vat=True), "economic"), solve(instance(vat=True), "economic")
    pd.testing.assert_frame_equal(first.paths, second.paths)


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        (lambda s: s.supply.assign(supply_t=[-1.0]), "supply.supply_t has negative values"),
        (lambda s: s.supply.assign(byproduct=["ash"]), "has no row in the supply table"),
        (lambda s: s.supply.assign(supply_t=[float("nan")]), "supply.supply_t has missing or infinite values"),
    ],
)
def test_bad_inputs_name_the_cause(change, phrase):
    snapshot = instance()
    bad = Snapshot(snapshot.routes, change(snapshot), snapshot.capacity, snapshot.group_capacity, snapshot.vat)
    with pytest.raises(PlannerError, match=phrase):
        solve(bad, "economic")
    with pytest.raises(PlannerError, match="scheme must be one of"):
        solve(snapshot, "utopia")


def test_the_planner_opens_a_route_only_where_its_tonnes_pay_for_the_set_up():
    # b2 earns 40 t x (25 - 10 new capacity) = 600 CNY in the period
    cheap, dear = instance(), instance()
    cheap.routes["setup_cny"] = [0.0, 500.0]
    dear.routes["setup_cny"] = [0.0, 700.0]
    opened = solve(cheap, "economic")
    assert tonnes_by_buyer(opened) == {"b1": 60.0, "b2": 40.0}
    assert opened.totals.loc[0, "setup_cost_cny"] == pytest.approx(500.0)
    assert opened.totals.loc[0, "profit_cny"] == pytest.approx(2400.0 - 500.0)
    closed = solve(dear, "economic")
    assert tonnes_by_buyer(closed) == {"b1": 60.0}
    assert closed.totals.loc[0, "profit_cny"] == pytest.approx(1800.0)
    assert solve(dear, "theoretical").totals.loc[0, "tonnes_used"] == pytest.approx(100.0)  # tonnes only
    # the LP relaxation charges the set-up at its binary's fractional value: an upper bound again
    relaxed = solve(dear, "economic", relax=True)
    assert relaxed.totals.loc[0, "profit_cny"] >= closed.totals.loc[0, "profit_cny"] - 1e-6


def test_a_losing_route_is_kept_where_it_wins_a_rebate():
    """A route without margin stays in the problem where it can win a plant its rebate.

    b2's route loses 5 CNY/t (and its new line 10 more), yet 70 t of it win a 2,000 CNY rebate:
    30 x 30 + 70 x (-15) + 2,000 = 1,850 > 1,800 (b1's 60 t alone).
    """
    snapshot = instance(vat=True)
    snapshot.routes.loc[1, "margin_cny_per_t"] = -5.0
    snapshot.vat["rebate_cny"] = 2000.0
    result = solve(snapshot, "economic")
    assert tonnes_by_buyer(result) == {"b1": 30.0, "b2": 70.0}
    assert result.totals.loc[0, "profit_cny"] == pytest.approx(1850.0)
    snapshot.vat["rebate_cny"] = 500.0  # 350 < 1,800: the losing route is not used
    assert tonnes_by_buyer(solve(snapshot, "economic")) == {"b1": 60.0}


@pytest.mark.slow
def test_the_relaxation_shortcut_finds_the_milp_optimum_on_the_baseline(monkeypatch):
    """The LP relaxation taken as the optimum where its binaries are 0 or 1 is the MILP's optimum.

    On the default region under the VAT rebate they come out 0 or 1; forcing the branch and bound
    gives the same objective (within the MIP gap) and as many plants qualifying.
    """
    from pathlib import Path

    import symbiosim.metrics.planner as planner
    from symbiosim.runs.optimize import snapshot_of_scenario

    baseline = Path(__file__).resolve().parents[2] / "examples" / "policies" / "baseline.toml"
    snapshot, _ = snapshot_of_scenario(baseline, 2025, rng=1)
    for scheme in ("economic", "win_win"):
        quick = solve(snapshot, scheme).totals.iloc[0]
        monkeypatch.setattr(planner, "INTEGRAL_TOLERANCE", -1.0)  # every relaxation counts as fractional
        full = solve(snapshot, scheme).totals.iloc[0]
        monkeypatch.undo()
        assert full["vat_plants_qualified"] > 0
        assert quick["vat_plants_qualified"] == full["vat_plants_qualified"]
        assert quick["profit_cny"] == pytest.approx(full["profit_cny"], rel=1e-6)
