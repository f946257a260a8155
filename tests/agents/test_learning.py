"""Learning curves: a technology's capex and opex fall with the capacity installed in the region.

Wright's law with learning rate LR: cost factor = (installed to date / base) ^ log2(1 - LR),
so each doubling of the installed capacity multiplies both costs by 1 - LR.
"""

import numpy as np
import pytest

from symbiosim import SymbiosisModel
from symbiosim.agents.investment import install, learn


def test_each_doubling_multiplies_the_cost_by_one_minus_the_rate(tiny_park_toml, park_with_column):
    model = SymbiosisModel(park_with_column(tiny_park_toml, "technologies.csv", "learning_rate", 0.2), rng=3)
    state, catalog = model.state, model.catalog
    k = catalog.technologies.index("T2")
    base = state.installed_tpa[:, k].sum()
    assert base > 0
    assert state.learning_base_tpa[k] == pytest.approx(base)
    learn(state, catalog, k, base)  # doubled
    assert state.cost_factor[k] == pytest.approx(0.8)
    learn(state, catalog, k, 2 * base)  # doubled again
    assert state.cost_factor[k] == pytest.approx(0.64)


def test_learning_lowers_the_opex_buyers_pay_and_bid_and_the_capex_of_the_next_line(tiny_park_toml, park_with_column):
    model = SymbiosisModel(park_with_column(tiny_park_toml, "technologies.csv", "learning_rate", 0.2), rng=3)
    k = model.catalog.technologies.index("T2")
    near = model.facility_ids.index("cement_near")
    before_wtp, _ = model.route_prices()
    install(model.state, model.catalog, near, k, model.state.installed_tpa[:, k].sum(), 0.0, 0)  # doubles
    after_wtp, _ = model.route_prices()
    on_t2 = model.market.routes.technology == k
    # opex 40 CNY/t falls to 32: the buyers' willingness to pay rises by 8 CNY/t
    np.testing.assert_allclose(after_wtp[on_t2] - before_wtp[on_t2], 8.0)
    model.step()
    flows = model.latest_flows
    bought_t = flows.loc[flows["buyer_id"] == "cement_near", "tonnes"].sum()
    assert model.accounts.money["processing_cny"][near] == pytest.approx(bought_t * 32.0)


def test_without_a_learning_rate_costs_stay_put(jjj):
    model = SymbiosisModel(jjj, rng=1, years=2)
    model.run()
    assert len(model.record.adoptions) > 0  # capacity was added
    np.testing.assert_array_equal(model.state.cost_factor, 1.0)


def test_the_first_line_sets_the_base_and_what_follows_is_experience(tiny_park_without_t2, park_with_column):
    """No kiln starts with T2: the first line installed is the experience the catalog capex is for.

    Both lines of the round are bought at the catalog capex (the second is appraised when the
    experience is still the first line's); the two together then lower T2's costs for good.
    """
    toml = park_with_column(tiny_park_without_t2, "technologies.csv", "learning_rate", 0.2)
    model = SymbiosisModel(toml, rng=1, consider_probability=1.0)
    k = model.catalog.technologies.index("T2")
    assert model.state.learning_base_tpa[k] == 0.0
    model.run(12)  # the December round
    adoptions = model.record.adoptions
    assert len(adoptions) == 2  # both kilns, near first (node order)
    first, second = adoptions
    assert first.capex_cny == pytest.approx(first.capacity_t_per_yr * 250.0)  # at the catalog capex
    assert model.state.learning_base_tpa[k] == pytest.approx(first.capacity_t_per_yr)
    assert second.capex_cny == pytest.approx(second.capacity_t_per_yr * 250.0)
    experience = (first.capacity_t_per_yr + second.capacity_t_per_yr) / first.capacity_t_per_yr
    assert experience > 1.5
    assert model.state.cost_factor[k] == pytest.approx(experience ** np.log2(0.8))
