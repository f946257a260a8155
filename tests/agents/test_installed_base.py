"""The installed base at the start: sized to a year of use where the line pays, by hand on the tiny park.

The tiny park (tests/data/tiny, computed by hand in tests/test_tiny_park.py): a steel plant
makes 12,000 t of slag a month; technology T2 lets each of three cement plants take up to
5,000 t/month (60,000 t/yr); cement_near is 20 km away, cement_far 100 km, cement_out beyond
the haul limit. A buyer keeps w - t - price per tonne: 260 - 15 - 85 = 160 CNY/t near and
260 - 55 - 65 = 140 CNY/t far. T2 lasts 20 years at a discount rate of 8% (annuity factor
9.818) and the payback limit is 5 years.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symbiosim import SymbiosisModel
from symbiosim.agents.investment import annuity_factor
from symbiosim.policies import CapexSubsidy, LandfillFee


def variant(toml: Path, tmp_path: Path, technology: dict[str, str] | None = None, steel_tpa: float | None = None) -> str:
    """A copy of the tiny park with T2's columns set to ``technology`` and the steel plant's capacity changed."""
    park = tmp_path / "park"
    shutil.copytree(toml.parent, park)
    for file, change in (("technologies.csv", technology or {}),
                         ("capacities.csv", {"capacity_per_yr": str(steel_tpa)} if steel_tpa else {})):  # fmt: skip
        rows = list(csv.DictReader((park / file).open(newline="")))
        for row in rows:
            if file == "technologies.csv" or row["facility_id"] == "steel_s":
                row.update(change)
        with (park / file).open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return str(park / toml.name)


def base_of(model: SymbiosisModel) -> dict[str, float]:
    """Installed T2 capacity at the start by facility, t/yr."""
    k = model.catalog.technologies.index("T2")
    return dict(zip(model.facility_ids, model.state.installed_tpa[:, k].tolist(), strict=True))


def test_each_line_is_sized_to_what_it_used(tiny_park_toml, tmp_path):
    # 6,000 t of slag a month: cement_near (the larger surplus) takes its 5,000, cement_far the other 1,000
    model = SymbiosisModel(variant(tiny_park_toml, tmp_path, steel_tpa=600_000), rng=1)
    base = base_of(model)
    assert base["cement_near"] == pytest.approx(60_000.0)
    assert base["cement_far"] == pytest.approx(12_000.0)
    assert base["cement_out"] == 0.0  # eligible, but no route within the haul limit


def test_a_line_that_does_not_pay_back_in_time_is_not_in_the_base(tiny_park_toml, tmp_path):
    # capex 750 CNY per t/yr: payback 750/160 = 4.7 yr near (built), 750/140 = 5.4 yr far (> 5, not built)
    assert 160 * annuity_factor(0.08, 20) > 750  # the NPV is positive at both: the payback rule decides
    model = SymbiosisModel(variant(tiny_park_toml, tmp_path, {"capex_cny_per_tpa": "750"}), rng=1)
    base = base_of(model)
    assert base["cement_near"] == pytest.approx(60_000.0)
    assert base["cement_far"] == 0.0


def test_the_adoption_share_keeps_the_best_paying_lines(tiny_park_toml, tmp_path):
    # three eligible plants x 0.34 = 1.02 -> one plant: the one with the highest NPV (near)
    model = SymbiosisModel(variant(tiny_park_toml, tmp_path, {"initial_adoption_share": "0.34"}), rng=1)
    base = base_of(model)
    assert base["cement_near"] == pytest.approx(60_000.0)
    assert base["cement_far"] == 0.0


def test_a_nameplate_base_is_installed_whether_or_not_it_pays(tiny_park_toml, tmp_path, park_with_column):
    expensive = variant(tiny_park_toml, tmp_path, {"capex_cny_per_tpa": "5000"})
    assert set(base_of(SymbiosisModel(expensive, rng=1)).values()) == {0.0}
    toml = park_with_column(expensive, "technologies.csv", "initial_base", "nameplate")
    base = base_of(SymbiosisModel(toml, rng=1))
    assert base["cement_near"] == base["cement_far"] == base["cement_out"] == pytest.approx(60_000.0)


def test_the_base_does_not_depend_on_the_seed_or_the_policies(tiny_park_toml, tmp_path):
    toml = variant(tiny_park_toml, tmp_path, {"capex_cny_per_tpa": "750"})
    first = SymbiosisModel(toml, rng=1).state.installed_tpa
    assert np.array_equal(first, SymbiosisModel(toml, rng=99).state.installed_tpa)
    # every policy scenario of a park starts from one base: the sizing years have no policies (with the fee in
    # force, cement_far's line would pay back in 4.5 years and be in the base)
    fee = LandfillFee(dt.date(2025, 1, 1), dt.date(2025, 12, 1), 50.0)
    assert np.array_equal(first, SymbiosisModel(toml, rng=1, policies=[fee]).state.installed_tpa)


def test_the_set_up_of_its_routes_counts_against_a_line(tiny_park_toml, tmp_path, park_with_column):
    # capex 750: cement_near pays back in 750 / 160 = 4.7 yr. A route set-up of 10 M CNY, half of it the buyer's (the
    # split price), adds 5 M to its 45 M capex: (45 + 5) / 9.6 = 5.2 yr, beyond the 5-year limit
    toml = variant(tiny_park_toml, tmp_path, {"capex_cny_per_tpa": "750"})
    assert base_of(SymbiosisModel(toml, rng=1))["cement_near"] == pytest.approx(60_000.0)
    with_setup = park_with_column(toml, "byproducts.csv", "link_setup_cny", 10e6)
    assert base_of(SymbiosisModel(with_setup, rng=1))["cement_near"] == 0.0


def test_the_sizing_years_leave_no_trace(jjj):
    """A model that sized its base runs exactly like one handed the same base without sizing."""
    sized = SymbiosisModel(jjj, rng=7, years=2)
    base = sized.state.installed_tpa.copy()

    class Handed(SymbiosisModel):
        def _size_installed_base(self) -> None:
            self.state.set_installed_base(base)

    handed = Handed(jjj, rng=7, years=2)
    for _ in range(14):
        sized.step()
        handed.step()
    pd.testing.assert_frame_equal(sized.flows, handed.flows)
    for name, values in sized.state.arrays().items():
        np.testing.assert_array_equal(values, getattr(handed.state, name), err_msg=name)
    for name, values in sized.market.book.arrays().items():
        np.testing.assert_array_equal(values, getattr(handed.market.book, name), err_msg=name)
    assert sized.datacollector.get_model_vars_dataframe().equals(handed.datacollector.get_model_vars_dataframe())


def test_the_default_region_starts_from_lines_that_are_used(jjj):
    model = SymbiosisModel(jjj, rng=1, years=1)
    sized = ~model.catalog.tech_nameplate_base
    base = model.state.installed_tpa.copy()
    assert (base <= model.state.full_cap_tpa + 1e-6).all()
    assert (base[~model.catalog.eligible] == 0).all()
    assert np.array_equal(base, SymbiosisModel(jjj, rng=2, years=1).state.installed_tpa)
    model.run()  # the first year runs under the sizing year's conditions (no policies): the lines are used
    flows = model.flows
    k = flows["technology"].map(model.catalog.technologies.index).to_numpy()
    used = np.zeros_like(base)
    np.add.at(used, (flows["buyer"].to_numpy(), k), flows["tonnes"].to_numpy())
    in_base = (base > 0) & sized[None, :]
    assert in_base.sum() > 100
    assert used[in_base].sum() / base[in_base].sum() > 0.9


@pytest.mark.parametrize(("fee_cny_per_t", "far_invests"), [(0.0, False), (50.0, True)])
def test_a_landfill_fee_changes_who_invests(tiny_park_toml, tmp_path, fee_cny_per_t, far_invests):
    # capex 750: cement_far is not in the base (payback 750 / 140 = 5.4 yr). A fee of 50 CNY/t lowers the
    # slag's reservation to -125 and the price far pays to -125 + (205 + 125) / 2 = 40: it keeps 165 CNY/t
    # and pays back in 750 / 165 = 4.5 yr, so in the December round it adopts (it always appraises here).
    toml = variant(tiny_park_toml, tmp_path, {"capex_cny_per_tpa": "750"})
    fee = LandfillFee(dt.date(2025, 1, 1), dt.date(2030, 12, 1), fee_cny_per_t)
    model = SymbiosisModel(toml, rng=1, consider_probability=1.0, policies=[fee])
    assert base_of(model)["cement_far"] == 0.0
    model.run(12)
    assert {a.facility_id for a in model.record.adoptions} == ({"cement_far"} if far_invests else set())


@pytest.mark.parametrize(("share", "adopters"), [(0.0, set()), (0.5, {"cement_near", "cement_far"})])
def test_a_capex_subsidy_matters_where_the_payback_limit_binds(tiny_park_toml, tmp_path, share, adopters):
    # capex 1,000: nobody is in the base (near pays back in 1000 / 160 = 6.25 yr, far in 7.1 yr); with half the capex
    # paid by the government, 500 / 160 = 3.1 and 500 / 140 = 3.6 yr: both adopt in the December round
    toml = variant(tiny_park_toml, tmp_path, {"capex_cny_per_tpa": "1000"})
    subsidy = [CapexSubsidy(dt.date(2025, 1, 1), dt.date(2030, 12, 1), share)] if share else []
    model = SymbiosisModel(toml, rng=1, consider_probability=1.0, policies=subsidy)
    assert set(base_of(model).values()) == {0.0}
    model.run(12)
    assert {a.facility_id for a in model.record.adoptions} == adopters
