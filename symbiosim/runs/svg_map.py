"""An SVG map of facilities and exchanges, cheap enough to redraw every step in the browser app.

Facilities are circles at their real coordinates (equirectangular projection scaled by the
cosine of the mean latitude, so distances look right at JJJ's latitude), coloured by sector
and sized by capacity; exchanges are lines whose width follows tonnes and whose colour follows
the by-product. Hovering a facility shows its name, sector, output, by-products and partners
(an SVG ``<title>``); no tiles or scripts are loaded, so the map works offline.
"""

from html import escape

import numpy as np
import pandas as pd

from symbiosim.runs.outputs import data_credit

__all__ = ["BYPRODUCT_COLOURS", "SECTOR_COLOURS", "facility_notes", "svg_map"]

SECTOR_COLOURS = {
    "steel": "#1f77b4",
    "power": "#ff7f0e",
    "cement": "#2ca02c",
    "chemical": "#9467bd",
    "incineration": "#8c564b",
    "landfill": "#7f7f7f",
    "msw_collection": "#e377c2",
    "sludge_treatment": "#bcbd22",
    "hazardous_waste": "#d62728",
}
BYPRODUCT_COLOURS = {
    "steel_slag": "#17becf",
    "bf_slag": "#1f77b4",
    "boiler_slag": "#ff7f0e",
    "fly_ash": "#9467bd",
    "fgd_gypsum": "#d62728",
    "msw": "#e377c2",
    "sludge": "#7f7f7f",
    "hazardous_waste": "#8c564b",
    "steam": "#bcbd22",
    "coal_chem_slag": "#2ca02c",
}
OTHER_COLOUR = "#555555"
PARTNERS_SHOWN = 5
WIDTH_PX, MARGIN_PX, LEGEND_PX = 640, 20, 150


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Pixel coordinates (x right, y down) and the height of the drawing."""
    scale_x = np.cos(np.radians(lat.mean())) if len(lat) else 1.0
    x, y = lon * scale_x, -lat
    span_x = max(float(np.ptp(x)), 1e-6) if len(x) else 1.0
    span_y = max(float(np.ptp(y)), 1e-6) if len(y) else 1.0
    pixels = (WIDTH_PX - 2 * MARGIN_PX) / span_x
    height = span_y * pixels + 2 * MARGIN_PX
    return (x - x.min()) * pixels + MARGIN_PX, (y - y.min()) * pixels + MARGIN_PX, height


def _traded(flows: pd.DataFrame, side: str, verb: str) -> pd.Series:
    """'sells steel_slag 1,200 t, fly_ash 300 t' per facility on one side of the flows."""
    if flows.empty:
        return pd.Series(dtype=object)
    per = flows.groupby([side, "byproduct"])["tonnes"].sum().reset_index()
    per["text"] = per["byproduct"] + " " + per["tonnes"].map("{:,.0f} t".format)
    return verb + " " + per.groupby(side)["text"].agg(", ".join)


def facility_notes(facilities: pd.DataFrame, output: pd.Series, flows: pd.DataFrame) -> pd.Series:
    """Hover text per facility: name, sector, city, output, by-products traded and partners.

    Args:
        facilities: ``facility_id``, ``name``, ``sector``, ``city``.
        output: output of the main product per facility (t or MWh per month), by facility id.
        flows: this month's exchanges: ``seller_id``, ``buyer_id``, ``byproduct``, ``tonnes``.
    """
    ids = facilities["facility_id"]
    names = facilities.set_index("facility_id")["name"]
    lines = (
        facilities["name"]
        + "\n"
        + facilities["sector"]
        + ", "
        + facilities["city"]
        + "\noutput "
        + ids.map(output).fillna(0.0).map("{:,.0f} per month".format)
    )
    lines.index = ids.to_numpy()
    sells, buys = _traded(flows, "seller_id", "sells"), _traded(flows, "buyer_id", "buys")
    if flows.empty:
        partners = pd.Series(dtype=object)
    else:
        pairs = pd.concat(
            [
                flows[["seller_id", "buyer_id"]].set_axis(["me", "other"], axis=1),
                flows[["buyer_id", "seller_id"]].set_axis(["me", "other"], axis=1),
            ]
        ).drop_duplicates()
        pairs["name"] = pairs["other"].map(names).fillna(pairs["other"])
        grouped = pairs.groupby("me")["name"]
        shown = grouped.agg(lambda n: ", ".join(n.iloc[:PARTNERS_SHOWN]))
        more = grouped.size().sub(PARTNERS_SHOWN).clip(lower=0)
        partners = "partners: " + shown + more.map(lambda k: f" and {k} more" if k else "")
    for extra in (sells, buys, partners):
        present = lines.index.intersection(extra.index)
        lines.loc[present] = lines.loc[present] + "\n" + extra.loc[present]
    return lines


def svg_map(facilities: pd.DataFrame, size: np.ndarray, flows: pd.DataFrame, notes: pd.Series, title: str) -> str:
    """The map as an SVG document.

    Args:
        facilities: ``facility_id``, ``sector``, ``longitude``, ``latitude`` (node order).
        size: relative size of each facility, 0-1 (e.g. capacity / the largest).
        flows: exchanges to draw: ``seller`` and ``buyer`` (node numbers), ``byproduct``, ``tonnes``.
        notes: hover text by facility id.
        title: caption drawn at the top left.
    """
    lon = facilities["longitude"].to_numpy(dtype=float)
    lat = facilities["latitude"].to_numpy(dtype=float)
    x, y, height = _project(lon, lat)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH_PX + LEGEND_PX} {height:.0f}" '
        'preserveAspectRatio="xMinYMin meet" role="img" aria-label="map of facilities and exchanges" '
        'style="font-family: sans-serif; background: #fbfbfb; width: 100%; height: 100%; max-height: 80vh">',
        f'<text x="{MARGIN_PX}" y="14" font-size="12">{escape(title)}</text>',
    ]
    if len(flows):
        peak = float(flows["tonnes"].max())
        s, b = flows["seller"].to_numpy(), flows["buyer"].to_numpy()
        widths = 0.4 + 4.0 * np.sqrt(flows["tonnes"].to_numpy() / peak)
        for i in np.argsort(widths, kind="stable"):
            colour = BYPRODUCT_COLOURS.get(flows["byproduct"].iat[i], OTHER_COLOUR)
            parts.append(
                f'<line x1="{x[s[i]]:.1f}" y1="{y[s[i]]:.1f}" x2="{x[b[i]]:.1f}" y2="{y[b[i]]:.1f}" '
                f'stroke="{colour}" stroke-width="{widths[i]:.2f}" stroke-opacity="0.55"/>'
            )
    radius = 2.0 + 7.0 * np.sqrt(np.clip(size, 0.0, 1.0))
    for i, row in enumerate(facilities.itertuples(index=False)):
        colour = SECTOR_COLOURS.get(row.sector, OTHER_COLOUR)
        parts.append(
            f'<circle class="facility" data-id="{escape(row.facility_id)}" cx="{x[i]:.1f}" cy="{y[i]:.1f}" '
            f'r="{radius[i]:.1f}" fill="{colour}" fill-opacity="0.85" stroke="white" stroke-width="0.5">'
            f"<title>{escape(notes.get(row.facility_id, row.facility_id))}</title></circle>"
        )
    legend_x = WIDTH_PX + 5
    parts.append(f'<text x="{legend_x}" y="30" font-size="11" font-weight="bold">sectors</text>')
    for k, (sector, colour) in enumerate(SECTOR_COLOURS.items()):
        yy = 46 + 15 * k
        parts.append(f'<circle cx="{legend_x + 5}" cy="{yy - 4}" r="5" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="{yy}" font-size="10">{sector}</text>')
    top = 46 + 15 * len(SECTOR_COLOURS) + 12
    parts.append(f'<text x="{legend_x}" y="{top}" font-size="11" font-weight="bold">by-products</text>')
    for k, (byproduct, colour) in enumerate(BYPRODUCT_COLOURS.items()):
        yy = top + 16 + 15 * k
        parts.append(
            f'<line x1="{legend_x}" y1="{yy - 4}" x2="{legend_x + 12}" y2="{yy - 4}" stroke="{colour}" stroke-width="3"/>'
        )
        parts.append(f'<text x="{legend_x + 16}" y="{yy}" font-size="10">{byproduct}</text>')
    parts.append(
        f'<text x="{MARGIN_PX}" y="{height - 4:.0f}" font-size="9" fill="#666">'
        f"{escape(data_credit(facilities))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
