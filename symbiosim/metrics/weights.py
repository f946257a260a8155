"""Indicator weights: entropy (objective), AHP (subjective) and their combination.

* ``entropy``: entropy weight method (熵权法; Xu 2004; Zavadskas & Podvezko 2016);
* ``ahp``: principal-eigenvector AHP weights with Saaty's consistency ratio (Saaty 1977, 1980);
* ``combine``: linear, multiplicative, minimum-information and game-theory combined weights (组合赋权), §1.5.

All three are pure: tables and arrays in, a ``pd.Series`` named ``"weight"`` (or an ``AHPResult``) out.
"""

import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["SAATY_RANDOM_INDEX", "AHPResult", "ahp", "combine", "entropy"]

type EntropyNormalisation = Literal["minmax", "raw", "minmax_shift"]
type CombineMethod = Literal["linear", "multiplicative", "min_information", "game_theory"]
type OnInconsistent = Literal["warn", "raise", "ignore"]

MINMAX_SHIFT: Final = 1e-4  # added to min-max values by normalisation="minmax_shift" (normalisation-sensitivity example E4 in docs/metrics.md)


def _read_random_index() -> Mapping[int, float]:
    """The package table ``data/ahp_random_index.csv`` as a read-only mapping n -> RI(n)."""
    with resources.files("symbiosim.metrics").joinpath("data/ahp_random_index.csv").open(encoding="utf-8") as handle:
        table = pd.read_csv(handle)
    return MappingProxyType(dict(zip(table["n"].astype(int), table["random_index"].astype(float), strict=True)))


SAATY_RANDOM_INDEX: Final = _read_random_index()
"""Saaty's random index RI(n), n = 1-11, from ``data/ahp_random_index.csv`` (Saaty 1980)."""

CONSISTENCY_RATIO_LIMIT: Final = 0.10  # Saaty: judgements are acceptably consistent when CR < 0.10
RECIPROCAL_RTOL: Final = 1e-6  # largest |a_ij·a_ji - 1| and |a_ii - 1|; 0.33 written for 1/3 fails it
SUM_TO_ONE_ATOL: Final = 1e-9  # largest |Σw - 1| of the weights given to combine

_DEGENERATE_SIN2: Final = 1e-12  # below this sin² of their angle, game theory treats a and b as one vector

_NORMALISATIONS: Final = ("minmax", "raw", "minmax_shift")
_COMBINE_METHODS: Final = ("linear", "multiplicative", "min_information", "game_theory")
_ON_INCONSISTENT: Final = ("warn", "raise", "ignore")


def entropy(
    data: pd.DataFrame,
    directions: Mapping[Hashable, str] | None = None,
    normalisation: EntropyNormalisation = "minmax",
) -> pd.Series:
    """Entropy weights of the columns (indicators) of ``data``.

    With x' the normalised data: p_ij = x'_ij / Σ_i x'_ij, e_j = -k Σ_i p_ij ln p_ij with k = 1/ln m
    and 0·ln 0 = 0, d_j = 1 - e_j, w_j = d_j / Σ_j d_j (Zavadskas & Podvezko 2016; Xu 2004).

    Normalisations (the choice changes the weights, example E4 in docs/metrics.md, so it is recorded in the output):

    * ``"minmax"``: x' = (x - min)/(max - min) for "+" columns, (max - x)/(max - min) for "-" columns.
      A constant column carries no information; it gets e_j = 1 and weight 0 (it is not an error).
    * ``"minmax_shift"``: min-max, then + 1e-4 so that no p_ij is 0. Constant columns as for min-max.
    * ``"raw"``: p = x/Σx on the raw data (Xu 2004 style); needs non-negative data, a positive sum in
      every column and only "+" directions. A column with equal values gets e_j = 1 and weight 0.

    Args:
        data: m rows (objects, e.g. years or plants; m ≥ 2) by n indicator columns, finite numbers in any unit.
        directions: column -> "+" (larger is better) or "-" (smaller is better); unlisted columns are "+".
        normalisation: ``"minmax"`` (default), ``"minmax_shift"`` or ``"raw"``.

    Returns:
        Weights (dimensionless, ≥ 0, sum 1), index = the columns of ``data``, name ``"weight"``.
        ``attrs["normalisation"]`` holds the normalisation and ``attrs["entropy"]`` the e_j by column
        (a dict, so that weight Series can be concatenated).

    Raises:
        ValueError: if ``data`` has fewer than 2 rows, no columns, duplicate or non-numeric columns, NaN or
            infinite values (naming the column); if a direction is not "+"/"-" or names an unknown column;
            if the normalisation is unknown; under ``"raw"``, a "-" direction, a negative value or a zero
            column sum; if every column is constant, or no column separates the rows in floating point:
            under ``"raw"`` a column whose values differ only within round-off (relative spread below
            about 1e-7) has e_j = 1 exactly, like a constant one.

    Examples:
        Xu 2004, EJOR 156:530-532, raw data:

        >>> data = pd.DataFrame([[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]])
        >>> weights = entropy(data, normalisation="raw")
        >>> weights.round(4).tolist()
        [0.463, 0.3992, 0.1378, 0.0]
        >>> [round(e, 4) for e in weights.attrs["entropy"].values()]
        [0.8872, 0.9027, 0.9664, 1.0]
    """
    if normalisation not in _NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {_NORMALISATIONS}, got {normalisation!r}")
    values, columns, is_negative = _entropy_inputs(data, directions)
    m = values.shape[0]
    if normalisation == "raw":
        if is_negative.any():
            raise ValueError(f"normalisation='raw' cannot handle '-' directions (columns {list(columns[is_negative])})")
        for j, column in enumerate(columns):
            if (values[:, j] < 0).any():
                raise ValueError(f"column {column!r} has negative values; normalisation='raw' needs x ≥ 0")
            if values[:, j].sum() == 0:
                raise ValueError(f"column {column!r} sums to zero; normalisation='raw' cannot form p = x/Σx")
    low, high = values.min(axis=0), values.max(axis=0)
    is_constant = high == low
    if is_constant.all():
        raise ValueError("every column of data is constant; entropy weights are undefined")
    if normalisation == "raw":
        normalised = values.copy()
    else:
        span = np.where(is_constant, 1.0, high - low)
        normalised = np.where(is_negative, high - values, values - low) / span
        normalised += MINMAX_SHIFT if normalisation == "minmax_shift" else 0.0
    normalised[:, is_constant] = 1.0  # uniform p; e_j = 1 is set exactly below
    shares = normalised / normalised.sum(axis=0)
    terms = np.where(shares > 0, shares * np.log(np.where(shares > 0, shares, 1.0)), 0.0)  # 0·ln 0 = 0
    # e_j ≤ 1 in exact arithmetic (Gibbs); round-off can exceed it by ~1e-16 for a near-uniform column.
    entropies = np.minimum(-terms.sum(axis=0) / math.log(m), 1.0)
    entropies[is_constant] = 1.0
    divergences = 1.0 - entropies
    if divergences.sum() <= 0:
        raise ValueError("every column has entropy 1 within round-off: no column separates the rows")
    weights = pd.Series(divergences / divergences.sum(), index=columns, name="weight")
    weights.attrs["normalisation"] = normalisation
    weights.attrs["entropy"] = {column: float(e) for column, e in zip(columns, entropies, strict=True)}
    return weights


def _entropy_inputs(
    data: pd.DataFrame, directions: Mapping[Hashable, str] | None
) -> tuple[NDArray[np.float64], pd.Index, NDArray[np.bool_]]:
    """Validate ``data`` and ``directions``; return the values, the columns and a "-" mask."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if data.shape[1] == 0:
        raise ValueError("data has no columns")
    if data.shape[0] < 2:
        raise ValueError(f"data needs at least 2 rows for k = 1/ln m, got {data.shape[0]}")
    if data.columns.has_duplicates:
        raise ValueError(f"data has duplicate columns: {list(data.columns[data.columns.duplicated()])}")
    for column in data.columns:
        series = data[column]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            raise ValueError(f"column {column!r} is not numeric (dtype {series.dtype})")
        if not np.isfinite(series.to_numpy(dtype=float)).all():
            raise ValueError(f"column {column!r} has NaN or infinite values")
    directions = dict(directions or {})
    unknown = [column for column in directions if column not in data.columns]
    if unknown:
        raise ValueError(f"directions name columns not in data: {unknown}")
    bad = {column: sign for column, sign in directions.items() if sign not in ("+", "-")}
    if bad:
        raise ValueError(f"directions must be '+' or '-', got {bad}")
    is_negative = np.array([directions.get(column, "+") == "-" for column in data.columns])
    return data.to_numpy(dtype=float), data.columns, is_negative


@dataclass(frozen=True, eq=False)
class AHPResult:
    """Result of ``ahp`` (no value equality: it holds a Series).

    Attributes:
        weights: normalised principal eigenvector (> 0, sum 1), index = labels, name ``"weight"``.
        lambda_max: principal eigenvalue λmax (≥ n; = n for a consistent matrix).
        ci: consistency index CI = (λmax - n)/(n - 1); 0 for n ≤ 2.
        cr: consistency ratio CR = CI/RI(n); 0 for n ≤ 2.
        is_consistent: CR < 0.10.
    """

    weights: pd.Series
    lambda_max: float
    ci: float
    cr: float
    is_consistent: bool


def ahp(
    matrix: ArrayLike | pd.DataFrame,
    labels: Sequence[Hashable] | None = None,
    ri: Literal["saaty"] | Mapping[int, float] = "saaty",
    on_inconsistent: OnInconsistent = "warn",
) -> AHPResult:
    """AHP weights from a pairwise comparison matrix, by the principal eigenvector (Saaty 1977, 1980).

    A w = λmax w with w normalised to sum 1; CI = (λmax - n)/(n - 1); CR = CI/RI(n), accepted when
    CR < 0.10; CR = 0 for n ≤ 2 (Saaty 1977, 1980). The eigenvector comes from ``numpy.linalg.eig``;
    the row geometric-mean approximation, which differs in the third decimal, is not used.

    Args:
        matrix: n × n positive reciprocal matrix on Saaty's 1-9 scale, a_ij = importance of i over j,
            a_ji = 1/a_ij and a_ii = 1 (both within 1e-6, so write 1/3 rather than 0.33). A numpy array,
            nested lists or a DataFrame whose index equals its columns.
        labels: n distinct labels of the rows; default the DataFrame index, else 0..n-1.
        ri: ``"saaty"`` for ``SAATY_RANDOM_INDEX`` (n ≤ 11), or a mapping n -> RI(n) > 0 for n ≥ 3.
        on_inconsistent: when CR ≥ 0.10, ``"warn"`` (UserWarning giving CR), ``"raise"`` (ValueError)
            or ``"ignore"``.

    Returns:
        ``AHPResult`` with the weights (index = labels, name ``"weight"``), λmax, CI, CR and
        ``is_consistent``.

    Raises:
        ValueError: if the matrix is not square and 2-D, not finite, not strictly positive, has a diagonal
            entry ≠ 1 or a pair (i, j) with a_ij·a_ji ≠ 1 (the first such pair is named); if the labels do not
            fit; if RI(n) is unavailable or not positive; if ``on_inconsistent="raise"`` and CR ≥ 0.10.

    Examples:
        姜启源《数学模型》, tourism matrix:

        >>> result = ahp([[1, 1/2, 4, 3, 3], [2, 1, 7, 5, 5], [1/4, 1/7, 1, 1/2, 1/3],
        ...               [1/3, 1/5, 2, 1, 1], [1/3, 1/5, 3, 1, 1]])
        >>> result.weights.round(4).tolist()
        [0.2636, 0.4758, 0.0538, 0.0981, 0.1087]
        >>> round(result.lambda_max, 5), round(result.ci, 5), round(result.cr, 5), result.is_consistent
        (5.07208, 0.01802, 0.01609, True)
    """
    if on_inconsistent not in _ON_INCONSISTENT:
        raise ValueError(f"on_inconsistent must be one of {_ON_INCONSISTENT}, got {on_inconsistent!r}")
    values, index = _pairwise_inputs(matrix, labels)
    n = values.shape[0]
    random_index = _random_index(ri, n)
    eigenvalues, eigenvectors = np.linalg.eig(values)
    principal = int(np.argmax(eigenvalues.real))  # Perron root: real, simple, largest (positive matrix)
    lambda_max = float(eigenvalues[principal].real)
    vector = eigenvectors[:, principal].real
    weights = pd.Series(vector / vector.sum(), index=index, name="weight")
    ci = (lambda_max - n) / (n - 1) if n > 2 else 0.0
    cr = ci / random_index if n > 2 else 0.0
    is_consistent = cr < CONSISTENCY_RATIO_LIMIT
    if not is_consistent and on_inconsistent != "ignore":
        message = (
            f"AHP judgements are inconsistent: CR = {cr:.4f} ≥ {CONSISTENCY_RATIO_LIMIT} "
            f"(λmax = {lambda_max:.4f}, n = {n}, RI = {random_index}); revise the pairwise comparisons"
        )
        if on_inconsistent == "raise":
            raise ValueError(message)
        warnings.warn(message, UserWarning, stacklevel=2)
    return AHPResult(weights=weights, lambda_max=lambda_max, ci=ci, cr=cr, is_consistent=is_consistent)


def _pairwise_inputs(
    matrix: ArrayLike | pd.DataFrame, labels: Sequence[Hashable] | None
) -> tuple[NDArray[np.float64], pd.Index]:
    """Validate a pairwise comparison matrix; return it as floats with its row labels."""
    is_frame = isinstance(matrix, pd.DataFrame)
    if is_frame and not matrix.index.equals(matrix.columns):
        raise ValueError("a DataFrame matrix must have the same labels, in the same order, on index and columns")
    try:
        values = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"matrix must be a square 2-D array of numbers: {error}") from error
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.shape[0] == 0:
        raise ValueError(f"matrix must be square and 2-D, got shape {values.shape}")
    n = values.shape[0]
    index = pd.Index(list(labels)) if labels is not None else matrix.index if is_frame else pd.RangeIndex(n)
    if len(index) != n:
        raise ValueError(f"got {len(index)} labels for a {n} × {n} matrix")
    if index.has_duplicates:
        raise ValueError(f"labels must be distinct, got {list(index)}")
    if not np.isfinite(values).all():
        raise ValueError("matrix has NaN or infinite entries")
    if (values <= 0).any():
        i, j = np.argwhere(values <= 0)[0]
        raise ValueError(f"matrix must be strictly positive; a[{i}, {j}] = {float(values[i, j])}")
    off_diagonal = np.abs(np.diag(values) - 1.0) > RECIPROCAL_RTOL
    if off_diagonal.any():
        i = int(np.argmax(off_diagonal))
        raise ValueError(f"matrix diagonal must be 1; a[{i}, {i}] = {float(values[i, i])}")
    not_reciprocal = np.triu(np.abs(values * values.T - 1.0) > RECIPROCAL_RTOL, k=1)
    if not_reciprocal.any():
        i, j = np.argwhere(not_reciprocal)[0]
        a_ij, a_ji = float(values[i, j]), float(values[j, i])
        raise ValueError(
            f"matrix is not reciprocal at pair ({i}, {j}) = ({index[i]!r}, {index[j]!r}): a_ij = {a_ij!r}, "
            f"a_ji = {a_ji!r}, a_ij·a_ji = {a_ij * a_ji!r} (tolerance {RECIPROCAL_RTOL}; write 1/3, not 0.33)"
        )
    return values, index


def _random_index(ri: Literal["saaty"] | Mapping[int, float], n: int) -> float:
    """RI(n) from Saaty's table or a custom mapping; 0 for n ≤ 2 (CR is then 0 by definition)."""
    if isinstance(ri, str):
        if ri != "saaty":
            raise ValueError(f"ri must be 'saaty' or a mapping n -> RI(n), got {ri!r}")
        table: Mapping[int, float] = SAATY_RANDOM_INDEX
    elif isinstance(ri, Mapping):
        table = ri
    else:
        raise ValueError(f"ri must be 'saaty' or a mapping n -> RI(n), got {type(ri).__name__}")
    if n <= 2:
        return 0.0
    if n not in table:
        raise ValueError(f"no random index for n = {n}; the table covers n = {sorted(table)}")
    value = float(table[n])
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"RI({n}) must be a positive number, got {table[n]!r}")
    return value


def combine(a: pd.Series, b: pd.Series, method: CombineMethod = "linear", alpha: float = 0.5) -> pd.Series:
    """Combine two weight vectors, e.g. subjective (AHP) ``a`` and objective (entropy) ``b`` (组合赋权).

    Methods (docs/metrics.md, "Combined weights"):

    * ``"linear"``: w = α·a + (1 - α)·b.
    * ``"multiplicative"``: w_j = a_j·b_j / Σ a_j·b_j.
    * ``"min_information"``: w_j = √(a_j·b_j) / Σ √(a_j·b_j).
    * ``"game_theory"``: solve ``[a·a a·b; b·a b·b] [α1, α2]ᵀ = [a·a, b·b]ᵀ``, normalise α to sum 1,
      w = α1·a + α2·b (zhjx19/mathmodels ``combine_weights``). When a negative α would make w a
      non-convex mix that can give negative weights, a ValueError is raised instead of clipping.
      If a and b coincide (sin² of their angle ≤ 1e-12) the system is singular and α = (1/2, 1/2).

    Args:
        a: weights, ≥ 0 and summing to 1 (within 1e-9), indexed by label.
        b: weights over the same set of labels (any order; aligned by label), ≥ 0 and summing to 1.
        method: ``"linear"`` (default), ``"multiplicative"``, ``"min_information"`` or ``"game_theory"``.
        alpha: share of ``a`` in the linear method, in [0, 1]; ignored by the other methods.

    Returns:
        Combined weights (≥ 0, sum 1), index in the order of ``a``, name ``"weight"``;
        ``attrs["method"]`` is the method and, for linear and game theory, ``attrs["alpha"]`` the share of ``a``.

    Raises:
        TypeError: if ``a`` or ``b`` is not a Series.
        ValueError: if the labels differ or repeat, a weight is negative or not finite, a vector does not sum
            to 1, ``alpha`` is outside [0, 1], the method is unknown, Σ a_j·b_j = 0 (multiplicative and
            minimum-information) or a game-theory coefficient is negative.

    Examples:
        >>> a = pd.Series({"x": 0.5, "y": 0.3, "z": 0.2})
        >>> b = pd.Series({"z": 0.4, "x": 0.2, "y": 0.4})
        >>> combine(a, b, "linear", alpha=0.5).round(4).tolist()
        [0.35, 0.35, 0.3]
        >>> combine(a, b, "multiplicative").round(4).tolist()
        [0.3333, 0.4, 0.2667]
    """
    if method not in _COMBINE_METHODS:
        raise ValueError(f"method must be one of {_COMBINE_METHODS}, got {method!r}")
    if not (isinstance(alpha, int | float) and 0.0 <= alpha <= 1.0):
        raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")
    left, right = _weight_vectors(a, b)
    attrs: dict[str, object] = {"method": method}
    if method == "linear":
        combined = alpha * left + (1.0 - alpha) * right
        attrs["alpha"] = float(alpha)
    elif method in ("multiplicative", "min_information"):
        product = left * right
        if product.sum() <= 0:
            raise ValueError(f"Σ a_j·b_j = 0 (no label has weight in both a and b); method {method!r} is undefined")
        combined = product if method == "multiplicative" else np.sqrt(product)
        combined = combined / combined.sum()
    else:
        share_a = _game_theory_share(left, right)
        combined = share_a * left + (1.0 - share_a) * right
        attrs["alpha"] = share_a
    weights = pd.Series(combined, index=a.index, name="weight")
    weights.attrs.update(attrs)
    return weights


def _weight_vectors(a: pd.Series, b: pd.Series) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate two weight Series over the same labels; return their values in the order of ``a``."""
    for name, series in (("a", a), ("b", b)):
        if not isinstance(series, pd.Series):
            raise TypeError(f"{name} must be a pandas Series, got {type(series).__name__}")
        if series.index.has_duplicates:
            raise ValueError(f"{name} has duplicate labels: {list(series.index[series.index.duplicated()])}")
    if set(a.index) != set(b.index):
        raise ValueError(
            f"a and b must have the same labels; only in a: {sorted(set(a.index) - set(b.index), key=str)}, "
            f"only in b: {sorted(set(b.index) - set(a.index), key=str)}"
        )
    vectors = []
    for name, series in (("a", a), ("b", b.reindex(a.index))):
        values = series.to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise ValueError(f"{name} has NaN or infinite weights")
        if (values < 0).any():
            raise ValueError(f"{name} has negative weights: {series[values < 0].to_dict()}")
        if abs(values.sum() - 1.0) > SUM_TO_ONE_ATOL:
            raise ValueError(f"{name} must sum to 1 (within {SUM_TO_ONE_ATOL}), sums to {values.sum()!r}")
        vectors.append(values)
    return vectors[0], vectors[1]


def _game_theory_share(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Normalised game-theory coefficient α1 of ``a`` (α2 = 1 - α1)."""
    aa, ab, bb = a @ a, a @ b, b @ b
    determinant = aa * bb - ab * ab
    if determinant <= _DEGENERATE_SIN2 * aa * bb:
        return 0.5  # a and b are the same vector: every α gives the same w
    alpha_a, alpha_b = np.linalg.solve(np.array([[aa, ab], [ab, bb]]), np.array([aa, bb]))
    if alpha_a < 0 or alpha_b < 0:
        raise ValueError(
            f"game-theory coefficients ({alpha_a:.4g}, {alpha_b:.4g}) include a negative one: the optimum is "
            "not a convex mix of a and b and may give negative weights; use 'linear' or 'min_information'"
        )
    return float(alpha_a / (alpha_a + alpha_b))
