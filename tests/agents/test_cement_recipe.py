"""A cement kiln's recipe: how much clinker it replaces follows the margin on substitutes against the grade discount.

Beyond the shared cap on clinker substitutes (the P.O recipe), a kiln can make slag cement
(P.S.A), which sells below P.O: each tonne of slag beyond the cap costs the grade discount
spread over the extra share it allows (technology T14 of the bundled catalog, 45 / 0.265 =
170 CNY/t). The kiln takes those tonnes only when its margin on them beats that cost.

By hand on the tiny park (tests/data/tiny; tests/test_tiny_park.py): the steel plant makes
12,000 t of slag a month; T2 lets each kiln take 0.1 t per t of its 50,000 t of cement
(5,000 t/month); landfill costs the seller 50 + 25 = 75 CNY/t; freight is 5 + 0.5 CNY/t km;
cement_near is 20 km away (surplus 260 - 15 + 75 = 320 CNY/t), cement_far 100 km (280), and
cement_out beyond the haul limit. A blended tier ``T2B`` lets each kiln take another 0.1 t per
t of cement at the grade discount D CNY per t of cement, i.e. D / 0.1 CNY per tonne of slag.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from symbiosim import SymbiosisModel
from symbiosim.policies import CarbonPrice
from symbiosim.policies.scope import Scope

START, END = dt.date(2025, 1, 1), dt.date(2034, 12, 31)


def park_with_blend(park_with_column, toml: Path, discount_cny_per_t_cement: float) -> str:
    """The tiny park, every line at full cap from the start, with the blended tier T2B at grade discount D."""
    park = Path(park_with_column(toml, "technologies.csv", "initial_base", "nameplate"))
    technologies = park.parent / "technologies.csv"
    opex = 40 + discount_cny_per_t_cement / 0.1
    row = (f"T2B,steel slag powder in blended cement beyond the cap,steel_slag,cement,cement,0.1,,cement,clinker,"
           f"1.0,4.67,20.4,{opex},250,20,1.0,test,,nameplate")  # fmt: skip
    technologies.write_text(technologies.read_text() + row + "\n")
    return str(park)


def first_month_t(scenario: str) -> dict[tuple[str, str], float]:
    """Tonnes bought in the first month by (buyer, technology)."""
    model = SymbiosisModel(scenario, rng=1)
    model.step()
    flows = model.flows
    return flows.groupby(["buyer_id", "technology"])["tonnes"].sum().to_dict()


@pytest.mark.parametrize(("discount", "near_blend_t"), [
    (20.0, 2000.0),  # 320 - 200 = 120 > 0 near: it takes the 2,000 t the P.O caps leave (far's 280 - 200 is lower)
    (30.0, 2000.0),  # 320 - 300 = 20 > 0 near (far: 280 - 300 < 0)
    (35.0, 0.0),  # 320 - 350 < 0: the slag is landfilled rather than sold at a grade discount
])  # fmt: skip
def test_a_kiln_makes_the_blend_only_where_its_margin_beats_the_grade_discount(
    tiny_park_toml, park_with_column, discount, near_blend_t
):
    bought = first_month_t(park_with_blend(park_with_column, tiny_park_toml, discount))
    # the P.O caps are filled first, at the larger surplus: 5,000 t each
    assert bought[("cement_near", "T2")] == pytest.approx(5000.0)
    assert bought[("cement_far", "T2")] == pytest.approx(5000.0)
    assert bought.get(("cement_near", "T2B"), 0.0) == pytest.approx(near_blend_t)
    assert bought.get(("cement_far", "T2B"), 0.0) == 0.0  # the near kiln, with the larger surplus, took what was left


def test_the_grade_discount_is_paid_by_the_kiln_that_blends(tiny_park_toml, park_with_column):
    model = SymbiosisModel(park_with_blend(park_with_column, tiny_park_toml, 20.0), rng=1)
    model.step()
    near = model.facility_ids.index("cement_near")
    # 5,000 t of T2 at 40 CNY/t of grinding, 2,000 t of T2B at 40 + 200
    assert model.accounts.money["processing_cny"][near] == pytest.approx(5000 * 40 + 2000 * 240)


@pytest.mark.slow
def test_a_carbon_price_with_free_allocation_raises_clinker_substitution_in_the_default_region(jjj):
    # Expected: the carbon price on the clinker a tonne of slag replaces (0.85 t CO2 less T14's own 0.02 for grinding,
    # x 100 = 83 CNY/t) makes slag cement pay at more kilns, so more BF slag goes into it, while output-based free
    # allocation at the emission intensity leaves cement output alone. The fifth year: slag cement needs lines that
    # kilns build as they consider them (a calibrated 0.13 a year), so the effect grows with the years (third year
    # +13%, fifth +23%, seed 1).
    free = {"clinker": 0.8534, "cement": 0.0188}  # the products' CO2 per unit (catalog/products.csv)
    policy = CarbonPrice(START, END, 100.0, Scope(sectors=("cement",)), free_allocation=free)
    used, per_cement = {}, {}
    for name, policies in (("none", []), ("carbon", [policy])):
        model = SymbiosisModel(jjj, rng=1, years=5, policies=policies)
        model.run()
        flows = model.flows[model.flows["step"] > 48]  # the fifth year
        by_tech = flows.groupby("technology")["tonnes"].sum()
        used[name] = by_tech.get("T14", 0.0)
        substitutes = by_tech.reindex(["T2", "T4", "T6", "T8", "T14"]).fillna(0.0).sum()
        cement = model.record.annual_output[2029][:, model.catalog.products.index("cement")].sum()
        per_cement[name] = substitutes / cement
    assert used["carbon"] > 1.15 * used["none"]
    assert per_cement["carbon"] > per_cement["none"]
    assert np.isfinite(list(per_cement.values())).all()
