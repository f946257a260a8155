"""Search as a decision: agents search for partners worth trading with, when a search pays.

Tiny park (tests/data/tiny): one steel plant with 12,000 t/month of slag; kilns 20 km (near)
and 100 km (far) away each take up to 5,000 t/month. Per tonne: willingness to pay 260 CNY,
seller's reservation -75 (landfill 50 + EP tax 25), transport 0.5 x factor x km + 5, so the
joint surplus of a trade is 330 - 0.5 x factor x km: at 100 km, 80 CNY/t under freight x5 and
-70 CNY/t under freight x8.
"""

import numpy as np
import pytest

from symbiosim import SymbiosisModel
from symbiosim.agents.investment import annuity_factor
from symbiosim.agents.search import prospects, search_decisions
from symbiosim.environment.routes import Routes
from symbiosim.environment.scenario import ScenarioError, load_scenario


def two_routes() -> Routes:
    """One seller (0) and two buyers (1, 2), one by-product, one technology, one route each."""
    return Routes(
        seller=np.array([0, 0]), buyer=np.array([1, 2]), byproduct=np.array([0, 0]), technology=np.array([0, 0]),
        distance_km=np.array([20.0, 100.0]), transport_cny_per_t=np.array([15.0, 55.0]), link=np.array([0, 1]),
        link_seller=np.array([0, 0]), link_buyer=np.array([1, 2]), link_km=np.array([20.0, 100.0]),
        of_technology=(np.array([0, 1]),),
    )  # fmt: skip


def test_what_a_search_is_expected_to_bring_by_hand():
    routes = two_routes()
    seller_t = np.array([[3000.0], [0.0], [0.0]])  # the seller could not place 3,000 t
    buyer_t = np.array([[0.0], [5000.0], [1000.0]])  # spare capacity of the two buyers
    surplus = np.array([320.0, 280.0])
    searching, expected, candidate = search_decisions(
        routes, np.array([False, False]), surplus, seller_t, buyer_t, seller_share=0.5,
        contract_months=np.array([12]), discovery_probability=0.5, search_cost_cny=5000.0,
    )  # fmt: skip
    # seller: its best candidate, 0.5 x 320 CNY/t x min(3,000, 5,000) t x 12 months x 0.5
    assert expected[0] == pytest.approx(0.5 * 320 * 3000 * 12 * 0.5)
    # each buyer: its share of its own route, on the tonnes the two could trade
    assert expected[1] == pytest.approx(0.5 * 320 * 3000 * 12 * 0.5)
    assert expected[2] == pytest.approx(0.5 * 280 * 1000 * 12 * 0.5)
    assert searching.tolist() == [True, True, True]
    assert candidate.tolist() == [True, True]


def test_no_search_for_known_partners_losing_trades_or_gains_below_the_cost():
    routes = two_routes()
    seller_t = np.array([[10.0], [0.0], [0.0]])
    buyer_t = np.array([[0.0], [5000.0], [5000.0]])
    searching, expected, candidate = search_decisions(
        routes, np.array([True, False]), np.array([320.0, -1.0]), seller_t, buyer_t, seller_share=0.5,
        contract_months=np.array([12]), discovery_probability=0.5, search_cost_cny=5000.0,
    )  # fmt: skip
    assert candidate.tolist() == [False, False]  # the near buyer is known, the far trade would lose
    assert expected.tolist() == [0.0, 0.0, 0.0]
    assert not searching.any()
    # a candidate worth less than a search: 0.5 x 320 x 10 t x 12 x 0.5 = 9,600 CNY against 10,000
    searching, expected, _ = search_decisions(
        routes, np.array([False, True]), np.array([320.0, 280.0]), seller_t, buyer_t, seller_share=0.5,
        contract_months=np.array([12]), discovery_probability=0.5, search_cost_cny=10_000.0,
    )  # fmt: skip
    assert expected[0] == pytest.approx(9600.0)
    assert not searching[0]


def test_a_buyer_that_would_need_a_line_counts_its_capital_charge_alone():
    # T2's charge: 250 CNY per t/yr / annuity(8%, 20 yr) = 25.5 CNY/t, paid by the buyer alone
    routes = two_routes()
    seller_t = np.array([[3000.0], [0.0], [0.0]])
    buyer_t = np.array([[0.0], [5000.0], [5000.0]])
    charge = np.full(2, 250 / annuity_factor(0.08, 20))
    _, expected, candidate = search_decisions(
        routes, np.array([False, False]), np.array([60.0, 40.0]), seller_t, buyer_t, seller_share=0.5,
        contract_months=np.array([12]), discovery_probability=0.5, search_cost_cny=5000.0, buyer_charge_cny_per_t=charge,
    )  # fmt: skip
    # near: the buyer keeps 0.5 x 60 - 25.5 = 4.5 CNY/t, a candidate; far: 0.5 x 40 - 25.5 < 0, a line that would lose
    assert candidate.tolist() == [True, False]
    assert expected[1] == pytest.approx((0.5 * 60 - charge[0]) * 3000 * 12 * 0.5)
    assert expected[2] == 0.0
    assert expected[0] == pytest.approx(0.5 * 60 * 3000 * 12 * 0.5)  # the seller's share is not cut by the charge


def test_a_plant_with_a_full_line_looks_for_what_a_larger_one_would_take(tiny_park_toml):
    model = SymbiosisModel(tiny_park_toml, rng=1)
    model.step()  # the kilns' lines (60,000 t/yr each) are full: 5,000 t a month each
    k, near = model.catalog.technologies.index("T2"), model.facility_ids.index("cement_near")
    assert model.state.capacity_t[near, k] == pytest.approx(0.0)
    model.state.installed_tpa[near, k] = 24_000.0  # a smaller line, full: a larger one could take 3,000 t more
    g = model.catalog.tech_group[k]
    model.state.group_capacity_t[near, g] += 3000.0  # the smaller line would have bought 3,000 t less this month
    charge, buyer_t = prospects(model.state, model.catalog, model.market.routes, 0.08, np.zeros((5, 1)))
    assert buyer_t[near, k] == pytest.approx(5000.0 - 2000.0)
    on_near = model.market.routes.buyer == near
    assert charge[on_near] == pytest.approx(250 / annuity_factor(0.08, 20))
    # a kiln whose shared cap is used up this month would take nothing more, however large its line
    model.state.group_capacity_t[near, g] = 0.0
    assert prospects(model.state, model.catalog, model.market.routes, 0.08, np.zeros((5, 1)))[1][near, k] == 0.0


@pytest.mark.parametrize(("factor", "found_far"), [(5.0, True), (8.0, False)])
def test_a_search_reaches_as_far_as_a_trade_pays(tiny_park_toml, park_with_column, factor, found_far):
    park = park_with_column(tiny_park_toml, "technologies.csv", "initial_base", "nameplate")  # the kilns run T2
    model = SymbiosisModel(park, rng=3, initial_knowledge_km=0.0, discovery_probability=1.0,
                           freight_tariff_factor=factor)  # fmt: skip
    model.run(2)  # month 1: nobody is known, the steel plant and both kilns search; month 2: trade
    buyers = set(model.flows["buyer_id"])
    assert "cement_near" in buyers
    assert ("cement_far" in buyers) == found_far
    far = model.market.routes.link_buyer == model.facility_ids.index("cement_far")
    assert bool(model.market.book.known[far].any()) == found_far


def test_higher_freight_shortens_hauls_and_what_searches_find_on_the_default_region(jjj):
    haul_km, known = {}, {}
    for factor in (1.0, 3.0):
        model = SymbiosisModel(jjj, rng=1, years=2, freight_tariff_factor=factor)
        model.run()
        flows = model.flows
        solids = flows[(flows["step"] > 12) & flows["is_symbiosis"].astype(bool) & (flows["byproduct"] != "steam")]
        haul_km[factor] = np.average(solids["distance_km"], weights=solids["tonnes"])
        known[factor] = int(model.market.book.known.sum())
    # freight x3 makes fewer partners worth finding, and the tonnes travel less far
    assert known[3.0] < 0.8 * known[1.0]
    assert haul_km[3.0] < 0.9 * haul_km[1.0]


def test_retired_search_parameters_are_named_with_what_replaced_them(tiny_park_toml, tmp_path):
    with pytest.raises(TypeError, match="'search_radius_km' is no longer a parameter: searches reach every partner"):
        SymbiosisModel(tiny_park_toml, rng=1, search_radius_km=60.0)
    toml = tmp_path / "old.toml"
    toml.write_text(f'[scenario]\nname = "old"\nextends = "{tiny_park_toml.as_posix()}"\n'
                    "[parameters]\nsearch_probability = 0.25\n")  # fmt: skip
    with pytest.raises(ScenarioError, match=r"parameters\.search_probability.*no longer a parameter: an agent searches"):
        load_scenario(toml)


def search_by_definition(routes, known_link, surplus, seller_t, buyer_t, seller_share, contract_months, probability,
                         cost, charge):  # fmt: skip
    """Who searches, in numpy array operations (the best candidates by ``np.maximum.at``)."""
    from symbiosim.environment.competition import shares_at

    n, n_b = seller_t.shape
    n_k = buyer_t.shape[1]
    share = shares_at(seller_share, routes.byproduct)
    buyer_gain = (1 - share) * surplus - charge
    c = np.flatnonzero(~known_link[routes.link] & (surplus > 0) & (buyer_gain > 0))
    seller, buyer, byproduct = routes.seller[c], routes.buyer[c], routes.byproduct[c]
    tonnes = np.minimum(seller_t[seller, byproduct], buyer_t[buyer, routes.technology[c]])
    tonne_months = tonnes * contract_months[byproduct]
    best_sale = np.zeros(n * n_b)
    np.maximum.at(best_sale, seller * n_b + byproduct, shares_at(seller_share, byproduct) * surplus[c] * tonne_months)
    best_purchase = np.zeros(n * n_k)
    np.maximum.at(best_purchase, buyer * n_k + routes.technology[c], buyer_gain[c] * tonne_months)
    expected = probability * (best_sale.reshape(n, n_b).sum(axis=1) + best_purchase.reshape(n, n_k).sum(axis=1))
    candidate_link = np.zeros(len(known_link), dtype=bool)
    candidate_link[routes.link[c[tonnes > 0]]] = True
    return expected > cost, expected, candidate_link


@pytest.mark.parametrize("seed", range(15))
def test_the_compiled_search_is_its_array_definition(seed):
    """Oracle, bit for bit: random routes with tied surpluses and tonnes, known links, charges, one share or one per by-product."""
    rng = np.random.default_rng(seed)
    n, n_b, n_k, n_r = int(rng.integers(2, 30)), 3, 4, int(rng.integers(1, 400))
    seller, buyer = rng.integers(0, n, n_r), rng.integers(0, n, n_r)
    pairs, link = np.unique(np.column_stack([seller, buyer]), axis=0, return_inverse=True)
    routes = Routes(
        seller=seller, buyer=buyer, byproduct=rng.integers(0, n_b, n_r), technology=rng.integers(0, n_k, n_r),
        distance_km=np.ones(n_r), transport_cny_per_t=np.ones(n_r), link=link.ravel(), link_seller=pairs[:, 0],
        link_buyer=pairs[:, 1], link_km=np.ones(len(pairs)), of_technology=tuple(np.arange(0) for _ in range(n_k)),
    )  # fmt: skip
    surplus = rng.choice([-20.0, 0.0, 35.0, 35.0, 120.5], n_r)
    seller_t = rng.choice([0.0, 500.0, 1000.0], (n, n_b))
    buyer_t = rng.choice([0.0, 500.0, 2500.0], (n, n_k))
    share = rng.uniform(0, 1) if seed % 2 else rng.choice([0.2, 0.5, 0.8], n_b)
    charge = rng.choice([0.0, 0.0, 10.0, 60.0], n_r)
    known = rng.random(len(pairs)) < 0.3
    args = (routes, known, surplus, seller_t, buyer_t, share, np.array([6, 12, 24]), 0.4, 20_000.0, charge)
    for got, expected in zip(search_decisions(*args), search_by_definition(*args), strict=True):
        assert np.array_equal(got, expected)
