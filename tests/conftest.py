"""Shared fixtures (the default scenario, loaded once, and a tiny hand-built park) and hypothesis profiles."""

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from symbiosim import default_scenario
from symbiosim.environment.scenario import Scenario

# Property tests are reproducible: the same examples on every run and machine (derandomize),
# and no local database of past failures changes what a run tries. Failures found that way are
# kept as explicit @example cases. HYPOTHESIS_PROFILE=explore searches afresh with random draws.
settings.register_profile("reproducible", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", max_examples=1000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reproducible"))

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def jjj() -> Scenario:
    """The bundled Beijing-Tianjin-Hebei scenario."""
    return default_scenario()


@pytest.fixture
def tiny_park_toml() -> Path:
    """A hand-built park: one steel plant, one power plant, two cement plants (tests/data/tiny)."""
    return DATA / "tiny" / "scenario.toml"


@pytest.fixture
def tiny_park_without_t2(tiny_park_toml, tmp_path) -> Path:
    """A copy of the tiny park in which no cement plant has T2 at the start (so investment shows)."""
    park = tmp_path / "park_without_t2"
    shutil.copytree(tiny_park_toml.parent, park)
    technologies = park / "technologies.csv"
    lines = technologies.read_text().splitlines()
    lines[1] = lines[1].replace(",20,1.0,test,", ",20,0.0,test,")  # initial_adoption_share 1.0 -> 0.0
    assert ",20,0.0,test," in lines[1]
    technologies.write_text("\n".join(lines) + "\n")
    return park / "scenario.toml"


@pytest.fixture
def park_with_column(tmp_path):
    """A builder of scenario copies with a column added to one table: ``(toml, file, column, value) -> toml``.

    ``value`` is the cell of every row, or a function of a row's first cell (its key).
    """

    def build(toml: Path | str, file: str, column: str, value: object) -> str:
        park = tmp_path / f"{Path(toml).parent.name}_{column}"
        shutil.copytree(Path(toml).parent, park)
        table = park / file
        lines = table.read_text().splitlines()
        lines[0] += f",{column}"
        lines[1:] = [f"{line},{value(line.split(',')[0]) if callable(value) else value}" for line in lines[1:]]
        table.write_text("\n".join(lines) + "\n")
        return str(park / Path(toml).name)

    return build
