"""The ``symbiosim`` command line."""

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from symbiosim.environment.parameters import MAX_YEARS
from symbiosim.environment.scenario import load_scenario
from symbiosim.environment.validation import ScenarioError
from symbiosim.metrics.planner import SCHEMES
from symbiosim.runs.compare import compare_scenarios
from symbiosim.runs.optimize import optimize_scenario, write_optimization
from symbiosim.runs.outputs import key_node_table
from symbiosim.runs.sensitivity import write_sensitivity
from symbiosim.runs.single import DEFAULT_SEED, rerun_from_outputs, run_scenario
from symbiosim.runs.sweep import ENGINES, load_spec, run_sweep

__all__ = ["main"]

DEFAULT_APP_PORT = 8765
MAX_PORT = 65535
APP_FILE = Path(__file__).with_name("app.py")
SCENARIO_ENV = "SYMBIOSIM_APP_SCENARIO"  # read by symbiosim/runs/app.py
ASSET_CACHE = Path(__file__).resolve().parents[2] / ".solara-cdn"  # filled by scripts/setup_app_assets.sh


def _parser() -> argparse.ArgumentParser:
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
    run.add_argument("--scenario", type=Path, default=None, help="scenario TOML file (default: bundled JJJ scenario)")
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
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    compare = commands.add_parser(
        "compare",
        help="run scenarios with the same seeds and compare them",
        description="Run each scenario with the same seeds and write a side-by-side table (mean and standard "
        "deviation across seeds) of tonnes exchanged and landfilled, utilisation by waste, energy use and "
        "savings, CO2/SO2/NOx/PM, profit by sector, fiscal cost and symbiotic flow lost, plus a PNG of the "
        "monthly series with one line per scenario. The first scenario is the reference.",
    )
    compare.add_argument("scenarios", nargs="+", help="scenario TOML files, or 'default' for the bundled JJJ scenario")
    compare.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    compare.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    compare.add_argument("--years", type=int, default=None, help="horizon in years (default: each scenario's)")
    compare.add_argument("--out", type=Path, default=Path("comparison"), help="output folder (default ./comparison)")
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
    optimize.add_argument("--scenario", type=Path, default=None, help="scenario TOML file (default: bundled JJJ)")
    optimize.add_argument("--year", type=int, default=None, help="calendar year (default: the scenario's first)")
    optimize.add_argument("--month", type=int, default=None, help="1-12: a one-month snapshot (default: the year)")
    optimize.add_argument(
        "--scheme", nargs="+", choices=SCHEMES, default=list(SCHEMES), help="schemes to solve (default: all three)"
    )
    optimize.add_argument("--rng", type=int, default=DEFAULT_SEED, help="seed of the model the snapshot is taken from (the snapshot has no randomness: the installed base is sized to use)")
    optimize.add_argument("--out", type=Path, default=Path("optimum"), help="output folder (default ./optimum)")
    validate = commands.add_parser(
        "validate",
        help="check a scenario file without running it",
        description="Load and validate a scenario (TOML and the CSV tables it names) and print every problem, "
        "each with its file, row or key, column and rule; or one line with the counts of facilities, by-products, "
        "technologies and policies when it is valid. Exit code 0 when valid, 2 otherwise.",
    )
    validate.add_argument("scenario", type=Path, nargs="?", default=None, help="scenario TOML (default: bundled JJJ)")
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
    sweep.add_argument("spec", type=Path, help="sweep spec TOML file")
    sweep.add_argument("--engine", choices=ENGINES, default="process", help="process (default), serial or ray")
    sweep.add_argument("--workers", type=int, default=2, help="processes or Ray CPUs (default 2)")
    sweep.add_argument("--address", default=None, help="address of an existing Ray cluster (--engine ray)")
    sweep.add_argument("--out", type=Path, default=None, help="output folder (default ./sweep_<spec name>)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
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
    calibrate.add_argument("spec", type=Path, help="calibration spec TOML file")
    calibrate.add_argument("--engine", choices=ENGINES, default="process", help="process (default), serial or ray")
    calibrate.add_argument("--workers", type=int, default=2, help="processes or Ray CPUs (default 2)")
    calibrate.add_argument("--address", default=None, help="address of an existing Ray cluster (--engine ray)")
    calibrate.add_argument("--out", type=Path, default=None, help="output folder (default ./calibration_<spec name>)")
    calibrate.add_argument("--quiet", action="store_true", help="no progress bar")
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


class _CommandError(Exception):
    """A command failed: the message for stderr and the exit code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@contextlib.contextmanager
def _reported(out: Path) -> Iterator[None]:
    """Turn invalid input (exit code 2) and unwritable output (exit code 1) into a one-line error."""
    try:
        yield
    except (ScenarioError, ValueError) as exc:
        raise _CommandError(str(exc)) from exc
    except OSError as exc:
        raise _CommandError(f"cannot write results to {out}: {exc}", code=1) from exc


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise _CommandError(f"--out {out} exists and is not a folder")


def _check_years(years: int | None) -> None:
    if years is not None and not 1 <= years <= MAX_YEARS:
        raise _CommandError(f"--years must be between 1 and {MAX_YEARS}")


def _check_rng(rng: int) -> None:
    if rng < 0:
        raise _CommandError("--rng must be a non-negative integer")


def _run(args: argparse.Namespace) -> int:
    _check_years(args.years)
    _check_rng(args.rng)
    taken = args.resume is not None or args.from_outputs is not None
    if taken and (args.scenario is not None or args.years is not None):
        raise _CommandError("--resume and --from-outputs take the scenario, years and seed from the folder")
    if args.from_outputs is not None:
        _check_out(args.out)
        with _reported(args.out):
            result = rerun_from_outputs(args.from_outputs, args.out, progress=not args.quiet)
        print(f"{len(result.files)} files written to {result.folder.resolve()}")
        return 0
    out = args.resume if args.resume is not None else args.out
    _check_out(out)
    with _reported(out):
        result = run_scenario(
            args.scenario,
            years=args.years,
            rng=args.rng,
            out=out,
            progress=not args.quiet,
            value_flow_ids=args.value_flow,
            vs_optimal=args.vs_optimal,
            checkpoint_every=args.checkpoint_every,
            resume=args.resume is not None,
        )
    with pd.option_context("display.width", 140, "display.max_columns", 20, "display.float_format", "{:,.2f}".format):
        print(
            f"\nLast 12 months of '{result.model.scenario_data.name}' to {result.model.date:%Y-%m} (kt = thousand tonnes):"
        )
        print(result.summary.to_string())
        last = result.model.accounts.summary
        print(
            f"\nactive routes {last['active_links']}, technologies installed {last['technologies_installed']}, "
            f"energy saved {last['energy_saved_tce']:,.0f} tce/month, CO2 avoided {last['co2_avoided_t']:,.0f} t/month"
        )
        synergy = result.metrics.get("synergy_annual")
        if synergy is not None and len(synergy) and synergy["D"].isna().all():
            reason = synergy["unavailable_reason"].iloc[0] if "unavailable_reason" in synergy else "no value"
            print(f"synergy degree and coupling coordination: not available ({reason})")
        elif synergy is not None and len(synergy):
            first, final = synergy.iloc[0], synergy.iloc[-1]
            print(
                f"synergy degree {first['year']}-{final['year']} (fixed base) {final['synergy_fixed']:.3f}; "
                f"coupling coordination D {final['D']:.3f} ({final['band']})"
            )
        print("\nKey symbiosis nodes (share of tonnes exchanged):")
        print(key_node_table(result.model, top=5)[["facility_id", "name", "city", "share"]].to_string(index=False))
    print(f"\n{len(result.files)} files written to {result.folder.resolve()}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    if args.seeds < 1 or args.first_seed < 0:
        raise _CommandError("--seeds must be at least 1 and --first-seed non-negative")
    _check_years(args.years)
    _check_out(args.out)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    with _reported(args.out):
        result = compare_scenarios(args.scenarios, seeds, args.out, years=args.years, progress=not args.quiet)
    print((args.out / "compare.md").read_text(encoding="utf-8"))
    print(f"{len(result.files)} files written to {args.out.resolve()}")
    return 0


def _optimize(args: argparse.Namespace) -> int:
    _check_rng(args.rng)
    _check_out(args.out)
    with _reported(args.out):
        results, model, snapshot = optimize_scenario(
            args.scenario, args.year, tuple(args.scheme), rng=args.rng, month=args.month
        )
        files = write_optimization(results, model.catalog.facilities, args.out)
    totals = pd.concat([r.totals for r in results.values()], ignore_index=True).set_index("scheme")
    shown = totals[["tonnes_used", "outlet_t", "profit_cny", "energy_saved_tce", "co2_avoided_t", "paths", "solve_s", "mip_gap"]]
    print(f"Planner schemes for {snapshot.period} of '{model.scenario_data.name}':")
    with pd.option_context("display.width", 140, "display.float_format", "{:,.3g}".format):
        print(shown.to_string())
    print(f"\n{len(files)} files written to {args.out.resolve()}")
    return 0


def _app(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= MAX_PORT:
        raise _CommandError(f"--port must be between 1 and {MAX_PORT}")
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    if args.scenario is not None:
        with _reported(args.scenario):
            load_scenario(args.scenario)  # a bad file is reported here, not in the browser
        env[SCENARIO_ENV] = str(args.scenario.resolve())
    assets = Path(env.get("SOLARA_ASSETS_PROXY_CACHE_DIR", ASSET_CACHE))
    if not assets.is_dir():
        print(f"warning: no local front-end assets in {assets}; the page needs internet (run scripts/setup.sh)")
    env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(assets)
    solara = Path(sys.executable).with_name("solara")
    command = [str(solara), "run", str(APP_FILE), "--host", args.host, "--port", str(args.port), "--no-open"]
    print(f"symbiosim app: http://{args.host}:{args.port}/  (starting; Ctrl+C to stop)", flush=True)
    os.execve(command[0], command, env)  # the server replaces this process: its PID is ours
    return 0  # pragma: no cover - execve does not return


def _validate(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        print(f"{args.scenario}: {len(exc.issues)} problem(s)")
        for issue in exc.issues:
            print(f"  {issue}")
        return 2
    counts = {
        "facilities": len(scenario.tables["facilities"]),
        "by-products": len(scenario.tables["byproducts"]),
        "technologies": len(scenario.tables["technologies"]),
        "policies": len(scenario.policies),
    }
    where = args.scenario or "bundled default scenario"
    print(f"OK {where}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    return 0


def _check_engine(args: argparse.Namespace) -> None:
    """The options of the commands that run on the sweep engines (sweep, calibrate)."""
    if args.workers < 1:
        raise _CommandError("--workers must be at least 1")
    if args.address and args.engine != "ray":
        raise _CommandError("--address is for --engine ray")


def _sweep(args: argparse.Namespace) -> int:
    _check_engine(args)
    with _reported(args.spec):
        spec = load_spec(args.spec)
    out = args.out or Path(f"sweep_{args.spec.stem}")
    _check_out(out)
    with _reported(out):
        result = run_sweep(spec, out, args.engine, args.workers, args.address, progress=not args.quiet)
    print(
        f"{result.planned} runs: {result.skipped} already done, {result.completed} completed, "
        f"{len(result.failed)} failed, in {result.seconds:.1f} s; dataset in {out.resolve()}"
    )
    for run in result.failed:
        print(f"  failed: {run} (see {out / 'failures' / (run + '.json')})")
    try:
        write_sensitivity(out)
        print(f"sensitivity: {out / 'sensitivity.csv'} and sensitivity.png")
    except ValueError as exc:
        print(f"no sensitivity summary: {exc}")
    return 1 if result.failed else 0


def _calibrate(args: argparse.Namespace) -> int:
    from symbiosim.runs.calibration_spec import load_calibration_spec  # pyabc loads only for this command

    _check_engine(args)
    with _reported(args.spec):
        spec = load_calibration_spec(args.spec)
    out = args.out or Path(f"calibration_{args.spec.stem}")
    _check_out(out)
    from symbiosim.runs.calibrate import calibrate
    from symbiosim.runs.calibration_outputs import write_calibration

    with _reported(out):
        stored = calibrate(spec, out, args.engine, args.workers, args.address, progress=not args.quiet)
        write_calibration(spec, out)
    summary = pd.read_csv(out / "posterior_summary.csv")
    fit = pd.read_csv(out / "fit.csv")
    from symbiosim.runs.calibrate import stop_reason

    print(f"{stored.max_t + 1} generations, {stored.total_nr_simulations} simulations (stopped: "
          f"{stop_reason(spec, out)}); posterior (median and 90 % credible interval):")  # fmt: skip
    for row in summary.itertuples():
        print(f"  {row.parameter:<24} {row.p50:.4g}  [{row.p05:.4g}, {row.p95:.4g}]  (prior {row.prior} "
              f"{row.prior_min:g}-{row.prior_max:g})")  # fmt: skip
    for role, part in fit.groupby("fitted", sort=False):
        within = int((part["z"].abs() <= 2).sum())
        print(f"{'fitted' if role else 'held-out'} targets: {within} of {len(part)} within 2 sd (median of "
              f"{int(part['runs_measured'].max())} posterior predictive runs)")  # fmt: skip
    print(f"results in {out.resolve()}: fit.csv, fit.png, posterior_summary.csv, marginals.png, calibrated.toml")
    return 0


COMMANDS = {
    "run": _run,
    "compare": _compare,
    "optimize": _optimize,
    "validate": _validate,
    "sweep": _sweep,
    "calibrate": _calibrate,
    "app": _app,
}


def _one_line_warning(message: Warning | str, *_: object, **__: object) -> None:
    """Show a warning as one line on stderr (``warning: ...``), without the source line."""
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``symbiosim``; returns the exit code (0 ok, 1 output not written, 2 bad input)."""
    args = _parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warning
        try:
            return COMMANDS[args.command](args)
        except _CommandError as failure:
            print(f"error: {failure}", file=sys.stderr)
            return failure.code


if __name__ == "__main__":
    sys.exit(main())
