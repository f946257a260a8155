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

import os
from pathlib import Path

import solara
from mesa.visualization import SolaraViz, solara_viz

from symbiosim.environment.scenario import load_scenario
from symbiosim.model import SymbiosisModel
from symbiosim.runs.app_views import CompareView, MapView, SeriesView
from symbiosim.runs.controls import LIMIT_MODES, LIMIT_MONTHS, app_policies

__all__ = ["DEFAULT_LABEL", "AppModel", "Page", "make_page", "scenario_choices"]

DEFAULT_LABEL = "JJJ default"
SCENARIO_ENV = "SYMBIOSIM_APP_SCENARIO"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"


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
