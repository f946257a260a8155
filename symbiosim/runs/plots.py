"""Static PNG plots of a run: by-product series, a map of facilities and flows, synergy, savings and radius."""

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection

from symbiosim.environment.units import T_PER_KT
from symbiosim.model import SymbiosisModel
from symbiosim.runs.outputs import MapData, data_credit, map_data

__all__ = ["draw_map", "plot_byproduct_series", "plot_map", "plot_radius", "plot_savings", "plot_synergy", "plot_unavailable"]

SECTOR_STYLE = {
    "steel": ("#1f77b4", "s"),
    "power": ("#ff7f0e", "^"),
    "cement": ("#2ca02c", "o"),
    "chemical": ("#9467bd", "D"),
    "incineration": ("#8c564b", "P"),
    "landfill": ("#7f7f7f", "X"),
    "msw_collection": ("#e377c2", "v"),
    "sludge_treatment": ("#bcbd22", "v"),
    "hazardous_waste": ("#d62728", "v"),
}
DEFAULT_STYLE = ("#17becf", "o")
DPI = 130
UNAVAILABLE = "unavailable_reason"  # column of a metric table that could not be computed


def plot_unavailable(title: str, reason: str, path: Path) -> None:
    """A figure saying that ``title`` could not be drawn for this run, and why."""
    fig, ax = plt.subplots(figsize=(9, 3))
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, f"not available for this run:\n{reason}", ha="center", va="center", wrap=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def plot_byproduct_series(series: pd.DataFrame, path: Path) -> None:
    """Exchanged and landfilled tonnes by by-product per month (two panels, kt/month).

    Args:
        series: tidy series (``tidy_series``).
        path: PNG file to write.
    """
    fig, axes = plt.subplots(2, 1, figsize=(11.5, 8), sharex=True)
    data = series[(series["step"] > 0) & (series["item"] != "all")]
    data = data[data["variable"].isin(("exchanged_t", "landfilled_t"))]
    palette = plt.get_cmap("tab10" if data["item"].nunique() <= 10 else "tab20")
    colors = {name: palette(i % palette.N) for i, name in enumerate(sorted(data["item"].unique()))}
    for ax, variable, title in (
        (axes[0], "exchanged_t", "Exchanged"),
        (axes[1], "landfilled_t", "Landfilled"),
    ):
        part = data[data["variable"] == variable]
        wide = part.pivot(index="date", columns="item", values="value") / T_PER_KT
        wide.index = pd.to_datetime(wide.index)
        for column in wide.columns:
            if wide[column].abs().sum() > 0:
                ax.plot(wide.index, wide[column], label=column, color=colors[column], linewidth=1.4)
        ax.set_title(title)
        ax.set_ylabel("kt per month")
        ax.grid(alpha=0.3)
    for ax in axes:  # beside the panel, so no line is hidden
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        else:
            ax.text(0.5, 0.5, "none", ha="center", va="center", transform=ax.transAxes, color="grey")
    axes[1].set_xlabel("month")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def plot_map(model: SymbiosisModel, path: Path, months: int = 12) -> None:
    """Map of facilities (by sector, size by capacity) and flows of the last ``months`` months (:func:`draw_map`)."""
    draw_map(map_data(model, months), path)


def draw_map(data: MapData, path: Path) -> None:
    """Draw a :class:`MapData`: facilities by sector (size by capacity) and the routes' flows.

    Line width is proportional to tonnes per month on the route; longitude/latitude axes
    (no basemap, so the plot works offline).
    """
    fac, per_route, months = data.facilities, data.routes, data.months
    fig, ax = plt.subplots(figsize=(9, 10))
    if len(per_route):
        lon, lat = fac["longitude"].to_numpy(dtype=float), fac["latitude"].to_numpy(dtype=float)
        segments = np.stack(
            [
                np.column_stack([lon[per_route["seller"]], lat[per_route["seller"]]]),
                np.column_stack([lon[per_route["buyer"]], lat[per_route["buyer"]]]),
            ],
            axis=1,
        )
        widths = 0.3 + 4.0 * np.sqrt(per_route["tonnes"].to_numpy() / per_route["tonnes"].max())
        ax.add_collection(LineCollection(segments, linewidths=widths, colors="#444444", alpha=0.35, zorder=1))
    size = np.sqrt(data.capacity / max(data.capacity.max(), 1.0)) * 120 + 8
    for sector, group in fac.groupby("sector", sort=True):
        color, marker = SECTOR_STYLE.get(sector, DEFAULT_STYLE)
        ax.scatter(
            group["longitude"],
            group["latitude"],
            s=size[group.index],
            c=color,
            marker=marker,
            label=f"{sector} ({len(group)})",
            alpha=0.85,
            edgecolors="white",
            linewidths=0.4,
            zorder=2,
        )
    ax.set_xlabel("longitude (degrees east)")
    ax.set_ylabel("latitude (degrees north)")
    ax.set_title(f"Facilities and by-product flows, last {months} months to {data.date:%Y-%m}")
    ax.set_aspect(1 / np.cos(np.radians(fac["latitude"].astype(float).mean())))
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.text(0.01, 0.005, data_credit(fac), fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def plot_synergy(table: pd.DataFrame, path: Path) -> None:
    """Subsystem order degrees, coupling coordination and synergy degree per year (two panels).

    Args:
        table: one row per year: ``year``, ``order_*`` columns, ``D``, ``synergy_fixed``, ``synergy_chained``.
        path: PNG file to write.
    """
    if UNAVAILABLE in table and table[[c for c in table if c.startswith("order_")]].isna().all(axis=None):
        plot_unavailable("Composite-system synergy degree", str(table[UNAVAILABLE].iloc[0]), path)
        return
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    years = table["year"].astype(str)
    for column in [c for c in table.columns if c.startswith("order_")]:
        top.plot(years, table[column], marker="o", label=f"order degree: {column.removeprefix('order_')}")
    top.plot(years, table["D"], marker="s", color="black", label="coupling coordination D")
    top.set_ylim(0, 1)
    top.set_ylabel("0-1")
    top.set_title("Subsystem order degrees and their coupling coordination")
    top.legend(fontsize=8, frameon=False)
    for column, style in (("synergy_fixed", "-o"), ("synergy_chained", "--s")):
        bottom.plot(years, table[column], style, label=column.replace("_", " ") + " base")
    bottom.axhline(0, color="grey", linewidth=0.8)
    bottom.set_ylabel("synergy degree (-1 to 1)")
    bottom.set_title("Composite-system synergy degree")
    bottom.set_xlabel("year")
    bottom.legend(fontsize=8, frameon=False)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def plot_savings(series: pd.DataFrame, path: Path) -> None:
    """Energy saved and emissions avoided by symbiosis per month (three panels).

    Args:
        series: tidy series (``tidy_series``) with ``energy_saved_tce``, ``co2_avoided_t`` and
            ``so2_avoided_t``, ``nox_avoided_t``, ``pm_avoided_t``.
        path: PNG file to write.
    """
    data = series[(series["step"] > 0) & (series["item"] == "all")]
    wide = data.pivot(index="date", columns="variable", values="value")
    wide.index = pd.to_datetime(wide.index)
    fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=True)
    axes[0].plot(wide.index, wide["energy_saved_tce"] / 1000.0, color="#2ca02c")
    axes[0].set_ylabel("ktce per month")
    axes[0].set_title("Energy saved by symbiosis (direct + indirect - transport)")
    axes[1].plot(wide.index, wide["co2_avoided_t"] / T_PER_KT, color="#1f77b4")
    axes[1].set_ylabel("kt CO2 per month")
    axes[1].set_title("CO2 avoided")
    for pollutant, color in (("so2", "#d62728"), ("nox", "#ff7f0e"), ("pm", "#7f7f7f")):
        axes[2].plot(wide.index, wide[f"{pollutant}_avoided_t"], label=pollutant.upper(), color=color)
    axes[2].set_ylabel("t per month")
    axes[2].set_title("Air pollutants avoided")
    axes[2].legend(fontsize=8, frameon=False)
    axes[2].set_xlabel("month")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def plot_radius(radius: pd.DataFrame, path: Path) -> None:
    """Effective symbiosis radius (tonne-weighted 90th percentile of haul distance) by by-product per year.

    Args:
        radius: ``year``, ``byproduct``, ``radius_km``.
        path: PNG file to write.
    """
    if UNAVAILABLE in radius:
        plot_unavailable("Effective symbiosis radius by by-product", str(radius[UNAVAILABLE].iloc[0]), path)
        return
    wide = radius.pivot(index="year", columns="byproduct", values="radius_km")
    fig, ax = plt.subplots(figsize=(9, 5))
    for column in wide.columns:
        ax.plot(wide.index.astype(str), wide[column], marker="o", label=column)
    ax.set_ylabel("km (90th percentile, tonne-weighted)")
    ax.set_xlabel("year")
    ax.set_title("Effective symbiosis radius by by-product")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
