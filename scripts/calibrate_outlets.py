"""Calibrate the default scenario's outlets (``catalog/outlets.csv``) to the national utilisation rates.

The benchmarks (``symbiosim/environment/data/calibration/outlet_benchmarks.csv``) give, per by-product, the use its
outlets stand for, the observed price range (taken as the
demand curve's first and last price) and the haul, each with its source; the national utilisation
rate to reach is the by-product's ``utilisation`` target in ``calibration/targets.csv`` (the one
table of observed patterns, which ``symbiosim calibrate`` also reads). What they cannot give
is how much of the by-product the rest of the economy would take from the region's plants:
that demand is the one unobserved quantity, and it is calibrated. Starting from the target
rate x generation, each round runs the default scenario with these outlets in place of its own
(seeds 1-3, 5 years)
and moves each by-product's demand by (target - achieved utilisation) x generation, where
utilisation counts the modelled kilns and the outlets together over the last 12 months, until
every by-product is within 0.2 percentage points of its target (at most 10 rounds). A
by-product's demand is split among the provinces in proportion to what their plants generate.

Usage (from the repository root)::

    .venv/bin/python scripts/calibrate_outlets.py            # rewrite catalog/outlets.csv, print the fit
    .venv/bin/python scripts/calibrate_outlets.py --check    # exit 1 if catalog/outlets.csv differs from what it computes
    .venv/bin/python scripts/calibrate_outlets.py --check --markdown   # the fit as the documentation shows it
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from symbiosim import SymbiosisModel, load_scenario  # noqa: E402
from symbiosim.environment.scenario import default_scenario  # noqa: E402
from symbiosim.environment.units import MONTHS_PER_YEAR  # noqa: E402

DATA = ROOT / "symbiosim" / "environment" / "data"
BENCHMARKS = DATA / "calibration" / "outlet_benchmarks.csv"
TARGETS = DATA / "calibration" / "targets.csv"  # the utilisation targets (pattern "utilisation")
OUTLETS = DATA / "catalog" / "outlets.csv"
SEEDS, YEARS = (1, 2, 3), 5
TOLERANCE, MAX_ROUNDS = 0.002, 10
MIN_DEMAND_T = 100.0  # an outlet for less than this a year is left out
COLUMNS = ["outlet", "byproduct", "province", "use", "demand_t_per_yr", "price_first_cny_per_t",
           "price_last_cny_per_t", "haul_km", "tariff_cny_per_t_km", "mode", "season_sector", "source", "note"]  # fmt: skip
CALIBRATED = ("demand calibrated by scripts/calibrate_outlets.py so that the default run's utilisation (kilns and "
              "outlets) matches the target; split among provinces by their plants' generation (D)")  # fmt: skip


def utilisation_targets(byproducts: list[str]) -> dict[str, float]:
    """The national utilisation (all uses) of each by-product, from the calibration targets table."""
    table = pd.read_csv(TARGETS)
    rates = table[(table["pattern"] == "utilisation") & (table["role"] == "calibration")]
    counts = rates["byproduct"].value_counts()
    wrong = [b for b in byproducts if counts.get(b, 0) != 1]
    if wrong:
        raise SystemExit(f"{TARGETS}: each of {', '.join(wrong)} needs exactly one utilisation target of role calibration")
    return {b: float(rates.set_index("byproduct").at[b, "value"]) for b in byproducts}


def generation_by_province() -> pd.DataFrame:
    """Mean generation per year (t) of each by-product by province, at the sectors' utilisation."""
    model = SymbiosisModel(default_scenario(), rng=1, years=1)
    catalog = model.catalog
    table = pd.DataFrame(catalog.mean_generation_t * MONTHS_PER_YEAR, columns=catalog.byproducts)
    table["province"] = catalog.facilities["province"].to_numpy()
    return table.groupby("province").sum()


def outlet_table(benchmarks: pd.DataFrame, demand: dict[str, float], shares: pd.DataFrame) -> pd.DataFrame:
    """One outlet per by-product and province with generation; demand split by the province's share."""
    rows = []
    for bench in benchmarks.itertuples(index=False):
        for province, share in shares[bench.byproduct].items():
            if share <= 0 or demand[bench.byproduct] * share < MIN_DEMAND_T:
                continue  # no outlet where there is nothing to sell, or nothing to buy
            rows.append({
                "outlet": f"{bench.byproduct}_{province.lower()}", "byproduct": bench.byproduct, "province": province,
                "use": bench.use, "demand_t_per_yr": int(round(demand[bench.byproduct] * share, -2)),
                "price_first_cny_per_t": bench.price_first_cny_per_t, "price_last_cny_per_t": bench.price_last_cny_per_t,
                "haul_km": bench.haul_km, "tariff_cny_per_t_km": bench.tariff_cny_per_t_km, "mode": bench.mode,
                "season_sector": bench.season_sector if isinstance(bench.season_sector, str) else "",
                "source": f"{bench.source}; {CALIBRATED}", "note": bench.note if isinstance(bench.note, str) else "",
            })  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def achieved(outlets: pd.DataFrame, byproducts: list[str]) -> tuple[dict[str, float], dict[str, float], pd.DataFrame]:
    """Utilisation and generation (last 12 months, mean over the seeds) of a run with ``outlets``."""
    with tempfile.TemporaryDirectory() as folder:
        outlets.to_csv(Path(folder) / "outlets.csv", index=False)
        toml = Path(folder) / "scenario.toml"
        toml.write_text('[scenario]\nname = "calibration"\nextends = "default"\n[tables.outlets]\nfile = "outlets.csv"\nmode = "replace"\n')
        scenario = load_scenario(toml)
    rates, generated, rows = {b: [] for b in byproducts}, {b: [] for b in byproducts}, []
    for seed in SEEDS:
        model = SymbiosisModel(scenario, rng=seed, years=YEARS)
        model.run()
        year = model.datacollector.get_model_vars_dataframe().iloc[-MONTHS_PER_YEAR:]
        for b in byproducts:
            g = year[f"generated_t.{b}"].sum()
            kilns, outlet = year[f"exchanged_t.{b}"].sum(), year[f"outlet_t.{b}"].sum()
            rates[b].append((kilns + outlet) / g)
            generated[b].append(g)
            rows.append({"byproduct": b, "seed": seed, "kilns": kilns / g, "outlets": outlet / g,
                         "price": year.get(f"outlet_price_cny_per_t.{b}", pd.Series([np.nan])).mean()})  # fmt: skip
    detail = pd.DataFrame(rows).groupby("byproduct")[["kilns", "outlets", "price"]].mean()
    return {b: float(np.mean(v)) for b, v in rates.items()}, {b: float(np.mean(v)) for b, v in generated.items()}, detail


def calibrate() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The calibrated outlets and the fit (target, achieved, kilns, outlets, demand, price per by-product)."""
    benchmarks = pd.read_csv(BENCHMARKS)
    by_province = generation_by_province()
    shares = by_province / by_province.sum()
    byproducts = list(benchmarks["byproduct"])
    target = utilisation_targets(byproducts)
    demand = {b: target[b] * float(by_province[b].sum()) for b in byproducts}
    for round_ in range(1, MAX_ROUNDS + 1):
        outlets = outlet_table(benchmarks, demand, shares)
        rates, generated, detail = achieved(outlets, byproducts)
        gaps = {b: target[b] - rates[b] for b in byproducts}
        # a by-product the kilns alone use beyond its target cannot be brought down by outlets
        open_gaps = [abs(g) for b, g in gaps.items() if g > 0 or demand[b] > 0]
        print(f"round {round_}: largest gap {max(open_gaps, default=0.0):.4f}", file=sys.stderr, flush=True)
        if all(g <= TOLERANCE for g in open_gaps):
            break
        demand = {b: max(0.0, demand[b] + gaps[b] * generated[b]) for b in byproducts}
    fit = detail.assign(target=pd.Series(target), achieved=pd.Series(rates),
                        demand_mt_per_yr=pd.Series(demand) / 1e6)  # fmt: skip
    return outlets, fit[["target", "achieved", "kilns", "outlets", "demand_mt_per_yr", "price"]]


def markdown(fit: pd.DataFrame) -> str:
    """The fit as the documentation shows it (shares of generation; demand in Mt/yr; price in CNY/t)."""
    names = pd.read_csv(DATA / "catalog" / "byproducts.csv").set_index("byproduct")["name"]
    lines = ["| by-product | target | achieved | kilns | outlets | outlet demand, Mt/yr | outlet price, CNY/t |",
             "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for b in pd.read_csv(BENCHMARKS)["byproduct"]:
        row = fit.loc[b]
        has_outlet = row["demand_mt_per_yr"] > 0
        demand = f"{row['demand_mt_per_yr']:.1f}" if has_outlet else "–"
        price = f"{row['price']:.1f}".replace("-", "\N{MINUS SIGN}") if has_outlet else "–"
        lines.append(f"| {names.get(b, b)} | {row['target']:.3f} | {row['achieved']:.3f} | {row['kilns']:.3f} | "
                     f"{row['outlets']:.3f} | {demand} | {price} |")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    """Calibrate; write or check the outlets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="do not write: exit 1 if catalog/outlets.csv differs")
    parser.add_argument("--markdown", action="store_true", help="print the fit as a Markdown table")
    args = parser.parse_args()
    outlets, fit = calibrate()
    print(markdown(fit) if args.markdown else fit.round(4).to_string())
    text = outlets.to_csv(index=False, lineterminator="\n")
    if args.check:
        same = OUTLETS.is_file() and OUTLETS.read_text(encoding="utf-8") == text
        status = "is up to date" if same else "differs from what the calibration computes"
        print(f"{OUTLETS.relative_to(ROOT)} {status}", file=sys.stderr)
        return 0 if same else 1
    OUTLETS.write_text(text, encoding="utf-8")
    print(f"wrote {OUTLETS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
