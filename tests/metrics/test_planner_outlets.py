"""The planner with outlets (the rest of the economy's demand), on an instance solved by hand.

Two steel plants each have 100 t of slag and one kiln within reach; the kiln has 200 t of
installed capacity (room for all of it, so the kiln does not ration unless a test makes it
smaller) and no room for new lines. Plant s1 avoids a
landfill fee of 50 CNY/t by selling (own reservation -50), s2 only 10 (-10). One outlet buys
slag in two blocks: 50 t worth 20 CNY/t at the gate and 100 t worth 0. A tonne's outlet margin
is the gate value less the seller's own reservation:

    s1: block 0  20 + 50 = 70,  block 1  0 + 50 = 50   (kiln route: ``margin_s1``, 60 unless set)
    s2: block 0  20 + 10 = 30,  block 1  0 + 10 = 10   (kiln route: ``margin_s2``, 40 unless set)
"""

from dataclasses import replace

import pandas as pd
import pytest

from symbiosim.metrics.planner import PlannerError, Snapshot, solve

NO_EFFECTS = {"so2_avoided_t": 0.0, "nox_avoided_t": 0.0, "pm_avoided_t": 0.0}


def instance(
    margin_s1: float = 60.0, margin_s2: float = 40.0, kiln_t: float = 200.0, has_outlet: bool = True
) -> Snapshot:
    """The two plants, the kiln (``kiln_t`` installed, no room for more) and (if ``has_outlet``) the outlet."""
    routes = pd.DataFrame(
        {
            "seller": ["s1", "s2"],
            "buyer": ["k", "k"],
            "byproduct": ["slag", "slag"],
            "technology": ["T", "T"],
            "group": ["g", "g"],
            "distance_km": [30.0, 30.0],
            "margin_cny_per_t": [margin_s1, margin_s2],
            "is_listed_waste": [True, True],
            "energy_saved_tce": [0.1, 0.1],
            "co2_avoided_t": [0.8, 0.8],
            **{k: [v, v] for k, v in NO_EFFECTS.items()},
        }
    )
    outlets = {}
    if has_outlet:
        outlets = {
            "outlet_bids": pd.DataFrame(
                {
                    "outlet": ["o", "o"],
                    "byproduct": ["slag", "slag"],
                    "block": [0, 1],
                    "gate_value_cny_per_t": [20.0, 0.0],
                    "cap_t": [50.0, 100.0],
                }
            ),
            "outlet_sellers": pd.DataFrame(
                {"seller": ["s1", "s2"], "outlet": ["o", "o"], "own_cny_per_t": [-50.0, -10.0]}
            ),
        }
    return Snapshot(
        routes=routes,
        supply=pd.DataFrame({"seller": ["s1", "s2"], "byproduct": ["slag", "slag"], "supply_t": [100.0, 100.0]}),
        capacity=pd.DataFrame(
            {
                "buyer": ["k"],
                "technology": ["T"],
                "cap_t": [kiln_t],
                "installed_t": [kiln_t],
                "upgrade_cny_per_t": [10.0],
            }
        ),
        group_capacity=pd.DataFrame({"buyer": ["k"], "group": ["g"], "cap_t": [1000.0]}),
        **outlets,
    )


def kiln_tonnes(result) -> dict[str, float]:
    return result.paths.groupby("seller")["tonnes"].sum().round(6).to_dict()


def outlet_tonnes(result) -> dict[str, float]:
    return result.outlet_sales.groupby("seller")["tonnes"].sum().round(6).to_dict()


@pytest.mark.parametrize(
    ("margin_s1", "to_kiln", "to_outlet", "profit"),
    [
        # s1's block-0 margin (70) beats its kiln route (60), block 1 (50) does not: block 0 is full
        # at 50 t, the other 50 t go to the kiln; s2's outlet margins (30, 10) lose to its kiln (40)
        # 50 x 70 + 50 x 60 + 100 x 40 = 10,500
        (60.0, {"s1": 50.0, "s2": 100.0}, {"s1": 50.0}, 10_500.0),
        # the kiln route (75) beats both blocks: nothing goes to the outlet; 100 x 75 + 100 x 40 = 11,500
        (75.0, {"s1": 100.0, "s2": 100.0}, {}, 11_500.0),
        # both blocks beat the kiln route (45): 50 t to block 0, 50 t to block 1, none to the kiln;
        # 50 x 70 + 50 x 50 + 100 x 40 = 10,000
        (45.0, {"s2": 100.0}, {"s1": 100.0}, 10_000.0),
    ],
)
def test_a_seller_sells_to_an_outlet_block_exactly_when_it_beats_the_kiln_route(margin_s1, to_kiln, to_outlet, profit):
    result = solve(instance(margin_s1=margin_s1), "economic")
    assert kiln_tonnes(result) == to_kiln
    assert outlet_tonnes(result) == to_outlet
    totals = result.totals.iloc[0]
    assert totals["profit_cny"] == pytest.approx(profit)
    assert totals["outlet_t"] == pytest.approx(sum(to_outlet.values()))
    assert totals["tonnes_used"] == pytest.approx(sum(to_kiln.values()))
    assert totals["profit_cny"] == pytest.approx(totals["route_profit_cny"] + totals["outlet_profit_cny"])
    # outlet tonnes earn their margin but no energy or emission credit: 0.1 tce per kiln tonne only
    assert totals["energy_saved_tce"] == pytest.approx(0.1 * sum(to_kiln.values()))
    by_waste = result.by_waste.set_index("byproduct").loc["slag"]
    assert (by_waste["used_t"], by_waste["outlet_t"]) == pytest.approx((totals["tonnes_used"], totals["outlet_t"]))
    assert by_waste["utilisation_rate"] == pytest.approx(totals["tonnes_used"] / 200.0)  # symbiosis only


def test_a_full_block_goes_to_the_seller_that_gains_most_from_it():
    # s2's route now earns 25 < 30 from block 0, but block 0 (50 t) gains s1 70 - 60 = 10 a tonne
    # over its kiln route and s2 only 30 - 25 = 5: s1 keeps the block, s2 stays at the kiln
    # (block 1, 10, is still below 25). 50 x 70 + 50 x 60 + 100 x 25 = 9,000
    result = solve(instance(margin_s2=25.0), "economic")
    assert outlet_tonnes(result) == {"s1": 50.0}
    assert kiln_tonnes(result) == {"s1": 50.0, "s2": 100.0}
    assert result.totals.loc[0, "profit_cny"] == pytest.approx(9_000.0)


def test_supply_and_block_capacities_hold():
    # a kiln of 20 t that only s2 profits from (s1's route earns 0): 200 t meet 20 + 50 + 100 = 170 t
    # of room, all worth filling. In either block s1 earns 40 CNY/t more than s2, so s1 sells its
    # whole 100 t to the outlet, s2 the 50 t left in the blocks and 20 t to the kiln; 30 t unsold.
    # Value: gate values 50 x 20 + 100 x 0, less own reservations 100 x -50 + 50 x -10, plus the
    # kiln's 20 x 40: 1,000 + 5,000 + 500 + 800 = 7,300
    result = solve(instance(margin_s1=0.0, kiln_t=20.0), "economic")
    sold = result.outlet_sales.set_index("seller")["tonnes"]
    assert sold.to_dict() == pytest.approx({"s1": 100.0, "s2": 50.0})
    assert sold.sum() == pytest.approx(50.0 + 100.0)  # both blocks full
    assert kiln_tonnes(result) == {"s2": 20.0}
    for seller, left_t in (("s1", 0.0), ("s2", 30.0)):  # routes and outlet sales share the seller's 100 t
        assert kiln_tonnes(result).get(seller, 0.0) + sold[seller] == pytest.approx(100.0 - left_t)
    totals = result.totals.iloc[0]
    assert totals["profit_cny"] == pytest.approx(7_300.0)
    assert totals["outlet_profit_cny"] == pytest.approx(6_500.0)
    assert totals["route_profit_cny"] == pytest.approx(800.0)


def test_win_win_keeps_the_outlets():
    result = solve(instance(), "win_win")
    assert outlet_tonnes(result) == {"s1": 50.0}
    assert result.totals.loc[0, "profit_cny"] == pytest.approx(10_500.0)


def test_the_theoretical_scheme_leaves_outlets_out():
    with_outlet, without = solve(instance(), "theoretical"), solve(instance(has_outlet=False), "theoretical")
    assert with_outlet.outlet_sales.empty
    assert with_outlet.totals.loc[0, "outlet_t"] == 0.0
    assert with_outlet.totals.loc[0, "tonnes_used"] == pytest.approx(200.0)  # all of it, to the kiln
    same = ["tonnes_used", "profit_cny", "paths", "variables", "constraints", "nonzeros"]
    pd.testing.assert_series_equal(with_outlet.totals.loc[0, same], without.totals.loc[0, same])


def test_without_outlets_the_economic_optimum_is_the_kilns_alone():
    result = solve(instance(has_outlet=False), "economic")
    assert kiln_tonnes(result) == {"s1": 100.0, "s2": 100.0}
    assert result.totals.loc[0, "profit_cny"] == pytest.approx(100 * 60.0 + 100 * 40.0)
    assert result.totals.loc[0, "outlet_t"] == 0.0
    assert list(result.outlet_sales.columns) == ["seller", "outlet", "byproduct", "tonnes", "profit_cny"]


def _changed(table: str, **columns) -> Snapshot:
    """The instance with columns of one outlet table replaced."""
    snapshot = instance()
    return replace(snapshot, **{table: getattr(snapshot, table).assign(**columns)})


def _second_outlet_at_another_reservation() -> Snapshot:
    """s1 may also sell to an outlet "p", but at an own reservation that differs from the one it has for "o"."""
    snapshot = instance()
    bids = pd.concat([snapshot.outlet_bids, snapshot.outlet_bids.assign(outlet="p")], ignore_index=True)
    sellers = pd.concat(
        [snapshot.outlet_sellers, pd.DataFrame({"seller": ["s1"], "outlet": ["p"], "own_cny_per_t": [-40.0]})],
        ignore_index=True,
    )
    return replace(snapshot, outlet_bids=bids, outlet_sellers=sellers)


@pytest.mark.parametrize(
    ("bad", "phrase"),
    [
        (lambda: _changed("outlet_bids", cap_t=[-1.0, 100.0]), "outlet_bids.cap_t has negative values"),
        (
            lambda: _changed("outlet_bids", gate_value_cny_per_t=[float("nan"), 0.0]),
            "outlet_bids.gate_value_cny_per_t has missing or infinite values",
        ),
        (
            lambda: _changed("outlet_sellers", own_cny_per_t=[float("inf"), -10.0]),
            "outlet_sellers.own_cny_per_t has missing or infinite values",
        ),
        (lambda: _changed("outlet_bids", block=[0, 0]), r"outlet_bids row \{'outlet': 'o', 'block': 0\} repeats"),
        (
            lambda: _changed("outlet_bids", byproduct=["slag", "ash"]),
            r"outlet_bids row \{'outlet': 'o', 'block': 1, 'byproduct': 'ash'\} gives its outlet a second by-product",
        ),
        (
            lambda: _changed("outlet_sellers", outlet=["o", "p"]),
            r"outlet_sellers row \{'seller': 's2', 'outlet': 'p'\} names an outlet with no row in the outlet_bids",
        ),
        (
            lambda: _changed("outlet_sellers", seller=["s1", "s3"]),
            r"outlet_sellers row \{'seller': 's3', 'outlet': 'o', 'byproduct': 'slag'\} has no row in the supply",
        ),
        (
            lambda: _changed("outlet_sellers", seller=["s1", "s1"]),
            r"outlet_sellers row \{'seller': 's1', 'outlet': 'o'\} repeats",
        ),
        (
            _second_outlet_at_another_reservation,
            r"outlet_sellers row \{'seller': 's1', 'outlet': 'p', 'byproduct': 'slag'\} gives its seller a second own",
        ),
        (
            lambda: replace(instance(), outlet_sellers=instance().outlet_sellers.drop(columns="own_cny_per_t")),
            r"outlet_sellers lack columns \['own_cny_per_t'\]",
        ),
    ],
)
def test_bad_outlet_inputs_name_the_row(bad, phrase):
    with pytest.raises(PlannerError, match=phrase):
        solve(bad(), "economic")
