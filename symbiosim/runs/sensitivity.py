"""Sensitivity of a sweep's outputs to its parameters: Sobol indices or rank correlations.

For a ``sobol`` design (Saltelli sampling) the first-order and total Sobol indices of each
parameter are estimated with SALib (Saltelli 2002; Jansen 1999), with 95% confidence
intervals; for any other design, Spearman's rank correlation of each parameter with each
output, with its p-value. An output is a run's value in its last full year, averaged over seeds.
"""

import json
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from symbiosim.runs.outputs import write_atomic
from symbiosim.runs.sweep import read_annual

__all__ = ["OUTPUTS", "sensitivity", "write_sensitivity"]

OUTPUTS = ("exchanged_t", "landfilled_t", "energy_saved_tce", "co2_avoided_t", "profit_cny")
DPI = 120


def _outputs_by_point(out: Path) -> tuple[pd.DataFrame, list[str]]:
    annual = read_annual(out)
    full = annual[annual["months"] == annual["months"].max()]
    last = full[full["year"] == full.groupby("run_id")["year"].transform("max")]
    params = [c for c in last.columns if c.startswith("param.")]
    numeric = [c for c in [*params, *OUTPUTS] if pd.api.types.is_numeric_dtype(last[c])]
    text = [c for c in params if c not in numeric]  # a choice such as limit_mode: one value per point
    grouped = last.groupby("point")
    by_point = pd.concat([grouped[numeric].mean(), grouped[text].first()], axis=1)[[*params, *OUTPUTS]]
    return by_point, params


def sensitivity(out: Path) -> pd.DataFrame:
    """Sensitivity table of a finished (or partly finished) sweep.

    Returns:
        One row per output and parameter: ``method`` (``sobol`` or ``spearman``) and either
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` or ``rho``, ``p_value``.

    Raises:
        ValueError: fewer than three finished points, or a Sobol design with missing points.
    """
    summary = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    by_point, params = _outputs_by_point(out)
    if len(by_point) < 3:
        raise ValueError(f"sensitivity needs at least 3 finished points, not {len(by_point)}")
    rows = []
    if summary["design"] == "sobol":
        from SALib.analyze import sobol as sobol_analyze

        design = pd.read_csv(out / "design.csv")
        if len(by_point) != len(design):
            raise ValueError(f"a Sobol analysis needs every point: {len(by_point)} of {len(design)} finished")
        for output in OUTPUTS:
            values = by_point[output].to_numpy()
            if np.ptp(values) == 0:  # the output does not move: no variance to share out
                nan = np.full(len(params), np.nan)
                result = {"S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan}
            else:
                result = sobol_analyze.analyze(summary["problem"], values, calc_second_order=False, seed=0)
            for k, name in enumerate(summary["problem"]["names"]):
                rows.append({"output": output, "parameter": name, "method": "sobol",
                             "S1": result["S1"][k], "S1_conf": result["S1_conf"][k],
                             "ST": result["ST"][k], "ST_conf": result["ST_conf"][k]})  # fmt: skip
    else:
        for output in OUTPUTS:
            for param in params:
                x, y = by_point[param], by_point[output]
                ranked = pd.api.types.is_numeric_dtype(x) and x.nunique() > 1 and y.nunique() > 1
                # a text choice has no order to rank, and a constant has no correlation: NaN
                rho, p_value = stats.spearmanr(x.astype(float), y) if ranked else (np.nan, np.nan)
                rows.append({"output": output, "parameter": param.removeprefix("param."), "method": "spearman",
                             "rho": float(rho), "p_value": float(p_value)})  # fmt: skip
    return pd.DataFrame(rows)


def write_sensitivity(out: Path) -> list[Path]:
    """Write ``sensitivity.csv`` and ``sensitivity.png`` (one panel per output) into the sweep folder."""
    table = sensitivity(out)
    value = "ST" if table["method"].iat[0] == "sobol" else "rho"
    fig, axes = plt.subplots(1, len(OUTPUTS), figsize=(3.6 * len(OUTPUTS), 3.6), sharey=True)
    for ax, (output, part) in zip(axes, table.groupby("output", sort=False), strict=True):
        ax.barh(part["parameter"], part[value], color="#1f77b4", label=value)
        if value == "ST":
            ax.barh(part["parameter"], part["S1"], color="#ff7f0e", alpha=0.8, label="S1")
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set_title(output, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Sobol indices (total ST, first-order S1)" if value == "ST" else "Spearman rank correlation")
    fig.tight_layout()
    files = [write_atomic(out / "sensitivity.csv", lambda p: table.to_csv(p, index=False))]
    files.append(write_atomic(out / "sensitivity.png", lambda p: fig.savefig(p, dpi=DPI)))
    plt.close(fig)
    return files
