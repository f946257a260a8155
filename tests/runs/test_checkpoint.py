"""Checkpoints: a resumed run equals an uninterrupted one, bit for bit; bad checkpoints are refused."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from symbiosim import SymbiosisModel, load_scenario
from symbiosim.runs.checkpoint import FORMAT_VERSION, CheckpointError, load_checkpoint, save_checkpoint

EXAMPLES = Path(__file__).parents[2] / "examples" / "policies"
COMPARED = ("timeseries.csv", "flows.csv", "facility_ledger.csv", "summary.csv", "adoptions.csv", "value_flow.csv")


def test_a_restored_model_continues_exactly(tmp_path):
    scenario = load_scenario(EXAMPLES / "heating_season_symbiosis_aware.toml")  # policy memory, contracts
    whole = SymbiosisModel(scenario, rng=5, years=2)
    whole.run()
    part = SymbiosisModel(scenario, rng=5, years=2)
    part.run(11)
    save_checkpoint(part, tmp_path / "ckpt", rng=5)
    resumed = load_checkpoint(tmp_path / "ckpt")
    assert (resumed.month_index, resumed.steps) == (11, 11)
    resumed.run()
    pd.testing.assert_frame_equal(
        whole.datacollector.get_model_vars_dataframe(), resumed.datacollector.get_model_vars_dataframe()
    )
    pd.testing.assert_frame_equal(whole.flows, resumed.flows)
    pd.testing.assert_frame_equal(whole.facility_ledger, resumed.facility_ledger)
    assert [a.__dict__ for a in whole.record.adoptions] == [a.__dict__ for a in resumed.record.adoptions]


def test_bad_checkpoints_are_refused_with_a_clear_error(tmp_path):
    model = SymbiosisModel(rng=1, years=1)
    model.run(2)
    folder = save_checkpoint(model, tmp_path / "ckpt", rng=1)
    with pytest.raises(CheckpointError, match="not the one this checkpoint was made from"):
        load_checkpoint(folder, EXAMPLES / "baseline.toml")
    state = json.loads((folder / "state.json").read_text())
    (folder / "state.json").write_text(json.dumps(state | {"format_version": 99}))
    with pytest.raises(CheckpointError, match=f"format version 99; this symbiosim reads version {FORMAT_VERSION}"):
        load_checkpoint(folder)
    (folder / "state.json").write_text(json.dumps(state))
    (folder / "arrays.npz").write_bytes((folder / "arrays.npz").read_bytes()[:1000])  # truncated
    with pytest.raises(CheckpointError, match=r"arrays\.npz is damaged"):
        load_checkpoint(folder)
    (folder / "state.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"state\.json is damaged"):
        load_checkpoint(folder)
    with pytest.raises(CheckpointError, match="has no checkpoint"):
        load_checkpoint(tmp_path / "nowhere")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "symbiosim.runs.cli", "run", *args, "--quiet"]


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_outputs(tmp_path):
    common = ["--years", "2", "--rng", "9"]
    whole = subprocess.run(_cli(*common, "--out", str(tmp_path / "whole")), capture_output=True, check=False)
    assert whole.returncode == 0, whole.stderr
    killed = subprocess.Popen(
        _cli(*common, "--checkpoint-every", "3", "--out", str(tmp_path / "cut")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    state = tmp_path / "cut" / "checkpoint" / "state.json"
    deadline = time.monotonic() + 120
    while not (state.exists() and json.loads(state.read_text())["month_index"] >= 6):
        assert killed.poll() is None, killed.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert not (tmp_path / "cut" / "timeseries.csv").exists()  # killed before the outputs
    resumed = subprocess.run(_cli("--resume", str(tmp_path / "cut")), capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    for name in COMPARED:
        assert (tmp_path / "cut" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    assert not (tmp_path / "cut" / "checkpoint").exists()  # removed once the run is complete
    refused = subprocess.run(_cli("--resume", str(tmp_path / "cut")), capture_output=True, text=True, check=False)
    assert refused.returncode == 2
    assert "has no checkpoint" in refused.stderr
    again = tmp_path / "again"
    rerun = subprocess.run(
        _cli("--from-outputs", str(tmp_path / "whole"), "--out", str(again)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    for name in COMPARED:  # reproduced from the outputs alone
        assert (again / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
