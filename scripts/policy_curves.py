"""Policy response curves of the default scenario: each lever over its range, seed by seed against the baseline.

Every point of a curve is a scenario that extends ``examples/policies/baseline.toml`` by one
lever; ``symbiosim compare`` runs it and the baseline with the same seeds, so each point is a
mean *paired* difference from the baseline with its 95 % confidence interval. The levers:

* ``landfill_fee``: the landfill gate fee raised by 50-200 CNY/t on every by-product;
* ``carbon_price``: 50-300 CNY/t CO2 on power, steel and cement;
* ``limit_uniform``, ``limit_graded``, ``limit_symbiosis_aware``: production limits of depth
  10-70 % (cap share 0.9-0.3) on steel and cement in Tangshan and Handan from the second year
  on, in each mode (graded: grade A exempt; symbiosis-aware: the 5 key symbiosis nodes of the
  first year exempt);
* ``freight``: every freight tariff x0.5-x10 (the ``freight_tariff_factor`` parameter);
* ``platform``: the facilitation platform on.

Usage (from the repository root)::

    .venv/bin/python scripts/policy_curves.py                 # 3 seeds, 10 years, into results/curves
    .venv/bin/python scripts/policy_curves.py --docs          # and rewrite the curves in docs/policies.md

Writes ``<out>/curves.csv`` (lever, value, metric, baseline mean, mean difference, CI), one
folder per lever with the ``compare`` outputs, and ``docs/img/curve_<lever>.png``.
"""

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from symbiosim.runs.compare import compare_scenarios  # noqa: E402

BASELINE = ROOT / "examples" / "policies" / "baseline.toml"
DOC = ROOT / "docs" / "policies.md"
IMG = ROOT / "docs" / "img"
START, END = "<!-- policy curves: start (written by scripts/policy_curves.py) -->", "<!-- policy curves: end -->"
LIMIT = 'cities = ["Tangshan", "Handan"]\nsectors = ["steel", "cement"]\n'
LEVERS = {
    "landfill_fee": ("landfill gate fee raised by, CNY/t", [50, 100, 200],
                     'type = "landfill_fee"\ncny_per_t = {v}\nmode = "add"\n'),
    "carbon_price": ("carbon price, CNY/t CO2", [50, 100, 200, 300],
                     'type = "carbon_price"\ncny_per_t_co2 = {v}\nsectors = ["power", "steel", "cement"]\n'),
    "limit_uniform": ("production-limit depth (uniform)", [0.1, 0.3, 0.5, 0.7],
                      'type = "production_limit"\ncap_share = {c}\n' + LIMIT),
    "limit_graded": ("production-limit depth (graded, grade A exempt)", [0.1, 0.3, 0.5, 0.7],
                     'type = "production_limit"\ncap_share = {c}\nmode = "graded"\ngrade_caps = {{ A = 1.0 }}\n' + LIMIT),
    "limit_symbiosis_aware": ("production-limit depth (symbiosis-aware, 5 key nodes exempt)", [0.1, 0.3, 0.5, 0.7],
                              'type = "production_limit"\ncap_share = {c}\nmode = "symbiosis_aware"\nexempt_top_k = 5\n'
                              + LIMIT),
    "freight": ("freight tariff factor", [0.5, 2, 5, 10], None),
    "platform": ("facilitation platform (1 = on)", [1], 'type = "facilitation_platform"\n'),
}  # fmt: skip
BASE_VALUE = {"freight": 1.0}  # the lever's value in the baseline (0 for the others)
METRICS = {
    "solid_utilisation_rate": "solid by-products used / generated",
    "landfilled_kt_per_yr": "landfilled, kt/yr",
    "exchanged_kt_per_yr": "exchanged (any technology), kt/yr",
    "haul_p90_km": "90th-percentile symbiosis haul of solids, km",
    "co2_avoided_consequential_mt_per_yr": "CO2 avoided (consequential), Mt/yr",
    "co2_mt_per_yr": "CO2 emitted, Mt/yr",
}


def scenario_text(lever: str, value: float, years: int) -> str:
    """A scenario file: the baseline plus one lever at ``value``."""
    head = f'[scenario]\nname = "{lever} {value:g}"\nextends = "{BASELINE.as_posix()}"\nyears = {years}\n'
    template = LEVERS[lever][2]
    if template is None:
        return head + f"\n[parameters]\nfreight_tariff_factor = {value}\n"
    # limits start in the second year: the symbiosis-aware mode exempts the key nodes of the
    # 12 months before a limit first applies, so it needs a year of trade behind it
    first = 2026 if lever.startswith("limit_") and years > 1 else 2025
    window = f'start = "{first}-01-01"\nend = "{2024 + years}-12-31"\n'
    return head + "\n[[policies]]\n" + window + template.format(v=value, c=round(1.0 - value, 6))


def run_lever(lever: str, seeds: list[int], years: int, out: Path) -> pd.DataFrame:
    """Compare the baseline with every point of one lever; the paired differences as a long table."""
    folder = out / lever
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for value in LEVERS[lever][1]:
        path = folder / (f"{lever}_{value:g}".replace(".", "p") + ".toml")
        path.write_text(scenario_text(lever, value, years), encoding="utf-8")
        paths.append(path)
    baseline = folder / "baseline.toml"
    baseline.write_text(f'[scenario]\nname = "baseline"\nextends = "{BASELINE.as_posix()}"\nyears = {years}\n')
    result = compare_scenarios([baseline, *paths], seeds, folder / "compare", progress=False)
    means = result.runs[result.runs["scenario"] == "baseline"].groupby("metric")["value"].mean()
    paired = result.paired[result.paired["metric"].isin(list(METRICS))].copy()
    stems = {path.stem: value for path, value in zip(paths, LEVERS[lever][1], strict=True)}
    paired["value"] = paired["scenario"].map(stems)
    paired["baseline_mean"] = paired["metric"].map(means)
    paired.insert(0, "lever", lever)
    rows = [paired]
    for metric in METRICS:  # the baseline itself: a point with no difference
        rows.append(pd.DataFrame([{"lever": lever, "metric": metric, "scenario": "baseline", "value": BASE_VALUE.get(lever, 0.0),
                                   "baseline_mean": means.get(metric, float("nan")), "mean_difference": 0.0,
                                   "ci_low": 0.0, "ci_high": 0.0, "seeds": len(seeds)}]))  # fmt: skip
    table = pd.concat(rows, ignore_index=True).sort_values(["metric", "value"])
    return table[["lever", "value", "metric", "seeds", "baseline_mean", "mean_difference", "ci_low", "ci_high"]]


def plot(lever: str, table: pd.DataFrame, path: Path) -> None:
    """Each metric against the lever: the baseline mean plus the paired difference, with its 95 % CI."""
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.4))
    for ax, (metric, label) in zip(axes.ravel(), METRICS.items(), strict=True):
        rows = table[table["metric"] == metric].sort_values("value")
        level = rows["baseline_mean"] + rows["mean_difference"]
        low = rows["mean_difference"] - rows["ci_low"]
        high = rows["ci_high"] - rows["mean_difference"]
        ax.errorbar(rows["value"], level, yerr=[low.fillna(0), high.fillna(0)], marker="o", capsize=3)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel(LEVERS[lever][0], fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(f"Response to {LEVERS[lever][0]} (default scenario, mean over seeds, 95 % CI of the paired difference)",
                 fontsize=10)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def number(value: float, sign: str = "") -> str:
    """Thousands separated from 1,000 on, three significant digits below; 0 for rounding noise.

    >>> number(103146.1), number(-6080.4, "+"), number(0.28134), number(0.0123, "+"), number(1e-12, "+")
    ('103,146', '-6,080', '0.281', '+0.0123', '0')
    """
    if pd.isna(value):
        return "–"
    if abs(value) < 1e-9:
        return "0"
    return f"{value:{sign},.0f}" if abs(value) >= 1000 else f"{value:{sign}.3g}"


def markdown(curves: pd.DataFrame, seeds: list[int], years: int) -> str:
    """The curves as one table per lever: paired difference from the baseline [95 % CI]."""
    def cell(row: pd.Series) -> str:
        if row["value"] == BASE_VALUE.get(row["lever"], 0.0):
            return number(row["baseline_mean"])
        return f"{number(row['mean_difference'], '+')} [{number(row['ci_low'], '+')}, {number(row['ci_high'], '+')}]"

    parts = [START, "", f"Seeds {', '.join(map(str, seeds))}, {years} years, the last 12 months. The baseline "
             "row gives the baseline's mean; the others the mean paired difference from it [95 % CI].", ""]  # fmt: skip
    for lever, rows in curves.groupby("lever", sort=False):
        parts += [f"**{LEVERS[lever][0]}** (`docs/img/curve_{lever}.png`)", "",
                  "| value | " + " | ".join(METRICS) + " |", "|---:|" + "---:|" * len(METRICS)]  # fmt: skip
        for value, point in rows.groupby("value", sort=True):
            by = point.set_index("metric")
            cells = [cell(by.loc[m]) if m in by.index else "–" for m in METRICS]
            parts.append(f"| {value:g} | " + " | ".join(cells) + " |")
        parts += ["", f"![{lever}](img/curve_{lever}.png)", ""]
    return "\n".join([*parts, END])


def main() -> int:
    """Run the curves; print where they went."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 1..N (default 3)")
    parser.add_argument("--years", type=int, default=10, help="horizon in years (default 10)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "curves", help="output folder")
    parser.add_argument("--levers", nargs="*", default=list(LEVERS), choices=list(LEVERS), help="levers to run")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--docs", action="store_true", help="rewrite the curves section of docs/policies.md")
    parser.add_argument("--reuse", action="store_true", help="do not run: redraw from <out>/curves.csv")
    parser.add_argument("--img", type=Path, default=IMG, help="folder of the figures (default docs/img)")
    args = parser.parse_args()
    seeds = list(range(1, args.seeds + 1))
    started = time.perf_counter()
    if args.reuse:
        curves = pd.read_csv(args.out / "curves.csv")
        tables = dict(list(curves.groupby("lever", sort=False)))
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            futures = {lever: pool.submit(run_lever, lever, seeds, args.years, args.out) for lever in args.levers}
            tables = {}
            for lever, future in futures.items():
                tables[lever] = future.result()
                print(f"{lever}: done after {time.perf_counter() - started:.0f} s", flush=True)
        curves = pd.concat(tables.values(), ignore_index=True)
        curves.to_csv(args.out / "curves.csv", index=False)
    for lever, table in tables.items():
        plot(lever, table, args.img / f"curve_{lever}.png")
    if args.docs:
        text = DOC.read_text(encoding="utf-8")
        if START not in text or END not in text:
            print(f"{DOC} has no curves section (markers {START!r} ... {END!r})", file=sys.stderr)
            return 1
        head, rest = text.split(START, 1)
        DOC.write_text(head + markdown(curves, seeds, args.years) + rest.split(END, 1)[1], encoding="utf-8")
        print(f"rewrote the curves in {DOC}")
    print(f"wrote {args.out / 'curves.csv'} and {args.img}/curve_*.png in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
