"""Plots drawn by the worker process: the same PNGs as drawn in the run's own process, errors raised, a dead worker replaced."""

import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

from symbiosim.runs.plot_process import Painter

RADIUS = "symbiosim.runs.plots.plot_radius"


@pytest.fixture(scope="module")
def radius_table() -> pd.DataFrame:
    return pd.DataFrame(
        {"year": [2025, 2025, 2026, 2026], "byproduct": ["fly_ash", "bf_slag", "fly_ash", "bf_slag"],
         "median_km": [18.0, 12.0, 19.0, 13.0], "radius_km": [30.0, 55.0, 34.0, 61.0],
         "tonnes": [1e5, 2e4, 1.1e5, 2.5e4]}
    )  # fmt: skip


def drawn_here(table: pd.DataFrame, path) -> bytes:
    painter = Painter()
    painter.close()  # no worker: drawn in this process
    painter.draw(RADIUS, table, path=path)
    painter.finish()
    return path.read_bytes()


def test_a_plot_drawn_by_the_worker_is_the_plot_drawn_here(radius_table, tmp_path):
    with Painter() as painter:
        assert painter.draw(RADIUS, radius_table, path=tmp_path / "worker.png") == tmp_path / "worker.png"
        painter.finish()
    assert (tmp_path / "worker.png").read_bytes() == drawn_here(radius_table, tmp_path / "here.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here.png", "worker.png"]  # no temporary file left


def test_an_error_in_the_worker_is_raised_here_and_nothing_is_written(tmp_path):
    with Painter() as painter:
        painter.draw(RADIUS, pd.DataFrame({"year": ["2025"]}), path=tmp_path / "radius.png")  # no radius column
        with pytest.raises(KeyError):
            painter.finish()
    assert list(tmp_path.iterdir()) == []


def test_plots_of_a_killed_worker_are_drawn_here(radius_table, tmp_path):
    with Painter() as painter:
        painter._starting.join()  # the worker is up
        for pid in list(painter._pool._processes):
            os.kill(pid, signal.SIGKILL)
        painter.draw(RADIUS, radius_table, path=tmp_path / "radius.png")
        painter.finish()
    assert (tmp_path / "radius.png").read_bytes() == drawn_here(radius_table, tmp_path / "here.png")


def test_a_run_does_not_import_matplotlib_in_its_own_process(tmp_path):
    """The plotting functions are named to the worker: the run's own process never loads matplotlib."""
    code = (
        "import sys\nfrom symbiosim.runs.cli import main\n"
        f"assert main(['run', '--years', '1', '--quiet', '--out', {str(tmp_path / 'out')!r}]) == 0\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"map.png", "radius.png", "byproducts_over_time.png"} <= {p.name for p in (tmp_path / "out").iterdir()}
