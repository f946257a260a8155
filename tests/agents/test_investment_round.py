"""The investment round counts each seller's rival buyers once per round and keeps the counts up to date.

The oracle is the definition itself, counted over every route of the technology at each appraisal.
"""

import numpy as np

import symbiosim.agents.base as base
from symbiosim.agents.investment import rival_buyers
from symbiosim.environment.pricing import route_surplus
from symbiosim.model import SymbiosisModel


def brute_force_rivals(round_, index: int, k: int) -> np.ndarray:
    routes, book, state = round_.market.routes, round_.market.book, round_.state
    rows = routes.of_technology[k]
    rows = rows[routes.buyer[rows] != index]
    links = routes.link[rows]
    trusted = book.known[links] & (book.trust[links] >= round_.market.rules.minimum)
    using = state.installed_tpa[routes.buyer[rows], k] > 0
    pays = route_surplus(round_.wtp_cny_per_t[rows], routes.transport_cny_per_t[rows],
                         round_.reservation_cny_per_t[rows]) > 0  # fmt: skip
    return np.bincount(routes.seller[rows[trusted & using & pays]], minlength=round_.catalog.n_facilities)


def test_rival_counts_equal_the_definition_at_every_appraisal(monkeypatch):
    """Every plant appraises every year (consider_probability 1), so the counts change within a round as plants install."""
    checked = []
    real = base.appraise

    def checking(round_, index, k):
        sellers = np.arange(round_.catalog.n_facilities)
        assert np.array_equal(rival_buyers(round_, index, k, sellers), brute_force_rivals(round_, index, k))
        checked.append((round_.month_index, index, k))
        return real(round_, index, k)

    monkeypatch.setattr(base, "appraise", checking)
    model = SymbiosisModel(rng=5, consider_probability=1.0, years=2)
    model.run()
    assert len(checked) > 100
    assert len({month for month, _, _ in checked}) == 2  # both rounds
    assert len(model.record.adoptions) > 0  # counts were updated within the rounds
