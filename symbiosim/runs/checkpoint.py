"""Checkpoints: save a running model's state and continue it later, bit for bit.

A checkpoint is a folder with ``state.json`` (format version, the scenario's digest and file,
the seed, scalars, both random-number generators' states, lists and the series recorded so
far) and ``arrays.npz`` (every array, loaded with ``allow_pickle=False``). Nothing in it is
executed or unpickled, so a checkpoint from an untrusted source cannot run code. Loading
rebuilds the model from its scenario and seed, checks that the scenario is the one the
checkpoint was made from (by its digest) and overwrites the state; a checkpoint of another
format version, or a damaged file, gives a :class:`CheckpointError` that says so.
"""

import datetime as dt
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from symbiosim.agents import Adoption
from symbiosim.environment.market import Market
from symbiosim.environment.scenario import Scenario, load_scenario
from symbiosim.model import SymbiosisModel

__all__ = ["FORMAT_VERSION", "CheckpointError", "load_checkpoint", "save_checkpoint"]

FORMAT_VERSION = 1
STATE, ARRAYS = "state.json", "arrays.npz"
MODEL_ARRAYS = (
    "installed_tpa",
    "depreciation_cny_per_month",
    "stock",
    "unsold_this_year",
    "used_this_year_t",
    "output_this_year",
    "output",
    "capacity_per_yr",
    "full_cap_tpa",
    "storage_limit_t",
    "search_cost_cny",
    "last_tonnes",
)
MARKET_ARRAYS = ("known", *Market.MUTABLE)
SCALARS = ("month_index", "running", "months_this_year", "capex_subsidy_paid_cny")


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded: another format, a damaged file, another scenario."""


def _text_array(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=str)  # fixed-width unicode: stored without pickling


def save_checkpoint(model: SymbiosisModel, folder: Path, rng: int) -> Path:
    """Save the model's state into ``folder`` (replaced atomically: complete or absent).

    Args:
        model: the running model (agent-type series are not checkpointed: build it with
            ``collect_agent_data=False``).
        folder: the checkpoint folder.
        rng: the integer seed the model was built with.

    Raises:
        ValueError: the model records agent-type series.
    """
    if model.datacollector.agenttype_reporters:
        raise ValueError("checkpoints need collect_agent_data=False (agent-type series are not saved)")
    arrays: dict[str, np.ndarray] = {f"model/{name}": getattr(model, name) for name in MODEL_ARRAYS}
    arrays |= {f"market/{name}": getattr(model.market, name) for name in MARKET_ARRAYS}
    arrays |= {f"ledger/{name}": values for name, values in model.ledger.items()}
    arrays |= {f"money/{name}": values for name, values in model.money.items()}
    arrays |= {f"annual_output/{year}": values for year, values in model.annual_output.items()}
    arrays |= {f"installed_at_year_start/{year}": v for year, v in model.installed_at_year_start.items()}
    memory = {}
    for (kind, index), value in model.policy_memory.items():
        if isinstance(value, np.ndarray):
            arrays[f"policy/{kind}/{index}"] = value
        else:
            memory[f"{kind}/{index}"] = bool(value)
    if model._ledger_chunks:
        arrays["facility_ledger"] = np.stack(model._ledger_chunks)
    flow_lengths = [len(chunk["step"]) for chunk in model._flow_chunks]
    if model._flow_chunks:
        for column in model._flow_chunks[0]:
            values = np.concatenate([chunk[column] for chunk in model._flow_chunks])
            arrays[f"flows/{column}"] = _text_array(values) if values.dtype == object else values
    state = {
        "format_version": FORMAT_VERSION,
        "scenario_sha256": model.scenario_data.digest(),
        "scenario_source": model.scenario_data.source,
        "years": model.years,
        "rng": rng,
        "date": model.date.isoformat(),
        **{name: getattr(model, name) for name in SCALARS},
        "mesa_steps": model.steps,
        "numpy_rng": model.rng.bit_generator.state,
        "python_random": model.random.getstate(),
        "annual_months": model.annual_months,
        "vintages": model.vintages,
        "adoptions": [a.__dict__ for a in model.adoptions],
        "capacity_changes": model.capacity_changes.astype({"date": str}).to_dict("records"),
        "policy_flags": memory,
        "flow_lengths": flow_lengths,
        "ledger_fields": list(model._ledger_fields),
        "last": model.last,
        "model_vars": model.datacollector.model_vars,
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.tmp-"))
    try:
        np.savez(staging / ARRAYS, **arrays)
        (staging / STATE).write_text(json.dumps(state, default=_json_default), encoding="utf-8")
        previous = folder.with_name(f".{folder.name}.old")
        if folder.exists():
            folder.replace(previous)
        staging.replace(folder)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot save {type(value).__name__} in a checkpoint")


def read_state(folder: Path) -> dict:
    """The checkpoint's ``state.json``, checked for its format version.

    Raises:
        CheckpointError: missing, damaged, or of another format version.
    """
    try:
        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{folder} has no checkpoint ({STATE} not found)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{folder / STATE} is damaged: {exc}") from None
    version = state.get("format_version") if isinstance(state, dict) else None
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{folder} is a checkpoint of format version {version}; this symbiosim reads version {FORMAT_VERSION}"
        )
    return state


def load_checkpoint(folder: Path, scenario: Scenario | str | Path | None = None) -> SymbiosisModel:
    """Rebuild a model from a checkpoint, ready to continue with ``step()`` or ``run()``.

    Args:
        folder: the checkpoint folder.
        scenario: the scenario (default: the file recorded in the checkpoint).

    Raises:
        CheckpointError: another format version, a damaged file, or a scenario whose digest
            differs from the checkpoint's.
    """
    state = read_state(folder)
    source = state["scenario_source"]
    if scenario is None:
        scenario = None if source == "default" else source
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if loaded.digest() != state["scenario_sha256"]:
        raise CheckpointError(f"the scenario ({loaded.source}) is not the one this checkpoint was made from ({source})")
    model = SymbiosisModel(loaded, rng=state["rng"], years=state["years"], collect_agent_data=False)
    try:
        with np.load(folder / ARRAYS, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise CheckpointError(f"{folder / ARRAYS} is damaged: {exc}") from None
    try:
        _restore(model, state, arrays)
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{folder} does not match the model it should restore: {exc}") from None
    return model


def _advance_mesa_clock(model: SymbiosisModel, steps: int) -> None:
    """Bring Mesa's own clock (steps, time, its event list) to ``steps`` without simulating anything."""
    user_step = model._user_step
    model._user_step = lambda: None
    try:
        for _ in range(steps):
            model.step()
    finally:
        model._user_step = user_step


def _restore(model: SymbiosisModel, state: dict, arrays: dict[str, np.ndarray]) -> None:
    _advance_mesa_clock(model, state["mesa_steps"])
    for name in MODEL_ARRAYS:
        current = getattr(model, name)
        saved = arrays[f"model/{name}"]
        if saved.shape != np.shape(current):
            raise ValueError(f"{name} has shape {saved.shape}, the model {np.shape(current)}")
        setattr(model, name, saved.copy())
    for name in MARKET_ARRAYS:
        setattr(model.market, name, arrays[f"market/{name}"].copy())
    model.ledger = {k.split("/", 1)[1]: v.copy() for k, v in arrays.items() if k.startswith("ledger/")}
    model.money = {k.split("/", 1)[1]: v.copy() for k, v in arrays.items() if k.startswith("money/")}
    model.annual_output = {int(k.split("/")[1]): v.copy() for k, v in arrays.items() if k.startswith("annual_output/")}
    model.installed_at_year_start = {
        int(k.split("/")[1]): v.copy() for k, v in arrays.items() if k.startswith("installed_at_year_start/")
    }
    model.annual_months = {int(year): months for year, months in state["annual_months"].items()}
    model.policy_memory = {
        (k.split("/")[1], int(k.split("/")[2])): v.copy() for k, v in arrays.items() if k.startswith("policy/")
    }
    model.policy_memory |= {(k.split("/")[0], int(k.split("/")[1])): v for k, v in state["policy_flags"].items()}
    for name in SCALARS:
        setattr(model, name, state[name])
    model.date = dt.date.fromisoformat(state["date"])
    model.rng.bit_generator.state = state["numpy_rng"]
    version, internal, gauss = state["python_random"]
    model.random.setstate((version, tuple(internal), gauss))
    model.vintages = [tuple(v) for v in state["vintages"]]
    model.adoptions = [Adoption(**a) for a in state["adoptions"]]
    changes = pd.DataFrame(state["capacity_changes"], columns=model.capacity_changes.columns)
    model.capacity_changes = changes.assign(date=pd.to_datetime(changes["date"]).dt.date) if len(changes) else changes
    model._ledger_fields = tuple(state["ledger_fields"])
    model._ledger_chunks = list(arrays["facility_ledger"]) if "facility_ledger" in arrays else []
    model._flow_chunks = []
    offset = 0
    columns = [k.split("/", 1)[1] for k in arrays if k.startswith("flows/")]
    for length in state["flow_lengths"]:
        chunk = {}
        for column in columns:
            values = arrays[f"flows/{column}"][offset : offset + length]
            chunk[column] = values.astype(object) if values.dtype.kind == "U" else values.copy()
        model._flow_chunks.append(chunk)
        offset += length
    model._flows_cache = None
    model.last = state["last"]
    model.datacollector.model_vars = {name: list(values) for name, values in state["model_vars"].items()}
