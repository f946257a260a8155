"""The app's model and map without a browser: controls become policies, the map is valid SVG."""

import datetime as dt
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from symbiosim import default_scenario
from symbiosim.policies import CarbonPrice, FacilitationPlatform, ProductionLimit, VATRebate
from symbiosim.runs.app import DEFAULT_LABEL, AppModel, scenario_choices
from symbiosim.runs.controls import app_policies
from symbiosim.runs.svg_map import facility_notes, svg_map

START = dt.date(2025, 1, 1)


def test_controls_become_policies():
    assert app_policies(default_scenario(), 10) == []
    policies = app_policies(
        default_scenario(), 10, vat_rebate=True, carbon_price_cny_per_t_co2=100.0, platform=True, limit_mode="graded"
    )
    kinds = [type(p) for p in policies]
    assert kinds.count(VATRebate) == kinds.count(CarbonPrice) == kinds.count(FacilitationPlatform) == 1
    limits = [p for p in policies if isinstance(p, ProductionLimit)]
    # a heating season in each winter that touches the run: 2024-25 to 2034-35
    assert [(p.start, p.end) for p in limits[:2]] == [
        (dt.date(2024, 11, 15), dt.date(2025, 3, 15)),
        (dt.date(2025, 11, 15), dt.date(2026, 3, 15)),
    ]
    assert len(limits) == 11
    assert all(p.mode == "graded" and p.grade_caps == {"A": 1.0} for p in limits)
    with pytest.raises(ValueError, match="limit_mode must be one of"):
        app_policies(default_scenario(), 1, limit_mode="strict")


def test_the_app_model_is_the_headless_model_with_those_policies():
    app = AppModel(DEFAULT_LABEL, "7", limit_mode="uniform", limit_cap_share=0.5)  # a seed typed as text
    app.run(2)
    assert app.rng_seed == 7
    assert app.levers.limit_factor.min() == 0.5  # February: the heating-season cap
    assert DEFAULT_LABEL in scenario_choices()


def test_map_is_valid_svg_with_a_note_per_facility():
    facilities = pd.DataFrame(
        {
            "facility_id": ["a", "b"],
            "name": ["Steel A", "Kiln B & Co"],
            "sector": ["steel", "cement"],
            "city": ["X", "X"],
            "longitude": [116.0, 116.5],
            "latitude": [39.0, 39.2],
        }
    )
    flows = pd.DataFrame(
        {"seller": [0], "buyer": [1], "seller_id": ["a"], "buyer_id": ["b"], "byproduct": ["bf_slag"], "tonnes": [50.0]}
    )
    notes = facility_notes(facilities, pd.Series({"a": 1000.0, "b": 400.0}), flows)
    assert notes["a"] == "Steel A\nsteel, X\noutput 1,000 per month\nsells bf_slag 50 t\npartners: Kiln B & Co"
    assert notes["b"].endswith("buys bf_slag 50 t\npartners: Steel A")
    root = ET.fromstring(svg_map(facilities, [1.0, 0.5], flows, notes, "test"))  # parses: names are escaped
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert len(root.findall("svg:circle[@class='facility']", ns)) == 2
    assert len(root.findall("svg:line", ns)) >= 1


def test_the_controls_policies_fit_the_scenario_or_say_where_they_do_not(tiny_park_toml):
    """The limit control's region comes from examples/app/controls.toml; a park without those cities is told so."""
    from symbiosim import ScenarioError, load_scenario

    with pytest.raises(
        ScenarioError, match=r"(?s)1 problem.*controls.toml, column 'limit\.policy\.cities': unknown cities"
    ):
        app_policies(load_scenario(tiny_park_toml), 1, limit_mode="uniform")
    assert app_policies(load_scenario(tiny_park_toml), 1, vat_rebate=True, platform=True)  # no city named
