"""Sweeps: a parameter design x seeds over a base scenario, run serially, in processes or on Ray.

A sweep spec is a TOML file::

    [sweep]
    scenario = "examples/policies/baseline.toml"   # relative to the spec; "default" = bundled JJJ; or "china", ...
    years = 5
    seeds = 3                 # seeds first_seed .. first_seed + seeds - 1
    first_seed = 1
    design = "grid"           # grid (every combination), lhs (Latin hypercube) or sobol (Saltelli)
    samples = 16              # lhs: points; sobol: base points N (N x (D + 2) runs per seed)
    sampling_seed = 0

    [parameters.bargaining_share]     # a model parameter (catalog/parameters.csv) ...
    values = [0.3, 0.5, 0.7]          # grid: the values; lhs/sobol: min and max
    [parameters.limit_cap_share]      # ... or a policy control (symbiosim.runs.controls)
    min = 0.2
    max = 1.0

Each run is identified by a hash of its scenario, horizon, parameter values and seed. Its
results go to ``OUT/annual/<run>.parquet`` (one row per calendar year) and
``OUT/monthly/<run>.parquet`` (the monthly series), each with the parameters and seed,
written atomically by the driving process; read the whole dataset with
``pandas.read_parquet(OUT / "annual")``. Re-running the same spec into the same folder skips
the runs whose files exist, so an interrupted sweep resumes where it stopped; a run that fails
is recorded in ``OUT/failures/<run>.json`` with its error (and tried again on resume) and does
not stop the others.
"""

import functools
import hashlib
import json
import time
import tomllib
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from symbiosim.environment import vocabulary
from symbiosim.environment.parameters import model_parameter_names
from symbiosim.environment.scenario import Scenario, bundled_scenarios, load_scenario
from symbiosim.environment.validation import ScenarioError, ValidationIssue
from symbiosim.model import MONTHS_PER_YEAR, SymbiosisModel
from symbiosim.runs.controls import app_policies, controls
from symbiosim.runs.outputs import write_atomic
from symbiosim.runs.sweep_engines import in_processes, on_ray, serial

__all__ = [
    "ENGINES",
    "Design",
    "SweepResult",
    "SweepSpec",
    "load_spec",
    "read_annual",
    "run_design",
    "run_one",
    "run_sweep",
]

DESIGNS = ("grid", "lhs", "sobol")
ENGINES = ("serial", "process", "ray")
SPEC_KEYS = ("scenario", "years", "seeds", "first_seed", "design", "samples", "sampling_seed", "name")
ANNUAL_SUMS = vocabulary.sweep_sums()  # the sweep's yearly table
MONTHLY_COLUMNS = vocabulary.sweep_series()  # the sweep's monthly table


@dataclass(frozen=True)
class Parameter:
    """One sweep dimension: a model parameter or a policy control, by values or by range."""

    name: str
    kind: str  # "parameter" (catalog) or "control" (policy control)
    values: tuple = ()
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec."""

    scenario: Path | None
    years: int
    seeds: tuple[int, ...]
    design: str
    samples: int
    sampling_seed: int
    parameters: tuple[Parameter, ...]
    name: str = "sweep"
    source: str = ""


@dataclass(frozen=True)
class Design:
    """The parameter points of a sweep (one row per point; runs = points x seeds)."""

    points: pd.DataFrame
    spec: SweepSpec
    problem: dict = field(default_factory=dict)  # SALib problem for sobol designs


def _issue(file: str, key: str, rule: str) -> ValidationIssue:
    return ValidationIssue(file, None, key, rule)


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec; every problem is reported (file, key path, rule).

    Raises:
        ScenarioError: listing every problem, or the base scenario's own problems.
    """
    path = Path(path)
    file = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([_issue(file, "", "file not found")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError([_issue(file, "", f"not valid TOML: {exc}")]) from None
    issues = [
        _issue(file, key, "unknown section (allowed: sweep, parameters)")
        for key in data
        if key not in ("sweep", "parameters")
    ]
    sweep = data.get("sweep", {})
    issues += [
        _issue(file, f"sweep.{k}", f"unknown key (allowed: {', '.join(SPEC_KEYS)})")
        for k in sweep
        if k not in SPEC_KEYS
    ]
    scenario_name = sweep.get("scenario", "default")
    local = path.parent / str(scenario_name)  # relative to the spec; a bundled region's name where no such file is
    bundled = bundled_scenarios()
    named = not local.is_file() and scenario_name in bundled
    scenario = None if scenario_name == "default" else bundled[scenario_name] if named else local.resolve()
    for key, low in (("years", 1), ("seeds", 1), ("first_seed", 0), ("samples", 1), ("sampling_seed", 0)):
        value = sweep.get(key, {"years": 10, "seeds": 1, "first_seed": 1, "samples": 8, "sampling_seed": 0}[key])
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            issues.append(_issue(file, f"sweep.{key}", f"must be a whole number >= {low}"))
    design = sweep.get("design", "grid")
    if design not in DESIGNS:
        issues.append(_issue(file, "sweep.design", f"must be one of {DESIGNS}"))
    known = model_parameter_names()
    parameters = []
    for name, entry in data.get("parameters", {}).items():
        key = f"parameters.{name}"
        kind = "parameter" if name in known else "control" if name in controls() else None
        if kind is None:
            issues.append(_issue(file, key, "neither a model parameter (catalog/parameters.csv) nor a policy control"))
            continue
        if not isinstance(entry, dict):
            issues.append(_issue(file, key, "must be a table with values, or min and max"))
            continue
        numeric = kind == "parameter" or controls()[name][0] == "float"
        if design == "grid":
            values = entry.get("values")
            if not isinstance(values, list) or not values:
                issues.append(_issue(file, f"{key}.values", "a grid needs a non-empty list of values"))
                continue
            problem = _check_values(name, kind, values)
            if problem:
                issues.append(_issue(file, f"{key}.values", problem))
                continue
            parameters.append(Parameter(name, kind, values=tuple(values)))
        else:
            low, high = entry.get("min"), entry.get("max")
            if not numeric:
                issues.append(_issue(file, key, f"{design} samples numbers; '{name}' is not numeric (use a grid)"))
            elif not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)) or low >= high:
                issues.append(_issue(file, key, "needs numbers min < max"))
            else:
                problem = _check_values(name, kind, [low, high])
                if problem:
                    issues.append(_issue(file, key, problem))
                else:
                    parameters.append(Parameter(name, kind, low=float(low), high=float(high)))
    if not data.get("parameters"):
        issues.append(_issue(file, "parameters", "at least one parameter is needed"))
    if scenario is not None and not scenario.is_file():
        issues.append(_issue(file, "sweep.scenario", f"scenario file '{scenario}' not found"))
    if issues:
        raise ScenarioError(issues)
    load_scenario(scenario)  # the base scenario's own problems, with its file name
    first = sweep.get("first_seed", 1)
    return SweepSpec(
        scenario=scenario,
        years=sweep.get("years", 10),
        seeds=tuple(range(first, first + sweep.get("seeds", 1))),
        design=design,
        samples=sweep.get("samples", 8),
        sampling_seed=sweep.get("sampling_seed", 0),
        parameters=tuple(parameters),
        name=str(sweep.get("name", path.stem)),
        source=file,
    )


def _check_values(name: str, kind: str, values: list) -> str | None:
    if kind == "parameter":
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return "values must be numbers"
        return None
    control, low, high = controls()[name]
    if control == "bool" and not all(isinstance(v, bool) for v in values):
        return "values must be true or false"
    if control == "str" and not all(v in low for v in values):
        return f"values must be among {list(low)}"
    if control == "float":
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return "values must be numbers"
        if any(v < low or v > high for v in values):
            return f"values must lie in {low}-{high}"
    return None


def run_design(spec: SweepSpec) -> Design:
    """The points of the spec's design (seeded: the same spec gives the same points)."""
    names = [p.name for p in spec.parameters]
    if spec.design == "grid":
        grids = np.meshgrid(*[np.arange(len(p.values)) for p in spec.parameters], indexing="ij")
        index = np.stack([g.ravel() for g in grids], axis=1)
        points = pd.DataFrame({p.name: [p.values[i] for i in index[:, k]] for k, p in enumerate(spec.parameters)})
        return Design(points, spec)
    low = np.array([p.low for p in spec.parameters])
    high = np.array([p.high for p in spec.parameters])
    if spec.design == "lhs":
        from scipy.stats import qmc  # 0.35 s: loaded for a Latin hypercube design only

        unit = qmc.LatinHypercube(d=len(names), seed=spec.sampling_seed).random(spec.samples)
        return Design(pd.DataFrame(qmc.scale(unit, low, high), columns=names), spec)
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": len(names), "names": names, "bounds": [[a, b] for a, b in zip(low, high, strict=True)]}
    matrix = sobol_sample.sample(problem, spec.samples, calc_second_order=False, seed=spec.sampling_seed)
    return Design(pd.DataFrame(matrix, columns=names), spec, problem)


def run_id(spec: SweepSpec, point: dict, seed: int) -> str:
    """A stable identifier of one run (scenario, horizon, parameter values, seed)."""
    text = json.dumps(
        {"scenario": str(spec.scenario), "years": spec.years, "point": point, "seed": seed},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _python(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def tasks(design: Design) -> list[dict]:
    """One task per point and seed: everything a worker needs, as plain data."""
    spec = design.spec
    kinds = {p.name: p.kind for p in spec.parameters}
    out = []
    for index, row in design.points.iterrows():
        point = {k: _python(v) for k, v in row.items()}
        for seed in spec.seeds:
            out.append(
                {
                    "run_id": run_id(spec, point, seed),
                    "point_index": int(index),
                    "scenario": None if spec.scenario is None else str(spec.scenario),
                    "years": spec.years,
                    "seed": seed,
                    "parameters": {k: v for k, v in point.items() if kinds[k] == "parameter"},
                    "controls": {k: v for k, v in point.items() if kinds[k] == "control"},
                }
            )
    return out


PRELOAD = ["symbiosim.runs.sweep"]  # what the worker processes import before their first run


@functools.lru_cache(maxsize=4)
def _scenario(path: str | None) -> Scenario:
    """A worker loads each scenario once (a scenario is not changed by a run)."""
    return load_scenario(path)


def run_one(task: dict) -> dict:
    """Run one task; return its annual and monthly tables, or its error (never raises)."""
    started = time.perf_counter()
    try:
        scenario = _scenario(task["scenario"])
        policies = app_policies(scenario, task["years"], **task["controls"])
        model = SymbiosisModel(
            scenario, rng=task["seed"], policies=policies, years=task["years"], collect_agent_data=False,
            **task["parameters"],
        )  # fmt: skip
        model.run()
        monthly = model.datacollector.get_model_vars_dataframe().iloc[1:].reset_index(drop=True)
        monthly = monthly[[c for c in MONTHLY_COLUMNS if c in monthly.columns]]
        monthly.insert(0, "month", np.arange(1, len(monthly) + 1))
        monthly.insert(
            1, "year", [model.start.year + (model.start.month - 1 + i) // MONTHS_PER_YEAR for i in range(len(monthly))]
        )
        annual = monthly.groupby("year")[list(ANNUAL_SUMS)].sum()
        annual.insert(0, "months", monthly.groupby("year").size())
        return {**task, "ok": True, "seconds": time.perf_counter() - started,
                "annual": annual.reset_index(), "monthly": monthly}  # fmt: skip
    except Exception as exc:  # a failing run is recorded, not raised: the sweep goes on
        return {**task, "ok": False, "seconds": time.perf_counter() - started,
                "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}  # fmt: skip


def _labelled(table: pd.DataFrame, result: dict) -> pd.DataFrame:
    labels = {"run_id": result["run_id"], "point": result["point_index"], "seed": result["seed"]}
    labels |= {f"param.{k}": v for k, v in {**result["parameters"], **result["controls"]}.items()}
    return table.assign(**labels)


def _store(result: dict, out: Path) -> None:
    run = result["run_id"]
    if result["ok"]:
        annual, monthly = _labelled(result["annual"], result), _labelled(result["monthly"], result)
        write_atomic(out / "monthly" / f"{run}.parquet", lambda p: monthly.to_parquet(p, index=False))
        write_atomic(out / "annual" / f"{run}.parquet", lambda p: annual.to_parquet(p, index=False))
        (out / "failures" / f"{run}.json").unlink(missing_ok=True)
    else:
        record = {k: v for k, v in result.items() if k not in ("annual", "monthly")}
        text = json.dumps(record, indent=2, default=str)
        write_atomic(out / "failures" / f"{run}.json", lambda p: p.write_text(text, encoding="utf-8"))


RUNNERS: dict[str, Callable[[list[dict], int, str | None], Iterator[dict]]] = {
    "serial": lambda todo, workers, address: serial(run_one, todo),
    "process": lambda todo, workers, address: in_processes(run_one, todo, workers, PRELOAD),
    "ray": lambda todo, workers, address: on_ray(run_one, todo, workers, address),
}


@dataclass(frozen=True)
class SweepResult:
    """What a sweep did: runs planned, skipped (already done), completed and failed."""

    planned: int
    skipped: int
    completed: int
    failed: list[str]
    out: Path
    seconds: float
    finished_s: tuple[float, ...] = ()  # when each run of this call finished, seconds from the start


def run_sweep(
    spec: SweepSpec, out: Path, engine: str = "process", workers: int = 2, address: str | None = None,
    progress: bool = True,
) -> SweepResult:  # fmt: skip
    """Run every point x seed of the spec not already in ``out``; write results as they arrive.

    Args:
        spec: the validated spec.
        out: the dataset folder (created; the design is written to ``design.csv``).
        engine: ``serial``, ``process`` (this process and ``workers`` - 1 others) or ``ray`` (a local
            Ray instance with ``workers`` CPUs, or the cluster at ``address``).
        workers: processes or Ray CPUs.
        address: a Ray cluster address (``ray`` engine only).
        progress: show a progress bar with the time left.

    Raises:
        ValueError: unknown engine or fewer than one worker.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    started = time.perf_counter()
    design = run_design(spec)
    todo_all = tasks(design)
    out.mkdir(parents=True, exist_ok=True)
    table = design.points.assign(point=range(len(design.points)))
    write_atomic(out / "design.csv", lambda p: table.to_csv(p, index=False))
    summary = {"name": spec.name, "spec": spec.source, "design": spec.design, "runs": len(todo_all),
               "seeds": list(spec.seeds), "problem": design.problem}  # fmt: skip
    write_atomic(out / "sweep.json", lambda p: p.write_text(json.dumps(summary, indent=2, default=str)))
    for stale in out.glob("*/.*.tmp-*"):  # a file being written when a sweep was killed
        stale.unlink()
    done = {p.stem for p in _finished(out)}
    todo = [task for task in todo_all if task["run_id"] not in done]
    failed, finished = [], []
    with tqdm(total=len(todo), desc=spec.name, unit="run", disable=not progress) as bar:
        for result in RUNNERS[engine](todo, workers, address):
            _store(result, out)
            finished.append(time.perf_counter() - started)
            if not result["ok"]:
                failed.append(result["run_id"])
                bar.write(f"run {result['run_id']} failed: {result['error']}")
            bar.update()
    return SweepResult(
        planned=len(todo_all),
        skipped=len(todo_all) - len(todo),
        completed=len(todo) - len(failed),
        failed=failed,
        out=out,
        seconds=time.perf_counter() - started,
        finished_s=tuple(finished),
    )


def _finished(out: Path) -> list[Path]:
    """The yearly files of finished runs (not temporary files of a run being written)."""
    return sorted(p for p in (out / "annual").glob("*.parquet") if not p.name.startswith("."))


def read_annual(out: Path) -> pd.DataFrame:
    """Every finished run's yearly rows (empty when none)."""
    files = _finished(out)
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True) if files else pd.DataFrame()
