"""The compiled month's clearing (environment/clearing_month.py) against its array definition, bit for bit.

The definition below is the clearing written with numpy arrays around the compiled loops
(contracts oldest first, spot trades best surplus first, then the terms of the month). Every
month of real runs is cleared both ways from the same state: tonnes, values, set-ups, what is
left, and every array of the contract book must be equal to the last bit.
"""

import copy
from dataclasses import replace

import numpy as np
import pytest

from symbiosim.environment.clearing import ClearingResult, MonthInputs
from symbiosim.environment.clearing_loops import deliver_contracts, settle_terms, trade_spot
from symbiosim.environment.competition import share_array
from symbiosim.environment.market import SEASON_FLOOR, Market
from symbiosim.environment.units import TONNE_EPSILON
from symbiosim.model import SymbiosisModel

EXAMPLES = "examples/policies"


def least_tonnes(setup_cny, surplus, seller_share, setup_seller_share, unset):
    """Per route, the tonnes a new route must carry to pay its set-up, in numpy array operations."""
    due = unset & (surplus > 0)
    least = np.divide(setup_cny, surplus, out=np.zeros(len(setup_cny)), where=due)
    stated = due & ~np.isnan(setup_seller_share)
    if stated.any():
        k = np.broadcast_to(seller_share, surplus.shape)[stated]
        f, s, cost = setup_seller_share[stated], surplus[stated], setup_cny[stated]
        with np.errstate(divide="ignore", invalid="ignore"):
            seller_t = np.where(f > 0, f * cost / (k * s), 0.0)
            buyer_t = np.where(f < 1, (1 - f) * cost / ((1 - k) * s), 0.0)
        least[stated] = np.maximum(seller_t, buyer_t)
    return least


def clear_by_definition(market: Market, step: int, month: MonthInputs) -> ClearingResult:
    """One month's clearing in numpy array operations (``month``'s tables are reduced in place)."""
    rt, book, rules = market.routes, market.book, market.rules
    n = market.n_routes
    tonnes, value, contract_tonnes = np.zeros(n), np.zeros(n), np.zeros(n)
    n_b, n_k, n_g = month.supply_t.shape[1], month.capacity_t.shape[1], month.group_capacity_t.shape[1]
    at_supply, at_capacity, at_group = market.flat_index(n_b, n_k, n_g)
    supply, capacity, group = (t.ravel().copy() for t in (month.supply_t, month.capacity_t, month.group_capacity_t))
    surplus = month.wtp_cny_per_t - rt.transport_cny_per_t - month.reservation_cny_per_t
    in_force_mask = (book.contract_end >= step) & month.is_installed
    season = np.maximum(month.season_now, SEASON_FLOOR)
    scale = np.minimum(season[rt.seller] / book.contract_seller_season, season[rt.buyer] / book.contract_buyer_season)
    due = book.contract_volume_t * scale
    base_seller = book.contract_volume_t / book.contract_seller_season
    base_buyer = book.contract_volume_t / book.contract_buyer_season

    def promised(index, weights, shape):
        return np.bincount(index[in_force_mask], weights=weights[in_force_mask], minlength=shape[0] * shape[1]).reshape(shape)

    per_facility = season[:, None]
    peak = np.maximum(month.season_peak, SEASON_FLOOR)[:, None]
    free_supply = month.generated_t / per_facility - promised(at_supply, base_seller, month.generated_t.shape)
    tech_base = np.minimum(month.capacity_t / per_facility, month.installed_monthly_t / peak)
    free_tech = tech_base - promised(at_capacity, base_buyer, month.capacity_t.shape)
    free_group = month.group_capacity_t / per_facility - promised(at_group, base_buyer, month.group_capacity_t.shape)
    free = tuple(np.maximum(f, 0.0).ravel() for f in (free_supply, free_tech, free_group))
    own = month.reservation_cny_per_t if month.own_reservation_cny_per_t is None else month.own_reservation_cny_per_t
    in_force = np.flatnonzero(in_force_mask)
    in_force = in_force[np.argsort(book.contract_start[in_force], kind="stable")]
    keeps = (book.contract_price[in_force] - own[in_force] >= 0) & (
        month.wtp_cny_per_t[in_force] - rt.transport_cny_per_t[in_force] - book.contract_price[in_force] >= 0
    )
    left = (supply, capacity, group)
    shortfalls, undelivered = deliver_contracts(
        in_force, (at_supply, at_capacity, at_group, rt.link), due, book.contract_price, keeps,
        (base_seller, base_buyer), left, free, (tonnes, contract_tonnes, value), book.contract_end, book.trust,
        rules.loss, rules.gain, TONNE_EPSILON,
    )  # fmt: skip
    open_route = month.is_installed & book.known[rt.link] & (book.trust[rt.link] >= rules.minimum)
    eligible = (open_route & (surplus > 0) & (supply[at_supply] > TONNE_EPSILON) & (capacity[at_capacity] > TONNE_EPSILON)
                & (group[at_group] > TONNE_EPSILON))  # fmt: skip
    candidates = np.flatnonzero(eligible)
    candidates = candidates[np.argsort(-surplus[candidates], kind="stable")]
    has_contract = book.contract_end >= step
    prices = month.reservation_cny_per_t + month.seller_share * surplus
    unset = (market.setup_cny > 0) & (book.first_trade_step < 0)
    least_t = least_tonnes(market.setup_cny, surplus, month.seller_share, market.setup_seller_share, unset)
    c = candidates
    trade_spot(
        c, (at_supply[c], at_capacity[c], at_group[c]),
        (prices[c], has_contract[c], market.contract_months[rt.byproduct[c]].astype(np.int64), least_t[c]),
        (season[rt.seller[c]], season[rt.buyer[c]]), left, free, (tonnes, value),
        (book.contract_seller_season, book.contract_buyer_season, book.contract_volume_t, book.contract_price,
         book.contract_start, book.contract_end), step, TONNE_EPSILON,
    )  # fmt: skip
    spot = tonnes - contract_tonnes
    net = month.wtp_cny_per_t - rt.transport_cny_per_t
    rivals = open_route & ~(unset & (tonnes <= 0))
    setup_due = np.where(unset & (tonnes > 0), market.setup_cny, 0.0)
    parties = (net, month.reservation_cny_per_t, share_array(month.seller_share, n))
    price, setup_seller, setup_buyer = settle_terms(spot, prices, rivals, parties, (rt.seller, rt.buyer),
                                                    (at_supply, at_capacity, at_group), left, setup_due,
                                                    market.setup_seller_share, TONNE_EPSILON)  # fmt: skip
    value += spot * (price - prices)
    signed = book.contract_start == step
    book.contract_price[signed] = price[signed]
    for table, flat in zip((month.supply_t, month.capacity_t, month.group_capacity_t), left, strict=True):
        table[...] = flat.reshape(table.shape)
    book.first_trade_step[(tonnes > 0) & (book.first_trade_step < 0)] = step
    return ClearingResult(tonnes, value, contract_tonnes, shortfalls, undelivered, setup_seller, setup_buyer)


def same(a, b) -> bool:
    return np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("scenario", [None, f"{EXAMPLES}/baseline.toml", f"{EXAMPLES}/heating_season_uniform.toml"])
def test_every_month_clears_as_its_array_definition(scenario, monkeypatch):
    """Oracle: 30 months of a real run (contracts signed, delivered short and walked away from; set-ups; the VAT premium)."""
    checked = []
    compiled = Market.clear

    def both(market, step, month):
        book, inputs = market.book.copy(), copy.deepcopy(month)
        result = compiled(market, step, month)
        reference = copy.copy(market)
        reference.book = book
        expected = clear_by_definition(reference, step, inputs)
        for name in ("tonnes", "value_cny", "contract_tonnes", "setup_seller_cny", "setup_buyer_cny"):
            assert same(getattr(result, name), getattr(expected, name)), (step, name)
        assert (result.shortfalls, result.undelivered_t) == (expected.shortfalls, expected.undelivered_t)
        for name in ("supply_t", "capacity_t", "group_capacity_t"):
            assert same(getattr(month, name), getattr(inputs, name)), (step, name)
        for name, values in market.book.arrays().items():
            assert same(values, book.arrays()[name]), (step, name)
        checked.append((step, int((result.tonnes > 0).sum()), result.shortfalls))
        return result

    monkeypatch.setattr(Market, "clear", both)
    SymbiosisModel(scenario, rng=2).run(36)
    assert len(checked) >= 30
    assert sum(traded for _, traded, _ in checked) > 1000  # the months traded on many routes
    if scenario and "heating" in scenario:
        assert any(short for _, _, short in checked)  # the production limits left contracts short


def test_a_month_with_per_route_shares_and_stated_setup_parts_clears_as_its_definition():
    """Oracle on the shares and set-up rules the default run does not exercise: a share per route, stated set-up parts."""
    model = SymbiosisModel(rng=3)
    model.run(6)
    market = model.market
    rng = np.random.default_rng(0)
    market.setup_cny = np.where(rng.random(market.n_routes) < 0.5, 10 ** rng.uniform(3, 8, market.n_routes), 0.0)
    market.setup_seller_share = np.where(rng.random(market.n_routes) < 0.5, rng.choice([0.0, 0.3, 0.9, 1.0], market.n_routes),
                                         np.nan)  # fmt: skip
    model.run(6)  # contracts and first trades under these set-ups
    step, inputs, book = model.month_index + 1, _inputs_of(model, rng), market.book.copy()
    result = market.clear(step, copy.deepcopy(inputs))
    reference = copy.copy(market)
    reference.book = book
    expected = clear_by_definition(reference, step, copy.deepcopy(inputs))
    for name in ("tonnes", "value_cny", "contract_tonnes", "setup_seller_cny", "setup_buyer_cny"):
        assert same(getattr(result, name), getattr(expected, name)), name
    for name, values in market.book.arrays().items():
        assert same(values, book.arrays()[name]), name
    assert (result.setup_seller_cny > 0).any()


def _inputs_of(model: SymbiosisModel, rng: np.random.Generator) -> MonthInputs:
    """The inputs of the model's next month, with a per-route seller's share."""
    from symbiosim.agents.production import market_inputs

    wtp, reservation = model.route_prices()
    own = model.market.routes.at_seller(np.zeros((model.n_facilities, len(model.catalog.byproducts))))
    month = market_inputs(model.state, model.catalog, model.market.routes, (wtp, reservation, own),
                          model.accounts.ledger["generated_t"], 1, model.market.seller_share)  # fmt: skip
    return replace(month, seller_share=rng.uniform(0.05, 0.95, model.market.n_routes))


@pytest.mark.parametrize("seed", range(10))
def test_the_compiled_least_tonnes_are_those_of_the_array_rule(seed):
    """Oracle: the array rule above, route by route (stated parts 0, between and 1; shares near 0 and 1)."""
    from symbiosim.environment import clearing_month

    rng = np.random.default_rng(seed)
    n = 500
    setup, surplus = 10 ** rng.uniform(2, 8, n), rng.choice([-5.0, 0.0, 0.5, 40.0, 300.0], n)
    share = rng.choice([0.0, 0.05, 0.5, 0.95, 1.0], n)
    stated = np.where(rng.random(n) < 0.6, rng.choice([0.0, 0.3, 0.9, 1.0], n), np.nan)
    unset = rng.random(n) < 0.8
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = least_tonnes(setup, surplus, share, stated, unset)
    got = np.array([clearing_month.least_tonnes(setup[r], surplus[r], share[r], stated[r]) if unset[r] else 0.0
                    for r in range(n)])  # fmt: skip
    assert same(got, expected)
