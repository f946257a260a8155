"""Write docs/outputs.md, the reference of every output series and column, from the output vocabulary.

The vocabulary is ``symbiosim/environment/data/outputs.csv``; ``tests/test_docs_site.py``
fails when docs/outputs.md is not what this script writes.

Usage (from the repository root)::

    .venv/bin/python scripts/outputs_reference.py            # rewrite docs/outputs.md
    .venv/bin/python scripts/outputs_reference.py --check    # exit 1 if it is out of date
"""

import argparse
import sys
from pathlib import Path

from symbiosim.environment import vocabulary

TARGET = Path(__file__).resolve().parents[1] / "docs" / "outputs.md"
HEADER = """# Output reference

Every series and column symbiosim writes, with its unit and how it adds up: over months
(`sum` for flows such as tonnes or money per month, `mean` for rates and prices, `last` for
stocks and counts of things in place, `none` where neither makes sense), over the items of a
series (by-products, sectors or products) and over facilities. This page is generated from
the output vocabulary, `symbiosim/environment/data/outputs.csv`, by
`scripts/outputs_reference.py`; the same table gives the units written in `timeseries.csv` and
the ledger tables, the series a sweep records, and the app's labels. A test fails when a file
writes a name that the vocabulary lacks.

"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or " "


def reference() -> str:
    """The Markdown page."""
    table = vocabulary.outputs()
    parts = [HEADER]
    for name, rows in table.groupby("table", sort=False):
        parts.append(f"## `{name}`\n")
        for kind, title in (("column", "columns"), ("series", "series (values of `variable` or `metric`)")):
            part = rows[rows["kind"] == kind]
            if part.empty:
                continue
            parts.append(f"{title.capitalize()}:\n")
            parts.append("| name | item | unit | months | items | facilities | description |")
            parts.append("|---|---|---|---|---|---|---|")
            for row in part.itertuples(index=False):
                cells = (f"`{row.name}`", row.item, row.unit, row.over_months, row.over_items, row.over_facilities,
                         row.description)  # fmt: skip
                parts.append("| " + " | ".join(_cell(c) for c in cells) + " |")
            parts.append("")
    return "\n".join(parts)


def main() -> int:
    """Write or check docs/outputs.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/outputs.md is out of date")
    args = parser.parse_args()
    text = reference()
    if args.check:
        same = TARGET.exists() and TARGET.read_text(encoding="utf-8") == text
        print("docs/outputs.md is up to date" if same else "docs/outputs.md is out of date: run this script")
        return 0 if same else 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
