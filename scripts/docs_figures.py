"""Regenerate the run-derived tables, console blocks and images of the documentation.

Each job runs one command on the current code (the command IDs of the figures inventory) and
writes what it produces between markers in ``docs/*.md``::

    <!-- generated: NAME (scripts/docs_figures.py) -->
    ...
    <!-- generated: end NAME -->

or copies it into ``docs/img``. The jobs:

* ``R0``: ``symbiosim run --quiet`` (default scenario, seed 42, 10 years): the console block of
  ``docs/getting-started.md`` and ``docs/img/default_{byproducts_over_time,map,synergy}.png``;
* ``CAL``: ``scripts/calibration_report.py`` (seeds 1-5): its header and sections (a)-(g) in
  ``docs/calibration.md``;
* ``CMP-H``, ``CMP-O``, ``CMP-L``: ``symbiosim compare ... --seeds 5``: the condensed tables of
  ``docs/policies.md`` (which rows, labels, units and formats is data: ``COMPARE_TABLES``);
* ``OPT-B``: ``symbiosim optimize --scenario examples/policies/baseline.toml --year 2025``: the
  two planner tables of ``docs/planner.md``;
* ``RVS``: ``symbiosim run --vs-optimal``: the emergent-against-optimal table of ``docs/planner.md``;
* ``OUT``: ``scripts/calibrate_outlets.py --check --markdown``: the outlet calibration's fit in
  ``docs/calibration.md`` (fails if ``catalog/outlets.csv`` is not what the calibration computes);
* ``UNC-R``, ``UNC-C``, ``UNC-O``: ``symbiosim run --posterior 20``, ``compare`` of the baseline and
  a landfill fee ``--posterior 20`` and ``optimize --monte-carlo 20`` on the baseline: the
  uncertainty tables of ``docs/calibration.md`` and ``docs/img/uncertainty.png``;
* ``SOB``: ``symbiosim sweep examples/sweeps/sobol_calibrated.toml`` (512 ten-year runs, about
  11 min on 2 cores): the Sobol table of ``docs/calibration.md`` and
  ``docs/img/sensitivity_calibrated.png``.

The jobs run two at a time. A block whose new text differs from the page only in its volatile
parts (the date and seconds the calibration report prints, the planner's solve times) is left as
it is, and ``--check`` ignores those parts, so a second run changes nothing. The prose around the
blocks quotes some of the same figures; after writing, the script lists those passages (file and
lines) to update by hand.

Usage (from the repository root)::

    .venv/bin/python scripts/docs_figures.py                 # rewrite every block and image
    .venv/bin/python scripts/docs_figures.py --check         # exit 1 if any differs from the docs
    .venv/bin/python scripts/docs_figures.py --only R0 CAL   # these jobs only
"""

import argparse
import difflib
import os
import re
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from symbiosim.environment.scenario import load_scenario  # noqa: E402
from symbiosim.environment.units import T_PER_KT, T_PER_MT  # noqa: E402
from symbiosim.runs.outputs import write_atomic  # noqa: E402

WORKERS = 2
START = "<!-- generated: {name} (scripts/docs_figures.py) -->"
END = "<!-- generated: end {name} -->"
CLI = ("-m", "symbiosim.runs.cli")
BASELINE = "examples/policies/baseline.toml"
POLICIES = "examples/policies/{}.toml"
COMPARE_SEEDS = 5
CNY_PER_BN = 1e9
TCE_PER_MTCE = 1e6
# units a cell template may divide a value by: "{tonnes_used/Mt:.1f}"
SCALES = {"kt": T_PER_KT, "Mt": T_PER_MT, "Mtce": TCE_PER_MTCE, "bn": CNY_PER_BN}
ROUNDING_NOISE = 1e-9  # a value this close to 0 prints as "0", whatever its format
MINUS = "\N{MINUS SIGN}"
SIGNIFICANT = "sig3"  # format: three significant digits below 1,000, whole thousands above (as compare.md)
CELL_REWRITES = {"0 ± 0": "0"}  # mean and sd both 0: the reference scenario against itself
DIFF_LINES = 40  # diff lines shown per changed block


# --- condensed tables as data -----------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """A column of a condensed table.

    Args:
        header: the column's header on the page.
        key: the record of this column (a scenario, a planner scheme; "" for none).
        template: the cell of every row that does not give its own (see :class:`Row`).
    """

    header: str
    key: str = ""
    template: str = ""


@dataclass(frozen=True)
class Row:
    """A row of a condensed table.

    A cell is a template formatted against the record of its row and column: ``{metric:,.0f}``
    is the metric's value, ``{sd(metric):,.0f}`` its standard deviation across seeds,
    ``{metric/Mt:.1f}`` the value divided by a unit of ``SCALES``; a template without fields is
    a constant (the paper's values). The cell of a column is ``cells[header]`` if given, else the
    column's template, else the row's.

    Args:
        label: the first cell.
        template: the cell of every column without a template.
        key: the record of this row ("" for none).
        cells: per column header, this row's cell.
    """

    label: str
    template: str = ""
    key: str = ""
    cells: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    """A condensed table: a label column, then right-aligned columns."""

    label: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


def mean_sd(metric: str) -> str:
    """The cell 'mean ± sd' of a compare metric, in whole units."""
    return f"{{{metric}:,.0f}} ± {{sd({metric}):,.0f}}"


def means(*metrics: str, spec: str = ",.0f") -> str:
    """The cell 'a / b / c' of compare means."""
    return " / ".join(f"{{{metric}:{spec}}}" for metric in metrics)


BASE = Column("baseline", "baseline")
EXCHANGED = Row("exchanged, kt/yr", mean_sd("exchanged_kt_per_yr"))
LANDFILLED = Row("landfilled, kt/yr", mean_sd("landfilled_kt_per_yr"))
PROFIT_3 = Row(
    "profit of steel / power / cement, M CNY/yr",
    means("profit_m_cny_per_yr.steel", "profit_m_cny_per_yr.power", "profit_m_cny_per_yr.cement"),
)
FLOW_LOST = Row("symbiotic flow lost vs baseline, kt, whole run", mean_sd("symbiotic_flow_lost_kt_vs_first"))
COMPARE_TABLES = {
    "CMP-H": Table(
        "metric",
        (
            BASE,
            Column("uniform", "heating_season_uniform"),
            Column("graded (grade A exempt)", "heating_season_graded"),
            Column("symbiosis-aware (top 5 exempt)", "heating_season_symbiosis_aware"),
        ),
        (
            EXCHANGED,
            LANDFILLED,
            Row(
                "utilisation: steel slag / BF slag / fly ash",
                means(
                    "utilisation_rate.steel_slag", "utilisation_rate.bf_slag", "utilisation_rate.fly_ash", spec=".3f"
                ),
            ),
            Row("energy use, Mtce/yr", means("energy_use_mtce_per_yr")),
            Row("CO2, Mt/yr", means("co2_mt_per_yr")),
            Row("SO2 / NOx / PM, kt/yr", means("so2_kt_per_yr", "nox_kt_per_yr", "pm_kt_per_yr", spec=SIGNIFICANT)),
            Row(
                "profit of steel / cement, M CNY/yr",
                means("profit_m_cny_per_yr.steel", "profit_m_cny_per_yr.cement"),
            ),
            Row("VAT rebate, M CNY/yr", mean_sd("vat_rebate_m_cny_per_yr")),
            Row(
                "fiscal cost (subsidies + VAT rebate − EP tax − emission charges), M CNY/yr",
                mean_sd("fiscal_cost_m_cny_per_yr"),
            ),
            Row(
                "contract shortfalls / undelivered kt, whole run",
                means("contract_shortfalls_whole_run", "contract_undelivered_kt_whole_run"),
            ),
            FLOW_LOST,
            Row(
                "symbiotic flow lost vs baseline in the months a limit held, kt",
                mean_sd("symbiotic_flow_lost_kt_during_limits"),
            ),
        ),
    ),
    "CMP-O": Table(
        "metric",
        (
            BASE,
            Column("VAT rebate off", "vat_rebate_off"),
            Column("carbon price 100", "carbon_price_100"),
            Column("platform", "platform"),
            Column("capacity swap", "capacity_swap"),
        ),
        (
            EXCHANGED,
            LANDFILLED,
            Row(
                "utilisation: BF slag / fly ash / FGD gypsum",
                means(
                    "utilisation_rate.bf_slag", "utilisation_rate.fly_ash", "utilisation_rate.fgd_gypsum", spec=".3f"
                ),
            ),
            Row("energy saved by symbiosis, ktce/yr", means("energy_saved_ktce_per_yr")),
            Row("CO2, Mt/yr", means("co2_mt_per_yr")),
            PROFIT_3,
            Row("VAT rebate, M CNY/yr", means("vat_rebate_m_cny_per_yr")),
            Row("fiscal cost, M CNY/yr", mean_sd("fiscal_cost_m_cny_per_yr")),
            FLOW_LOST,
        ),
    ),
    "CMP-L": Table(
        "metric",
        (
            BASE,
            Column("landfill fee +100 CNY/t", "landfill_fee_100"),
            Column("resource-use subsidy", "resource_use_subsidy"),
        ),
        (
            EXCHANGED,
            LANDFILLED,
            Row(
                "utilisation: steel slag / BF slag / fly ash",
                means(
                    "utilisation_rate.steel_slag", "utilisation_rate.bf_slag", "utilisation_rate.fly_ash", spec=".3f"
                ),
            ),
            Row("steam utilisation", means("utilisation_rate.steam", spec=".3f")),
            PROFIT_3,
            Row("profit of landfills, M CNY/yr", means("profit_m_cny_per_yr.landfill")),
            Row("subsidies, M CNY/yr", means("subsidies_m_cny_per_yr")),
            Row("fiscal cost, M CNY/yr", mean_sd("fiscal_cost_m_cny_per_yr")),
        ),
    ),
}

PAPER = "paper: economic / win-win"
PLANNER_TOTALS = Table(
    "",
    (Column("theoretical", "theoretical"), Column("economic", "economic"), Column("win-win", "win_win"), Column(PAPER)),
    (
        Row("tonnes used on symbiosis routes, Mt", "{tonnes_used/Mt:.1f}", cells={PAPER: "114.1 (eight wastes)"}),
        Row("tonnes sold to outlets, Mt", "{outlet_t/Mt:.1f}", cells={PAPER: "—"}),
        Row("paths", "{paths:,.0f}", cells={PAPER: "1,201"}),
        Row(
            "profit, bn CNY/yr (routes + outlets − new capacity + VAT rebate)",
            "{profit_cny/bn:.2f}",
            cells={PAPER: "—"},
        ),
        Row(
            "of which VAT rebate, bn CNY (plants winning it)",
            cells={
                "theoretical": "{vat_rebate_cny/bn:.2f}",
                "economic": "{vat_rebate_cny/bn:.2f} ({vat_plants_qualified:.0f} of {cement_plants:.0f})",
                "win-win": "{vat_rebate_cny/bn:.2f} ({vat_plants_qualified:.0f})",
                PAPER: "—",
            },
        ),
        Row("energy saved, Mtce", "{energy_saved_tce/Mtce:.2f}", cells={PAPER: "4.92 (win-win); 6.08 (theoretical)"}),
        Row(
            "SO2 / NOx / PM avoided, kt",
            "{so2_avoided_t/kt:.1f} / {nox_avoided_t/kt:.1f} / {pm_avoided_t/kt:.1f}",
            cells={PAPER: "19 / 65 / 31 (win-win)"},
        ),
        Row("solve time, s", "{solve_s:.2g}", cells={PAPER: "—"}),
    ),
)
PAPER_RATE = "paper (economic)"
SUPPLY = "supply, Mt"
RATE = "{utilisation_rate:.3f}"
PLANNER_BY_WASTE = Table(
    "waste",
    (
        Column(SUPPLY, "economic", "{supply_t/Mt:.1f}"),
        Column("theoretical", "theoretical", RATE),
        Column("economic", "economic", RATE),
        Column("win-win", "win_win", RATE),
        Column("economic, with outlets", "economic", "{with_outlets_rate:.3f}"),
        Column(PAPER_RATE),
    ),
    (
        Row("BF slag", key="bf_slag", cells={PAPER_RATE: "0.127"}),
        Row("steel slag", key="steel_slag", cells={PAPER_RATE: "0.069"}),
        Row("boiler slag", key="boiler_slag", cells={PAPER_RATE: "0.783"}),
        Row("fly ash", key="fly_ash", cells={PAPER_RATE: "0.632"}),
        Row("FGD gypsum", key="fgd_gypsum", cells={PAPER_RATE: "0.100"}),
        Row("MSW", key="msw", cells={PAPER_RATE: "0.586"}),
        Row("sludge", key="sludge", cells={PAPER_RATE: "0.598"}),
        Row("hazardous waste", key="hazardous_waste", cells={PAPER_RATE: "0.861"}),
        Row("steam", key="steam", cells={SUPPLY: "{supply_t/Mt:.1f} (potential)", PAPER_RATE: "—"}),
        Row(
            "coal-chemical slag",
            key="coal_chem_slag",
            cells={SUPPLY: "{supply_t/Mt:.2f}", PAPER_RATE: "—"}
            | dict.fromkeys(("theoretical", "economic", "win-win"), "{utilisation_rate:.1f}")
            | {"economic, with outlets": "{with_outlets_rate:.1f}"},
        ),
    ),
)
RVS_SCHEME = "economic"
RVS_TABLE = Table(
    "year",
    (
        Column("tonnes used", template="{ratio_tonnes_used:.2f}"),
        Column("route profit", template="{ratio_route_profit_cny:.2f}"),
        Column("energy saved", template="{ratio_energy_saved_tce:.2f}"),
        Column("paths", template="{ratio_paths:.2f}"),
        Column("path overlap (Jaccard)", template="{jaccard_paths:.2f}"),
        Column("outlet tonnes", template="{ratio_outlet_t:.2f}"),
    ),
    tuple(Row(str(year), key=str(year)) for year in (2025, 2026, 2028, 2030, 2034)),
)


# --- formatting -------------------------------------------------------------------------------
def figure(value: float) -> str:
    """Three significant digits below 1,000, whole thousands above.

    >>> figure(90.84), figure(137.2), figure(1234.5)
    ('90.8', '137', '1,234')
    """
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def as_printed(value: float) -> float:
    """The value as ``compare.md`` prints it (:func:`figure`).

    >>> as_printed(92.5238), as_printed(-2356.4), as_printed(0.096612)
    (92.5, -2356.0, 0.0966)
    """
    return float(figure(value).replace(",", ""))


class CellFormatter(string.Formatter):
    """Formats a cell template against a record (``format(template, record)``).

    Fields are record keys, optionally divided by a unit of ``SCALES`` (``{profit_cny/bn:.2f}``).
    A value within ``ROUNDING_NOISE`` of 0 prints as "0" and one that rounds to 0 has no sign;
    negative numbers take a minus sign (U+2212), as the pages do.

    >>> CellFormatter().format("{a/kt:.1f} / {sd(a):,.0f} / {b:.2f}", {"a": -2520.0, "sd(a)": 1234.5, "b": 1e-12})
    '−2.5 / 1,234 / 0'
    """

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[Any, str]:
        """The record's value for ``key`` or ``key/unit``."""
        record = args[0]
        key, _, unit = field_name.partition("/")
        if key not in record:
            raise KeyError(f"no {key!r} in the record (it has {', '.join(sorted(map(str, record))) or 'nothing'})")
        value = record[key]
        return (value / SCALES[unit] if unit else value), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        """The number in ``format_spec`` (or ``sig3``), zero as "0", with a true minus sign."""
        number = float(value)
        if abs(number) < ROUNDING_NOISE:
            return "0"
        text = figure(number) if format_spec == SIGNIFICANT else format(number, format_spec)
        if float(text.replace(",", "")) == 0:
            return text.lstrip("-")
        return text.replace("-", MINUS)


def markdown_row(cells: Sequence[str]) -> str:
    """``| a | b |``, with an empty cell as ``| |``."""
    return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"


def render(table: Table, records: Mapping[tuple[str, str], Mapping[str, Any]]) -> str:
    """The Markdown of ``table``, each cell formatted against ``records[(row key, column key)]``."""
    formatter = CellFormatter()
    lines = [
        markdown_row([table.label, *(column.header for column in table.columns)]),
        "|---|" + "---:|" * len(table.columns),
    ]
    for row in table.rows:
        cells = [row.label]
        for column in table.columns:
            template = row.cells.get(column.header, column.template or row.template)
            try:
                text = formatter.format(template, records.get((row.key, column.key), {}))
            except KeyError as error:
                raise KeyError(f"row {row.label!r}, column {column.header!r}: {error}") from None
            cells.append(CELL_REWRITES.get(text, text))
        lines.append(markdown_row(cells))
    return "\n".join(lines)


# --- running the commands ---------------------------------------------------------------------
def run(args: Sequence[str]) -> str:
    """Run ``python ARGS`` in the repository root on its own package; its standard output."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = os.environ | {"PYTHONPATH": path, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)} exited with {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


@dataclass(frozen=True)
class Output:
    """What a job produced: block texts by name, image bytes by path (relative to the root)."""

    blocks: dict[str, str]
    images: dict[str, bytes] = field(default_factory=dict)


R0_PROMPT = "$ .venv/bin/symbiosim run --quiet"
R0_OUT_SHOWN = "/path/to/symbiosim/results"  # the page shows this folder in "33 files written to ..."
R0_IMAGES = {name: f"docs/img/default_{name}" for name in ("byproducts_over_time.png", "map.png", "synergy.png")}


def build_r0(work: Path) -> Output:
    """The console block of ``symbiosim run --quiet`` and the default run's three figures."""
    out = work / "results"
    printed = run([*CLI, "run", "--quiet", "--out", str(out)]).replace(str(out), R0_OUT_SHOWN)
    lines = [line.rstrip() for line in printed.strip("\n").splitlines()]
    block = "\n".join(["```console", R0_PROMPT, "", *lines, "```"])
    return Output({"R0": block}, {doc: (out / name).read_bytes() for name, doc in R0_IMAGES.items()})


REGIONS = {"REG-CN": "china", "REG-NRW": "north_rhine_westphalia"}
REGIONS_PAGE = "docs/regions.md"


def build_region(job: str, work: Path) -> Output:
    """The console block of a bundled region's 10-year run and its map."""
    name, out = REGIONS[job], work / "results"
    printed = run([*CLI, "run", "--scenario", name, "--quiet", "--out", str(out)]).replace(str(out), R0_OUT_SHOWN)
    lines = [line.rstrip() for line in printed.strip("\n").splitlines()]
    block = "\n".join(["```console", f"$ .venv/bin/symbiosim run --scenario {name} --quiet", "", *lines, "```"])
    return Output({job: block}, {f"docs/img/region_{name}_map.png": (out / "map.png").read_bytes()})


CAL_TITLE = "# Calibration report"  # the report's title: the page has its own
CAL_SECTION = re.compile(r"^## \((?P<letter>[a-z])\)", re.MULTILINE)
CAL_BLOCKS = ("CAL-header", *(f"CAL-{letter}" for letter in "abcdefg"))


def build_cal(work: Path) -> Output:
    """The calibration report (seeds 1-5) cut into its header and sections (a)-(g)."""
    del work  # the report writes nothing but its standard output
    text = run(["scripts/calibration_report.py"])
    starts = [match.start() for match in CAL_SECTION.finditer(text)]
    head = text[: starts[0]] if starts else text
    if not head.startswith(CAL_TITLE):
        raise RuntimeError(f"the calibration report no longer starts with {CAL_TITLE!r}")
    blocks = {"CAL-header": head.split("\n", 1)[1].strip()}
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        section = text[start:end].strip()
        blocks[f"CAL-{CAL_SECTION.match(section)['letter']}"] = section
    if tuple(blocks) != CAL_BLOCKS:
        raise RuntimeError(f"the calibration report's sections are {list(blocks)}, the page has {list(CAL_BLOCKS)}")
    return Output(blocks)


def build_outlets(work: Path) -> Output:
    """The outlet calibration's fit (and a check that ``catalog/outlets.csv`` is what it computes)."""
    del work  # the calibration writes nothing with --check
    return Output({"OUT-fit": run(["scripts/calibrate_outlets.py", "--check", "--markdown"]).strip()})


COMPARE_SCENARIOS = {
    "CMP-H": ("heating_season_uniform", "heating_season_graded", "heating_season_symbiosis_aware"),
    "CMP-O": ("vat_rebate_off", "carbon_price_100", "platform", "capacity_swap"),
    "CMP-L": ("landfill_fee_100", "resource_use_subsidy"),
}


def compare_args(name: str) -> list[str]:
    """The ``symbiosim compare`` arguments of job ``name`` (the baseline first)."""
    return [BASELINE, *(POLICIES.format(policy) for policy in COMPARE_SCENARIOS[name]), "--seeds", str(COMPARE_SEEDS)]


def build_compare(name: str, work: Path) -> Output:
    """The condensed table of a comparison, from its mean and sd across seeds (``compare.csv``)."""
    out = work / "compare"
    run([*CLI, "compare", *compare_args(name), "--quiet", "--out", str(out)])
    # the page's tables were condensed from compare.md, so round from its figures (92.52 -> 92.5 -> 92)
    table = pd.read_csv(out / "compare.csv", header=[0, 1], index_col=0).map(as_printed)
    records = {}
    for scenario in table.columns.get_level_values(0).unique():
        stats = table[scenario]
        records[("", scenario)] = dict(stats["mean"]) | {f"sd({metric})": sd for metric, sd in stats["sd"].items()}
    return Output({name: render(COMPARE_TABLES[name], records)})


def build_planner(work: Path) -> Output:
    """The planner's totals and utilisation by waste for 2025 on the baseline."""
    out = work / "optimum"
    run([*CLI, "optimize", "--scenario", BASELINE, "--year", "2025", "--out", str(out)])
    facilities = load_scenario(ROOT / BASELINE).table("facilities")
    cement_plants = int((facilities["sector"] == "cement").sum())
    totals = pd.read_csv(out / "planner_totals.csv")
    records = {("", row["scheme"]): dict(row) | {"cement_plants": cement_plants} for _, row in totals.iterrows()}
    by_waste = pd.read_csv(out / "planner_by_waste.csv")
    by_waste["with_outlets_rate"] = (by_waste["used_t"] + by_waste["outlet_t"]) / by_waste["supply_t"]
    waste_records = {(row["byproduct"], row["scheme"]): dict(row) for _, row in by_waste.iterrows()}
    return Output(
        {"OPT-B-totals": render(PLANNER_TOTALS, records), "OPT-B-by-waste": render(PLANNER_BY_WASTE, waste_records)}
    )


def build_rvs(work: Path) -> Output:
    """The run's ratios to the economic optimum, year by year."""
    out = work / "results_vs"
    run([*CLI, "run", "--vs-optimal", "--quiet", "--out", str(out)])
    frame = pd.read_csv(out / "emergent_vs_optimal.csv")
    frame = frame[frame["scheme"] == RVS_SCHEME]
    return Output({"RVS": render(RVS_TABLE, {(str(row["year"]), ""): dict(row) for _, row in frame.iterrows()})})


UNC_DRAWS = 20
UNC_METRICS = {  # metric of uncertainty.csv / compare_paired.csv: (label, unit, scale)
    "exchanged_kt_per_yr": ("exchanged on symbiosis routes", "Mt/yr", 1e-3),
    "outlet_kt_per_yr": ("sold to outlets", "Mt/yr", 1e-3),
    "landfilled_kt_per_yr": ("landfilled", "Mt/yr", 1e-3),
    "solid_utilisation_rate": ("utilisation of solid by-products", "share", 1.0),
    "energy_saved_ktce_per_yr": ("energy saved by symbiosis", "Mtce/yr", 1e-3),
    "co2_avoided_mt_per_yr": ("CO2 avoided by symbiosis", "Mt/yr", 1.0),
    "fiscal_cost_m_cny_per_yr": ("fiscal cost (negative: net revenue)", "M CNY/yr", 1.0),
}
SOBOL_SPEC = "examples/sweeps/sobol_calibrated.toml"


def _uncertainty_table(frame: pd.DataFrame, columns: dict[str, str]) -> str:
    """Rows of UNC_METRICS; ``columns`` maps a heading to ``central`` or a template over the row's fields."""
    lines = ["| quantity | unit | " + " | ".join(columns) + " |", "|---|---|" + "---:|" * len(columns)]
    for metric, (label, unit, scale) in UNC_METRICS.items():
        if metric not in frame.index:
            continue
        row = frame.loc[metric]
        cells = [template.format(**{k: figure(v * scale) for k, v in row.items() if isinstance(v, float)})
                 for template in columns.values()]  # fmt: skip
        lines.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def build_unc_run(work: Path) -> Output:
    """The default run's intervals over draws of the posterior, the catalog's ranges and seeds."""
    out = work / "drawn"
    run([*CLI, "run", "--posterior", str(UNC_DRAWS), "--quiet", "--out", str(out)])
    table = pd.read_csv(out / "uncertainty.csv").set_index("metric")
    block = _uncertainty_table(table, {"central run": "{central}", "median of the draws": "{p50}",
                                       "5-95 % of the draws": "{p05} to {p95}"})  # fmt: skip
    return Output({"UNC-R": block}, {"docs/img/uncertainty.png": (out / "uncertainty.png").read_bytes()})


def build_unc_compare(work: Path) -> Output:
    """A landfill fee's effect (paired, same draws) against the baseline, over draws."""
    out = work / "compare_drawn"
    run([*CLI, "compare", BASELINE, POLICIES.format("landfill_fee_100"), "--posterior", str(UNC_DRAWS), "--quiet",
         "--out", str(out)])  # fmt: skip
    paired = pd.read_csv(out / "compare_paired.csv").set_index("metric")
    return Output({"UNC-C": _uncertainty_table(paired, {"mean difference": "{mean_difference}",
                                                        "5-95 % of the draws": "{p05_difference} to {p95_difference}",
                                                        "95 % CI of the mean": "{ci_low} to {ci_high}"})})  # fmt: skip


def build_unc_optimize(work: Path) -> Output:
    """The planner's totals and path activation over draws of the catalog's ranges (baseline, 2025)."""
    out = work / "optimum_drawn"
    run([*CLI, "optimize", "--scenario", BASELINE, "--year", "2025", "--monte-carlo", str(UNC_DRAWS), "--quiet",
         "--out", str(out)])  # fmt: skip
    totals = pd.read_csv(out / "planner_mc_totals.csv")
    paths = pd.read_csv(out / "planner_mc_paths.csv")
    shown = {"tonnes_used": ("used on symbiosis routes", "Mt", 1e-6), "outlet_t": ("sold to outlets", "Mt", 1e-6),
             "profit_cny": ("profit", "bn CNY", 1e-9), "energy_saved_tce": ("energy saved", "Mtce", 1e-6),
             "paths": ("paths used", "count", 1.0)}  # fmt: skip
    lines = ["| scheme | quantity | unit | central | p10 | p50 | p90 |", "|---|---|---|---:|---:|---:|---:|"]
    for row in totals.itertuples():
        if row.quantity in shown:
            label, unit, scale = shown[row.quantity]
            cells = [figure(getattr(row, k) * scale) for k in ("central", "p10", "p50", "p90")]
            lines.append(f"| {row.scheme} | {label} | {unit} | " + " | ".join(cells) + " |")
    lines += ["", "| scheme | paths used in some draw | in every draw | in fewer than half | tonnes on paths used "
              "in every draw (share of the mean) |", "|---|---:|---:|---:|---:|"]  # fmt: skip
    for scheme, part in paths.groupby("scheme", sort=False):
        always = part["activation_probability"] == 1.0
        share = part.loc[always, "mean_t"].sum() / part["mean_t"].sum()
        lines.append(f"| {scheme} | {len(part)} | {int(always.sum())} | "
                     f"{int((part['activation_probability'] < 0.5).sum())} | {share:.0%} |")  # fmt: skip
    return Output({"UNC-O": "\n".join(lines)})


def build_sobol(work: Path) -> Output:
    """Sobol indices of the calibrated model (examples/sweeps/sobol_calibrated.toml)."""
    out = work / "sobol"
    run([*CLI, "sweep", SOBOL_SPEC, "--workers", "2", "--quiet", "--out", str(out)])
    table = pd.read_csv(out / "sensitivity.csv")
    outputs = list(dict.fromkeys(table["output"]))
    lines = ["| parameter | " + " | ".join(f"{o}: ST ± 95 % (S1)" for o in outputs) + " |",
             "|---|" + "---:|" * len(outputs)]  # fmt: skip
    for parameter, part in table.groupby("parameter", sort=False):
        by = part.set_index("output")
        cells = [f"{by.at[o, 'ST']:.2f} ± {by.at[o, 'ST_conf']:.2f} ({by.at[o, 'S1']:.2f})"
                 if o in by.index and pd.notna(by.at[o, "ST"]) else "–" for o in outputs]  # fmt: skip
        lines.append(f"| `{parameter}` | " + " | ".join(cells) + " |")
    return Output({"SOB": "\n".join(lines)}, {"docs/img/sensitivity_calibrated.png": (out / "sensitivity.png").read_bytes()})


# --- the jobs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Passage:
    """Prose that quotes a job's figures: the line containing ``anchor``, its paragraph or its section."""

    path: str
    anchor: str
    scope: Literal["line", "paragraph", "section"]
    figures: str


@dataclass(frozen=True)
class Job:
    """One command of the inventory and where its results go.

    Args:
        name: the command ID.
        command: the command as the docs give it.
        build: runs it in a scratch folder and returns the blocks and images.
        blocks: the block names, by page.
        volatile: regular expressions of text that differs from run to run (dates, timings);
            a block that differs only there is left as it is.
        prose: passages that quote the same figures, to update by hand.
    """

    name: str
    command: str
    build: Callable[[Path], Output]
    blocks: Mapping[str, tuple[str, ...]]
    volatile: tuple[str, ...] = ()
    prose: tuple[Passage, ...] = ()


GS, CALIB, POL, PLAN = "docs/getting-started.md", "docs/calibration.md", "docs/policies.md", "docs/planner.md"


def compare_job(name: str, prose: tuple[Passage, ...]) -> Job:
    """The job of a comparison of ``docs/policies.md`` (its block has the job's name)."""
    return Job(
        name,
        "symbiosim compare " + " ".join(compare_args(name)),
        lambda work: build_compare(name, work),
        {POL: (name,)},
        prose=prose,
    )


def region_job(job: str) -> Job:
    """The job of a bundled region's run in ``docs/regions.md`` (its block has the job's name)."""
    name = REGIONS[job]
    prose = (Passage(REGIONS_PAGE, f"**First results ({name})", "paragraph", "the run's first results"),)
    return Job(job, f"symbiosim run --scenario {name} --quiet", lambda work: build_region(job, work),
               {REGIONS_PAGE: (job,)}, prose=prose)  # fmt: skip


JOBS = {
    job.name: job
    for job in (  # the longest first, so that two workers finish together
        Job(
            "SOB",
            f"symbiosim sweep {SOBOL_SPEC} --workers 2",
            build_sobol,
            {CALIB: ("SOB",)},
            prose=(Passage(CALIB, "## Sensitivity of the calibrated model", "section", "which parameters matter"),),
        ),
        Job(
            "UNC-O",
            f"symbiosim optimize --scenario {BASELINE} --year 2025 --monte-carlo {UNC_DRAWS}",
            build_unc_optimize,
            {CALIB: ("UNC-O",)},
            volatile=(),
            prose=(Passage(CALIB, "**The planner over draws", "paragraph", "paths and totals over the draws"),),
        ),
        Job(
            "UNC-R",
            f"symbiosim run --posterior {UNC_DRAWS} --quiet",
            build_unc_run,
            {CALIB: ("UNC-R",)},
            prose=(Passage(CALIB, "**The default run over draws", "paragraph", "central run against the draws"),),
        ),
        Job(
            "UNC-C",
            f"symbiosim compare {BASELINE} {POLICIES.format('landfill_fee_100')} --posterior {UNC_DRAWS}",
            build_unc_compare,
            {CALIB: ("UNC-C",)},
            prose=(Passage(CALIB, "**A lever's effect over draws", "paragraph", "the fee's effect and its spread"),),
        ),
        *(region_job(job) for job in REGIONS),
        compare_job(
            "CMP-O",
            (
                Passage(
                    POL,
                    "The VAT rebate is worth about",
                    "paragraph",
                    "the rebate's worth; kilns qualifying and the T4 prices under VAT and carbon (ad hoc: seed-1 runs); "
                    "the carbon charge",
                ),
                Passage(
                    POL,
                    "A kiln bids the VAT-threshold premium",
                    "paragraph",
                    "the mechanism only (no figures)",
                ),
                Passage(
                    POL,
                    "The platform raises exchanges by",
                    "paragraph",
                    "the platform's effect and its interval; known links with and without it (seed 1); the capacity "
                    "swap (seed 1)",
                ),
            ),
        ),
        compare_job(
            "CMP-H",
            (
                Passage(POL, "--seeds 5` (10 years; last 12 months unless marked", "paragraph", "the date printed"),
                Passage(
                    POL,
                    "What it shows, and why: the limit cuts",
                    "paragraph",
                    "'about half as much'; 'halves the contracts left short'; flow lost within the spread",
                ),
            ),
        ),
        compare_job(
            "CMP-L",
            (
                Passage(
                    POL,
                    "Both move tonnes as well as money",
                    "paragraph",
                    "the fee's and the subsidy's effects with their intervals; the sludge share; the transfers",
                ),
            ),
        ),
        Job(
            "RVS",
            "symbiosim run --vs-optimal --quiet",
            build_rvs,
            {PLAN: ("RVS",)},
            prose=(
                Passage(PLAN, "bundled default (seed", "paragraph", "the date printed"),
                Passage(
                    PLAN,
                    "The market reaches",
                    "paragraph",
                    "the share of the planner's tonnes in the first and last year, paths, path overlap, outlet tonnes",
                ),
            ),
        ),
        Job(
            "R0",
            "symbiosim run --quiet",
            build_r0,
            {GS: ("R0",)},
            prose=(
                Passage(GS, "The default run simulates 120 months", "paragraph", "'about 15 s' (timing)"),
                Passage(
                    GS,
                    "Read it row by row",
                    "paragraph",
                    "the steel-slag row (generated, exchanged, outlets, landfilled, stock, hauls); each by-product's use",
                ),
                Passage(
                    GS,
                    "Exchanges start from the technologies installed",
                    "paragraph",
                    "MSW reaches its 80 % use within the first year (read off the figure)",
                ),
                Passage(GS, "Each marker is a facility", "paragraph", "the clusters on the map (qualitative)"),
                Passage(GS, "The top panel shows how ordered", "paragraph", "the synergy curves (qualitative)"),
                Passage(
                    "docs/metrics.md",
                    "attributionally, but",
                    "paragraph",
                    "attributional against consequential energy and CO2 savings, and their split by by-product",
                ),
                Passage(
                    "docs/metrics.md",
                    "### Worked example: the default scenario",
                    "section",
                    "the worked example's tables and figures (synergy, government, value flow, network; not "
                    "generated by this script)",
                ),
                Passage("docs/tutorial.md", "key symbiosis nodes of the", "paragraph", "the key nodes in the city (R0)"),
            ),
        ),
        Job(
            "CAL",
            "python scripts/calibration_report.py",
            build_cal,
            {CALIB: CAL_BLOCKS},
            volatile=(r"\d{4}-\d{2}-\d{2}", r"\d+ s\)"),
            prose=(
                Passage(CALIB, "calibration_report.py            # seeds 1..5, about", "line", "'about 10 s' (timing)"),
                Passage(CALIB, "The tables below were printed on", "paragraph", "the date and commit"),
                Passage(
                    CALIB,
                    "### Why the utilisation rates agree or differ",
                    "section",
                    "rates, T1–T9 tonnes, ceilings (from CAL); plants, investments, room, installed capacity "
                    "(ad hoc state measurements, CAL-X)",
                ),
                Passage(
                    CALIB, "### National comparison (MEE 2019", "section", "fly ash and ferrous slag against MEE 2018"
                ),
                Passage(
                    CALIB,
                    "### Why the route tonnages look like this",
                    "section",
                    "cap shares, raw-meal shares, route count (CAL); installed capacity (CAL-X)",
                ),
                Passage(CALIB, "### Why the distances agree or differ", "section", "radii and break-even distances"),
                Passage(
                    CALIB,
                    "### Why the Spearman correlation agrees",
                    "section",
                    "the Spearman value; append it to the history of successive versions",
                ),
                Passage(CALIB, "### Why the key cities agree or differ", "section", "city shares"),
                Passage(CALIB, "### Why the energy and emission figures differ", "section", "energy and emissions"),
                Passage(CALIB, "### Why generation agrees or differs", "section", "generation ratios (inputs)"),
                Passage(CALIB, "### Latest round", "section", "add a round for the change (before = the old tables)"),
                Passage(CALIB, "### Open: behaviour that still looks implausible", "section", "open item A (CAL-X)"),
                Passage(
                    CALIB,
                    "### Open: documented modelling choices",
                    "section",
                    "items B (ad hoc fee check), C and D (CAL, CAL-X)",
                ),
                Passage(CALIB, "| storage (`byproducts.csv`", "line", "stock and storage cost (CAL-X)"),
            ),
        ),
        Job(
            "OUT",
            "python scripts/calibrate_outlets.py --check --markdown",
            build_outlets,
            {CALIB: ("OUT-fit",)},
            prose=(Passage(CALIB, "## Outlets", "section", "the fit's rates, demand and prices"),),
        ),
        Job(
            "OPT-B",
            f"symbiosim optimize --scenario {BASELINE} --year 2025",
            build_planner,
            {PLAN: ("OPT-B-totals", "OPT-B-by-waste")},
            volatile=(r"(?m)^\| solve time, s \|.*$",),
            prose=(
                Passage(PLAN, "rebate in force; seed 42; printed on", "line", "the date printed"),
                Passage(
                    PLAN,
                    "- **Less is used, mainly because the kilns take less.**",
                    "paragraph",
                    "route use against the paper, MSW and sludge margins (ad hoc from the margins), the VAT rebate "
                    "against route profit, and the bundled default's optimum (OPT-D: symbiosim optimize --year 2025, "
                    "not run here)",
                ),
            ),
        ),
    )
}


def run_job(name: str, work: str) -> tuple[Output, float]:
    """Run job ``name`` in the folder ``work``; its output and wall time, s."""
    start = time.perf_counter()
    output = JOBS[name].build(Path(work))
    return output, time.perf_counter() - start


# --- the pages --------------------------------------------------------------------------------
def block_pattern(name: str) -> re.Pattern[str]:
    """The markers of block ``name`` and what lies between them."""
    return re.compile(
        re.escape(START.format(name=name)) + r"\n(?P<body>.*?)\n" + re.escape(END.format(name=name)), re.DOTALL
    )


def read_block(text: str, name: str) -> str | None:
    """The text of block ``name`` (stripped), or None if the page has no such markers."""
    match = block_pattern(name).search(text)
    return match["body"].strip() if match else None


def write_block(text: str, name: str, body: str) -> str:
    """``text`` with block ``name`` replaced by ``body`` (a blank line on either side)."""
    replacement = f"{START.format(name=name)}\n\n{body}\n\n{END.format(name=name)}"
    return block_pattern(name).sub(lambda _: replacement, text, count=1)


def normalised(text: str, volatile: Sequence[str]) -> str:
    """``text`` with its volatile parts blanked."""
    for pattern in volatile:
        text = re.sub(pattern, "…", text)
    return text


def passage_lines(passage: Passage) -> str:
    """``path:first-last`` of a passage in the page as it is now."""
    lines = (ROOT / passage.path).read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if passage.anchor in line), None)
    if start is None:
        return f"{passage.path}: passage starting {passage.anchor!r} not found"
    end = start
    if passage.scope == "paragraph":
        while start > 0 and lines[start - 1].strip():
            start -= 1
        while end + 1 < len(lines) and lines[end + 1].strip():
            end += 1
    elif passage.scope == "section":
        fenced = False
        while end + 1 < len(lines) and (fenced or not lines[end + 1].startswith("#")):
            end += 1
            fenced ^= lines[end].startswith("```")
        while not lines[end].strip():
            end -= 1
    return f"{passage.path}:{start + 1}" + (f"-{end + 1}" if end > start else "")


def show_diff(old: str, new: str) -> None:
    """Print the first lines of a unified diff."""
    diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), "docs", "now", n=0, lineterm=""))[2:]
    for line in diff[:DIFF_LINES]:
        print(f"      {line}")
    if len(diff) > DIFF_LINES:
        print(f"      ... {len(diff) - DIFF_LINES} more diff lines")


def missing_markers(names: Sequence[str]) -> list[str]:
    """The blocks of jobs ``names`` whose markers are not in their page."""
    missing = []
    for name in names:
        for path, blocks in JOBS[name].blocks.items():
            text = (ROOT / path).read_text(encoding="utf-8")
            missing += [f"{path}: {block}" for block in blocks if read_block(text, block) is None]
    return missing


def apply(outputs: Mapping[str, Output], check: bool) -> list[tuple[str, str]]:
    """Compare (and unless ``check``, write) the blocks and images; what differs: (job, 'path: what')."""
    changed: list[tuple[str, str]] = []
    pages: dict[str, str] = {}
    for name, output in outputs.items():
        job = JOBS[name]
        for path, blocks in job.blocks.items():
            text = pages.setdefault(path, (ROOT / path).read_text(encoding="utf-8"))
            for block in blocks:
                old, new = read_block(text, block), output.blocks[block]
                if old is not None and normalised(old, job.volatile) == normalised(new, job.volatile):
                    continue
                changed.append((name, f"{path}: {block}"))
                print(f"  {path}: {block} ({name})")
                show_diff(old or "", new)
                text = write_block(text, block, new)
            pages[path] = text
        for path, data in output.images.items():
            if not (ROOT / path).is_file() or (ROOT / path).read_bytes() != data:
                changed.append((name, path))
                print(f"  {path} ({name})")
                if not check:
                    write_atomic(ROOT / path, lambda tmp, data=data: tmp.write_bytes(data))
    if not check:
        for path, text in pages.items():
            if text != (ROOT / path).read_text(encoding="utf-8"):
                write_atomic(ROOT / path, lambda tmp, text=text: tmp.write_text(text, encoding="utf-8"))
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Run the jobs and check or rewrite the docs; 0 if all is well, 1 if ``--check`` found a difference."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="jobs (--only NAME):\n" + "\n".join(f"  {job.name:<6} {job.command}" for job in JOBS.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block or image differs")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=list(JOBS), help="run these jobs only")
    args = parser.parse_args(argv)
    names = [name for name in JOBS if not args.only or name in args.only]
    if missing := missing_markers(names):
        print("markers missing (add them around the existing block):\n  " + "\n  ".join(missing), file=sys.stderr)
        return 2
    print(f"{len(names)} job(s), {WORKERS} at a time: {', '.join(names)}", flush=True)
    start = time.perf_counter()
    outputs, failed = {}, []
    with tempfile.TemporaryDirectory(prefix="docs_figures_") as scratch, ProcessPoolExecutor(WORKERS) as pool:
        futures = {}
        for name in names:
            (Path(scratch) / name).mkdir()
            futures[pool.submit(run_job, name, str(Path(scratch) / name))] = name
        for future in as_completed(futures):
            name = futures[future]
            try:
                outputs[name], seconds = future.result()
            except Exception as error:  # report every failed job, write the others
                failed.append(name)
                print(f"{name}: FAILED\n{error}", file=sys.stderr, flush=True)
                continue
            print(f"{name}: done in {seconds:.0f} s ({JOBS[name].command})", flush=True)
    outputs = {name: outputs[name] for name in names if name in outputs}
    print(f"all jobs done in {time.perf_counter() - start:.0f} s; " + ("checking:" if args.check else "writing:"))
    changed = apply(outputs, args.check)
    if not changed:
        print("  no block or image differs from the docs")
    if args.check:
        if changed:
            print(f"{len(changed)} block(s) or image(s) differ from what the code produces; "
                  "run scripts/docs_figures.py to rewrite them")  # fmt: skip
        return 2 if failed else int(bool(changed))
    touched = {name for name, _ in changed}
    print("\nProse that quotes these figures, to update by hand (* = a block or image of the job changed):")
    for name in outputs:
        print(f"{'*' if name in touched else ' '} {name} ({JOBS[name].command})")
        for passage in JOBS[name].prose:
            print(f"    {passage_lines(passage)}: {passage.figures}")
    return 2 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
