"""One run of a scenario: simulate, then write tables, network and plots to a folder."""

import json
import platform
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from symbiosim.environment.network import write_geojson, write_graphml
from symbiosim.environment.scenario import Scenario, load_scenario
from symbiosim.model import SymbiosisModel
from symbiosim.runs.checkpoint import load_checkpoint, read_state, save_checkpoint
from symbiosim.runs.draws import DrawPlan, UncertaintyOptions
from symbiosim.runs.metric_tables import write_metric_tables
from symbiosim.runs.optimize import emergent_vs_optimal
from symbiosim.runs.outputs import (
    attribution_markdown,
    exchange_network,
    flows_table,
    in_currency,
    key_node_table,
    summary_table,
    tidy_series,
    write_atomic,
)
from symbiosim.runs.planner_plots import plot_emergent_vs_optimal
from symbiosim.runs.plots import plot_byproduct_series, plot_map, plot_radius, plot_savings, plot_synergy
from symbiosim.runs.uncertainty import run_draws, write_uncertainty

__all__ = ["RunOutputs", "rerun_from_outputs", "run_scenario", "write_outputs"]

DEFAULT_SEED = 42
CHECKPOINT = "checkpoint"
VERSIONED = ("symbiosim", "mesa", "numpy", "pandas", "scipy", "networkx", "pyarrow")


def _absolute(source: str) -> str:
    """The scenario file as an absolute path (so the run can be repeated from anywhere), or ``default``."""
    return source if source == "default" else str(Path(source).resolve())


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


@dataclass(frozen=True)
class RunOutputs:
    """What a run wrote, and the model it ran."""

    model: SymbiosisModel
    folder: Path
    files: list[Path]
    summary: pd.DataFrame
    metrics: dict[str, pd.DataFrame]


def run_scenario(
    scenario: Scenario | str | Path | None = None,
    *,
    years: int | None = None,
    rng: int = DEFAULT_SEED,
    out: Path | str = "results",
    progress: bool = True,
    value_flow_ids: list[str] | None = None,
    vs_optimal: bool = False,
    checkpoint_every: int | None = None,
    resume: bool = False,
    uncertainty: UncertaintyOptions | None = None,
) -> RunOutputs:
    """Run a scenario to its horizon and write every output into ``out``.

    Args:
        scenario: scenario, TOML path, or None for the bundled JJJ scenario.
        years: horizon in years (default: the scenario's, 10 for the default).
        rng: random seed.
        out: output folder (created if needed; files in it are replaced atomically).
        progress: show a progress bar.
        value_flow_ids: enterprises to evaluate in ``value_flow.csv`` besides the key nodes.
        vs_optimal: compare each year's emergent network with the planner's optimum
            (``emergent_vs_optimal.csv`` and ``.png``).
        checkpoint_every: save the model's state to ``out/checkpoint`` every this many months
            (removed when the run is complete).
        resume: continue the run checkpointed in ``out/checkpoint`` (scenario, horizon and seed
            come from the checkpoint, and its uncertainty draws unless ``uncertainty`` is given).
        uncertainty: also run this many draws of the uncertain parameters and seeds after the
            run itself (the *central* run), and write their intervals
            (:mod:`symbiosim.runs.uncertainty`: ``uncertainty*.csv``, ``uncertainty.png``).

    Returns:
        The model, the folder, the files written, the summary table and the metric tables.

    Raises:
        ScenarioError: the scenario is invalid.
        CheckpointError: ``resume`` without a loadable checkpoint.
        ValueError: an unknown facility id in ``value_flow_ids`` (before anything is simulated),
            or ``checkpoint_every`` < 1.
    """
    out = Path(out)
    folder = out / CHECKPOINT
    if checkpoint_every is not None and checkpoint_every < 1:
        raise ValueError("--checkpoint-every must be at least 1 month")
    if resume:
        model = load_checkpoint(folder)
        state = read_state(folder)
        rng = state["rng"]
        options = state.get("options")
        recorded = options.get("uncertainty") if isinstance(options, dict) else None
        if uncertainty is None and recorded:
            uncertainty = UncertaintyOptions.of_record(recorded)
    else:
        loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        overrides = {} if years is None else {"years": years}
        model = SymbiosisModel(loaded, rng=rng, **overrides)
    unknown = [fid for fid in value_flow_ids or [] if fid not in model.facility_index]
    if unknown:
        raise ValueError(f"--value-flow: unknown facility id(s) {unknown}")
    plan = None if uncertainty is None else uncertainty.plan(model.scenario_data, rng)  # bad options fail first
    name = model.scenario_data.name
    remaining = range(model.month_index, model.horizon_months)
    for _ in tqdm(remaining, desc=name, unit="month", disable=not progress, initial=model.month_index,
                  total=model.horizon_months):  # fmt: skip
        model.step()
        if checkpoint_every and model.month_index % checkpoint_every == 0 and model.running:
            save_checkpoint(model, folder, rng, {"uncertainty": uncertainty.record() if uncertainty else None})
    drawn = None
    if plan is not None:
        drawn = (plan, uncertainty, *run_draws(model.scenario_data, plan, model.years, progress, label=f"{name}: draws"))
    result = write_outputs(model, out, rng=rng, value_flow_ids=value_flow_ids, vs_optimal=vs_optimal, drawn=drawn)
    shutil.rmtree(folder, ignore_errors=True)
    return result


def rerun_from_outputs(folder: Path, out: Path, progress: bool = True) -> RunOutputs:
    """Run again what produced an output folder: same scenario (checked by its digest), seed and options.

    Raises:
        ValueError: no manifest, or the scenario file has changed since (its digest differs).
    """
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError) as exc:
        raise ValueError(f"{folder} has no readable manifest.json: {exc}") from None
    source = manifest["scenario_source"]
    scenario = load_scenario(None if source == "default" else source)
    if scenario.digest() != manifest["scenario_sha256"]:
        raise ValueError(f"the scenario {source} has changed since {folder} was written (its digest differs)")
    return run_scenario(
        scenario,
        years=manifest["years"],
        rng=manifest["rng"],
        out=out,
        progress=progress,
        value_flow_ids=manifest.get("value_flow_ids") or None,
        vs_optimal=manifest.get("vs_optimal", False),
        uncertainty=UncertaintyOptions.of_record(manifest["uncertainty"]) if manifest.get("uncertainty") else None,
    )


def write_outputs(
    model: SymbiosisModel,
    folder: Path,
    *,
    rng: int,
    value_flow_ids: list[str] | None = None,
    vs_optimal: bool = False,
    drawn: tuple[DrawPlan, UncertaintyOptions, pd.DataFrame, pd.DataFrame] | None = None,
) -> RunOutputs:
    """Write series, flows, network, summary, plots and a manifest of a finished model.

    ``drawn``: the draws of an uncertainty analysis (plan, options, metrics, monthly series:
    :func:`symbiosim.runs.uncertainty.run_draws`), written beside the run's own outputs.
    """
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    money = model.scenario_data.money
    series = in_currency(tidy_series(model), money)
    per_facility = model.facility_ledger
    flows = flows_table(model)
    summary = summary_table(model)
    nodes = key_node_table(model)
    graph = exchange_network(model)
    tables = {"timeseries": series, "facility_ledger": per_facility, "flows": flows}
    for name, table in tables.items():
        files.append(write_atomic(folder / f"{name}.csv", lambda p, t=table: t.to_csv(p, index=False)))
        files.append(write_atomic(folder / f"{name}.parquet", lambda p, t=table: t.to_parquet(p, index=False)))
    adoptions = pd.DataFrame([a.__dict__ for a in model.record.adoptions])
    files.append(write_atomic(folder / "adoptions.csv", lambda p: adoptions.to_csv(p, index=False)))
    changes = model.record.capacity_changes
    files.append(write_atomic(folder / "capacity_changes.csv", lambda p: changes.to_csv(p, index=False)))
    files.append(write_atomic(folder / "summary.csv", lambda p: summary.to_csv(p)))
    files.append(write_atomic(folder / "key_nodes.csv", lambda p: nodes.to_csv(p, index=False)))
    facilities = model.catalog.facilities.assign(node=range(len(model.catalog.facilities)))
    files.append(write_atomic(folder / "facilities.csv", lambda p: facilities.to_csv(p, index=False)))
    files.append(write_atomic(folder / "network.graphml", lambda p: write_graphml(graph, p)))
    files.append(write_atomic(folder / "network.geojson", lambda p: write_geojson(graph, p)))
    files.append(write_atomic(folder / "byproducts_over_time.png", lambda p: plot_byproduct_series(series, p)))
    files.append(write_atomic(folder / "map.png", lambda p: plot_map(model, p)))
    metrics, metric_files, notes = write_metric_tables(model, folder, value_flow_ids)
    files += metric_files
    files.append(write_atomic(folder / "savings_over_time.png", lambda p: plot_savings(series, p)))
    files.append(write_atomic(folder / "synergy.png", lambda p: plot_synergy(metrics["synergy_annual"], p)))
    if vs_optimal:
        table = emergent_vs_optimal(model)
        metrics["emergent_vs_optimal"] = table
        files.append(write_atomic(folder / "emergent_vs_optimal.csv", lambda p: table.to_csv(p, index=False)))
        files.append(write_atomic(folder / "emergent_vs_optimal.png", lambda p: plot_emergent_vs_optimal(table, p)))
    files.append(write_atomic(folder / "radius.png", lambda p: plot_radius(metrics["radius_annual"], p)))
    if drawn is not None:
        files += write_uncertainty(drawn[0], drawn[2], drawn[3], folder, central=model)
    attribution = attribution_markdown(model.catalog.facilities, model.scenario_data.name)
    files.append(write_atomic(folder / "ATTRIBUTION.md", lambda p: p.write_text(attribution, encoding="utf-8")))
    manifest = {
        "scenario": model.scenario_data.name,
        "scenario_source": _absolute(model.scenario_data.source),
        "scenario_sha256": model.scenario_data.digest(),
        "versions": {"python": platform.python_version(), **{name: _version(name) for name in VERSIONED}},
        "rng": rng,
        "start": model.start.isoformat(),
        "months": model.month_index,
        "years": model.years,
        "value_flow_ids": list(value_flow_ids or []),
        "vs_optimal": vs_optimal,
        "uncertainty": None if drawn is None else drawn[1].record(),
        "facilities": model.n_facilities,
        "money": {**money.record(), "note": f"money columns (named cny) and units hold {money.currency} at "
                  f"{money.price_year} prices"},
        "metrics": notes,
        "files": sorted(p.name for p in files),
    }
    files.append(write_atomic(folder / "manifest.json", lambda p: p.write_text(json.dumps(manifest, indent=2))))
    return RunOutputs(model=model, folder=folder, files=files, summary=summary, metrics=metrics)
