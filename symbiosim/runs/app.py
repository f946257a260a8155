"""The browser app: watch symbiosis emerge on the real map and try policies (Mesa SolaraViz).

Served by ``symbiosim app`` (``solara run`` on this file). Tabs: Page 0, the *map* (a status line
with the simulated date and the month's key figures, then the facilities at their real
coordinates with the month's exchanges); Page 1, the *series* (tonnes, utilisation, energy,
emissions, profit, synergy and coupling over time); Page 2, the *comparison* (the current
settings against the scenario without them, same seed). The
sidebar holds the scenario, the seed and the policy controls, applied on Reset, with
Step/Play/Pause. The scenario file given to ``symbiosim app --scenario`` comes first in the
scenario list (environment variable ``SYMBIOSIM_APP_SCENARIO``).
"""

import datetime as dt
import os
from pathlib import Path

import solara
from mesa.visualization import SolaraViz, solara_viz

from symbiosim.environment.scenario import load_scenario
from symbiosim.model import SymbiosisModel
from symbiosim.policies import (
    CarbonPrice,
    EnvironmentalTax,
    FacilitationPlatform,
    PerTonneSubsidy,
    ProductionLimit,
    Scope,
    VATRebate,
)
from symbiosim.runs.app_views import CompareView, MapView, SeriesView

__all__ = ["DEFAULT_LABEL", "LIMIT_MONTHS", "AppModel", "Page", "app_policies", "make_page", "scenario_choices"]

DEFAULT_LABEL = "JJJ default"
SCENARIO_ENV = "SYMBIOSIM_APP_SCENARIO"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"
LIMIT_MODES = ("off", "uniform", "graded", "symbiosis_aware")
LIMIT_MONTHS = {  # (first month, first day), (last month, last day); a window crossing the new year
    "heating season (15 Nov - 15 Mar)": ((11, 15), (3, 15)),
    "winter (Dec - Feb)": ((12, 1), (2, 28)),
    "whole year": ((1, 1), (12, 31)),
}
LIMIT_SCOPE = Scope(cities=("Tangshan", "Handan"), sectors=("steel", "cement"))
KEY_NODES_EXEMPT = 5


def scenario_choices() -> dict[str, Path | None]:
    """Scenario label -> TOML path (None = the bundled default): the app's file, the default, the examples."""
    choices: dict[str, Path | None] = {}
    given = os.environ.get(SCENARIO_ENV)
    if given:
        path = Path(given).resolve()
        choices[f"{load_scenario(path).name} ({path.name})"] = path
    choices[DEFAULT_LABEL] = None
    if EXAMPLES.is_dir():
        for path in sorted(EXAMPLES.glob("*.toml")):
            choices[f"example: {path.stem}"] = path
    return choices


def _windows(start: dt.date, years: int, months: str) -> list[tuple[dt.date, dt.date]]:
    (m0, d0), (m1, d1) = LIMIT_MONTHS[months]
    crosses = (m1, d1) < (m0, d0)
    return [
        (dt.date(year, m0, d0), dt.date(year + 1 if crosses else year, m1, d1))
        for year in range(start.year - (1 if crosses else 0), start.year + years)
    ]


def app_policies(
    start: dt.date,
    years: int,
    *,
    vat_rebate: bool = False,
    landfill_tax_cny_per_t: float = 0.0,
    carbon_price_cny_per_t_co2: float = 0.0,
    subsidy_cny_per_t: float = 0.0,
    limit_mode: str = "off",
    limit_cap_share: float = 0.5,
    limit_months: str = "heating season (15 Nov - 15 Mar)",
    platform: bool = False,
) -> list:
    """The policies of the app's controls, for a run from ``start`` over ``years``.

    The production limit covers steel and cement in Tangshan and Handan; graded mode exempts
    grade-A plants; symbiosis-aware mode exempts the 5 key symbiosis nodes.
    """
    first, last = dt.date(start.year - 1, 1, 1), dt.date(start.year + years, 12, 31)
    policies: list = []
    if vat_rebate:
        policies.append(VATRebate(first, last, scope=Scope(sectors=("cement",))))
    if landfill_tax_cny_per_t > 0:
        policies.append(EnvironmentalTax(first, last, cny_per_t=float(landfill_tax_cny_per_t)))
    if carbon_price_cny_per_t_co2 > 0:
        covered = Scope(sectors=("power", "steel", "cement"))
        policies.append(CarbonPrice(first, last, cny_per_t_co2=float(carbon_price_cny_per_t_co2), scope=covered))
    if subsidy_cny_per_t > 0:
        policies.append(PerTonneSubsidy(first, last, cny_per_t=float(subsidy_cny_per_t)))
    if platform:
        policies.append(FacilitationPlatform(first, last))
    if limit_mode != "off":
        if limit_mode not in LIMIT_MODES:
            raise ValueError(f"limit_mode must be one of {LIMIT_MODES}, not {limit_mode!r}")
        extra = {
            "graded": {"grade_caps": {"A": 1.0}},
            "symbiosis_aware": {"exempt_top_k": KEY_NODES_EXEMPT},
        }.get(limit_mode, {})
        for begin, end in _windows(start, years, limit_months):
            policies.append(
                ProductionLimit(
                    begin, end, cap_share=float(limit_cap_share), scope=LIMIT_SCOPE, mode=limit_mode, **extra
                )
            )
    return policies


class AppModel(SymbiosisModel):
    """The model behind the app: a scenario chosen by label, and the policies of the controls.

    Args:
        scenario_name: a label of :func:`scenario_choices`.
        rng: random seed (the text box sends a string; it is turned into an integer).
        scenario: Mesa's own scenario object, which SolaraViz passes on Reset; not used (the
            symbiosim scenario is ``scenario_name``).
        other keywords: the controls, see :func:`app_policies`.
    """

    def __init__(
        self, scenario_name: str = DEFAULT_LABEL, rng: int | str = 42, scenario: object = None, **controls: object
    ) -> None:
        path = scenario_choices().get(scenario_name)
        loaded = load_scenario(path)
        self.controls = dict(controls)
        super().__init__(
            loaded,
            rng=int(rng),
            policies=app_policies(loaded.start, loaded.years, **controls),
            collect_agent_data=False,
        )
        self.scenario_label = scenario_name
        self.rng_seed = int(rng)


MODEL_PARAMS = {
    "scenario_name": {"type": "Select", "value": DEFAULT_LABEL, "values": [], "label": "Scenario"},
    "rng": {"type": "InputText", "value": 42, "label": "Random seed"},
    "vat_rebate": {"type": "Checkbox", "value": False, "label": "VAT rebate for cement"},
    "landfill_tax_cny_per_t": {
        "type": "SliderFloat", "value": 0.0, "min": 0.0, "max": 100.0, "step": 5.0,
        "label": "Landfill tax +, CNY/t",
    },
    "carbon_price_cny_per_t_co2": {
        "type": "SliderFloat", "value": 0.0, "min": 0.0, "max": 300.0, "step": 10.0,
        "label": "Carbon price, CNY/t CO2",
    },
    "subsidy_cny_per_t": {
        "type": "SliderFloat", "value": 0.0, "min": 0.0, "max": 100.0, "step": 5.0,
        "label": "Subsidy, CNY/t used",
    },
    "limit_mode": {"type": "Select", "value": "off", "values": list(LIMIT_MODES), "label": "Production limit (Tangshan, Handan steel and cement)"},
    "limit_cap_share": {
        "type": "SliderFloat", "value": 0.5, "min": 0.0, "max": 1.0, "step": 0.05,
        "label": "Limit: cap share",
    },
    "limit_months": {
        "type": "Select", "value": next(iter(LIMIT_MONTHS)), "values": list(LIMIT_MONTHS), "label": "Limit: months",
    },
    "platform": {"type": "Checkbox", "value": False, "label": "Facilitation platform"},
}  # fmt: skip


GRID_COLUMNS, GRID_ROWS = 12, 18


def _full_width_layout(num_components: int) -> list[dict]:
    """One component per row, the full width of the page (Mesa's default puts two side by side)."""
    return [
        {"i": i, "w": GRID_COLUMNS, "h": GRID_ROWS, "moved": False, "x": 0, "y": GRID_ROWS * i}
        for i in range(num_components)
    ]


# Mesa 3.5 has no option for the grid of a page; its layout function is replaced for this app
solara_viz.make_initial_grid_layout = _full_width_layout


def make_page(scenario_label: str | None = None) -> solara.Element:
    """The SolaraViz page with a new model built from the first scenario of :func:`scenario_choices`."""
    choices = list(scenario_choices())
    label = scenario_label or choices[0]
    params = {**MODEL_PARAMS, "scenario_name": {**MODEL_PARAMS["scenario_name"], "values": choices, "value": label}}
    return SolaraViz(
        AppModel(scenario_name=label),
        components=[(MapView, 0), (SeriesView, 1), (CompareView, 2)],
        model_params=params,
        name="symbiosim: industrial symbiosis in Beijing-Tianjin-Hebei",
        play_interval=300,
    )


@solara.component
def Page() -> solara.Element:  # noqa: N802 - Solara serves the component named Page
    """One page per browser session, each with its own model (sessions never share a run)."""
    return solara.use_memo(make_page, [])
