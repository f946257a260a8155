"""Market clearing on hand-made routes."""

import numpy as np
import pytest

from symbiosim.environment.contracts import TrustRules
from symbiosim.environment.market import Market, MonthInputs
from symbiosim.environment.pricing import split_price
from symbiosim.environment.routes import Routes

RULES = TrustRules(initial=0.6, gain=0.2, loss=0.5, minimum=0.3)


def _market(km=(10.0, 50.0)):
    # one seller (0) of by-product 0, two buyers (1, 2) with technology 0
    seller = np.array([0, 0])
    buyer = np.array([1, 2])
    zeros = np.zeros(2, dtype=np.intp)
    km = np.array(km)
    market = Market(Routes.from_arrays(seller, buyer, zeros, zeros, km, 0.5 * km), np.array([12]), RULES)
    market.book.known[:] = True
    return market


def _clear(market, supply, caps, step=1, wtp=100.0, reservation=-50.0):
    supply_t = np.array([[supply], [0.0], [0.0]])
    capacity = np.array([[0.0], [caps[0]], [caps[1]]])
    month = MonthInputs(
        supply_t=supply_t,
        generated_t=supply_t.copy(),
        capacity_t=capacity,
        group_capacity_t=capacity.copy(),
        wtp_cny_per_t=np.full(2, wtp),
        reservation_cny_per_t=np.full(2, reservation),
        is_installed=np.ones(2, bool),
        season_now=np.ones(3),
        installed_monthly_t=np.full((3, 1), 1e9),
        season_peak=np.ones(3),
        seller_share=0.5,
    )
    return market.clear(step, month)


def test_best_surplus_first_and_capacity_limits():
    market = _market()
    result = _clear(market, supply=120.0, caps=(100.0, 100.0))
    assert result.tonnes.tolist() == [100.0, 20.0]  # the nearer buyer (more surplus) is served first
    # the far buyer still has room, so the seller could sell it all there at up to w - t = 100 - 25:
    # the near buyer pays that, not the split 22.5 (outside option, environment/competition.py)
    assert result.value_cny[0] == pytest.approx(100.0 * 75.0)
    # the far buyer has no rival seller and the seller no rival buyer with room: the split
    assert result.value_cny[1] == pytest.approx(20.0 * split_price(-50.0, 100 - 25 + 50, 0.5))


def test_no_trade_without_positive_surplus_or_knowledge():
    market = _market()
    result = _clear(market, supply=100.0, caps=(50.0, 50.0), wtp=-60.0)  # w - t - r < 0 on both
    assert result.tonnes.sum() == 0
    market = _market()
    market.book.known[:] = False
    assert _clear(market, supply=100.0, caps=(50.0, 50.0)).tonnes.sum() == 0


def test_low_trust_blocks_new_deals():
    market = _market()
    market.book.trust[:] = 0.2
    assert _clear(market, supply=100.0, caps=(50.0, 50.0)).tonnes.sum() == 0


def test_loss_making_contract_is_dropped_and_renegotiated_at_a_lower_trust():
    market = _market()
    _clear(market, supply=100.0, caps=(50.0, 50.0))
    old_price = market.book.contract_price[0]
    # next month the buyer's value falls below the contract price: it walks away and trust
    # halves; the pair still has surplus, so they trade spot at a new split and re-contract
    result = _clear(market, supply=100.0, caps=(50.0, 50.0), step=2, wtp=old_price - 1.0)
    assert result.contract_tonnes.sum() == 0
    assert market.book.trust[0] == pytest.approx(0.6 * (1 - 0.5))
    new_surplus = (old_price - 1.0) - 5.0 + 50.0
    assert market.book.contract_price[0] == pytest.approx(split_price(-50.0, new_surplus, 0.5))
    assert market.book.contract_price[0] < old_price
    assert market.book.contract_start[0] == 2


def test_contracts_commit_only_recurring_volume():
    market = _market()
    supply_t = np.array([[120.0], [0.0], [0.0]])
    capacity = np.array([[0.0], [100.0], [100.0]])
    month = MonthInputs(
        supply_t=supply_t,
        generated_t=np.array([[50.0], [0.0], [0.0]]),  # 70 t of the 120 on offer is old stock
        capacity_t=capacity,
        group_capacity_t=capacity.copy(),
        wtp_cny_per_t=np.full(2, 100.0),
        reservation_cny_per_t=np.full(2, -50.0),
        is_installed=np.ones(2, bool),
        season_now=np.ones(3),
        installed_monthly_t=np.full((3, 1), 1e9),
        season_peak=np.ones(3),
        seller_share=0.5,
    )
    result = market.clear(1, month)
    assert result.tonnes.tolist() == [100.0, 20.0]  # everything on offer is sold
    assert market.book.contract_volume_t[0] == 50.0  # but only this month's generation is promised
    assert market.book.contract_end[1] < 1  # nothing recurring was left for the second buyer


def test_a_seasonal_dip_of_one_buyer_is_not_promised_to_another():
    market = _market()  # buyer 1 is nearer (more surplus) than buyer 2
    trust_before = market.book.trust.copy()

    def month(step, season_buyer_1):
        supply_t = np.array([[100.0], [0.0], [0.0]])
        capacity = np.array([[0.0], [100.0 * season_buyer_1], [100.0]])
        inputs = MonthInputs(
            supply_t=supply_t,
            generated_t=supply_t.copy(),
            capacity_t=capacity,
            group_capacity_t=capacity.copy(),
            wtp_cny_per_t=np.full(2, 100.0),
            reservation_cny_per_t=np.full(2, -50.0),
            is_installed=np.ones(2, bool),
            season_now=np.array([1.0, season_buyer_1, 1.0]),
            installed_monthly_t=np.full((3, 1), 1e9),
            season_peak=np.ones(3),
            seller_share=0.5,
        )
        return market.clear(step, inputs)

    first = month(1, 1.0)  # buyer 1 takes all 100 t and contracts for them
    assert first.tonnes.tolist() == [100.0, 0.0]
    assert market.book.contract_volume_t[0] == 100.0
    low = month(2, 0.5)  # buyer 1's season halves its take; buyer 2 buys the rest spot only
    assert low.tonnes.tolist() == [50.0, 50.0]
    assert low.contract_tonnes.tolist() == [50.0, 0.0]
    assert market.book.contract_end[1] < 2  # the dip was not promised to buyer 2
    high = month(3, 1.0)  # buyer 1 is back to full: its contract is honoured in full
    assert high.contract_tonnes.tolist() == [100.0, 0.0]
    assert market.book.trust[0] >= trust_before[0]  # no shortfall, no trust lost
