"""Every series and column symbiosim writes is in the output vocabulary (environment/data/outputs.csv)."""

import json
from pathlib import Path

import pandas as pd
import pytest

from symbiosim.environment import vocabulary
from symbiosim.environment.scenario import load_scenario
from symbiosim.runs.compare import compare_scenarios
from symbiosim.runs.draws import UncertaintyOptions
from symbiosim.runs.optimize import optimize_scenario, write_optimization
from symbiosim.runs.single import run_scenario
from symbiosim.runs.sweep import load_spec, run_sweep
from symbiosim.runs.uncertainty import plan_monte_carlo, planner_monte_carlo, write_planner_monte_carlo

TINY = Path(__file__).parent / "data" / "tiny" / "scenario.toml"
TINY_RANGES = Path(__file__).parent / "data" / "tiny_ranges.csv"  # the clinker price of the tiny park
PLACEHOLDERS = {"param.{parameter}": lambda c: c.startswith("param."), "range.{label}": lambda c: c.startswith("range."),
                "{parameter}": lambda c: True, "{scenario}": lambda c: True}  # fmt: skip
AGGREGATIONS = {"over_months": {"sum", "mean", "last", "none"}, "over_facilities": {"sum", "mean", "none", ""}}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Every file of a 2-year default run (with --vs-optimal and a value-flow facility) and of tiny-park runs.

    The tiny park's runs are a compare, an optimize and a sweep.
    """
    root = tmp_path_factory.mktemp("vocabulary")
    run_scenario(years=2, rng=5, out=root / "run", progress=False, vs_optimal=True, value_flow_ids=["landfill_tangshan"],
                 uncertainty=UncertaintyOptions(2))  # fmt: skip
    fee = root / "fee.toml"
    fee.write_text(
        f'[scenario]\nname = "fee"\nextends = "{TINY.as_posix()}"\n[[policies]]\ntype = "landfill_fee"\n'
        'start = "2025-01-01"\nend = "2025-12-31"\ncny_per_t = 20.0\n',
        encoding="utf-8",
    )
    compare_scenarios([TINY, fee], seeds=[1, 2], years=1, out=root / "compare", progress=False)
    compare_scenarios([TINY, fee], seeds=[1], years=1, out=root / "compare_drawn", progress=False,
                      uncertainty=UncertaintyOptions(2, ranges=TINY_RANGES))  # fmt: skip
    results, model, _ = optimize_scenario(TINY)
    write_optimization(results, model.catalog.facilities, root / "optimize")
    scenario = load_scenario(TINY)
    drawn = planner_monte_carlo(scenario, plan_monte_carlo(2, 1, scenario, TINY_RANGES), results,
                                progress=False)  # fmt: skip
    write_planner_monte_carlo(drawn, model.catalog.facilities, root / "optimize")
    spec = root / "sweep.toml"
    spec.write_text(
        f'[sweep]\nscenario = "{TINY.as_posix()}"\nyears = 1\nseeds = 1\ndesign = "grid"\n'
        "[parameters.bargaining_share]\nvalues = [0.3, 0.5, 0.7]\n[parameters.platform]\nvalues = [true]\n",
        encoding="utf-8",
    )
    run_sweep(load_spec(spec), root / "sweep", "serial", progress=False)
    from symbiosim.runs.sensitivity import write_sensitivity

    write_sensitivity(root / "sweep")
    return root


def _table_of(path: Path) -> str:
    return {"annual": "sweep_annual", "monthly": "sweep_monthly"}.get(path.parent.name, path.stem)


def _known(table: str, column: str) -> bool:
    names = vocabulary.names(table)
    return column in names or any(PLACEHOLDERS.get(n, lambda c: False)(column) for n in names)


def test_every_column_written_is_in_the_vocabulary(written):
    missing, checked = [], 0
    for path in sorted(written.rglob("*")):
        if path.suffix not in (".csv", ".parquet") or path.name == "compare.csv":
            continue
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        table = _table_of(path)
        missing += [f"{table}.{c}" for c in frame.columns if not _known(table, c)]
        checked += 1
    assert checked >= 30
    assert missing == []


def test_every_series_written_is_in_the_vocabulary_and_every_series_is_written(written):
    series = pd.read_csv(written / "run" / "timeseries.csv")
    assert set(series["variable"]) == set(vocabulary.names("timeseries", "series"))
    for table in ("ledger_annual", "ledger_monthly"):
        variables = set(pd.read_csv(written / "run" / f"{table}.csv")["variable"])
        assert variables <= set(vocabulary.names(table, "series")), variables - set(vocabulary.names(table, "series"))
    metrics = {m.split(".")[0] for m in pd.read_csv(written / "compare" / "compare_runs.csv")["metric"]}
    assert metrics == set(vocabulary.names("compare", "series"))
    drawn = {m.split(".")[0] for m in pd.read_csv(written / "run" / "uncertainty_runs.csv")["metric"]}
    assert drawn == metrics - {"symbiotic_flow_lost_kt_vs_first", "symbiotic_flow_lost_kt_during_limits"}


def test_units_written_are_the_vocabulary_units(written):
    series = pd.read_csv(written / "run" / "timeseries.csv", keep_default_na=False)
    for variable, unit in series.groupby("variable")["unit"].first().items():
        assert unit == vocabulary.unit("timeseries", variable), variable


def test_the_sweep_records_the_vocabulary_series(written):
    monthly = pd.read_parquet(next((written / "sweep" / "monthly").glob("*.parquet")))
    annual = pd.read_parquet(next((written / "sweep" / "annual").glob("*.parquet")))
    assert [c for c in monthly.columns if c in vocabulary.sweep_series()] == list(vocabulary.sweep_series())
    assert [c for c in annual.columns if c in vocabulary.sweep_series()] == list(vocabulary.sweep_sums())
    assert json.loads((written / "sweep" / "sweep.json").read_text())["runs"] == 3


def test_the_vocabulary_is_well_formed():
    table = vocabulary.outputs()
    assert not table.duplicated(["table", "name"]).any()
    assert (table["description"] != "").all()
    assert (table["unit"] != "").all()
    for column, allowed in AGGREGATIONS.items():
        assert set(table[column]) <= allowed, column
    assert set(table["kind"]) == {"column", "series"}
    assert (table.loc[table["sweep"] != "", "table"] == "timeseries").all()
