"""Prices from competition on a small hand-checked market (environment/competition.py).

Two sellers (0, 1) of one by-product and two kilns (2, 3) with one technology, every pair a
route; willingness to pay w = 100 CNY/t, seller reservation r = -50 (its disposal cost),
freight 0.5 CNY/t per km. A trade's price is the equal split of w - t - r unless a party's
rival in this month's market would give it more: a seller left with unsold tonnes caps what a
kiln pays; a kiln left with room sets what a seller can ask.
"""

import numpy as np
import pytest

from symbiosim.environment.clearing_loops import settle_terms
from symbiosim.environment.competition import OutsideOptions, best_rival, competitive_prices, share_array, shares_at
from symbiosim.environment.contracts import TrustRules
from symbiosim.environment.market import Market, MonthInputs
from symbiosim.environment.routes import Routes

RULES = TrustRules(initial=0.6, gain=0.2, loss=0.5, minimum=0.3)
KM = {(0, 2): 10.0, (0, 3): 40.0, (1, 2): 30.0, (1, 3): 20.0}
W, R = 100.0, -50.0


def clear(supply: tuple[float, float], room: tuple[float, float], setup_cny: dict | None = None):
    """One month of the two-by-two market; returns (tonnes, price) per route in KM order."""
    pairs = list(KM)
    seller = np.array([s for s, _ in pairs])
    buyer = np.array([b for _, b in pairs])
    km = np.array([KM[p] for p in pairs])
    zeros = np.zeros(len(pairs), dtype=np.intp)
    setup = np.array([(setup_cny or {}).get(p, 0.0) for p in pairs])
    market = Market(Routes.from_arrays(seller, buyer, zeros, zeros, km, 0.5 * km), np.array([12]), RULES,
                    setup_cny=setup)  # fmt: skip
    market.book.known[:] = True
    supply_t = np.array([[supply[0]], [supply[1]], [0.0], [0.0]])
    capacity = np.array([[0.0], [0.0], [room[0]], [room[1]]])
    month = MonthInputs(
        supply_t=supply_t,
        generated_t=supply_t.copy(),
        capacity_t=capacity,
        group_capacity_t=capacity.copy(),
        wtp_cny_per_t=np.full(len(pairs), W),
        reservation_cny_per_t=np.full(len(pairs), R),
        is_installed=np.ones(len(pairs), bool),
        season_now=np.ones(4),
        installed_monthly_t=np.full((4, 1), 1e9),
        season_peak=np.ones(4),
        seller_share=0.5,
    )
    result = market.clear(1, month)
    price = np.divide(result.value_cny, result.tonnes, out=np.full(len(pairs), np.nan), where=result.tonnes > 0)
    return result.tonnes, price


def mean_price(supply, room) -> float:
    tonnes, price = clear(supply, room)
    return float(np.nansum(tonnes * np.nan_to_num(price)) / tonnes.sum())


def test_a_glut_prices_at_what_the_unsold_rival_would_take():
    # kiln 2 (room 50) is served by seller 0 (10 km); seller 1 keeps 50 t unsold and would sell
    # to kiln 2 over 30 km at its reservation: kiln 2 keeps 100 - 15 + 50 = 135 there, so it pays
    # at most 100 - 5 - 135 = -40 here (the split would be -50 + 145 / 2 = 22.5)
    tonnes, price = clear(supply=(50.0, 50.0), room=(50.0, 0.0))
    assert tonnes.tolist() == [50.0, 0.0, 0.0, 0.0]
    assert price[0] == pytest.approx(-40.0)


def test_a_shortage_prices_at_what_the_rival_buyer_would_pay():
    # seller 0 (50 t) serves kiln 2 (10 km); kiln 3 has room left and would pay w - t = 100 - 20
    # at 40 km: seller 0 asks that much of kiln 2 (the split would be 22.5)
    tonnes, price = clear(supply=(50.0, 0.0), room=(50.0, 50.0))
    assert tonnes.tolist() == [50.0, 0.0, 0.0, 0.0]
    assert price[0] == pytest.approx(80.0)


def test_a_rival_route_that_is_not_set_up_is_no_outside_option():
    # as in the glut and shortage cases, but the rival route would first need a set-up no month pays for
    split = R + 0.5 * (W - 5.0 - R)
    _, price = clear(supply=(50.0, 50.0), room=(50.0, 0.0), setup_cny={(1, 2): 1e9})
    assert price[0] == pytest.approx(split)
    _, price = clear(supply=(50.0, 0.0), room=(50.0, 50.0), setup_cny={(0, 3): 1e9})
    assert price[0] == pytest.approx(split)


def test_without_rivals_the_price_is_the_split():
    tonnes, price = clear(supply=(50.0, 50.0), room=(50.0, 50.0))  # everything sells, nobody has room
    assert tonnes.tolist() == [50.0, 0.0, 0.0, 50.0]
    assert price[0] == pytest.approx(R + 0.5 * (W - 5.0 - R))
    assert price[3] == pytest.approx(R + 0.5 * (W - 10.0 - R))


def test_price_falls_as_supply_rises_and_rises_as_demand_rises():
    by_supply = [mean_price((s, s), (100.0, 100.0)) for s in (30.0, 100.0, 300.0)]
    assert by_supply[0] > by_supply[1] > by_supply[2]
    by_room = [mean_price((100.0, 100.0), (c, c)) for c in (30.0, 100.0, 300.0)]
    assert by_room[0] < by_room[1] < by_room[2]
    # the ends: a glut drives the price toward the disposal cost, a shortage toward w - t
    assert by_supply[2] < R + 30.0
    assert by_room[2] > W - 30.0


def test_prices_stay_between_the_parties_reservations():
    rng = np.random.default_rng(4)
    for _ in range(50):
        net, reservation = rng.uniform(-100, 300, 20), rng.uniform(-200, 100, 20)
        options = OutsideOptions(rng.uniform(0, 400, 20), rng.uniform(0, 400, 20))
        price = competitive_prices(net, reservation, rng.uniform(0, 1), options)
        trades = net > reservation
        assert (price[trades] >= reservation[trades] - 1e-9).all()
        assert (price[trades] <= net[trades] + 1e-9).all()


def test_the_best_rival_is_another_partner():
    key = np.array([0, 0, 0, 1, 1])
    partner = np.array([7, 8, 9, 7, 7])
    value = np.array([5.0, 9.0, 1.0, 4.0, 6.0])
    offered = np.array([True, True, True, True, False])
    # key 0: best 9 (partner 8), runner-up of another partner 5; key 1: only partner 7 is offered
    assert best_rival(key, partner, value, offered).tolist() == [9.0, 5.0, 9.0, 0.0, 0.0]


@pytest.mark.parametrize("seed", range(20))
def test_the_compiled_best_rival_matches_its_definition(seed):
    """Oracle: for each route, the best value among the offered routes (value > 0) of its key with another partner."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    key, partner = rng.integers(0, 5, n), rng.integers(0, 4, n)
    value = rng.choice([-1.0, 0.0, 1.0, 2.0, 2.0, 3.5], n)  # ties, zeros and negatives on purpose
    offered = rng.random(n) < 0.8
    rivals = [[value[j] for j in range(n) if key[j] == key[i] and partner[j] != partner[i] and offered[j] and value[j] > 0]
              for i in range(n)]  # fmt: skip
    expected = [max(values, default=0.0) for values in rivals]
    assert best_rival(key, partner, value, offered).tolist() == expected


def competitive_prices_by_definition(net, reservation, share, options):
    """The split clipped by the outside options and to [r, w - t], in numpy array operations."""
    surplus = net - reservation
    split = reservation + share * surplus
    low = reservation + np.clip(options.seller_cny_per_t, 0.0, surplus)
    high = net - np.clip(options.buyer_cny_per_t, 0.0, surplus)
    price = np.where(low <= high, np.clip(split, low, high), (low + high) / 2)
    return np.clip(price, reservation, np.maximum(net, reservation))


@pytest.mark.parametrize("seed", range(20))
def test_the_compiled_prices_are_those_of_the_array_definition(seed):
    """Oracle, bit for bit (signed zeros, infinities and NaN included), with one share or one per route."""
    rng = np.random.default_rng(seed)
    n = 400
    pick = [-np.inf, -80.0, -0.0, 0.0, 12.5, 12.5, 60.0, np.inf, np.nan]
    net, reservation = rng.choice(pick, n), rng.choice(pick, n)
    options = OutsideOptions(rng.choice(pick, n), rng.choice(pick, n))
    share = rng.uniform(0, 1) if seed % 2 else rng.choice([0.0, 0.5, 1.0], n)
    with np.errstate(invalid="ignore"):
        expected = competitive_prices_by_definition(net, reservation, share, options)
    got = competitive_prices(net, reservation, share, options)
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(expected))


def outside_options(surplus, seller, buyer, at, left):
    """Each open route's outside options after clearing: rival sellers with unsold tonnes, rival buyers with room."""
    at_supply, at_capacity, at_group = at
    supply, capacity, group = left
    unsold = supply[at_supply] > 1e-9
    room = (capacity[at_capacity] > 1e-9) & (group[at_group] > 1e-9)
    return OutsideOptions(best_rival(at_group, seller, surplus, unsold), best_rival(at_supply, buyer, surplus, room))


def settle_by_definition(spot, split, open_route, parties, routes, at, left, due, stated):
    """The terms of a month as the numpy definitions give them: outside options, then clipped split prices."""
    net, reservation, share = parties
    surplus = net - reservation
    price = split.copy()
    if spot.any():
        sub = np.flatnonzero(open_route & (surplus > 0))
        options = outside_options(surplus[sub], routes[0][sub], routes[1][sub], tuple(a[sub] for a in at), left)
        price[sub] = competitive_prices_by_definition(net[sub], reservation[sub], shares_at(share, sub), options)
    part = np.divide(price - reservation, surplus, out=np.full_like(surplus, share), where=surplus > 0)
    part = np.where(np.isnan(stated), part, stated)
    return price, due * part, due * (1 - part)


@pytest.mark.parametrize("seed", range(30))
def test_the_compiled_settlement_matches_its_definition_bit_for_bit(seed):
    """Oracle: ``settle_terms`` (one compiled pass) against outside options + competitive prices, on random markets."""
    rng = np.random.default_rng(seed)
    n, n_f = int(rng.integers(1, 300)), int(rng.integers(2, 12))
    seller, buyer = rng.integers(0, n_f, n), rng.integers(0, n_f, n)
    byproduct, group = rng.integers(0, 3, n), rng.integers(0, 2, n)
    at = (seller * 3 + byproduct, buyer * 4 + rng.integers(0, 4, n), buyer * 2 + group)
    left = tuple(rng.choice([0.0, 1e-9, 5.0, 80.0], size) for size in (n_f * 3, n_f * 4, n_f * 2))
    net = rng.choice([-20.0, 0.0, 15.0, 40.0, 40.0, 95.5], n) + rng.choice([0.0, 0.25], n)  # ties on purpose
    reservation = rng.choice([-60.0, -10.0, 0.0, 20.0], n)
    share = rng.uniform(0, 1) if seed % 2 else rng.uniform(0, 1, n)
    split = reservation + share * (net - reservation)
    spot = np.where(rng.random(n) < 0.3, rng.uniform(0, 50, n), 0.0) * (seed % 5 != 0)  # some months trade nothing
    open_route = rng.random(n) < 0.7
    due = np.where(rng.random(n) < 0.2, 1000.0, 0.0)
    stated = np.where(rng.random(n) < 0.3, rng.uniform(0, 1, n), np.nan)
    stated = stated if seed % 3 else np.full(n, np.nan)  # some months: no stated parts at all
    got = settle_terms(spot, split, open_route, (net, reservation, share_array(share, n)), (seller, buyer), at, left, due,
                       stated, 1e-9)  # fmt: skip
    expected = settle_by_definition(spot, split, open_route, (net, reservation, share), (seller, buyer), at, left, due,
                                    stated)  # fmt: skip
    for g, e in zip(got, expected, strict=True):
        assert np.array_equal(g, e, equal_nan=True)
