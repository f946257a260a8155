"""The outlet markets' uniform-price double auction, on markets small enough to clear by hand.

One market: a by-product sold by facilities in one province to one outlet whose demand curve
is split into blocks. Gate values are block prices less the haul (20 CNY/t here).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symbiosim.environment.outlets import Outlets, clear_outlets

HAUL = 20.0


def one_market(block_prices: list[float], n_sellers: int) -> Outlets:
    """One outlet (by-product 0, province "P") bought from by ``n_sellers`` facilities, all in P."""
    return Outlets(
        ids=("o",),
        market=np.array([0]),
        market_byproduct=np.array([0]),
        market_province=("P",),
        demand_t_per_month=np.array([0.0]),  # capacities are given to clear_outlets directly
        season=np.ones((1, 12)),
        block_price_cny_per_t=np.array([block_prices]),
        transport_cny_per_t=np.array([HAUL]),
        seller_market=np.zeros((n_sellers, 1), dtype=np.intp),
        expected_monthly_t=np.zeros((n_sellers, 1)),
    )


def clear(block_prices, block_t, supply, asks, share=0.5):
    outlets = one_market(block_prices, len(supply))
    supply_t = np.array(supply, dtype=float)[:, None]
    result = clear_outlets(
        outlets, supply_t, np.array(asks, dtype=float)[:, None], np.array([block_t], dtype=float), share
    )
    return result, supply_t


# delivered 50, 30, ..., -90 (gate 30, 10, ..., -110), 500 t each
BLOCKS = [50.0 - 20.0 * k for k in range(8)]
GATE = [p - HAUL for p in BLOCKS]
SIZES = [500.0] * 8


def test_a_glut_drives_the_price_down_to_the_sellers_disposal_cost():
    result, left = clear(BLOCKS, SIZES, [10_000.0], [-75.0])
    # blocks worth at least -75 at the gate take tonnes: 30, 10, ..., -70 (six blocks)
    assert result.outlet_t[0] == pytest.approx(3000.0)
    assert left[0, 0] == pytest.approx(7000.0)
    # the seller is left with tonnes it would sell at -75: no buyer pays more than the next offer
    assert result.price_cny_per_t[0] == pytest.approx(-75.0)
    assert result.value_cny[0] == pytest.approx(3000.0 * -75.0)


def test_a_shortage_drives_the_price_up_toward_the_next_bid():
    result, left = clear(BLOCKS, SIZES, [1000.0], [-75.0])
    assert result.outlet_t[0] == pytest.approx(1000.0)
    assert left[0, 0] == pytest.approx(0.0)
    # the seller ran out in the second block (gate 10); the third (-10) went unserved:
    # price between -10 and 10, at the sellers' share 0.5
    assert result.price_cny_per_t[0] == pytest.approx(0.0)
    low, _ = clear(BLOCKS, SIZES, [1000.0], [-75.0], share=0.0)
    high, _ = clear(BLOCKS, SIZES, [1000.0], [-75.0], share=1.0)
    assert (low.price_cny_per_t[0], high.price_cny_per_t[0]) == pytest.approx((GATE[2], GATE[1]))


def test_one_price_for_every_seller_and_nobody_trades_at_a_loss():
    # offers are taken in rising order while the bid covers them: -100 (800 t) fills the blocks
    # worth 30 and 300 t of 10; -60 (800 t) the rest of 10, all of -10 and 100 t of -30; the
    # -20 offer is above the -30 still bid, so it does not sell. The price is pinned at -30
    # from both sides: the unserved bid (-30) and the last accepted bid (-30).
    result, _ = clear(BLOCKS, SIZES, [800.0, 800.0, 800.0], [-20.0, -60.0, -100.0])
    price = result.price_cny_per_t[0]
    sold = result.sold_t[:, 0]
    assert sold == pytest.approx([0.0, 800.0, 800.0])
    assert price == pytest.approx(-30.0)
    asks = np.array([-20.0, -60.0, -100.0])
    assert (price >= asks[sold > 0]).all()  # no seller sells below its reservation
    assert (price <= asks[sold == 0]).all()  # and no seller left out would undercut it
    assert result.value_cny == pytest.approx(sold * price)


def test_a_market_without_supply_quotes_its_highest_bid_and_one_without_demand_quotes_nothing():
    result, _ = clear(BLOCKS, SIZES, [0.0], [-75.0])
    assert result.price_cny_per_t[0] == pytest.approx(GATE[0])
    empty, _ = clear(BLOCKS, [0.0] * 8, [100.0], [-75.0])
    assert np.isnan(empty.price_cny_per_t[0])
    assert empty.outlet_t[0] == 0.0


supplies = st.lists(st.floats(0.0, 5000.0), min_size=1, max_size=4)


@given(supplies, st.floats(1.0, 4.0))
def test_price_falls_when_supply_rises_and_rises_when_demand_rises(supply, scale):
    asks = [-75.0 + 10.0 * i for i in range(len(supply))]
    base, _ = clear(BLOCKS, SIZES, supply, asks)
    more_supply, _ = clear(BLOCKS, SIZES, [q * scale for q in supply], asks)
    more_demand, _ = clear(BLOCKS, [s * scale for s in SIZES], supply, asks)
    assert more_supply.price_cny_per_t[0] <= base.price_cny_per_t[0] + 1e-9
    assert more_demand.price_cny_per_t[0] >= base.price_cny_per_t[0] - 1e-9
    # mass balance: what the sellers lose is what the outlet buys, within its capacity
    assert base.sold_t.sum() == pytest.approx(base.outlet_t.sum())
    assert base.outlet_t.sum() <= sum(SIZES) + 1e-6
    # nobody trades at a loss: every seller that sold gets at least its ask, and the price is no
    # more than the value of the last block that took tonnes (equal blocks fill from the top)
    price, sold = base.price_cny_per_t[0], base.sold_t[:, 0]
    if sold.sum() > 1e-6:
        assert price >= max(a for a, q in zip(asks, sold, strict=True) if q > 1e-6) - 1e-9
        assert price <= GATE[int(np.ceil(sold.sum() / 500.0 - 1e-9)) - 1] + 1e-9


def test_the_compiled_auction_matches_a_hand_count():
    """Asks 10 (50 t), 20 (50 t), 40 (50 t) against bids 35 (60 t, outlet 0), 30 (30 t, outlet 1), 5 (100 t, outlet 0)."""
    from symbiosim.environment.clearing_loops import double_auction

    ask_left, bid_left = np.array([50.0, 50.0, 50.0]), np.array([60.0, 30.0, 100.0])
    sold, outlet_t = np.zeros(3), np.zeros(2)
    used_asks, used_bids, traded, last_ask, last_bid, tonnes = double_auction(
        np.array([10.0, 20.0, 40.0]), ask_left, np.array([35.0, 30.0, 5.0]), bid_left,
        np.array([0, 1, 0]), sold, outlet_t,
    )  # fmt: skip
    assert (used_asks, used_bids, traded, last_ask, last_bid, tonnes) == (1, 2, True, 20.0, 30.0, 90.0)
    assert sold.tolist() == [50.0, 40.0, 0.0]
    assert outlet_t.tolist() == [60.0, 30.0]
    assert ask_left.tolist() == [0.0, 10.0, 50.0]


def markets_one_by_one(outlets, supply_t, reservation, capacity_t, share):
    """The outlet markets cleared one at a time in numpy around the compiled auction (the definition)."""
    from symbiosim.environment.clearing_loops import double_auction

    sold, outlet_t = np.zeros(supply_t.shape), np.zeros(outlets.n_outlets)
    market_t, price = np.zeros(outlets.n_markets), np.full(outlets.n_markets, np.nan)
    value = outlets.gate_value_cny_per_t
    for m in range(outlets.n_markets):
        b = int(outlets.market_byproduct[m])
        members = np.flatnonzero(outlets.market == m)
        bid_value, bid_left = value[members].ravel(), capacity_t[members].ravel().copy()
        bid_outlet = np.repeat(members, value.shape[1])
        keep = bid_left > 1e-9
        bid_value, bid_left, bid_outlet = bid_value[keep], bid_left[keep], bid_outlet[keep]
        if not len(bid_value):
            continue
        order = np.argsort(-bid_value, kind="stable")
        bid_value, bid_left, bid_outlet = bid_value[order], bid_left[order], bid_outlet[order]
        sellers = np.flatnonzero((outlets.seller_market[:, b] == m) & (supply_t[:, b] > 1e-9))
        sellers = sellers[np.argsort(reservation[sellers, b], kind="stable")]
        ask = reservation[sellers, b]
        by_ask = np.zeros(len(sellers))
        i, j, traded, last_ask, last_bid, market_t[m] = double_auction(
            ask, supply_t[sellers, b], bid_value, bid_left, bid_outlet.astype(np.int64), by_ask, outlet_t
        )
        sold[sellers, b] = by_ask
        if not traded:
            price[m] = bid_value[0]
            continue
        lower = max(last_ask, bid_value[j] if j < len(bid_value) else -np.inf)
        upper = min(last_bid, ask[i] if i < len(ask) else np.inf)
        price[m] = lower + (share if np.ndim(share) == 0 else share[b]) * (upper - lower)
    return sold, outlet_t, market_t, price


@pytest.mark.parametrize("seed", range(25))
def test_the_compiled_markets_match_clearing_them_one_by_one(seed):
    """Oracle: several markets (by-products x provinces), tied bids and asks, empty blocks and markets."""
    rng = np.random.default_rng(seed)
    n_b, n_f, n_o, n_blocks = 3, int(rng.integers(1, 300)), int(rng.integers(1, 9)), int(rng.integers(1, 5))
    keys = sorted({(int(rng.integers(0, n_b)), str(rng.choice(["P", "Q"]))) for _ in range(n_o)})
    market = rng.integers(0, len(keys), n_o)
    province = rng.choice(["P", "Q", "R"], n_f)
    seller_market = np.full((n_f, n_b), -1, dtype=np.intp)
    for m, (b, prov) in enumerate(keys):
        seller_market[province == prov, b] = m
    outlets = Outlets(
        ids=tuple(f"o{i}" for i in range(n_o)), market=market, market_byproduct=np.array([k[0] for k in keys]),
        market_province=tuple(k[1] for k in keys), demand_t_per_month=np.zeros(n_o), season=np.ones((n_o, 12)),
        block_price_cny_per_t=rng.choice([-40.0, 0.0, 25.0, 60.0], (n_o, n_blocks)),
        transport_cny_per_t=rng.choice([10.0, 20.0], n_o), seller_market=seller_market,
        expected_monthly_t=np.zeros((n_f, n_b)),
    )  # fmt: skip
    supply = rng.choice([0.0, 1e-9, 100.0, 700.0], (n_f, n_b))
    reservation = rng.choice([-80.0, -30.0, -30.0, 10.0], (n_f, n_b))
    capacity = rng.choice([0.0, 1e-9, 250.0, 400.0], (n_o, n_blocks))  # 1e-9: the tonne epsilon, no room
    share = rng.uniform(0, 1) if seed % 2 else rng.uniform(0, 1, n_b)
    expected = markets_one_by_one(outlets, supply.copy(), reservation, capacity, share)
    result = clear_outlets(outlets, supply, reservation, capacity, share)
    got = (result.sold_t, result.outlet_t, result.market_t, result.price_cny_per_t)
    for g, e in zip(got, expected, strict=True):
        assert np.array_equal(g, e, equal_nan=True)


def share_outbid_by_definition(outlets, seller_market, value_cny_per_t, sold_t_per_yr):
    """The share a buyer takes of its sellers' outlet sales, in numpy array operations."""
    share = np.zeros(len(seller_market))
    block_t = outlets.demand_t_per_month * 12 / outlets.block_price_cny_per_t.shape[1]
    value = outlets.gate_value_cny_per_t
    for m in np.unique(seller_market[seller_market >= 0]).tolist():
        if sold_t_per_yr[m] <= 1e-9:
            continue
        on, members = seller_market == m, outlets.market == m
        kept = ((value[members][None, :, :] >= value_cny_per_t[on, None, None]) * block_t[members][None, :, None]).sum(axis=(1, 2))
        share[on] = np.clip(1.0 - np.minimum(kept, sold_t_per_yr[m]) / sold_t_per_yr[m], 0.0, 1.0)
    return share


@pytest.mark.parametrize("seed", range(20))
def test_the_compiled_share_outbid_is_that_of_its_array_definition(seed):
    """Oracle, bit for bit: several markets and outlets, values on and between the blocks, markets that sold nothing."""
    from symbiosim.environment.outlets import outlet_share_outbid

    rng = np.random.default_rng(seed)
    n_o, n_blocks, n_markets = int(rng.integers(1, 7)), int(rng.integers(1, 30)), 3
    outlets = Outlets(
        ids=tuple(f"o{i}" for i in range(n_o)), market=rng.integers(0, n_markets, n_o),
        market_byproduct=np.arange(n_markets), market_province=("P",) * n_markets,
        demand_t_per_month=rng.uniform(10, 5e4, n_o), season=np.ones((n_o, 12)),
        block_price_cny_per_t=np.sort(rng.uniform(-50, 80, (n_o, n_blocks)))[:, ::-1],
        transport_cny_per_t=rng.uniform(0, 20, n_o), seller_market=np.zeros((1, n_markets), dtype=np.intp),
        expected_monthly_t=np.zeros((1, n_markets)),
    )  # fmt: skip
    n = 300
    seller_market = rng.integers(-1, n_markets, n)
    value = np.where(rng.random(n) < 0.3, outlets.gate_value_cny_per_t.ravel()[rng.integers(0, n_o * n_blocks, n)],
                     rng.uniform(-80, 100, n))  # fmt: skip
    sold = np.array([0.0, *rng.uniform(1, 5e5, n_markets - 1)])
    expected = share_outbid_by_definition(outlets, seller_market, value, sold)
    got = outlet_share_outbid(outlets, seller_market, value, sold)
    assert np.array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
