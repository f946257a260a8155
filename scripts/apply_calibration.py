"""Make a finished calibration of the default scenario the bundled one.

Copies the record of a ``symbiosim calibrate`` folder (the spec's run of
``examples/calibration/default.toml``) into ``symbiosim/environment/data/calibration/default/``
(its pictures into ``docs/img/calibration_*.png``) and writes each calibrated parameter's posterior median (3 significant digits) into
``catalog/parameters.csv``, its source naming the calibration, the 90 % credible interval and
the prior. Afterwards the outlets must be recalibrated to the new behaviour
(``scripts/calibrate_outlets.py``), as docs/calibration.md explains.

Usage (from the repository root)::

    .venv/bin/python scripts/apply_calibration.py calibration_default   # copy the record, rewrite parameters.csv
    .venv/bin/python scripts/apply_calibration.py --check                 # exit 1 if parameters.csv and the record differ
    .venv/bin/python scripts/apply_calibration.py --markdown              # the record's posterior and fit, as the docs show them
"""

import argparse
import csv
import io
import shutil
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "symbiosim" / "environment" / "data"
RECORD = DATA / "calibration" / "default"
PARAMETERS = DATA / "catalog" / "parameters.csv"
FILES = ("calibration.json", "posterior.csv", "posterior_summary.csv", "generations.csv", "fit.csv", "predictive.csv",
         "calibration.db")  # fmt: skip
PICTURES = {"fit.png": ROOT / "docs" / "img" / "calibration_fit.png",
            "marginals.png": ROOT / "docs" / "img" / "calibration_marginals.png"}
SIGNIFICANT = 3


def rounded(value: float) -> str:
    """``value`` to 3 significant digits, as written in parameters.csv."""
    return f"{float(f'{value:.{SIGNIFICANT}g}'):g}"


def source(row: pd.Series) -> str:
    """The source text of a calibrated parameter."""
    prior = f"{row['prior']} prior {row['prior_min']:g}-{row['prior_max']:g}"
    return (f"calibrated (D): ABC-SMC posterior median, 90% credible interval {rounded(row['p05'])}-{rounded(row['p95'])} "
            f"({prior}; examples/calibration/default.toml, record in calibration/default/; docs/calibration.md)")  # fmt: skip


def updated_parameters(summary: pd.DataFrame) -> str:
    """parameters.csv with the calibrated rows' value and source replaced (other rows byte for byte)."""
    text = PARAMETERS.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    name, value, src = header.index("name"), header.index("value"), header.index("source")
    by_name = summary.set_index("parameter")
    lines = text.splitlines(keepends=True)
    for index, row in enumerate(rows[1:], start=1):
        if row[name] in by_name.index:
            calibrated = by_name.loc[row[name]]
            row[value], row[src] = rounded(calibrated["p50"]), source(calibrated)
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerow(row)
            lines[index] = buffer.getvalue()
    return "".join(lines)


def markdown() -> str:
    """The record's posterior and fit as docs/calibration.md shows them."""
    summary = pd.read_csv(RECORD / "posterior_summary.csv")
    fit = pd.read_csv(RECORD / "fit.csv")
    lines = ["| parameter | prior | posterior median | 90 % credible interval |", "|---|---|---:|---|"]
    for row in summary.itertuples():
        lines.append(f"| `{row.parameter}` | {row.prior} {row.prior_min:g}–{row.prior_max:g} | {row.p50:.3g} | "
                     f"{row.p05:.3g}–{row.p95:.3g} |")  # fmt: skip
    for fitted, title in ((True, "fitted"), (False, "held out")):
        part = fit[fit["fitted"] == fitted]
        lines += ["", f"| target ({title}) | observed ± sd | simulated median [5–95 %] | z |", "|---|---|---|---:|"]
        for row in part.itertuples():
            lines.append(f"| `{row.target}` | {row.observed:.4g} ± {row.sd:.3g} {row.unit} | {row.p50:.4g} "
                         f"[{row.p05:.4g}–{row.p95:.4g}] | {row.z:+.1f} |")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    """Copy the record and rewrite parameters.csv, or check them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, help="a finished calibration folder of the default spec")
    parser.add_argument("--check", action="store_true", help="exit 1 if parameters.csv differs from the record")
    parser.add_argument("--markdown", action="store_true", help="print the record's posterior and fit as Markdown")
    args = parser.parse_args()
    if args.markdown:
        print(markdown())
        return 0
    if args.check:
        same = PARAMETERS.read_text(encoding="utf-8") == updated_parameters(pd.read_csv(RECORD / "posterior_summary.csv"))
        print(f"{PARAMETERS.relative_to(ROOT)} {'matches' if same else 'differs from'} the calibration record", file=sys.stderr)
        return 0 if same else 1
    if args.folder is None or not (args.folder / "posterior_summary.csv").is_file():
        parser.error("give a finished calibration folder (with posterior_summary.csv)")
    RECORD.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(args.folder / name, RECORD / name)
    for name, target in PICTURES.items():
        shutil.copyfile(args.folder / name, target)
    PARAMETERS.write_text(updated_parameters(pd.read_csv(RECORD / "posterior_summary.csv")), encoding="utf-8")
    print(f"copied the record to {RECORD.relative_to(ROOT)}; rewrote {PARAMETERS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
