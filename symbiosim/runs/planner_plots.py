"""Static PNG plots of the planner's schemes: maps of the optimal paths and utilisation by waste."""

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection

from symbiosim.runs.outputs import data_credit
from symbiosim.runs.plots import DEFAULT_STYLE, DPI, SECTOR_STYLE

__all__ = ["plot_emergent_vs_optimal", "plot_planner_maps", "plot_utilisation_by_scheme"]



def plot_planner_maps(paths: pd.DataFrame, facilities: pd.DataFrame, path: Path) -> None:
    """One map per scheme: facilities by sector and the optimal paths, width by tonnes, colour by by-product.

    Args:
        paths: ``scheme``, ``seller``, ``buyer`` (facility ids), ``byproduct``, ``tonnes``.
        facilities: ``facility_id``, ``sector``, ``longitude``, ``latitude``.
        path: PNG file to write.
    """
    schemes = list(dict.fromkeys(paths["scheme"])) or ["(no paths)"]
    fig, axes = plt.subplots(1, len(schemes), figsize=(6.5 * len(schemes), 7.5), squeeze=False)
    where = facilities.set_index("facility_id")[["longitude", "latitude"]].astype(float)
    palette = plt.get_cmap("tab10")
    colours = {name: palette(i % palette.N) for i, name in enumerate(sorted(paths["byproduct"].unique()))}
    peak = float(paths["tonnes"].max()) if len(paths) else 1.0
    for ax, scheme in zip(axes[0], schemes, strict=True):
        part = paths[paths["scheme"] == scheme]
        if len(part):
            start, end = where.loc[part["seller"]].to_numpy(), where.loc[part["buyer"]].to_numpy()
            widths = 0.3 + 3.5 * np.sqrt(part["tonnes"].to_numpy() / peak)
            colour = [colours[b] for b in part["byproduct"]]
            ax.add_collection(
                LineCollection(np.stack([start, end], axis=1), linewidths=widths, colors=colour, alpha=0.6)
            )
        for sector, group in facilities.groupby("sector", sort=True):
            color, marker = SECTOR_STYLE.get(sector, DEFAULT_STYLE)
            ax.scatter(group["longitude"], group["latitude"], s=10, c=color, marker=marker, alpha=0.8, zorder=2)
        ax.set_title(f"{scheme}: {len(part)} paths, {part['tonnes'].sum() / 1e6:,.1f} Mt")
        ax.set_xlabel("longitude (degrees east)")
        ax.set_aspect(1 / np.cos(np.radians(facilities["latitude"].astype(float).mean())))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("latitude (degrees north)")
    handles = [plt.Line2D([], [], color=c, linewidth=3, label=name) for name, c in colours.items()]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), fontsize=8, frameon=False)
    fig.text(0.01, 0.005, data_credit(facilities), fontsize=7)
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def plot_utilisation_by_scheme(by_waste: pd.DataFrame, path: Path) -> None:
    """Utilisation rate (used ÷ supply) by waste, one bar per scheme.

    Args:
        by_waste: ``scheme``, ``byproduct``, ``utilisation_rate``.
        path: PNG file to write.
    """
    wide = by_waste.pivot(index="byproduct", columns="scheme", values="utilisation_rate")
    wide = wide[list(dict.fromkeys(by_waste["scheme"]))]
    ax = wide.plot.bar(figsize=(10, 5), width=0.8)
    ax.set_ylabel("utilisation rate (used / supply)")
    ax.set_xlabel("")
    ax.set_ylim(0, 1.05)
    ax.set_title("Utilisation of each waste in the planner's schemes")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False)
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    ax.figure.tight_layout()
    ax.figure.savefig(path, dpi=DPI)
    plt.close(ax.figure)


def plot_emergent_vs_optimal(table: pd.DataFrame, path: Path) -> None:
    """How close the market gets to the planner: emergent ÷ optimal per year, one panel per measure.

    Args:
        table: ``year``, ``scheme`` and ``ratio_tonnes_used``, ``ratio_route_profit_cny``,
            ``ratio_energy_saved_tce``, ``ratio_paths``, ``jaccard_paths``.
        path: PNG file to write.
    """
    measures = {
        "ratio_tonnes_used": "tonnes used",
        "ratio_route_profit_cny": "profit",
        "ratio_energy_saved_tce": "energy saved",
        "ratio_paths": "number of paths",
        "jaccard_paths": "overlap of paths (Jaccard)",
    }
    fig, axes = plt.subplots(1, len(measures), figsize=(4 * len(measures), 3.8), sharey=False)
    for ax, (column, title) in zip(axes, measures.items(), strict=True):
        for scheme, part in table.groupby("scheme", sort=False):
            ax.plot(part["year"].astype(str), part[column], marker="o", label=scheme)
        ax.axhline(1.0, color="grey", linewidth=0.8)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        plt.setp(ax.get_xticklabels(), rotation=45, ha="right", fontsize=7)
    axes[0].set_ylabel("emergent / optimal")
    axes[0].legend(fontsize=8, frameon=False)
    fig.suptitle("How close does the market get to the planner?")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
