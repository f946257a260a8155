"""What a calibration writes: the posterior, the fit, their plots, the calibration record and a calibrated scenario.

Files in the calibration folder (docs/calibration.md, "Calibrating a scenario"):

* ``posterior.csv``: the last generation's particles, their importance ``weight`` and ``distance``.
* ``posterior_summary.csv``: per parameter, its prior and the weighted mean, 5 %, 50 % and 95 %
  posterior quantiles (``p05``-``p95`` is the 90 % credible interval).
* ``generations.csv``: per generation, the threshold, simulations, acceptance rate and
  effective sample size.
* ``fit.csv``: per target (fitted and held out), the observed value and sd, and the 5 %, 50 % and
  95 % quantiles of the posterior predictive runs (``predictive.csv``), with the median's
  standardised miss ``z = (p50 - observed) / sd``.
* ``fit.png`` (targets vs simulated, standardised, with intervals) and ``marginals.png``
  (posterior histograms over the prior).
* ``calibration.json``: the record (spec, method, targets, generations, posterior, fit).
* ``calibrated.toml``: the base scenario with the posterior medians as ``[parameters]``, which
  ``symbiosim run`` and ``compare`` accept.
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyabc

from symbiosim.environment.parameters import model_parameter_names
from symbiosim.metrics.network import weighted_quantile
from symbiosim.runs.calibrate import PREDICTIVE, StandardisedDistance, history, stop_reason
from symbiosim.runs.calibration_spec import CalibrationSpec
from symbiosim.runs.outputs import write_atomic

__all__ = ["fit_table", "posterior_summary", "write_calibration"]

DPI = 120
QUANTILES = {"p05": 0.05, "p50": 0.5, "p95": 0.95}
CALIBRATION_COLOUR, VALIDATION_COLOUR, OBSERVED_COLOUR = "#1f77b4", "#ff7f0e", "#444444"


def _quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    return weighted_quantile(values, weights, q)


def posterior_summary(spec: CalibrationSpec, particles: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """Per parameter: prior, weighted mean and the 5/50/95 % posterior quantiles."""
    rows = []
    for prior in spec.priors:
        values = particles[prior.name].to_numpy(float)
        row = {"parameter": prior.name, "prior": prior.kind, "prior_min": prior.low, "prior_max": prior.high,
               "prior_mode": prior.mode, "mean": float(np.average(values, weights=weights))}  # fmt: skip
        row |= {k: _quantile(values, weights, q) for k, q in QUANTILES.items()}
        rows.append(row)
    return pd.DataFrame(rows)


def fit_table(spec: CalibrationSpec, predictive: pd.DataFrame) -> pd.DataFrame:
    """Per target: observed value and sd, the predictive quantiles and the median's standardised miss."""
    rows = []
    for target in spec.targets:
        values = predictive[target.target].to_numpy(float)
        finite = values[np.isfinite(values)]
        quantiles = {k: float(np.quantile(finite, q)) if len(finite) else np.nan for k, q in QUANTILES.items()}
        rows.append({"target": target.target, "role": target.role, "fitted": target.target in spec.fitted,
                     "pattern": target.spec.pattern, "unit": target.unit, "observed": target.value, "sd": target.sd,
                     **quantiles, "z": (quantiles["p50"] - target.value) / target.sd,
                     "runs_measured": len(finite), "source": target.source})  # fmt: skip
    return pd.DataFrame(rows)


def _generations(stored: pyabc.History, particles: pd.DataFrame) -> pd.DataFrame:
    table = stored.get_all_populations()
    table = table[table["t"] >= 0]
    ess = []
    for t in table["t"]:
        _, w = stored.get_distribution(t=int(t))
        ess.append(float(1 / np.sum((w / w.sum()) ** 2)))
    return pd.DataFrame({"generation": table["t"].to_numpy() + 1, "epsilon": table["epsilon"].to_numpy(),
                         "simulations": table["samples"].to_numpy(), "accepted": table["particles"].to_numpy(),
                         "acceptance_rate": (table["particles"] / table["samples"]).to_numpy(),
                         "effective_sample_size": ess})  # fmt: skip


def _fit_plot(fit: pd.DataFrame, path: Path) -> None:
    fit = fit.iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(fit) + 1.6))
    y = np.arange(len(fit))
    ax.axvspan(-2, 2, color="#dddddd", alpha=0.6, label="observed ± 2 sd")
    ax.axvline(0, color=OBSERVED_COLOUR, linewidth=1, label="observed")
    for role, colour in (("calibration", CALIBRATION_COLOUR), ("validation", VALIDATION_COLOUR)):
        part = fit[fit["fitted"] == (role == "calibration")]
        lo = (part["p05"] - part["observed"]) / part["sd"]
        hi = (part["p95"] - part["observed"]) / part["sd"]
        ax.hlines(part.index, lo, hi, color=colour, linewidth=3, alpha=0.7)
        ax.plot(part["z"], part.index, "o", color=colour,
                label="fitted: posterior predictive 5-95 % and median" if role == "calibration"
                else "held out (validation): same")  # fmt: skip
    labels = [f"{r.target}  ({r.observed:.4g} ± {r.sd:.3g} {r.unit})" for r in fit.itertuples()]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("(simulated − observed) / sd of the target")
    limit = max(3.0, float(np.nanmax(np.abs(fit[["z"]].to_numpy()))) * 1.1)
    ax.set_xlim(-min(limit, 30), min(limit, 30))
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Targets vs simulated (standardised)")
    fig.tight_layout()
    write_atomic(path, lambda p: fig.savefig(p, dpi=DPI, format="png"))
    plt.close(fig)


def _marginals_plot(spec: CalibrationSpec, particles: pd.DataFrame, weights: np.ndarray, summary: pd.DataFrame,
                    path: Path) -> None:  # fmt: skip
    count = len(spec.priors)
    fig, axes = plt.subplots(1, count, figsize=(3.4 * count, 3.0), squeeze=False)
    for ax, prior, row in zip(axes[0], spec.priors, summary.itertuples(), strict=True):
        bins = np.linspace(prior.low, prior.high, 21)
        if prior.kind == "loguniform":
            bins = np.geomspace(prior.low, prior.high, 21)
            ax.set_xscale("log")
        ax.hist(particles[prior.name], bins=bins, weights=weights, density=True, color=CALIBRATION_COLOUR,
                alpha=0.7, label="posterior")  # fmt: skip
        grid = np.linspace(prior.low, prior.high, 200) if prior.kind != "loguniform" else np.geomspace(prior.low, prior.high, 200)
        ax.plot(grid, _prior_density(prior, grid), color=OBSERVED_COLOUR, linewidth=1, label="prior")
        for q in (row.p05, row.p95):
            ax.axvline(q, color=CALIBRATION_COLOUR, linestyle=":", linewidth=1)
        ax.axvline(row.p50, color=CALIBRATION_COLOUR, linewidth=1.5, label="median; 90 % interval dotted")
        ax.set_title(prior.name, fontsize=9)
        ax.set_yticks([])
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Posterior marginals (ABC-SMC, last generation)", fontsize=10)
    fig.tight_layout()
    write_atomic(path, lambda p: fig.savefig(p, dpi=DPI, format="png"))
    plt.close(fig)


def _prior_density(prior, grid: np.ndarray) -> np.ndarray:
    from scipy import stats

    if prior.kind == "uniform":
        return stats.uniform(prior.low, prior.high - prior.low).pdf(grid)
    if prior.kind == "loguniform":
        return stats.loguniform(prior.low, prior.high).pdf(grid)
    width = prior.high - prior.low
    return stats.triang((prior.mode - prior.low) / width, prior.low, width).pdf(grid)


def _calibrated_toml(spec: CalibrationSpec, summary: pd.DataFrame, out: Path) -> str:
    base = "default" if spec.scenario is None else Path(os.path.relpath(spec.scenario, out.resolve())).as_posix()
    known = model_parameter_names()
    lines = [
        "# The base scenario with the posterior medians of an ABC-SMC calibration",
        "# (symbiosim calibrate; record: calibration.json in this folder).",
        "[scenario]",
        f"name = {json.dumps(spec.name + ' (calibrated)')}",  # a JSON string is a valid TOML basic string
        f"extends = {json.dumps(base)}",
        "",
        "[parameters]",
    ]
    lines += [f"{row.parameter} = {row.p50!r}" for row in summary.itertuples() if row.parameter in known]
    return "\n".join(lines) + "\n"


def _plain(value: object) -> object:
    """``value`` with NumPy numbers as Python ones and NaN as None (strict JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def write_calibration(spec: CalibrationSpec, out: Path) -> list[Path]:
    """Write every output of a finished calibration in ``out`` (see the module docstring)."""
    stored = history(out)
    population = stored.get_population().particles
    particles = pd.DataFrame([dict(p.parameter) for p in population])[[prior.name for prior in spec.priors]]
    weights = np.array([p.weight for p in population], dtype=float)
    weights /= weights.sum()
    posterior = particles.assign(weight=weights, distance=[p.distance for p in population])
    summary = posterior_summary(spec, particles, weights)
    predictive = pd.read_csv(out / PREDICTIVE)
    fit = fit_table(spec, predictive)
    generations = _generations(stored, particles)
    distance = StandardisedDistance(spec)
    record = {
        "name": spec.name, "spec": spec.source, "fingerprint": spec.fingerprint(),
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "method": {"name": "ABC-SMC", "library": f"pyabc {pyabc.__version__}",
                   "kernel": "multivariate normal (pyabc MultivariateNormalTransition)",
                   "threshold": f"quantile {spec.alpha} of the last generation's distances",
                   "distance": "root mean square of (simulated - observed) / sd over the fitted targets",
                   "population": spec.population, "generations": spec.generations,
                   "max_simulations": spec.max_simulations, "min_epsilon": spec.min_epsilon,
                   "min_acceptance_rate": spec.min_acceptance_rate, "seed": spec.seed},
        "stopped": stop_reason(spec, out),
        "simulations": int(stored.total_nr_simulations),
        "scenario": "default" if spec.scenario is None else str(spec.scenario),
        "years": spec.years, "window_months": spec.window_months,
        "fitted_targets": list(distance.ids),
        "held_out_targets": [t.target for t in spec.targets if t.target not in spec.fitted],
        "generations": generations.to_dict("records"),
        "posterior": summary.to_dict("records"),
        "fit": fit.to_dict("records"),
        "predictive_runs": len(predictive),
    }  # fmt: skip
    text = json.dumps(_plain(record), indent=2, allow_nan=False)
    files = [
        write_atomic(out / "posterior.csv", lambda p: posterior.to_csv(p, index=False)),
        write_atomic(out / "posterior_summary.csv", lambda p: summary.to_csv(p, index=False)),
        write_atomic(out / "generations.csv", lambda p: generations.to_csv(p, index=False)),
        write_atomic(out / "fit.csv", lambda p: fit.to_csv(p, index=False)),
        write_atomic(out / "calibration.json", lambda p: p.write_text(text, encoding="utf-8")),
        write_atomic(out / "calibrated.toml", lambda p: p.write_text(_calibrated_toml(spec, summary, out), encoding="utf-8")),
    ]
    _fit_plot(fit, out / "fit.png")
    _marginals_plot(spec, particles, weights, summary, out / "marginals.png")
    return [*files, out / "fit.png", out / "marginals.png"]
