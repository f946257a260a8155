"""The symbiosim command line, run as a user would."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

EXAMPLES = Path(__file__).parents[2] / "examples" / "policies"
LANDFILL_TANGSHAN = "landfill_tangshan"  # not a key symbiosis node
EXPECTED = {
    "timeseries.csv",
    "timeseries.parquet",
    "facility_ledger.csv",
    "facility_ledger.parquet",
    "flows.csv",
    "flows.parquet",
    "network.graphml",
    "network.geojson",
    "summary.csv",
    "key_nodes.csv",
    "adoptions.csv",
    "capacity_changes.csv",
    "facilities.csv",
    "byproducts_over_time.png",
    "map.png",
    "savings_over_time.png",
    "radius.png",
    "ledger_monthly.csv",
    "ledger_annual.csv",
    "government_annual.csv",
    "network_summary.csv",
    "network_byproducts.csv",
    "network_degrees.csv",
    "network_key_nodes.csv",
    "network_robustness.csv",
    "network_cities.csv",
    "radius_annual.csv",
    "synergy_annual.csv",
    "synergy_indicators.csv",
    "synergy.png",
    "value_flow.csv",
    "ATTRIBUTION.md",
    "manifest.json",
}


def _symbiosim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "symbiosim.runs.cli", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


@pytest.fixture(scope="module")
def one_year(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    result = _symbiosim(
        "run",
        "--years",
        "1",
        "--rng",
        "3",
        "--out",
        str(folder / "out"),
        "--quiet",
        "--value-flow",
        LANDFILL_TANGSHAN,
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    return folder / "out", result


def test_run_writes_every_output(one_year):
    out, result = one_year
    assert {p.name for p in out.iterdir()} == EXPECTED
    # a one-year run has no synergy degree: the tables say why, and so does one warning line
    synergy = pd.read_csv(out / "synergy_annual.csv")
    assert synergy["unavailable_reason"].str.contains("two full calendar years").all()
    assert synergy["D"].isna().all()
    assert result.stderr.strip().splitlines() == [
        "warning: synergy_annual, synergy_indicators: the synergy degree needs two full calendar years; the run has 1"
    ]
    series = pd.read_parquet(out / "timeseries.parquet")
    assert list(series.columns) == ["step", "date", "variable", "item", "unit", "value"]
    assert set(series.query("variable == 'profit_cny'")["item"]) >= {"all", "steel", "cement", "power"}
    assert series["step"].max() == 12
    assert set(series.query("variable == 'exchanged_t'")["unit"]) == {"t"}
    flows = pd.read_csv(out / "flows.csv")
    assert flows["tonnes"].gt(0).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rng"] == 3
    assert manifest["months"] == 12
    assert len(manifest["scenario_sha256"]) == 64
    assert manifest["versions"]["mesa"].startswith("3.5")
    assert manifest["versions"]["python"].startswith("3.12")
    assert "Last 12 months" in result.stdout
    assert "fly_ash" in result.stdout
    assert (out / "map.png").read_bytes()[:4] == b"\x89PNG"
    assert "CC BY 4.0" in (out / "ATTRIBUTION.md").read_text()
    value_flow = pd.read_csv(out / "value_flow.csv")
    assert LANDFILL_TANGSHAN in set(value_flow["facility_id"])  # asked for, besides the 10 key nodes
    assert value_flow["facility_id"].nunique() == 11
    assert set(value_flow["mode"]) == {"synergistic", "non_synergistic"}


def test_rerun_into_the_same_folder_is_safe_and_identical(one_year):
    out, _ = one_year
    before = (out / "flows.csv").read_bytes()
    result = _symbiosim("run", "--years", "1", "--rng", "3", "--out", str(out), "--quiet", cwd=out.parent)
    assert result.returncode == 0, result.stderr
    assert {p.name for p in out.iterdir()} == EXPECTED  # no temporary files left behind
    assert (out / "flows.csv").read_bytes() == before


def test_bad_scenario_gives_a_precise_error_and_writes_nothing(tmp_path):
    (tmp_path / "bad.toml").write_text('[scenario]\nyears = 0\n[tables.capacities]\nfile = "caps.csv"\n')
    (tmp_path / "caps.csv").write_text(
        "facility_id,product,capacity_per_yr,unit,source,note\nsteel_x,crude_steel,-5,t,me,\n"
    )
    result = _symbiosim("run", "--scenario", str(tmp_path / "bad.toml"), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert "caps.csv, row 2, column 'capacity_per_yr'" in result.stderr
    assert "below the minimum" in result.stderr
    assert "scenario.years" in result.stderr
    assert not (tmp_path / "out").exists()


def test_help_lists_the_options(tmp_path):
    result = _symbiosim("run", "--help", cwd=tmp_path)
    for flag in ("--scenario", "--years", "--rng", "--out", "--value-flow", "--quiet"):
        assert flag in result.stdout


def test_bad_arguments_are_rejected_before_simulating(tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    for args, phrase in (
        (["--rng", "-1"], "--rng must be a non-negative integer"),
        (["--out", str(tmp_path / "a_file")], "exists and is not a folder"),
        (["--years", "0"], "--years must be between 1 and 100"),
        (["--value-flow", "steel_nowhere"], "unknown facility id(s) ['steel_nowhere']"),
    ):
        result = _symbiosim("run", *args, "--quiet", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert phrase in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_validate_reports_every_problem_or_ok(tmp_path):
    good = _symbiosim("validate", str(EXAMPLES / "heating_season_graded.toml"), cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert "OK" in good.stdout
    assert "308 facilities, 10 by-products, 16 technologies, 2 policies" in good.stdout
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text('[scenario]\nyears = 0\n[[policies]]\ntype = "carbon_price"\nstart = "2025-01-01"\n'
                        'end = "2025-12-31"\ncny_per_t_co2 = -1\n')  # fmt: skip
    bad = _symbiosim("validate", str(bad_toml), cwd=tmp_path)
    assert bad.returncode == 2
    assert "2 problem(s)" in bad.stdout
    assert "'scenario.years'" in bad.stdout
    assert "'policies[0].cny_per_t_co2'" in bad.stdout
