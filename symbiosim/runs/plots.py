"""Static PNG plots of a run: by-product series over time and a map of facilities and flows."""

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection

from symbiosim.model import SymbiosisModel

__all__ = ["plot_byproduct_series", "plot_map"]

T_PER_KT = 1000.0
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
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    axes[1].set_xlabel("month")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def plot_map(model: SymbiosisModel, path: Path, months: int = 12) -> None:
    """Map of facilities (by sector, size by capacity) and flows of the last ``months`` months.

    Line width is proportional to tonnes per month on the route; longitude/latitude axes
    (no basemap, so the plot works offline).
    """
    fac = model.facilities
    fig, ax = plt.subplots(figsize=(9, 10))
    flows = model.flows
    recent = flows[flows["step"] > model.month_index - months] if len(flows) else flows
    if len(recent):
        per_route = recent.groupby(["seller", "buyer", "byproduct"], as_index=False)["tonnes"].sum()
        per_route["tonnes"] /= months
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
    size = np.sqrt(model.capacity_per_yr.max(axis=1) / max(model.capacity_per_yr.max(), 1.0)) * 120 + 8
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
    ax.set_title(f"Facilities and by-product flows, last {months} months to {model.date:%Y-%m}")
    ax.set_aspect(1 / np.cos(np.radians(fac["latitude"].astype(float).mean())))
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.text(
        0.01, 0.005, "Plant data: Global Energy Monitor trackers, CC BY 4.0; urban waste sites synthetic.", fontsize=7
    )
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
