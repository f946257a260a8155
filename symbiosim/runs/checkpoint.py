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

from symbiosim.accounting import MonthAccounts
from symbiosim.agents import Adoption, FacilityState, Vintage
from symbiosim.environment.contracts import ContractBook
from symbiosim.environment.outlets import OutletClearing
from symbiosim.environment.pricing import RoutePrices
from symbiosim.environment.scenario import Scenario, load_scenario
from symbiosim.model import SymbiosisModel
from symbiosim.record import CAPACITY_CHANGE_COLUMNS, RunRecord, RunState

__all__ = ["FORMAT_VERSION", "CheckpointError", "load_checkpoint", "save_checkpoint"]

FORMAT_VERSION = 12  # 3: outlet prices; 4: random streams; 5: outlet money; 6: flow modes; 7: technology learning;
# 8: route set-up money (link_setup_cny), contract prices from competition; 9: installed base sized to use (no
# initial random stream), searches for lines a plant could install; 10: sales to outlets this year (appraisal);
# 11: outlet prices by month (investors' expectations); 12: routes only where they can pay, draws per link
STATE, ARRAYS = "state.json", "arrays.npz"


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded: another format version, a damaged file, another scenario."""


def _text_array(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=str)  # fixed-width unicode: stored without pickling


def _arrays(saved: RunState) -> dict[str, np.ndarray]:
    """Every array of a saved run, by its name in ``arrays.npz``."""
    accounts, record = saved.accounts, saved.record
    arrays: dict[str, np.ndarray] = {f"facility/{name}": v for name, v in saved.facility.arrays().items()}
    arrays |= {f"book/{name}": values for name, values in saved.book.arrays().items()}
    arrays |= {f"ledger/{name}": values for name, values in accounts.ledger.items()}
    arrays |= {f"money/{name}": values for name, values in accounts.money.items()}
    arrays |= {"accounts/tonnes": accounts.tonnes, "accounts/value_cny": accounts.value_cny,
               "accounts/search_cost_cny": accounts.search_cost_cny}  # fmt: skip
    arrays |= {f"annual_output/{year}": values for year, values in record.annual_output.items()}
    arrays |= {f"installed_at_year_start/{year}": v for year, v in record.installed_at_year_start.items()}
    for (kind, index), value in saved.policy_memory.items():
        if isinstance(value, np.ndarray):
            arrays[f"policy/{kind}/{index}"] = value
    if record.ledger_chunks:
        arrays["facility_ledger"] = np.stack(record.ledger_chunks)
    if record.flow_chunks:
        for column in record.flow_chunks[0]:
            values = np.concatenate([chunk[column] for chunk in record.flow_chunks])
            arrays[f"flows/{column}"] = _text_array(values) if values.dtype == object else values
    return arrays


def save_checkpoint(model: SymbiosisModel, folder: Path, rng: int, options: dict | None = None) -> Path:
    """Save the model's state into ``folder`` (replaced atomically: complete or absent).

    Args:
        model: the running model (agent-type series are not checkpointed: build it with
            ``collect_agent_data=False``).
        folder: the checkpoint folder.
        rng: the integer seed the model was built with.
        options: what the run does after the simulation (JSON values, e.g. its uncertainty
            draws), for a resumed run to do the same (``read_state(folder)["options"]``).

    Raises:
        ValueError: the model records agent-type series.
    """
    if model.datacollector.agenttype_reporters:
        raise ValueError("checkpoints need collect_agent_data=False (agent-type series are not saved)")
    saved = model.saved_state()
    record = saved.record
    state = {
        "format_version": FORMAT_VERSION,
        "scenario_sha256": model.scenario_data.digest(),
        "scenario_source": model.scenario_data.source,
        "years": model.years,
        "rng": rng,
        "options": options or {},
        "date": saved.date.isoformat(),
        "month_index": saved.month_index,
        "running": saved.running,
        "mesa_steps": saved.mesa_steps,
        "months_this_year": saved.facility.months_this_year,
        "capex_subsidy_paid_cny": saved.facility.capex_subsidy_paid_cny,
        "numpy_rng": saved.numpy_rng,
        "python_random": saved.python_random,
        "annual_months": record.annual_months,
        "vintages": [list(v) for v in saved.facility.vintages],
        "adoptions": [a.__dict__ for a in record.adoptions],
        "capacity_changes": record.capacity_changes.astype({"date": str}).to_dict("records"),
        "policy_flags": {f"{k}/{i}": bool(v) for (k, i), v in saved.policy_memory.items() if not isinstance(v, np.ndarray)},
        "flow_lengths": [len(chunk["step"]) for chunk in record.flow_chunks],
        "ledger_fields": list(record.ledger_fields),
        "summary": saved.accounts.summary,
        "model_vars": saved.model_vars,
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.tmp-"))
    try:
        np.savez(staging / ARRAYS, **_arrays(saved))
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
        model.restore(_run_state(model, state, arrays))
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{folder} does not match the model it should restore: {exc}") from None
    return model


def _group(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k.split("/", 1)[1]: v.copy() for k, v in arrays.items() if k.startswith(f"{prefix}/")}


def _flow_chunks(state: dict, arrays: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
    chunks, offset = [], 0
    columns = [k.split("/", 1)[1] for k in arrays if k.startswith("flows/")]
    for length in state["flow_lengths"]:
        chunk = {}
        for column in columns:
            values = arrays[f"flows/{column}"][offset : offset + length]
            chunk[column] = values.astype(object) if values.dtype.kind == "U" else values.copy()
        chunks.append(chunk)
        offset += length
    return chunks


def _run_state(model: SymbiosisModel, state: dict, arrays: dict[str, np.ndarray]) -> RunState:
    """The saved run of a checkpoint's ``state.json`` and arrays (raises KeyError, ValueError, TypeError)."""
    facility = FacilityState(
        **_group(arrays, "facility"),
        months_this_year=int(state["months_this_year"]),
        capex_subsidy_paid_cny=float(state["capex_subsidy_paid_cny"]),
        vintages=[Vintage(int(m), int(i), int(k), float(t), float(c)) for m, i, k, t, c in state["vintages"]],
    )
    n_routes = model.market.routes.n_routes
    accounts = MonthAccounts(
        ledger=_group(arrays, "ledger"),
        money=_group(arrays, "money"),
        totals={},
        summary=dict(state["summary"]),
        prices=RoutePrices.zeros(n_routes),
        tonnes=arrays["accounts/tonnes"].copy(),
        value_cny=arrays["accounts/value_cny"].copy(),
        effects={},
        search_cost_cny=arrays["accounts/search_cost_cny"].copy(),
        outlets=OutletClearing.none(*arrays["ledger/generated_t"].shape),
    )
    changes = pd.DataFrame(state["capacity_changes"], columns=CAPACITY_CHANGE_COLUMNS)
    record = RunRecord(
        start=model.start,
        facility_ids=list(model.facility_ids),
        flow_chunks=_flow_chunks(state, arrays),
        ledger_chunks=list(arrays["facility_ledger"]) if "facility_ledger" in arrays else [],
        ledger_fields=tuple(state["ledger_fields"]),
        adoptions=[Adoption(**a) for a in state["adoptions"]],
        capacity_changes=changes.assign(date=pd.to_datetime(changes["date"]).dt.date) if len(changes) else changes,
        annual_output={int(k.split("/")[1]): v.copy() for k, v in arrays.items() if k.startswith("annual_output/")},
        annual_months={int(year): int(months) for year, months in state["annual_months"].items()},
        installed_at_year_start={
            int(k.split("/")[1]): v.copy() for k, v in arrays.items() if k.startswith("installed_at_year_start/")
        },
    )
    memory: dict[tuple[str, int], object] = {
        (k.split("/")[1], int(k.split("/")[2])): v.copy() for k, v in arrays.items() if k.startswith("policy/")
    }
    memory |= {(k.split("/")[0], int(k.split("/")[1])): bool(v) for k, v in state["policy_flags"].items()}
    version, internal, gauss = state["python_random"]
    return RunState(
        month_index=int(state["month_index"]),
        date=dt.date.fromisoformat(state["date"]),
        running=bool(state["running"]),
        mesa_steps=int(state["mesa_steps"]),
        numpy_rng=state["numpy_rng"],
        python_random=(version, tuple(internal), gauss),
        facility=facility,
        book=ContractBook(**_group(arrays, "book")),
        accounts=accounts,
        record=record,
        policy_memory=memory,
        model_vars={name: list(values) for name, values in state["model_vars"].items()},
    )
