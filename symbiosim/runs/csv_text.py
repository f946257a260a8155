"""CSV files byte for byte as ``DataFrame.to_csv(path, index=False)`` writes them, in compiled code.

Formatting floats is most of the time pandas spends writing a large table (``flows.csv`` and
``facility_ledger.csv`` took 1.7 s of a default run). Arrow's CSV writer formats the same shortest round-trip digits
about ten times faster, but writes them in its own notation: ``0`` for ``0.0``, ``0.00001``
for ``1e-05``, ``1.2e+14`` for ``120000000000000.0``. :func:`float_text` gives Arrow's digits
Python's notation, which is what pandas writes: ``.0`` after a whole number, and Python's own
``repr`` for the few values Arrow writes with an exponent or that Python would (below 1e-4).

:func:`write_csv` uses it for tables it can render exactly (float, integer, bool and string
columns, no string needing quotes, at least two columns) and hands any other table to pandas,
so the file is always the one pandas would write. A test compares the two on every table of
a run and on random floats.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from numpy.typing import NDArray

SMALLEST_PLAIN = 1e-4  # Python's repr switches to an exponent below this magnitude
NEEDS_QUOTES = r'[,"\r\n]'


def float_text(values: NDArray[np.float64]) -> pa.Array:
    """Each float as pandas writes it in a CSV (Python's ``repr``; NaN as null, written empty)."""
    text = pc.cast(pa.array(values, from_pandas=True), pa.string())
    finite = np.isfinite(values)
    exponent = pc.fill_null(pc.match_substring(text, "e"), False).to_numpy(zero_copy_only=False)
    small = (np.abs(values) < SMALLEST_PLAIN) & (values != 0)
    redo = finite & (exponent | small)
    with np.errstate(invalid="ignore"):  # NaN payloads
        whole = finite & ~redo & (values == np.trunc(values))
    text = pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, ".0", ""), text)
    if redo.any():
        text = pc.replace_with_mask(text, pa.array(redo), pa.array([repr(float(v)) for v in values[redo]]))
    return text


def _column(values: pd.Series) -> pa.Array | None:
    """One column as Arrow text or numbers written as pandas writes them; None if not sure."""
    dtype = values.dtype
    if dtype == np.float64:
        return float_text(values.to_numpy())
    if dtype == np.bool_:
        return pc.if_else(pa.array(values.to_numpy()), "True", "False")
    if dtype.kind in "iu" and isinstance(dtype, np.dtype):
        return pa.array(values.to_numpy())
    if isinstance(dtype, pd.StringDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "O"):
        try:
            text = pa.array(values, type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None  # not all strings
        return None if pc.any(pc.match_substring_regex(text, NEEDS_QUOTES)).as_py() else text
    return None


def _needs_quotes(names: list[str]) -> bool:
    return bool(pd.Series(names).str.contains(NEEDS_QUOTES).any())


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` as ``table.to_csv(path, index=False)`` would, faster for large tables."""
    names = [str(name) for name in table.columns]
    plain = all(isinstance(n, str) for n in table.columns) and len(set(names)) == len(names) > 1
    columns = [_column(table[name]) for name in names] if plain and not _needs_quotes(names) else [None]
    if any(column is None for column in columns):
        table.to_csv(path, index=False)
        return
    with Path(path).open("wb") as stream:
        stream.write((",".join(names) + "\n").encode())
        options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
        pa_csv.write_csv(pa.table(columns, names=names), stream, options)
