"""Shared fixtures: the default scenario (loaded once) and a tiny hand-built park."""

from pathlib import Path

import pytest

from symbiosim import default_scenario
from symbiosim.environment.scenario import Scenario

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def jjj() -> Scenario:
    """The bundled Beijing-Tianjin-Hebei scenario."""
    return default_scenario()


@pytest.fixture
def tiny_park_toml() -> Path:
    """A hand-built park: one steel plant, one power plant, two cement plants (tests/data/tiny)."""
    return DATA / "tiny" / "scenario.toml"
