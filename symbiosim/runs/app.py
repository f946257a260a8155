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
import tomllib
from pathlib import Path

import solara
from mesa.visualization import SolaraViz, solara_viz

from symbiosim.environment.scenario import bundled_scenarios, load_scenario
from symbiosim.model import SymbiosisModel
from symbiosim.runs.app_views import CompareView, MapView, SeriesView
from symbiosim.runs.controls import app_policies, control_settings, limit_modes, limit_months

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
    for path in bundled_scenarios().values():
        if path.resolve() not in choices.values():  # not twice when the app was started on it
            choices[f"region: {tomllib.loads(path.read_text(encoding='utf-8'))['scenario']['name']}"] = path.resolve()
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
            policies=app_policies(loaded, loaded.years, **controls),
            collect_agent_data=False,
        )
        self.scenario_label = scenario_name
        self.rng_seed = int(rng)


def _model_params() -> dict[str, dict]:
    """SolaraViz controls: the scenario, the seed, and the policy controls of ``examples/app/controls.toml``."""
    settings = control_settings()
    params: dict[str, dict] = {
        "scenario_name": {"type": "Select", "value": DEFAULT_LABEL, "values": [], "label": "Scenario"},
        "rng": {"type": "InputText", "value": 42, "label": "Random seed"},
    }
    for name, control in settings.get("controls", {}).items():
        if control["kind"] == "switch":
            params[name] = {"type": "Checkbox", "value": False, "label": control["label"]}
        else:
            params[name] = {"type": "SliderFloat", "value": 0.0, "min": control["min"], "max": control["slider_max"],
                            "step": control["step"], "label": control["label"]}  # fmt: skip
    limit = settings.get("limit")
    if limit:
        where = ", ".join(limit["policy"].get("cities", []) + limit["policy"].get("provinces", []))
        covered = f"{where}: {' and '.join(limit['policy'].get('sectors', ['all sectors']))}"
        params["limit_mode"] = {"type": "Select", "value": "off", "values": list(limit_modes()),
                                "label": f"{limit['label']} ({covered})"}  # fmt: skip
        params["limit_cap_share"] = {"type": "SliderFloat", "value": limit["cap_share"], "min": 0.0, "max": 1.0,
                                     "step": 0.05, "label": "Limit: cap share"}  # fmt: skip
        params["limit_months"] = {"type": "Select", "value": next(iter(limit_months())), "values": list(limit_months()),
                                  "label": "Limit: months"}  # fmt: skip
    return params


MODEL_PARAMS = _model_params()


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
