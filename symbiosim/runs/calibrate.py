"""Calibration by approximate Bayesian computation (ABC-SMC, pyabc) on the sweep engines.

A spec (:mod:`symbiosim.runs.calibration_spec`) names the parameters with their priors and the
observed patterns to fit. Each simulation runs the base scenario with one parameter set and a
model seed drawn with it, and measures every target's pattern over its last months
(:mod:`symbiosim.metrics.patterns`). The distance between a simulation and the observations
is the root mean square of the standardised misses, ``sqrt(mean(((simulated - observed) / sd)^2))``
over the fitted targets, so a distance of 1 means a typical miss of one standard deviation of
the targets' own uncertainty. ABC-SMC (Toni et al. 2009; Beaumont et al. 2009; pyabc: Schälte
et al. 2022) then keeps, generation by generation, the parameter sets whose distance is below a
shrinking threshold (each generation's: the ``alpha`` quantile of the last one's distances),
proposing new ones by perturbing the last generation with a multivariate normal kernel. The
accepted sets of the last generation, with their importance weights, are the approximate
posterior.

Determinism and resuming: proposal ``j`` of a generation is made from a random state seeded by
the spec's seed, the generation and ``j``, and a generation takes the first ``population``
accepted proposals in number order (:class:`ProposalSampler`); so the same spec gives the same
posterior whatever the engine, the number of workers or the order in which proposals finish.
Generations are stored in ``OUT/calibration.db`` (pyabc's history, SQLite) as they finish and
each finished proposal in ``OUT/.slots/``; re-running the same spec into the same folder
continues where it stopped and gives the result an uninterrupted run gives. The folder's
``spec.fingerprint`` (the spec, the base scenario's digest, the pyabc version and this sampler's)
keeps a calibration from being continued by another.
"""

import contextlib
import functools
import logging
import math
import pickle
import random
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pyabc
from pyabc.sampler.base import Sampler
from tqdm import tqdm

from symbiosim.environment.scenario import Scenario, load_scenario
from symbiosim.metrics.patterns import Window, pattern_value
from symbiosim.model import SymbiosisModel
from symbiosim.runs.calibration_spec import CalibrationSpec, Prior
from symbiosim.runs.outputs import write_atomic

__all__ = ["PatternModel", "StandardisedDistance", "calibrate", "history", "simulate_patterns", "stop_reason"]

ENGINES = ("serial", "process", "ray")
DATABASE = "calibration.db"
SLOTS = ".slots"
FINGERPRINT = "spec.fingerprint"
PREDICTIVE = "predictive.csv"
PREDICTIVE_STREAM = 7  # the posterior-predictive draws' own random stream (a spawn key, apart from the proposals')
SAMPLER_VERSION = 2  # part of the fingerprint: a folder written by another sampling scheme is not continued
SEED_BOUND = 2**31 - 1
FLOW_COLUMNS = ("step", "seller_id", "buyer_id", "byproduct", "technology", "tonnes", "distance_km", "is_symbiosis",
                "seller_gain_cny_per_t", "buyer_gain_cny_per_t", "energy_saved_tce")  # what the patterns read  # fmt: skip
for _name in ("ABC", "pyabc"):  # pyabc's log lines would interleave with the progress bar
    logging.getLogger(_name).setLevel(logging.WARNING)


@functools.lru_cache(maxsize=4)
def _scenario(path: str | None) -> Scenario:
    return load_scenario(path)


def window_of(model: SymbiosisModel, months: int) -> Window:
    """The last ``months`` of a finished run, as the patterns measure them."""
    series = model.datacollector.get_model_vars_dataframe().iloc[1:].iloc[-months:]
    byproducts = list(model.catalog.byproducts)
    generated = pd.Series({b: series[f"generated_t.{b}"].sum() for b in byproducts})
    used = pd.Series({b: series[f"exchanged_t.{b}"].sum() + series.get(f"outlet_t.{b}", pd.Series([0.0])).sum()
                      for b in byproducts})  # fmt: skip
    flows = model.flows
    flows = flows.reindex(columns=[*flows.columns, *(c for c in FLOW_COLUMNS if c not in flows.columns)])  # no trade
    flows = flows[(flows["step"] > model.month_index - months) & (flows["tonnes"] > 0)]
    city = model.catalog.facilities.set_index("facility_id")["city"]
    flows = flows.assign(
        profit_cny_per_t=flows["seller_gain_cny_per_t"] + flows["buyer_gain_cny_per_t"],
        seller_city=flows["seller_id"].map(city),
        buyer_city=flows["buyer_id"].map(city),
    )
    return Window(min(months, len(series)), generated, used, flows)


def simulate_patterns(spec: CalibrationSpec, parameters: dict[str, float], seed: int) -> dict[str, float]:
    """Run the spec's base scenario with ``parameters`` and ``seed``; every target's pattern."""
    model = SymbiosisModel(_scenario(None if spec.scenario is None else str(spec.scenario)), rng=seed,
                           years=spec.years, collect_agent_data=False, **parameters)  # fmt: skip
    model.run()
    window = window_of(model, spec.window_months)
    return {t.target: pattern_value(t.spec, window) for t in spec.targets}


class PatternModel:
    """pyabc's model: parameters -> the patterns of one run, its seed drawn from the slot's state."""

    def __init__(self, spec: CalibrationSpec) -> None:
        self.spec = spec

    def __call__(self, parameters: dict) -> dict[str, float]:
        """The patterns of one run with ``parameters``; the seed comes from the slot's random state (pyabc's)."""
        seed = int(np.random.randint(0, SEED_BOUND))  # noqa: NPY002 -- pyabc draws from the legacy global state
        values = {k: float(v) for k, v in dict(parameters).items()}
        return {**simulate_patterns(self.spec, values, seed), "seed": float(seed)}


class StandardisedDistance:
    """Root mean square of (simulated - observed) / sd over the fitted targets (inf if one is NaN)."""

    def __init__(self, spec: CalibrationSpec) -> None:
        by_id = {t.target: t for t in spec.targets}
        self.ids = spec.fitted
        self.observed = np.array([by_id[i].value for i in self.ids])
        self.sd = np.array([by_id[i].sd for i in self.ids])

    def misses(self, simulated: dict) -> np.ndarray:
        """The standardised misses, target by target."""
        values = np.array([float(simulated[i]) for i in self.ids])
        return (values - self.observed) / self.sd

    def __call__(self, simulated: dict, observed: dict | None = None) -> float:
        """The distance of a simulation from the observations (``observed`` is pyabc's copy of them)."""
        z = self.misses(simulated)
        return math.inf if not np.isfinite(z).all() else float(np.sqrt(np.mean(z**2)))


def _proposal(payload: bytes, key: tuple[int, int, int]) -> object | None:
    """Make and evaluate proposal ``key`` = (seed, generation + 1, index); the particle if accepted, else None."""
    simulate_one = cloudpickle.loads(payload)
    state = np.random.SeedSequence(list(key))
    np.random.seed(state.generate_state(4))  # noqa: NPY002 -- pyabc's kernels and priors draw from the global state
    random.seed(int(state.generate_state(1)[0]))
    particle = simulate_one()
    return particle if particle.accepted else None


def _process_map(workers: int) -> tuple[Callable, Callable]:
    context = get_context("forkserver")
    context.set_forkserver_preload(["symbiosim.runs.calibrate"])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)

    def run(function: Callable, calls: list[tuple]) -> Iterator[tuple[int, object]]:
        futures = {pool.submit(function, *args): index for index, args in calls}
        for future in as_completed(futures):
            yield futures[future], future.result()

    return run, functools.partial(pool.shutdown, cancel_futures=True)


def _ray_map(workers: int, address: str | None) -> tuple[Callable, Callable]:
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        options = {"address": address} if address else {"num_cpus": workers, "include_dashboard": False}
        ray.init(**options, log_to_driver=False, configure_logging=False)
    remotes: dict[Callable, object] = {}

    def run(function: Callable, calls: list[tuple]) -> Iterator[tuple[int, object]]:
        remote = remotes.setdefault(function, ray.remote(num_cpus=1)(function))
        pending = {remote.remote(*args): index for index, args in calls}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            yield pending.pop(done[0]), ray.get(done[0])

    return run, (ray.shutdown if started_here else lambda: None)


def _serial_map() -> tuple[Callable, Callable]:
    def run(function: Callable, calls: list[tuple]) -> Iterator[tuple[int, object]]:
        for index, args in calls:
            yield index, function(*args)

    return run, lambda: None


class ProposalSampler(Sampler):
    """Numbered, seeded proposals on an engine; a generation takes the first ``n`` accepted in number order.

    Proposal ``j`` of generation ``t`` is drawn from a random state seeded by (seed, t + 1, j), so
    whether it is accepted does not depend on where or when it runs. Proposals are evaluated in
    batches, each finished one kept on disk (``OUT/.slots/g<t>/<j>.pkl``), until the proposals
    0..m-1 hold ``n`` accepted ones; those are the generation, and ``m`` is its number of
    simulations (pyabc's count). As in pyabc's samplers, a generation that reaches ``max_eval``
    proposals first is not ok, which stops the calibration.
    """

    def __init__(self, seed: int, folder: Path, engine: str, workers: int, address: str | None, progress: bool,
                 label: Callable[[int], str]) -> None:  # fmt: skip
        super().__init__()
        self.seed, self.folder, self.progress, self.label, self.workers = seed, folder, progress, label, workers
        self.run_calls, self.close = {"serial": _serial_map, "process": lambda: _process_map(workers),
                                      "ray": lambda: _ray_map(workers, address)}[engine]()  # fmt: skip

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        """The first ``n`` accepted proposals of generation ``t`` (not ok if ``max_eval`` proposals hold fewer)."""
        folder = self.folder / f"g{t}"
        folder.mkdir(parents=True, exist_ok=True)
        for partial in folder.glob(".*"):  # a proposal being written when the calibration was killed
            partial.unlink()
        done = {int(f.stem): pickle.loads(f.read_bytes()) for f in folder.glob("*.pkl") if f.stem.isdigit()}
        limit = math.inf if not math.isfinite(max_eval) else int(max_eval)
        payload = cloudpickle.dumps(simulate_one)

        def prefix() -> tuple[int, int]:
            """(accepted, proposals) over the longest run 0..m-1 of finished proposals, stopping at the n-th acceptance."""
            accepted = m = 0
            while m in done and accepted < n:
                accepted += done[m] is not None
                m += 1
            return accepted, m

        with tqdm(total=n, desc=self.label(t), unit="particle", disable=not self.progress) as bar:
            while True:
                accepted, m = prefix()
                bar.n = accepted
                bar.set_postfix(simulations=m)
                if accepted >= n or m >= limit:
                    break
                # enough new proposals to reach n at the acceptance seen so far (at least two per worker)
                rate = max(accepted / m, 0.01) if m else 1.0
                size = max(2 * self.workers, math.ceil((n - accepted) / rate))
                batch = [j for j in range(m, int(min(limit, m + size))) if j not in done]
                for j, result in self.run_calls(_proposal, [(j, (payload, (self.seed, t + 1, j))) for j in batch]):
                    data = pickle.dumps(result)
                    write_atomic(folder / f"{j}.pkl", lambda p, data=data: p.write_bytes(data))
                    done[j] = result
                    bar.n = min(n, sum(r is not None for r in done.values()))
                    bar.set_postfix(simulations=len(done))
        sample = self._create_empty_sample()
        for j in range(m):
            if done[j] is not None:
                sample.append(done[j])
        self.nr_evaluations_ = m
        if sample.n_accepted < n:
            sample.ok = False
        return sample

    def stop(self) -> None:
        """Nothing to stop between generations: the engine is closed when the calibration ends."""


def _prior(prior: Prior) -> pyabc.RV:
    if prior.kind == "uniform":
        return pyabc.RV("uniform", prior.low, prior.high - prior.low)
    if prior.kind == "loguniform":
        return pyabc.RV("loguniform", prior.low, prior.high)
    width = prior.high - prior.low
    return pyabc.RV("triang", (prior.mode - prior.low) / width, prior.low, width)


def history(out: Path) -> pyabc.History:
    """The stored generations of a calibration folder."""
    return pyabc.History(f"sqlite:///{(out / DATABASE).resolve()}", create=False, _id=1)


def calibrate(
    spec: CalibrationSpec, out: Path, engine: str = "process", workers: int = 2, address: str | None = None,
    progress: bool = True,
) -> pyabc.History:  # fmt: skip
    """Run (or continue) the spec's ABC-SMC calibration in ``out``.

    Args:
        spec: the validated spec.
        out: the calibration folder; a folder holding a calibration of another spec is refused.
        engine: ``serial``, ``process`` (``workers`` processes) or ``ray`` (``workers`` CPUs, or
            the cluster at ``address``).
        workers: processes or Ray CPUs.
        address: a Ray cluster address (``ray`` engine only).
        progress: show a progress bar per generation.

    Returns:
        The history of every generation (``history.get_distribution()`` is the posterior).

    Raises:
        ValueError: an unknown engine, fewer than one worker, or ``out`` holding another spec's calibration.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    out.mkdir(parents=True, exist_ok=True)
    mark, database = out / FINGERPRINT, out / DATABASE
    fingerprint = f"{spec.fingerprint()} pyabc {pyabc.__version__} sampler {SAMPLER_VERSION}"
    if mark.is_file() and mark.read_text(encoding="utf-8").strip() != fingerprint:
        raise ValueError(f"{out} holds a calibration of another spec (or of this one before it changed); "
                         "choose another --out, or delete the folder to start again")  # fmt: skip
    if database.exists() and not mark.is_file():
        raise ValueError(f"{out} holds {DATABASE} without {FINGERPRINT}: not a calibration folder of this version")
    write_atomic(mark, lambda p: p.write_text(fingerprint + "\n", encoding="utf-8"))
    if database.exists() and not _has_run(database):  # killed while pyabc was creating it
        database.unlink()
    observed = {t.target: t.value for t in spec.targets}
    generations = spec.generations

    def label(t: int) -> str:
        return "prior sample" if t < 0 else f"generation {t + 1}/{generations}"

    sampler = ProposalSampler(spec.seed, out / SLOTS, engine, workers, address, progress, label)
    try:
        abc = pyabc.ABCSMC(
            PatternModel(spec), pyabc.Distribution(**{p.name: _prior(p) for p in spec.priors}),
            StandardisedDistance(spec), population_size=spec.population, sampler=sampler,
            eps=pyabc.QuantileEpsilon(alpha=spec.alpha),
        )  # fmt: skip
        url = f"sqlite:///{database.resolve()}"
        stored = abc.load(url, 1) if database.exists() else abc.new(url, observed)
        _drop_stored_slots(out, stored.max_t + 1)
        if not _finished(spec, stored):
            done = stored.max_t + 1
            abc.run(minimum_epsilon=spec.min_epsilon, max_nr_populations=generations - done,
                    min_acceptance_rate=spec.min_acceptance_rate, max_total_nr_simulations=spec.max_simulations)  # fmt: skip
        stored = history(out)
        _drop_stored_slots(out, stored.max_t + 1)  # a generation that ran out of tries keeps its slots
        if stored.max_t < 0:
            raise ValueError(f"no generation could be filled: fewer than {spec.min_acceptance_rate} of the proposals "
                             "were accepted; widen the priors or lower calibration.min_acceptance_rate")  # fmt: skip
        if not (out / PREDICTIVE).is_file():
            table = _predictive(spec, stored, sampler.run_calls)
            write_atomic(out / PREDICTIVE, lambda p: table.to_csv(p, index=False))
        return stored
    finally:
        sampler.close()


def _has_run(database: Path) -> bool:
    """Whether pyabc's database holds the calibration's run (it is created before the run is stored)."""
    try:
        with contextlib.closing(sqlite3.connect(database)) as connection:
            return connection.execute("SELECT count(*) FROM abc_smc WHERE id = 1").fetchone()[0] == 1
    except sqlite3.Error:
        return False


def _drop_stored_slots(out: Path, done: int) -> None:
    """Remove the kept slots of generations already stored (and the prior sample's once one is)."""
    for stale in (out / SLOTS).glob("g*"):
        if done > 0 and int(stale.name[1:]) < done:
            shutil.rmtree(stale)
    if (out / SLOTS).is_dir() and not any((out / SLOTS).iterdir()):
        (out / SLOTS).rmdir()


def _finished(spec: CalibrationSpec, stored: pyabc.History) -> bool:
    """Whether pyabc's stopping rules have been met by the stored generations (so a resumed run stops as it did)."""
    if stored.max_t < 0:
        return False
    last = stored.get_all_populations().iloc[-1]
    return bool(
        stored.max_t + 1 >= spec.generations
        or stored.total_nr_simulations >= spec.max_simulations
        or float(last["epsilon"]) <= spec.min_epsilon
        or last["particles"] / last["samples"] < spec.min_acceptance_rate
    )


def stop_reason(spec: CalibrationSpec, out: Path) -> str:
    """Why a finished calibration in ``out`` stopped, in words."""
    stored = history(out)
    last = stored.get_all_populations().iloc[-1]
    if (out / SLOTS / f"g{stored.max_t + 1}").is_dir():
        return f"generation {stored.max_t + 2} could not be filled (acceptance below {spec.min_acceptance_rate})"
    if float(last["epsilon"]) <= spec.min_epsilon:
        return f"threshold {float(last['epsilon']):.3g} reached min_epsilon {spec.min_epsilon}"
    if last["particles"] / last["samples"] < spec.min_acceptance_rate:
        return f"acceptance rate fell below {spec.min_acceptance_rate}"
    if stored.total_nr_simulations >= spec.max_simulations:
        return f"{stored.total_nr_simulations} simulations reached max_simulations {spec.max_simulations}"
    return f"all {spec.generations} generations done"


def _predict(spec: CalibrationSpec, parameters: dict[str, float], seed: int) -> dict[str, float]:
    return simulate_patterns(spec, parameters, seed)


def _predictive(spec: CalibrationSpec, stored: pyabc.History, run: Callable) -> pd.DataFrame:
    """The posterior predictive: ``spec.predictive_runs`` posterior draws (weighted), each with a fresh seed."""
    particles, weights = stored.get_distribution()
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(PREDICTIVE_STREAM,)))
    rows = rng.choice(len(particles), size=spec.predictive_runs, p=weights / weights.sum())
    seeds = rng.integers(0, SEED_BOUND, size=spec.predictive_runs)
    draws = [({k: float(v) for k, v in particles.iloc[i].items()}, int(s)) for i, s in zip(rows, seeds, strict=True)]
    results = dict(run(_predict, [(k, (spec, p, s)) for k, (p, s) in enumerate(draws)]))
    return pd.DataFrame([{"draw": k, "seed": draws[k][1], **draws[k][0], **results[k]} for k in range(len(draws))])
