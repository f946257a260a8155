"""The default scenario builds and runs a year."""

from symbiosim import SymbiosisModel


def test_default_model_runs_a_year_and_trades():
    model = SymbiosisModel(rng=1, years=1)
    model.run()
    assert model.month_index == 12
    assert not model.running
    assert model.accounts.summary["exchanged_t"] > 0
    assert len(model.flows) > 0
