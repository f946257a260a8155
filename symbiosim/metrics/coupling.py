"""Coupling coordination degree (耦合协调度) (docs/metrics.md, "Coupling coordination degree").

For n ≥ 2 subsystem scores U_i in [0, 1]:

* coupling degree C = n·(Π U_i)^(1/n) / Σ U_i (geometric over arithmetic mean, in [0, 1]);
* coordination index T = Σ w_i·U_i (Σ w = 1, equal weights by default);
* coupling coordination degree D = √(C·T).

The common wrong variants are deliberately not offered (Liu Chunlin 2017 found about half of 379
papers used one): dropping the coefficient n (√(U1·U2)/(U1 + U2), range [0, 0.5]) and the
pairwise-sum denominator for n = 3 (3·{U1U2U3/[(U1+U2)(U1+U3)(U2+U3)]}^(1/3), 1.5 for equal U).
Wang Shujia, Kong Wei et al. 2021's modified C is offered as an option (:func:`coupling_degree_wang`).
Bands come from ``data/coupling_bands.csv`` (Tian Shenzhen et al. 2021, 地理学报 76(4):781, Table 1).

Examples:
    Constructed example C2 (not published), equal weights:

    >>> table = coordination(pd.DataFrame({"economy": [0.3], "energy": [0.5], "environment": [0.7]}))
    >>> table[["C", "T", "D"]].round(6).iloc[0].tolist(), table.loc[0, "band"]
    ([0.943539, 0.5, 0.686855], 'primary coordination')
    >>> table = coordination(pd.DataFrame({"CE": [0.2], "LC": [0.6]}))
    >>> table[["C", "T", "D"]].round(6).iloc[0].tolist(), table.loc[0, "coupling_band"]
    ([0.866025, 0.4, 0.588566], 'high-level coupling')
"""

import functools
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

# validation and band lookup are shared with the synergy degree rather than duplicated
from symbiosim.metrics.synergy import _as_float, _band_labels, _listed, _weights

__all__ = [
    "bands",
    "coordination",
    "coordination_band",
    "coupling_band",
    "coupling_degree_wang",
]

type CouplingMethod = Literal["normative", "wang2021"]


def _scores(U: pd.DataFrame) -> NDArray[np.float64]:
    """Subsystem scores as a float array: at least one row, n ≥ 2 columns, finite, in [0, 1]."""
    if not isinstance(U, pd.DataFrame):
        raise TypeError(f"U must be a pandas DataFrame (rows = observations, columns = subsystems), got {type(U)}")
    if U.shape[1] < 2:
        raise ValueError(f"coupling needs n ≥ 2 subsystems (columns), got {U.shape[1]}")
    if U.shape[0] == 0:
        raise ValueError("U has no rows")
    values = _as_float(U.to_numpy(), "U")
    outside = ((values < 0) | (values > 1)).any(axis=0)
    if outside.any():
        raise ValueError(f"U must be subsystem scores in [0, 1]; not so in {_listed(list(U.columns[outside]))}")
    return values


def _coupling_normative(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """C = n·(Π U_i)^(1/n) / Σ U_i per row; 0 when any U_i = 0 (including all zero, where it is 0/0)."""
    n = values.shape[1]
    total = values.sum(axis=1)
    coupling = np.zeros(len(values))
    has_all = (values > 0).all(axis=1)
    coupling[has_all] = n * np.prod(values[has_all], axis=1) ** (1.0 / n) / total[has_all]
    # geometric mean ≤ arithmetic mean, so C ≤ 1; the bound removes rounding only
    return np.minimum(coupling, 1.0)


def _coupling_wang(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Wang et al. 2021 modified C per row; 0 when all U_i = 0 (where U_i / max U is 0/0)."""
    n = values.shape[1]
    spread = sum(np.abs(values[:, i] - values[:, j]) for i in range(n) for j in range(i))
    evenness = 1.0 - spread / (n * (n - 1) / 2)  # Σ_{m=1}^{n-1} m = n(n-1)/2
    top = values.max(axis=1)
    balance = np.zeros(len(values))
    positive = top > 0
    balance[positive] = np.prod(values[positive] / top[positive, None], axis=1) ** (1.0 / (n - 1))
    return np.sqrt(evenness * balance)


def coupling_degree_wang(U: pd.DataFrame) -> pd.Series:
    """Modified coupling degree of Wang Shujia, Kong Wei et al. 2021 (an option, not the default).

    C = √{ [1 − Σ_{i>j} |U_i − U_j| / Σ_{m=1}^{n−1} m] · [Π_i (U_i / max U)]^(1/(n−1)) }; for n = 2,
    C = √[(1 − |U1 − U2|)·U_min/U_max]. Source: 国内耦合协调度模型的误区及修正, 自然资源学报
    36(3):793–810. The formula is recalled, not transcribed (U): check the exponent 1/(n−1) in the PDF;
    for n = 2 it does not matter. C = 0 when all U_i = 0.

    Args:
        U: subsystem scores in [0, 1]; rows = observations, columns = n ≥ 2 subsystems.

    Returns:
        C in [0, 1] per row of ``U``, named ``C_wang2021``.

    Raises:
        TypeError: if ``U`` is not a DataFrame.
        ValueError: if there are fewer than 2 columns or no rows, or a score is not finite or not in [0, 1].

    Examples:
        Constructed example C2:

        >>> coupling_degree_wang(pd.DataFrame({"a": [0.3], "b": [0.5], "c": [0.7]})).round(6).tolist()
        [0.636978]
        >>> coupling_degree_wang(pd.DataFrame({"a": [0.2], "b": [0.6]})).round(6).tolist()
        [0.447214]
    """
    return pd.Series(_coupling_wang(_scores(U)), index=U.index, name="C_wang2021")


@functools.cache
def _band_table() -> pd.DataFrame:
    """The D and C bands (read once)."""
    path = resources.files("symbiosim.metrics").joinpath("data/coupling_bands.csv")
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype={"is_lower_closed": bool, "is_upper_closed": bool})


def bands() -> pd.DataFrame:
    """The coupling coordination (D) and coupling (C) bands, for docs and outputs.

    Source: Tian Shenzhen et al. 2021, 地理学报 76(4):781, Table 1; intervals (a, b], and 0 is put in
    the lowest band of each.

    Returns:
        One row per band; columns ``quantity`` ("D" or "C"), ``level``, ``band_id``, ``label_zh``,
        ``label_en``, ``lower``, ``upper``, ``is_lower_closed``, ``is_upper_closed``, ``source``, ``note``.

    Examples:
        >>> bands().groupby("quantity").size().to_dict()
        {'C': 4, 'D': 10}
    """
    return _band_table().copy()


def _labels_for(values: NDArray[np.float64], quantity: Literal["C", "D"]) -> NDArray:
    table = _band_table()
    return _band_labels(values, table[table["quantity"] == quantity], quantity)


def _band_of(value: float | pd.Series, quantity: Literal["C", "D"], name: str) -> str | pd.Series:
    """The band label of one value, or a Series of labels (named ``name``) for a Series."""
    if isinstance(value, pd.Series):
        return pd.Series(_labels_for(_as_float(value.to_numpy(), quantity), quantity), index=value.index, name=name)
    return str(_labels_for(_as_float(np.atleast_1d(value), quantity), quantity)[0])


def coordination_band(d: float | pd.Series) -> str | pd.Series:
    """English label of the coupling coordination degree band of ``d`` (intervals (a, b]).

    Args:
        d: coupling coordination degree(s) D in [0, 1].

    Returns:
        The label, or a Series of labels with the index of ``d`` named ``band``.

    Raises:
        ValueError: if a value is not finite or lies outside [0, 1].

    Examples:
        >>> coordination_band(0.5), coordination_band(0.5000001)
        ('on the verge of imbalance', 'barely coordinated')
    """
    return _band_of(d, "D", "band")


def coupling_band(c: float | pd.Series) -> str | pd.Series:
    """English label of the coupling degree band of ``c`` (intervals (a, b]).

    Args:
        c: coupling degree(s) C in [0, 1].

    Returns:
        The label, or a Series of labels with the index of ``c`` named ``coupling_band``.

    Raises:
        ValueError: if a value is not finite or lies outside [0, 1].

    Examples:
        >>> coupling_band(0.3), coupling_band(0.8000001)
        ('low-level coupling', 'high-level coupling')
    """
    return _band_of(c, "C", "coupling_band")


def coordination(
    U: pd.DataFrame, weights: pd.Series | None = None, *, method: CouplingMethod = "normative"
) -> pd.DataFrame:
    """Coupling degree C, coordination index T and coupling coordination degree D for each row of ``U``.

    C = n·(Π U_i)^(1/n) / Σ U_i (normative form; docs/metrics.md, "Coupling coordination degree"), defined as 0 when any U_i = 0 (including
    all zero); T = Σ w_i·U_i; D = √(C·T). With equal weights D = √(geometric mean of U).

    Args:
        U: subsystem scores in [0, 1]; rows = observations (periods, regions), columns = n ≥ 2 subsystems.
        weights: w_i indexed by the columns of ``U``, ≥ 0 and summing to 1 within 1e-9;
            None gives equal weights.
        method: "normative" (default) or "wang2021" (:func:`coupling_degree_wang`, formula U) for C.

    Returns:
        Index of ``U``; columns ``C``, ``T``, ``D`` (dimensionless, in [0, 1]), ``band`` (English label
        of the D band) and ``coupling_band`` (of the C band); ``attrs["method"]``.

    Raises:
        TypeError: if ``U`` is not a DataFrame.
        ValueError: if there are fewer than 2 columns or no rows, a score is not finite or not in
            [0, 1], the weights do not match the columns, are negative or do not sum to 1, or the
            method is unknown.

    Examples:
        >>> coordination(pd.DataFrame({"a": [0.25, 0.0], "b": [0.25, 0.8]}))
             C     T    D                       band        coupling_band
        0  1.0  0.25  0.5  on the verge of imbalance  high-level coupling
        1  0.0  0.40  0.0          extreme imbalance   low-level coupling
    """
    values = _scores(U)
    w = _weights(weights, U.columns)
    if method == "normative":
        coupling = _coupling_normative(values)
    elif method == "wang2021":
        coupling = _coupling_wang(values)
    else:
        raise ValueError(f"method must be 'normative' or 'wang2021', got {method!r}")
    # a convex combination lies in [min U, max U]; the bound removes rounding and the weight-sum tolerance only
    index = np.clip(values @ w, values.min(axis=1), values.max(axis=1))
    degree = np.sqrt(coupling * index)
    table = pd.DataFrame({"C": coupling, "T": index, "D": degree}, index=U.index)
    table["band"] = _labels_for(degree, "D")
    table["coupling_band"] = _labels_for(coupling, "C")
    table.attrs["method"] = method
    return table
