"""The ``symbiosim`` command line: its commands, options and help texts."""

import argparse
from pathlib import Path

from symbiosim.metrics.planner import SCHEMES
from symbiosim.runs.draws import SOURCES
from symbiosim.runs.single import DEFAULT_SEED
from symbiosim.runs.sweep import ENGINES

__all__ = ["DEFAULT_APP_PORT", "parser"]

DEFAULT_APP_PORT = 8765


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``symbiosim`` and its commands."""
    parser = argparse.ArgumentParser(
        prog="symbiosim",
        description="Agent-based simulation of industrial symbiosis among energy-intensive industries.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="run a scenario and write results",
        description="Run a scenario (default: the bundled Beijing-Tianjin-Hebei scenario) month by month and "
        "write tidy time series (CSV, Parquet), the flows table, each facility's monthly ledger, the exchange "
        "network (GraphML, GeoJSON), a summary table, metric tables (ledgers by sector, city and region, "
        "government ledger, network metrics, synergy degree and coupling coordination, value flow) and PNG plots "
        "into the output folder.",
    )
    run.add_argument("--scenario", type=Path, default=None,
                     help="scenario TOML file, or a bundled region: china, north_rhine_westphalia (default: bundled JJJ)")  # fmt: skip
    run.add_argument("--years", type=int, default=None, help="horizon in years (default: the scenario's, 10)")
    run.add_argument("--rng", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    run.add_argument("--out", type=Path, default=Path("results"), help="output folder (default ./results)")
    run.add_argument(
        "--value-flow",
        nargs="+",
        default=[],
        metavar="FACILITY_ID",
        help="also evaluate these enterprises in value_flow.csv (the 10 key symbiosis nodes always are)",
    )
    run.add_argument(
        "--vs-optimal",
        action="store_true",
        help="each year, compare the emergent network with the planner's optimum of the same year "
        "(emergent_vs_optimal.csv and .png; solves three schemes a year, a few seconds each)",
    )
    run.add_argument(
        "--checkpoint-every",
        type=int,
        default=None,
        metavar="N",
        help="save the model's state to OUT/checkpoint every N months (removed when the run completes)",
    )
    run.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="DIR",
        help="continue the interrupted run whose output folder is DIR (its checkpoint gives scenario, years, seed)",
    )
    run.add_argument(
        "--from-outputs",
        type=Path,
        default=None,
        metavar="DIR",
        help="run again what wrote DIR (scenario, checked by its digest; seed; horizon; options) into --out",
    )
    uncertainty_arguments(run, "after the run itself (the central run), run N draws")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    compare = commands.add_parser(
        "compare",
        help="run scenarios with the same seeds and compare them",
        description="Run each scenario with the same seeds and write a side-by-side table (mean and standard "
        "deviation across seeds) of tonnes exchanged and landfilled, utilisation by waste, energy use and "
        "savings, CO2/SO2/NOx/PM, profit by sector, fiscal cost and symbiotic flow lost, plus a PNG of the "
        "monthly series with one line per scenario. The first scenario is the reference.",
    )
    compare.add_argument("scenarios", nargs="+",
                         help="scenario TOML files, 'default' for the bundled JJJ scenario, or a bundled region (china, ...)")  # fmt: skip
    compare.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    compare.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    compare.add_argument("--years", type=int, default=None, help="horizon in years (default: each scenario's)")
    compare.add_argument("--out", type=Path, default=Path("comparison"), help="output folder (default ./comparison)")
    uncertainty_arguments(compare, "instead of --seeds, run every scenario with the same N draws")
    compare.add_argument("--quiet", action="store_true", help="no progress bar")
    optimize = commands.add_parser(
        "optimize",
        help="the planner's optimal symbiosis network for a year of a scenario",
        description="Solve the planner's schemes for one calendar year of a scenario with HiGHS: theoretical "
        "(most tonnes used within supply and technology caps), economic (most profit, with the VAT-rebate "
        "threshold as a binary per plant when the scenario has the rebate) and win-win (the economic optimum on "
        "routes that save energy and CO2). Writes the paths, tonnes and utilisation by waste, totals (profit, "
        "energy saved, emissions avoided, solve time, MIP gap, problem size), a map of the paths and a bar chart.",
    )
    optimize.add_argument("--scenario", type=Path, default=None,
                          help="scenario TOML file or bundled region name (default: bundled JJJ)")  # fmt: skip
    optimize.add_argument("--year", type=int, default=None, help="calendar year (default: the scenario's first)")
    optimize.add_argument("--month", type=int, default=None, help="1-12: a one-month snapshot (default: the year)")
    optimize.add_argument(
        "--scheme", nargs="+", choices=SCHEMES, default=list(SCHEMES), help="schemes to solve (default: all three)"
    )
    optimize.add_argument("--rng", type=int, default=DEFAULT_SEED, help="seed of the model the snapshot is taken from (the snapshot has no randomness: the installed base is sized to use)")
    optimize.add_argument("--out", type=Path, default=Path("optimum"), help="output folder (default ./optimum)")
    optimize.add_argument("--monte-carlo", type=int, default=None, metavar="N",
                          help="also solve N draws of the catalog's documented ranges (prices, costs, coefficients) and "
                          "write each path's activation probability and p10/p50/p90 tonnes (planner_mc_*.csv)")  # fmt: skip
    optimize.add_argument("--ranges", type=Path, default=None, metavar="FILE",
                          help="ranges table for --monte-carlo (default: the bundled calibration/ranges.csv)")
    optimize.add_argument("--quiet", action="store_true", help="no progress bar (--monte-carlo)")
    validate = commands.add_parser(
        "validate",
        help="check a scenario file without running it",
        description="Load and validate a scenario (TOML and the CSV tables it names) and print every problem, "
        "each with its file, row or key, column and rule; or one line with the counts of facilities, by-products, "
        "technologies (those the facilities use, of the catalog's) and policies when it is valid. Exit code 0 when valid, 2 otherwise.",
    )
    validate.add_argument("scenario", type=Path, nargs="?", default=None,
                          help="scenario TOML or bundled region name (default: bundled JJJ)")  # fmt: skip
    sweep = commands.add_parser(
        "sweep",
        help="run a parameter design x seeds (grid, Latin hypercube or Sobol), locally or on Ray",
        description="Run every point of a sweep spec (TOML: base scenario, horizon, seeds, design, and the model "
        "parameters or policy controls to vary) with every seed, in parallel processes (default), serially or "
        "on Ray. Results go to a Parquet dataset in the output folder (annual/ one row per run and year, "
        "monthly/ the series), written as runs finish; re-running the same spec resumes, skipping finished runs; "
        "failed runs are listed in failures/. Then writes sensitivity.csv and .png (Sobol indices for a Sobol "
        "design, Spearman rank correlations otherwise).",
    )
    engine_arguments(sweep, "sweep")
    calibrate = commands.add_parser(
        "calibrate",
        help="fit model parameters to observed patterns (ABC-SMC), resumable, locally or on Ray",
        description="Calibrate the parameters of a calibration spec (TOML: base scenario, priors, targets to fit) "
        "against observed patterns (utilisation, haul distances, ...: the bundled calibration/targets.csv or your "
        "own) by approximate Bayesian computation (ABC-SMC, pyabc), in parallel processes (default), serially or "
        "on Ray. Writes the posterior (posterior.csv, posterior_summary.csv, marginals.png), the fit of every "
        "target, held-out ones included, from posterior predictive runs (fit.csv, fit.png), the record "
        "(calibration.json) and calibrated.toml, a scenario with the posterior medians that run and compare "
        "accept. Re-running the same spec into the same folder resumes where it stopped, with the same result.",
    )
    engine_arguments(calibrate, "calibration")
    region = commands.add_parser(
        "region",
        help="build a scenario of any region from the bundled GEM plant trackers",
        description="Build a validated scenario folder for a region from the bundled Global Energy Monitor trackers "
        "(operating iron and steel, coal power, cement, waste-to-energy and chemical plants worldwide; CC BY 4.0) and "
        "GeoNames cities (CC BY 4.0): facilities with coordinates and capacities, one landfill and one source each of "
        "MSW, sewage sludge and hazardous waste per city, outlets per province, the currency of the region's country "
        "(regions/money.csv), ATTRIBUTION.md and REVIEW.md, the defaults to review. Name countries, provinces or "
        "states (as the trackers spell them; --list shows them), a bounding box, or a mix (names within the box).",
    )
    region.add_argument("--country", nargs="+", default=[], metavar="NAME", help="countries (tracker names or ISO codes)")
    region.add_argument("--province", nargs="+", default=[], metavar="NAME",
                        help="provinces or states as the trackers name them, or COUNTRY/PROVINCE where a name repeats")  # fmt: skip
    region.add_argument("--bbox", nargs=4, type=float, default=None, metavar=("WEST", "SOUTH", "EAST", "NORTH"),
                        help="bounding box in degrees (longitude, latitude)")  # fmt: skip
    region.add_argument("--list", action="store_true",
                        help="print the trackers' plant counts by country (by province with --country) and stop")  # fmt: skip
    region.add_argument("--min-population", type=int, default=100_000, metavar="N",
                        help="cities of at least N people get urban sources and a landfill (default 100000)")  # fmt: skip
    region.add_argument("--name", default=None, help="scenario name (default: the region's description)")
    region.add_argument("--start", default="2025-01", help="first simulated month YYYY-MM (default 2025-01)")
    region.add_argument("--years", type=int, default=10, help="horizon in years (default 10)")
    region.add_argument("--out", type=Path, default=Path("region"), help="new output folder (default ./region)")
    app = commands.add_parser(
        "app",
        help="start the browser app (Solara server on localhost) and print its URL",
        description="Start the browser app: a map of the facilities with the month's exchanges, time series, policy "
        "controls (examples/app/controls.toml) applied on Reset, Step/Play/Pause, and a comparison of two runs. The server listens on "
        "localhost only, unless --host says otherwise; front-end assets are served from the local cache that "
        "scripts/setup.sh fills, so no internet is needed. Stop it with Ctrl+C.",
    )
    app.add_argument("--scenario", type=Path, default=None, help="scenario TOML file, first in the app's list")
    app.add_argument("--port", type=int, default=DEFAULT_APP_PORT, help=f"port (default {DEFAULT_APP_PORT})")
    app.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    return parser


def engine_arguments(command: argparse.ArgumentParser, kind: str) -> None:
    """The arguments of the commands that run on the sweep engines (sweep, calibrate); ``kind`` names the spec."""
    command.add_argument("spec", type=Path, help=f"{kind} spec TOML file")
    command.add_argument("--engine", choices=ENGINES, default="process", help="process (default), serial or ray")
    command.add_argument("--workers", type=int, default=2, help="processes or Ray CPUs (default 2)")
    command.add_argument("--address", default=None, help="address of an existing Ray cluster (--engine ray)")
    command.add_argument("--out", type=Path, default=None, help=f"output folder (default ./{kind}_<spec name>)")
    command.add_argument("--quiet", action="store_true", help="no progress bar")


def uncertainty_arguments(command: argparse.ArgumentParser, what: str) -> None:
    """The options of an uncertainty analysis (run, compare); ``what`` starts the help of --posterior."""
    group = command.add_argument_group(
        "uncertainty",
        "Draw parameter sets and seeds (docs/calibration.md, 'Uncertainty in results'): each draw takes the "
        "calibrated parameters from a particle of the calibration posterior (weighted), catalog coefficients and "
        "prices from their documented ranges, and its own seed.",
    )
    group.add_argument("--posterior", type=int, default=None, metavar="N",
                       help=f"{what}, and report the 5-50-95 %% intervals (uncertainty*.csv, uncertainty.png)")  # fmt: skip
    group.add_argument("--vary", nargs="+", choices=SOURCES, default=list(SOURCES),
                       help="what the draws vary (default: all three; a source left out keeps the scenario's value)")  # fmt: skip
    group.add_argument("--calibration", type=Path, default=None, metavar="DIR",
                       help="calibration folder whose posterior.csv is drawn (default: the bundled scenario's record)")  # fmt: skip
    group.add_argument("--ranges", type=Path, default=None, metavar="FILE",
                       help="ranges table of catalog values (default: the bundled calibration/ranges.csv)")  # fmt: skip
