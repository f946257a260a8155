"""Calibration specs and target tables: the bundled ones load; every bad input gets a located error."""

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from symbiosim.environment.validation import ScenarioError
from symbiosim.runs.calibration_spec import bundled_targets_path, load_calibration_spec
from symbiosim.runs.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOOD_PARAMETER = "[parameters.max_payback_yr]\nprior = \"uniform\"\nmin = 2.0\nmax = 8.0\n"


def write(tmp_path, text: str, name: str = "spec.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path) -> list[str]:
    with pytest.raises(ScenarioError) as failure:
        load_calibration_spec(path)
    return [str(issue) for issue in failure.value.issues]


def test_the_shipped_spec_and_targets_load():
    spec = load_calibration_spec(ROOT / "examples" / "calibration" / "default.toml")
    assert len(spec.priors) == 5
    roles = {t.role for t in spec.targets}
    assert roles == {"calibration", "validation"}
    assert set(spec.fitted) == {t.target for t in spec.targets if t.role == "calibration"}
    # every target has its unit and a positive uncertainty, and names a source
    assert all(t.sd > 0 and t.source for t in spec.targets)


def test_the_outlet_benchmarks_have_a_utilisation_target_each():
    """The outlets are calibrated to the targets table (one source of the national rates)."""
    data = ROOT / "symbiosim" / "environment" / "data" / "calibration"
    benchmarks = pd.read_csv(data / "outlet_benchmarks.csv")
    targets = pd.read_csv(bundled_targets_path())
    utilisation = targets[targets["pattern"] == "utilisation"]
    assert set(benchmarks["byproduct"]) <= set(utilisation["byproduct"])
    assert "target_utilisation" not in benchmarks.columns


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[calibration]\nyeras = 3\n" + GOOD_PARAMETER, "column 'calibration.yeras': unknown key"),
        ("[calibration]\npopulation = 1\n" + GOOD_PARAMETER, "'calibration.population': must be a whole number >= 2"),
        ("[calibration]\nalpha = 1.5\n" + GOOD_PARAMETER, "'calibration.alpha': must be a number in [0.01, 1)"),
        ("[calibration]\nyears = 2.5\n" + GOOD_PARAMETER, "'calibration.years': must be a whole number"),
        ("[calibration]\n", "'parameters': at least one parameter table is needed"),
        ("[parameters.max_paybak_yr]\nmin = 1\nmax = 2\n", "'parameters.max_paybak_yr': not a model parameter"),
        ("[parameters.max_payback_yr]\nmin = 8\nmax = 2\n", "needs min < max"),
        ("[parameters.max_payback_yr]\nmin = -1\nmax = 2\n", "must lie within the parameter's range 0.0-50.0"),
        ("[parameters.max_payback_yr]\nprior = \"normal\"\nmin = 1\nmax = 2\n", "'parameters.max_payback_yr.prior': must be one of"),
        ("[parameters.max_payback_yr]\nprior = \"loguniform\"\nmin = 0\nmax = 2\n", "a loguniform prior needs min > 0"),
        ("[parameters.max_payback_yr]\nprior = \"triangular\"\nmin = 1\nmode = 9\nmax = 2\n", "'parameters.max_payback_yr.mode': must lie within"),
        ("[parameters.max_payback_yr]\nmin = 1\nmax = \"2\"\n", "'parameters.max_payback_yr.max': must be a finite number"),
        ("[parameters.max_payback_yr]\nmin = 1\nmax = 2\nmode = 1.5\n", "'parameters.max_payback_yr.mode': unknown key for a uniform prior"),
        ("[calibration]\nuse = [\"utilisation.fly_ashh\"]\n" + GOOD_PARAMETER, "'calibration.use': unknown target ids: utilisation.fly_ashh"),
        ("[calibration]\nuse = \"fitting\"\n" + GOOD_PARAMETER, "'calibration.use': must be a role"),
        ("[calibration]\nscenario = \"nowhere.toml\"\n" + GOOD_PARAMETER, "'calibration.scenario': scenario file"),
        ("[calibraton]\n" + GOOD_PARAMETER, "column 'calibraton': unknown section"),
        ("[calibration\n", "not a valid TOML file"),
        ("[parameters.max_payback_yr]\nprior = [\"uniform\"]\nmin = 1\nmax = 2\n", "'parameters.max_payback_yr.prior': must be one of"),
        ("[parameters.investment_month]\nmin = 1\nmax = 12\n", "'parameters.investment_month': takes whole numbers"),
        ("[calibration]\nyears = 500\n" + GOOD_PARAMETER, "'calibration.years': must be at most"),
        ("[calibration]\nyears = 1\nwindow_months = 13\n" + GOOD_PARAMETER, "'calibration.window_months': must not exceed"),
        ("[calibration]\nscenario = \"spec.toml.bak\"\n" + GOOD_PARAMETER, "'calibration.scenario': must be a scenario .toml"),
    ],
)
def test_bad_specs_are_located(tmp_path, text, expected):
    path = write(tmp_path, text)
    found = problems(path)
    assert any(expected in line and str(path) in line for line in found), found


TARGET_HEADER = "target,pattern,byproduct,technology,cities,value,sd,unit,role,source,note\n"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("a,utilisation,fly_ash,,,0.7,0,share,calibration,src,", "row 2, column 'sd': must be > 0"),
        ("a,utilisation,fly_ashes,,,0.7,0.1,share,calibration,src,", "row 2, column 'byproduct': 'fly_ashes' is not"),
        ("a,utilisation,,,,0.7,0.1,share,calibration,src,", "row 2, column 'byproduct': pattern 'utilisation' needs"),
        ("a,haul_mean_km,fly_ash,,,50,10,km,calibration,src,", "row 2, column 'pattern': must be one of"),
        ("a,haul_p90_km,fly_ash,T99,,50,10,km,calibration,src,", "row 2, column 'technology': 'T99' is not"),
        ("a,haul_p90_km,fly_ash,,,50,10,m,calibration,src,", "row 2, column 'unit': pattern 'haul_p90_km' is measured in 'km'"),
        ("a,city_pair_share,,,Tangshan,0.1,0.05,share,validation,src,", "row 2, column 'cities': pattern 'city_pair_share' needs exactly two"),
        ("a,city_pair_share,,,Tangshan Gotham,0.1,0.05,share,validation,src,", "row 2, column 'cities': 'Gotham' is not"),
        ("a,utilisation,fly_ash,,,lots,0.1,share,calibration,src,", "row 2, column 'value': must be a number, not 'lots'"),
        ("a,utilisation,fly_ash,,,inf,0.1,share,calibration,src,", "row 2, column 'value': must be finite"),
        ("a,utilisation,fly_ash,,,0.7,0.1,share,fitting,src,", "row 2, column 'role': must be one of"),
        ("a,utilisation,fly_ash,,,0.7,0.1,share,calibration,,", "row 2, column 'source': every target needs a source"),
        ("a,utilisation,fly_ash,,,0.7,0.1,share,calibration,src,\na,utilisation,bf_slag,,,0.9,0.1,share,calibration,src,",
         "row 3, column 'target': duplicate target id 'a'"),
        ("seed,utilisation,fly_ash,,,0.7,0.1,share,calibration,src,", "row 2, column 'target': 'seed' is reserved"),
        ("a,utilisation,fly_ash,T8,,0.7,0.1,share,calibration,src,", "row 2, column 'technology': pattern 'utilisation' counts"),
        ("a,haul_p90_km,fly_ash,,Tangshan,50,10,km,calibration,src,", "row 2, column 'cities': pattern 'haul_p90_km' takes no cities"),
        ("a,utilisation,fly_ash,,,0.7,0.1,share,calibration,src,,extra", "row 2: has 12 fields, the header 11"),
    ],
)
def test_bad_target_tables_are_located(tmp_path, row, expected):
    table = write(tmp_path, TARGET_HEADER + row + "\n", "targets.csv")
    path = write(tmp_path, "[calibration]\ntargets = \"targets.csv\"\nuse = \"calibration\"\n" + GOOD_PARAMETER)
    found = problems(path)
    assert any(expected in line and str(table) in line for line in found), found


def test_a_folder_given_as_the_targets_table_is_named(tmp_path):
    (tmp_path / "targets").mkdir()
    path = write(tmp_path, "[calibration]\ntargets = \"targets\"\n" + GOOD_PARAMETER)
    assert problems(path) == [f"{tmp_path / 'targets'}: not a regular file"]


def test_a_table_without_a_column_is_named(tmp_path):
    table = write(tmp_path, "target,pattern,value\na,utilisation,0.5\n", "targets.csv")
    path = write(tmp_path, "[calibration]\ntargets = \"targets.csv\"\n" + GOOD_PARAMETER)
    found = problems(path)
    assert f"{table}, row 1, column 'sd': required column is missing" in found


def test_no_target_of_the_role_is_an_error(tmp_path):
    write(tmp_path, TARGET_HEADER + "a,utilisation,fly_ash,,,0.7,0.1,share,validation,src,\n", "targets.csv")
    path = write(tmp_path, "[calibration]\ntargets = \"targets.csv\"\n" + GOOD_PARAMETER)
    assert any("no target of" in line and "role 'calibration'" in line for line in problems(path))


def test_the_command_reports_a_bad_spec_and_writes_nothing(tmp_path, capsys):
    path = write(tmp_path, "[calibration]\npopulation = 0\n" + GOOD_PARAMETER)
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "calibration.population" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_a_folder_of_another_spec_is_refused(tmp_path):
    """Resuming mixes nothing: a folder whose fingerprint is another spec's is refused by the command."""
    spec = shutil.copy(ROOT / "examples" / "calibration" / "default.toml", tmp_path / "spec.toml")
    out = tmp_path / "out"
    out.mkdir()
    (out / "spec.fingerprint").write_text("0123456789abcdef\n")
    result = subprocess.run(
        [sys.executable, "-m", "symbiosim.runs.cli", "calibrate", str(spec), "--out", str(out), "--quiet"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "holds a calibration of another spec" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["spec.fingerprint"]


def test_a_run_without_trade_measures_nothing_rather_than_failing(tmp_path):
    """Freight at 100 times the tariff: no route pays in the tiny park; the patterns are NaN (energy 0)."""
    from symbiosim.runs.calibrate import simulate_patterns

    park = ROOT / "tests" / "data" / "tiny" / "scenario.toml"
    write(tmp_path, TARGET_HEADER + "share,symbiosis_share,steel_slag,,,0.5,0.1,share,calibration,src,\n"
          "haul,haul_p50_km,steel_slag,,,20,5,km,calibration,src,\n"
          "energy,energy_saved_tce_per_yr,,,,100,10,tce/yr,calibration,src,\n", "targets.csv")  # fmt: skip
    path = write(tmp_path, f'[calibration]\nscenario = "{park.as_posix()}"\ntargets = "targets.csv"\nyears = 1\n'
                 "[parameters.freight_tariff_factor]\nmin = 50\nmax = 100\n")  # fmt: skip
    spec = load_calibration_spec(path)
    patterns = simulate_patterns(spec, {"freight_tariff_factor": 100.0}, seed=1)
    assert patterns["share"] == 0.0
    assert math.isnan(patterns["haul"])
    assert patterns["energy"] == 0.0
