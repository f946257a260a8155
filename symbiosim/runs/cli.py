"""The ``symbiosim`` command line."""

import argparse
import contextlib
import os
import shlex
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from symbiosim.environment.arrays import build_arrays
from symbiosim.environment.parameters import MAX_YEARS, run_settings
from symbiosim.environment.scenario import load_scenario, scenario_path
from symbiosim.environment.validation import ScenarioError
from symbiosim.runs.cli_parser import parser
from symbiosim.runs.draws import SOURCES, UncertaintyOptions
from symbiosim.runs.outputs import key_node_table
from symbiosim.runs.single import rerun_from_outputs, run_scenario

# Each command imports the modules only it needs where it starts: a run does not wait for the
# planner, the statistics of comparisons and sweeps, or the uncertainty plots (about 0.7 s).

__all__ = ["main"]

MAX_PORT = 65535
APP_FILE = Path(__file__).with_name("app.py")
SCENARIO_ENV = "SYMBIOSIM_APP_SCENARIO"  # read by symbiosim/runs/app.py
ASSET_CACHE = Path(__file__).resolve().parents[2] / ".solara-cdn"  # filled by scripts/setup_app_assets.sh


def _uncertainty_options(args: argparse.Namespace) -> UncertaintyOptions | None:
    given = args.calibration is not None or args.ranges is not None or args.vary != list(SOURCES)
    if args.posterior is None:
        if given:
            raise _CommandError("--vary, --calibration and --ranges need --posterior N")
        return None
    if args.posterior < 1:
        raise _CommandError("--posterior must be at least 1 draw")
    if args.calibration is not None and "posterior" not in args.vary:
        raise _CommandError("--calibration names the posterior to draw, but --vary leaves out posterior")
    if args.ranges is not None and "ranges" not in args.vary:
        raise _CommandError("--ranges names the ranges to draw, but --vary leaves out ranges")
    return UncertaintyOptions(args.posterior, tuple(dict.fromkeys(args.vary)), args.calibration, args.ranges)


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
        if _uncertainty_options(args) is not None:
            raise _CommandError("--from-outputs repeats the folder's own draws: leave out --posterior")
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
            uncertainty=_uncertainty_options(args),
        )
    with pd.option_context("display.width", 140, "display.max_columns", 20, "display.float_format", "{:,.2f}".format):
        print(
            f"\nLast 12 months of '{result.model.scenario_data.name}' to {result.model.date:%Y-%m} (kt = thousand tonnes):"
        )
        summary = result.summary  # printed without columns that say nothing: units all kt, no treatment route used
        quiet = [c for c, idle in (("unit", (summary["unit"] == "kt").all()), ("treated_kt", (summary["treated_kt"] == 0).all())) if idle]
        print(summary.drop(columns=quiet).to_string())
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
    drawn = result.folder / "uncertainty_runs.csv"
    if drawn in result.files:
        from symbiosim.runs.uncertainty import headline_lines

        runs = pd.read_csv(drawn)
        print(f"\nUncertainty over {runs['draw'].nunique()} draws (central run, then 5-95 % of the draws; "
              "uncertainty.csv has every metric):")  # fmt: skip
        central = pd.read_csv(result.folder / "uncertainty.csv").set_index("metric")["central"].to_dict()
        print("\n".join(headline_lines(runs, central, lambda m: m)))
    print(f"\n{len(result.files)} files written to {result.folder.resolve()}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from symbiosim.runs.compare import compare_scenarios

    if args.seeds < 1 or args.first_seed < 0:
        raise _CommandError("--seeds must be at least 1 and --first-seed non-negative")
    _check_years(args.years)
    _check_out(args.out)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    with _reported(args.out):
        result = compare_scenarios(args.scenarios, seeds, args.out, years=args.years, progress=not args.quiet,
                                   uncertainty=_uncertainty_options(args))  # fmt: skip
    print((args.out / "compare.md").read_text(encoding="utf-8"))
    print(f"{len(result.files)} files written to {args.out.resolve()}")
    return 0


def _optimize(args: argparse.Namespace) -> int:
    from symbiosim.runs.optimize import optimize_scenario, write_optimization
    from symbiosim.runs.uncertainty import plan_monte_carlo, planner_monte_carlo, write_planner_monte_carlo

    _check_rng(args.rng)
    _check_out(args.out)
    if args.monte_carlo is not None and args.monte_carlo < 1:
        raise _CommandError("--monte-carlo must be at least 1 draw")
    if args.ranges is not None and args.monte_carlo is None:
        raise _CommandError("--ranges needs --monte-carlo N")
    with _reported(args.out):
        scenario = load_scenario(args.scenario)
        plan = None if args.monte_carlo is None else plan_monte_carlo(args.monte_carlo, args.rng, scenario, args.ranges)
        results, model, snapshot = optimize_scenario(scenario, args.year, tuple(args.scheme), rng=args.rng,
                                                     month=args.month)  # fmt: skip
        drawn = None
        if plan is not None:  # solved before anything is written: a failing draw leaves no half result
            drawn = planner_monte_carlo(scenario, plan, results, args.year, args.month, tuple(args.scheme),
                                        progress=not args.quiet)  # fmt: skip
        files = write_optimization(results, model.catalog.facilities, args.out)
        if drawn is not None:
            files += write_planner_monte_carlo(drawn, model.catalog.facilities, args.out)
    totals = pd.concat([r.totals for r in results.values()], ignore_index=True).set_index("scheme")
    shown = totals[["tonnes_used", "outlet_t", "profit_cny", "energy_saved_tce", "co2_avoided_t", "paths", "solve_s", "mip_gap"]]
    print(f"Planner schemes for {snapshot.period} of '{model.scenario_data.name}':")
    with pd.option_context("display.width", 140, "display.float_format", "{:,.3g}".format):
        print(shown.to_string())
    if drawn is not None:
        totals = drawn.totals[drawn.totals["quantity"].isin(["tonnes_used", "profit_cny", "paths"])]
        print(f"\nOver {len(plan)} draws of the catalog's ranges (central = the scenario's values):")
        with pd.option_context("display.width", 140, "display.float_format", "{:,.3g}".format):
            print(totals.to_string(index=False))
        for scheme, part in drawn.paths.groupby("scheme", sort=False):
            print(f"{scheme}: {int((part['activation_probability'] >= 0.9).sum())} paths active in >= 90 % of the "
                  f"draws, {int((part['activation_probability'] < 0.5).sum())} in fewer than half")  # fmt: skip
    print(f"\n{len(files)} files written to {args.out.resolve()}")
    return 0


def _app(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= MAX_PORT:
        raise _CommandError(f"--port must be between 1 and {MAX_PORT}")
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    if args.scenario is not None:
        with _reported(args.scenario):
            load_scenario(args.scenario)  # a bad file is reported here, not in the browser
        env[SCENARIO_ENV] = str(scenario_path(args.scenario).resolve())  # a bundled region's name: its file
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
    byproducts, technologies = build_arrays(scenario, run_settings(scenario, {})[0]).in_use()
    counts = [
        f"{len(scenario.tables['facilities'])} facilities",
        _in_use(len(byproducts), len(scenario.tables["byproducts"]), "by-products"),
        _in_use(len(technologies), len(scenario.tables["technologies"]), "technologies"),
        f"{len(scenario.policies)} policies",
    ]
    where = args.scenario or "bundled default scenario"
    print(f"OK {where}: " + ", ".join(counts))
    return 0


def _in_use(used: int, catalog: int, what: str) -> str:
    """``10 by-products``, or ``1 of 10 by-products in use`` where the facilities use fewer than the catalog has."""
    return f"{used} {what}" if used == catalog else f"{used} of {catalog} {what} in use"


def _check_engine(args: argparse.Namespace) -> None:
    """The options of the commands that run on the sweep engines (sweep, calibrate)."""
    if args.workers < 1:
        raise _CommandError("--workers must be at least 1")
    if args.address and args.engine != "ray":
        raise _CommandError("--address is for --engine ray")


def _sweep(args: argparse.Namespace) -> int:
    from symbiosim.runs.sensitivity import write_sensitivity
    from symbiosim.runs.sweep import load_spec, run_sweep

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


def _region(args: argparse.Namespace) -> int:
    from symbiosim.runs.region_command import region_command

    _check_years(args.years)
    command = "symbiosim " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if args.argv is None else args.argv))
    with _reported(args.out):
        return region_command(args, command, print)


COMMANDS = {
    "run": _run,
    "region": _region,
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
    args = parser().parse_args(argv)
    args.argv = None if argv is None else list(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warning
        try:
            return COMMANDS[args.command](args)
        except _CommandError as failure:
            print(f"error: {failure}", file=sys.stderr)
            return failure.code


if __name__ == "__main__":
    sys.exit(main())
