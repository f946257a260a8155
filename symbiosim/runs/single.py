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
from symbiosim.runs.csv_text import write_csv
from symbiosim.runs.draws import DrawPlan, UncertaintyOptions
from symbiosim.runs.metric_tables import write_metric_tables
from symbiosim.runs.outputs import (
    attribution_markdown,
    exchange_network,
    flows_table,
    in_currency,
    key_node_table,
    map_data,
    summary_table,
    tidy_series,
    write_atomic,
)
from symbiosim.runs.plot_process import Painter

__all__ = ["RunOutputs", "rerun_from_outputs", "run_scenario", "write_outputs"]

DEFAULT_SEED = 42
CHECKPOINT = "checkpoint"
PLOTS = "symbiosim.runs.plots."  # the plots are drawn by a worker process (runs.plot_process), named
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
    with Painter() as painter:  # its worker imports the plotting code while the model is built and run
        if not resume:
            model = SymbiosisModel(loaded, rng=rng, **({} if years is None else {"years": years}))
        result = _simulate(model, out, rng, progress, value_flow_ids, vs_optimal, checkpoint_every, uncertainty, painter)
    shutil.rmtree(folder, ignore_errors=True)
    return result


def _simulate(
    model: SymbiosisModel, out: Path, rng: int, progress: bool, value_flow_ids: list[str] | None, vs_optimal: bool,
    checkpoint_every: int | None, uncertainty: UncertaintyOptions | None, painter: Painter,
) -> RunOutputs:  # fmt: skip
    """Run ``model`` from its month to its horizon (checkpointing as asked), then write its outputs."""
    folder = out / CHECKPOINT
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
        from symbiosim.runs.uncertainty import run_draws

        drawn = (plan, uncertainty, *run_draws(model.scenario_data, plan, model.years, progress, label=f"{name}: draws"))
    return write_outputs(model, out, rng=rng, value_flow_ids=value_flow_ids, vs_optimal=vs_optimal, drawn=drawn,
                         painter=painter)  # fmt: skip


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
    painter: Painter | None = None,
) -> RunOutputs:
    """Write series, flows, network, summary, plots and a manifest of a finished model.

    ``drawn``: the draws of an uncertainty analysis (plan, options, metrics, monthly series:
    :func:`symbiosim.runs.uncertainty.run_draws`), written beside the run's own outputs.
    ``painter``: draws the plots while the tables are written (default: one started here).
    """
    if painter is None:
        with Painter() as own:
            return write_outputs(model, folder, rng=rng, value_flow_ids=value_flow_ids, vs_optimal=vs_optimal,
                                 drawn=drawn, painter=own)  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    money = model.scenario_data.money
    series = in_currency(tidy_series(model), money)
    files = [  # drawn by the painter's worker while the tables below are written
        painter.draw(PLOTS + "plot_byproduct_series", series, path=folder / "byproducts_over_time.png"),
        painter.draw(PLOTS + "draw_map", map_data(model), path=folder / "map.png"),
        painter.draw(PLOTS + "plot_savings", series, path=folder / "savings_over_time.png"),
    ]
    metrics, metric_files, notes = write_metric_tables(model, folder, value_flow_ids)
    files += metric_files
    files.append(painter.draw(PLOTS + "plot_synergy", metrics["synergy_annual"], path=folder / "synergy.png"))
    files.append(painter.draw(PLOTS + "plot_radius", metrics["radius_annual"], path=folder / "radius.png"))
    per_facility = model.facility_ledger
    flows = flows_table(model)
    summary = summary_table(model)
    nodes = key_node_table(model)
    graph = exchange_network(model)
    tables = {"timeseries": series, "facility_ledger": per_facility, "flows": flows}
    for name, table in tables.items():
        files.append(write_atomic(folder / f"{name}.csv", lambda p, t=table: write_csv(t, p)))
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
    if vs_optimal:  # the planner and its plots load only when asked for (0.5 s of imports)
        from symbiosim.runs.optimize import emergent_vs_optimal

        table = emergent_vs_optimal(model)
        metrics["emergent_vs_optimal"] = table
        files.append(write_atomic(folder / "emergent_vs_optimal.csv", lambda p: table.to_csv(p, index=False)))
        plot = "symbiosim.runs.planner_plots.plot_emergent_vs_optimal"
        files.append(painter.draw(plot, table, path=folder / "emergent_vs_optimal.png"))
    if drawn is not None:
        from symbiosim.runs.uncertainty import write_uncertainty

        files += write_uncertainty(drawn[0], drawn[2], drawn[3], folder, central=model)
    painter.finish()  # every plot written before the manifest lists it
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
