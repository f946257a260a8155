"""Common random numbers: each kind of decision draws from its own stream, the same draws whatever the policy.

Two runs with the same seed must differ only through what their scenarios change (issue:
market economics, item 7). Each stream draws a fixed count per month (two per link for
discovery and referral, one per facility and technology in an investment month), so the
streams of two same-seed runs stay in step, however differently their policies make agents
search, trade and invest.
"""

import datetime as dt

import numpy as np
import pytest

from symbiosim import SymbiosisModel
from symbiosim.environment.streams import RandomStreams
from symbiosim.policies import CapexSubsidy, LandfillFee, ProductionLimit, Scope

ALWAYS = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))


def policies():
    return [
        ProductionLimit(dt.date(2025, 1, 1), dt.date(2026, 12, 31), cap_share=0.5, scope=Scope(sectors=("steel",))),
        LandfillFee(*ALWAYS, cny_per_t=150.0),
        CapexSubsidy(*ALWAYS, share=0.5),
    ]


@pytest.fixture(scope="module")
def pair(jjj):
    """The default region for two years, with and without a strong policy mix (seed 5)."""
    plain, steered = (SymbiosisModel(jjj, rng=5, years=2, policies=p) for p in ([], policies()))
    initial = plain.state.installed_tpa.copy(), steered.state.installed_tpa.copy()
    plain.run()
    steered.run()
    return plain, steered, initial


def test_the_policies_change_what_agents_do(pair):
    plain, steered, _ = pair
    assert len(steered.record.adoptions) != len(plain.record.adoptions) or not np.array_equal(
        steered.state.installed_tpa, plain.state.installed_tpa
    )
    assert steered.accounts.ledger["generated_t"].sum() != pytest.approx(plain.accounts.ledger["generated_t"].sum())


def test_same_seed_runs_start_alike_and_end_with_their_streams_in_step(pair):
    plain, steered, (plain_initial, steered_initial) = pair
    np.testing.assert_array_equal(plain_initial, steered_initial)
    assert plain.streams.states() == steered.streams.states()
    assert plain.rng.bit_generator.state == steered.rng.bit_generator.state


def test_streams_are_distinct_and_set_by_the_seed():
    a, b, c = (RandomStreams.spawn(np.random.default_rng(seed)) for seed in (1, 1, 2))
    first = {name: getattr(a, name).random() for name in ("search", "investment")}
    assert len(set(first.values())) == 2
    assert {name: getattr(b, name).random() for name in first} == first
    assert {name: getattr(c, name).random() for name in first} != first


def test_restoring_states_replays_the_draws():
    streams = RandomStreams.spawn(np.random.default_rng(9))
    saved = streams.states()
    before = streams.search.random(4)
    streams.restore(saved)
    np.testing.assert_array_equal(streams.search.random(4), before)
    with pytest.raises(ValueError, match="investment"):
        streams.restore({"search": saved["search"]})
