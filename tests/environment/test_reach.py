"""How far a route reaches: where it can pay in some month of the run, by its value, freight and policies.

The tiny park's one technology (T2: steel slag replaces clinker) is worth 1.0 x 300 - 40 =
260 CNY/t to the kiln; the steel plant avoids a landfill fee of 50 and an EP tax of 25 CNY/t;
loading costs 5 and freight 0.5 CNY/t km. So a route pays up to (260 + 75 - 5) / 0.5 = 660 km.
"""

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import symbiosim.model as model_module
from symbiosim import SymbiosisModel
from symbiosim.environment.streams import keyed_uniform
from symbiosim.policies import (
    AirPollutantTax,
    CarbonPrice,
    LandfillFee,
    PerTonneSubsidy,
    ProductionLimit,
    TransportSubsidy,
    VATRebate,
)
from symbiosim.policies.bounds import lever_maxima
from symbiosim.reach import vat_premium_bound_cny_per_t

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
POLICIES = Path(__file__).resolve().parents[2] / "examples" / "policies"


@pytest.fixture
def far_kiln(tiny_park_toml, tmp_path):
    """A builder of tiny-park copies without a haul limit, with the third kiln ``km`` road km from the steel plant."""

    def build(km: float) -> str:
        park = tmp_path / f"park_{km}"
        shutil.copytree(tiny_park_toml.parent, park)
        byproducts = pd.read_csv(park / "byproducts.csv", dtype=str, keep_default_na=False)
        byproducts["max_haul_km"] = ""
        byproducts.to_csv(park / "byproducts.csv", index=False)
        distances = pd.read_csv(park / "distances.csv")
        distances.loc[distances["to_facility_id"] == "cement_out", "distance_km"] = km
        distances.to_csv(park / "distances.csv", index=False)
        return str(park / "scenario.toml")

    return build


def reaches(model: SymbiosisModel, facility_id: str) -> bool:
    """Whether any route goes to ``facility_id``."""
    return bool((model.market.routes.buyer == model.facility_ids.index(facility_id)).any())


@pytest.mark.parametrize(
    ("km", "policies", "reached"),
    [
        (659.0, [], True),
        (661.0, [], False),  # beyond (260 + 75 - 5) / 0.5 = 660 km
        (679.0, [LandfillFee(*YEAR, cny_per_t=10.0)], True),  # the seller avoids 10 more: 680 km
        (681.0, [LandfillFee(*YEAR, cny_per_t=10.0)], False),
        # a fee in force only after the run (one year) does not extend the reach
        (679.0, [LandfillFee(dt.date(2026, 1, 1), dt.date(2026, 12, 31), cny_per_t=10.0)], False),
        (699.0, [PerTonneSubsidy(*YEAR, cny_per_t=20.0)], True),  # the buyer gets 20 more: 700 km
        (701.0, [PerTonneSubsidy(*YEAR, cny_per_t=20.0)], False),
        # 100 CNY/t CO2 on (1.0 x 853.4 - 20.4) kg avoided per t = 83.30 CNY/t: 826.6 km
        (826.0, [CarbonPrice(*YEAR, cny_per_t_co2=100.0)], True),
        (827.0, [CarbonPrice(*YEAR, cny_per_t_co2=100.0)], False),
        # two fees in different halves of the year do not add up: 680 km, not 700
        (681.0, [LandfillFee(dt.date(2025, 1, 1), dt.date(2025, 6, 30), cny_per_t=10.0),
                 LandfillFee(dt.date(2025, 7, 1), dt.date(2025, 12, 31), cny_per_t=10.0)], False),
        # in force together, they do: 700 km
        (699.0, [LandfillFee(*YEAR, cny_per_t=10.0), LandfillFee(*YEAR, cny_per_t=10.0)], True),
        # a transport subsidy as large as the tariff: freight costs only the loading, any distance pays
        (5000.0, [TransportSubsidy(*YEAR, cny_per_t_km=0.5)], True),
    ],
)
def test_a_route_exists_as_far_as_it_can_pay(far_kiln, km, policies, reached):
    model = SymbiosisModel(far_kiln(km), rng=1, policies=policies)
    assert reaches(model, "cement_far")  # 100 km: always
    assert reaches(model, "cement_out") is reached


def test_a_haul_limit_given_in_the_scenario_still_applies(tiny_park_toml):
    model = SymbiosisModel(tiny_park_toml, rng=1)  # max_haul_km 150: cement_out at 200 km is left out
    assert reaches(model, "cement_far")
    assert not reaches(model, "cement_out")


def test_vat_premium_bound_by_hand(tiny_park_toml):
    """Rate 0.7 x 0.13 over the 0.2 threshold, times the largest price per t of raw material: cement 400 / 1.0."""
    model = SymbiosisModel(tiny_park_toml, rng=1)
    view = model.policy_view
    schedule = type(model.policies)([VATRebate(*YEAR)])
    maxima = lever_maxima(schedule, [dt.date(2025, m, 1) for m in range(1, 13)], model.catalog, view)
    bound = dict(zip(model.facility_ids, vat_premium_bound_cny_per_t(model.catalog, maxima), strict=True))
    assert bound["cement_near"] == pytest.approx(0.7 * 0.13 / 0.2 * 400.0)
    assert bound["steel_s"] == 0.0  # not covered (cement only)


def test_the_maxima_leave_the_policies_memory_alone(tiny_park_toml):
    """A symbiosis-aware limit fixes its exempt plants when it first applies in the run, not when the reach is bounded."""
    limit = ProductionLimit(*YEAR, cap_share=0.5, mode="symbiosis_aware", exempt_top_k=1)
    model = SymbiosisModel(tiny_park_toml, rng=1, policies=[limit])
    assert model.policy_memory == {}
    months = [dt.date(2025, m, 1) for m in range(1, 13)]
    lever_maxima(model.policies, months, model.catalog, model.policy_view)
    assert model.policy_memory == {}  # the bound applied the limit with a memory of its own
    model.step()
    assert len(model.policy_memory) == 1


OFF = POLICIES / "vat_rebate_off.toml"  # the baseline without the VAT rebate, whose premium bound reaches furthest


@pytest.mark.parametrize(
    ("scenario", "policies", "overrides"),
    [
        (POLICIES / "baseline.toml", [], {}),
        (POLICIES / "heating_season_symbiosis_aware.toml", [], {}),
        (OFF, [CarbonPrice(*YEAR, cny_per_t_co2=100.0)], {}),
        (OFF, [LandfillFee(*YEAR, cny_per_t=100.0)], {}),
        (OFF, [PerTonneSubsidy(*YEAR, cny_per_t=30.0), TransportSubsidy(*YEAR, cny_per_t_km=0.2)], {}),
        (OFF, [], {"freight_tariff_factor": 0.5}),
    ],
)
def test_leaving_out_routes_that_cannot_pay_changes_nothing(scenario, policies, overrides, monkeypatch):
    """The default region, pruned and with every pair of facilities as a route: the same trades, tonne for tonne."""
    pruned = SymbiosisModel(scenario, rng=3, years=2, policies=policies, **overrides)
    pruned.run()
    monkeypatch.setattr(model_module, "run_gain_bound", lambda *args: None)
    every_pair = SymbiosisModel(scenario, rng=3, years=2, policies=policies, **overrides)
    every_pair.run()
    assert pruned.market.n_routes < every_pair.market.n_routes
    pd.testing.assert_frame_equal(pruned.flows.reset_index(drop=True), every_pair.flows.reset_index(drop=True))
    pd.testing.assert_frame_equal(pruned.facility_ledger, every_pair.facility_ledger)


def test_keyed_draws_are_uniform_and_do_not_depend_on_the_other_keys():
    keys = np.arange(200_000, dtype=np.uint64) * np.uint64(7919)
    draws = keyed_uniform(np.random.default_rng(5), keys)
    assert abs(draws.mean() - 0.5) < 0.005
    assert abs(draws.var() - 1 / 12) < 0.002
    assert np.histogram(draws, bins=10, range=(0, 1))[0].min() > 19_000  # 20,000 expected per tenth
    some = keyed_uniform(np.random.default_rng(5), keys[::3])
    assert np.array_equal(some, draws[::3])


@pytest.mark.parametrize("amount", [-1.0, float("nan")])
def test_an_emission_charge_below_zero_is_refused(amount):
    """A negative charge would pay for emissions, and routes with negative savings would gain beyond the bound."""
    with pytest.raises(ValueError, match="must be >= 0"):
        CarbonPrice(*YEAR, cny_per_t_co2=amount)
    with pytest.raises(ValueError, match="must be >= 0"):
        AirPollutantTax(*YEAR, cny_per_equivalent=amount)


def test_the_compiled_draws_are_the_splitmix_hash_of_key_and_seed():
    """Oracle: the numpy SplitMix64 finaliser applied twice (key, then key hash xor seed), top 53 bits."""
    from symbiosim.environment.streams import _keyed_draws

    def _splitmix64(x: np.ndarray) -> np.ndarray:  # Steele, Lea & Flood 2014, on uint64 arrays
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))

    rng = np.random.default_rng(11)
    for _ in range(20):
        keys = rng.integers(0, 2**63, 2000, dtype=np.int64).astype(np.uint64)
        keys[:4] = [0, 1, 2**63, 2**64 - 1]  # the edges of 64-bit wrap-around
        seed = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
        expected = (_splitmix64(_splitmix64(keys) ^ seed) >> np.uint64(11)).astype(np.float64) * 2.0**-53
        assert np.array_equal(_keyed_draws(keys, seed), expected)
