"""The bundled scenario's calibration record is consistent with the catalog and the targets it was fitted to."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from symbiosim.runs.calibration_spec import bundled_targets_path, load_calibration_spec

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "symbiosim" / "environment" / "data" / "calibration" / "default"


def test_parameters_csv_holds_the_posterior_medians():
    """catalog/parameters.csv is what scripts/apply_calibration.py writes from the record."""
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "apply_calibration.py"), "--check"],
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_record_was_fitted_to_the_bundled_targets_and_spec():
    """Editing a target or the spec's priors without calibrating again makes the record stale: this fails."""
    record = json.loads((RECORD / "calibration.json").read_text(encoding="utf-8"))
    targets = pd.read_csv(bundled_targets_path()).set_index("target")
    for row in record["fit"]:
        assert targets.at[row["target"], "value"] == row["observed"], row["target"]
        assert targets.at[row["target"], "sd"] == row["sd"], row["target"]
        assert targets.at[row["target"], "role"] == row["role"], row["target"]
    assert set(record["fitted_targets"]) == set(targets.index[targets["role"] == "calibration"])
    spec = load_calibration_spec(ROOT / "examples" / "calibration" / "default.toml")
    priors = {p.name: (p.kind, p.low, p.high) for p in spec.priors}
    assert {r["parameter"]: (r["prior"], r["prior_min"], r["prior_max"]) for r in record["posterior"]} == priors
    assert record["method"]["population"] == spec.population
    assert record["method"]["seed"] == spec.seed


def test_the_posterior_is_a_weighted_sample_within_the_priors():
    posterior = pd.read_csv(RECORD / "posterior.csv")
    summary = pd.read_csv(RECORD / "posterior_summary.csv").set_index("parameter")
    assert posterior["weight"].sum() == pytest.approx(1.0)
    for name, row in summary.iterrows():
        values = posterior[name]
        assert values.between(row["prior_min"], row["prior_max"]).all(), name
        assert row["p05"] <= row["p50"] <= row["p95"], name
    # the predictive runs measured every target
    predictive = pd.read_csv(RECORD / "predictive.csv")
    assert set(pd.read_csv(bundled_targets_path())["target"]) <= set(predictive.columns)
