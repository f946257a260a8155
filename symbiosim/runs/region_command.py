"""``symbiosim region``: list what the bundled trackers hold, or build a region's scenario folder."""

import argparse
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from symbiosim.environment.gem import TRACKERS, RegionError, Selection, country_codes, plants_of
from symbiosim.environment.parameters import parse_start
from symbiosim.environment.region import region_tables, write_region
from symbiosim.environment.scenario import load_scenario
from symbiosim.runs.outputs import attribution_markdown

__all__ = ["plant_counts", "region_command"]

SECTOR_OF = {"steel": "steel", "coal": "power", "cement": "cement", "bioenergy": "incineration", "chemicals": "chemical"}


def plant_counts(country: list[str] | None = None) -> pd.DataFrame:
    """Operating plants per tracker, by country (or by province of the given countries)."""
    frames = []
    for tracker in TRACKERS:
        frame = plants_of(tracker)[["country", "province"]].assign(tracker=SECTOR_OF[tracker])
        frames.append(frame)
    plants = pd.concat(frames, ignore_index=True)
    if country:
        codes = country_codes()
        wanted = {c.lower() for c in country}
        plants = plants[plants["country"].str.lower().isin(wanted) | plants["country"].map(codes).str.lower().isin(wanted)]
        if plants.empty:
            raise RegionError(f"no plant of the trackers lies in {', '.join(country)} (see symbiosim region --list)")
        plants = plants.assign(country=plants["country"] + "/" + plants["province"].replace("", "(none)"))
    table = plants.pivot_table(index="country", columns="tracker", aggfunc="size", fill_value=0)
    table = table.reindex(columns=list(SECTOR_OF.values()), fill_value=0)
    table["total"] = table.sum(axis=1)
    return table.sort_values("total", ascending=False)


def region_command(args: argparse.Namespace, command: str, echo: Callable[[str], object]) -> int:
    """List the trackers' countries or provinces (``--list``), or build and check a region's scenario folder.

    ``command`` is the command line (written into scenario.toml); ``echo`` shows a line to the user.

    Raises:
        RegionError: an unknown name or an empty region.
        ValueError: a bad option, or an output folder that is not empty.
    """
    if args.list:
        table = plant_counts(args.country)
        echo(f"operating plants in the bundled GEM trackers, by {'province or state' if args.country else 'country'}:")
        echo(table.to_string())
        return 0
    if not (args.country or args.province or args.bbox):
        raise ValueError("name a region: --country, --province or --bbox (see --list)")
    if args.bbox is not None:
        west, south, east, north = args.bbox
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south < north <= 90):
            raise ValueError("--bbox WEST SOUTH EAST NORTH: longitudes in -180..180, latitudes in -90..90, SOUTH < NORTH")
    _, problems = parse_start(args.start, "--start")
    if problems:
        raise ValueError(f"--start {args.start}: {problems[0].rule.split(': ', 1)[-1]}")
    if args.min_population < 1:
        raise ValueError("--min-population must be at least 1")
    out: Path = args.out
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"--out {out} exists and is not an empty folder: choose another or remove it")
    selection = Selection(tuple(args.country), tuple(args.province), tuple(args.bbox) if args.bbox else None)
    region = region_tables(selection, args.min_population)
    name = args.name or selection.describe()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        toml = write_region(region, staging, name, command, start=args.start, years=args.years)
        (staging / "ATTRIBUTION.md").write_text(attribution_markdown(region.facilities, name), encoding="utf-8")
        scenario = load_scenario(toml)  # a region that does not validate is not written
        if out.exists():
            out.rmdir()
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    counts = region.facilities.groupby("sector").size()
    echo(f"{name}: {len(scenario.tables['facilities']):,} facilities ("
          + ", ".join(f"{sector} {n:,}" for sector, n in counts.items()) + f"), {len(region.outlets)} outlets; "
          f"money in {region.money['currency']} of {int(region.money['price_year'])}")  # fmt: skip
    for note in region.notes:
        echo(f"  note: {note}")
    echo(f"written to {out.resolve()}: scenario.toml, facilities.csv, capacities.csv, outlets.csv, REVIEW.md, ATTRIBUTION.md")
    echo(f"review the defaults in {out / 'REVIEW.md'}, then: symbiosim run --scenario {out / 'scenario.toml'}")
    return 0
