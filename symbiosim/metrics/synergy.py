"""Composite-system synergy degree (复合系统协同度) (Meng & Han 2000; docs/metrics.md).

Formula source: Meng Qingsong & Han Wenxiu 2000, 复合系统协调度模型研究, 天津大学学报 33(4):444-446
(citation details unverified, U). The chain is: indicator values -> component order degrees
(:func:`order_degree`, with bounds given or from :func:`default_bounds`) -> subsystem order degrees
(:func:`subsystem_order`) -> synergy degree between periods (:func:`synergy_degree`) -> a band
(:func:`synergy_band`, from ``data/synergy_bands.csv``; the banding scheme is not standardised, U).

Examples:
    Constructed example S1 (not published): two subsystems with three indicators each.

    >>> periods = ["t0", "t1"]
    >>> ce = pd.DataFrame({"CE1": [60, 75], "CE2": [90, 94], "CE3": [1.4, 1.1]}, index=periods)
    >>> lc = pd.DataFrame({"LC1": [2.2, 1.8], "LC2": [0.15, 0.25], "LC3": [10, 18]}, index=periods)
    >>> u_ce = order_degree(ce, {"CE1": 40, "CE2": 80, "CE3": 0.5}, {"CE1": 100, "CE2": 100, "CE3": 2.0},
    ...                     {"CE1": "+", "CE2": "+", "CE3": "-"})
    >>> u_lc = order_degree(lc, {"LC1": 1.0, "LC2": 0.05, "LC3": 0}, {"LC1": 3.0, "LC2": 0.45, "LC3": 40},
    ...                     {"LC1": "-", "LC2": "+", "LC3": "+"})
    >>> u_ce.round(6).to_numpy().tolist()
    [[0.333333, 0.5, 0.4], [0.583333, 0.7, 0.6]]
    >>> orders = pd.DataFrame({
    ...     "CE": subsystem_order(u_ce, pd.Series({"CE1": 0.5, "CE2": 0.2, "CE3": 0.3})),
    ...     "LC": subsystem_order(u_lc, pd.Series({"LC1": 0.4, "LC2": 0.4, "LC3": 0.2})),
    ... })
    >>> orders.round(6).to_numpy().tolist()
    [[0.386667, 0.31], [0.611667, 0.53]]
    >>> synergy = synergy_degree(orders)
    >>> synergy.round(6).to_dict(), synergy_band(synergy).to_dict()
    ({'t1': 0.222486}, {'t1': 'low'})
"""

import functools
import warnings
from collections.abc import Hashable, Mapping
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "OrderDegreeClipped",
    "default_bounds",
    "order_degree",
    "subsystem_order",
    "synergy_band",
    "synergy_degree",
]

type Direction = Literal["+", "-"]
type Bound = float | Mapping[Hashable, float] | pd.Series | NDArray[np.float64]
type DirectionSpec = Direction | Mapping[Hashable, str] | pd.Series
type Base = Literal["fixed", "chained"]
type Aggregation = Literal["weighted", "geometric"]

ZERO_CHANGE = 1e-12  # |Δ_j| below this is "no change": θ = min Δ / |min Δ| is then 0/0, and C = 0
WEIGHT_SUM_TOLERANCE = 1e-9  # weights must sum to 1 within this
MAX_LISTED = 5  # how many offending labels an error or warning message lists


class OrderDegreeClipped(UserWarning):
    """Some indicator values lay outside their bounds [β, α]; their order degrees were clipped to [0, 1]."""


def _listed(items: list) -> str:
    """Up to ``MAX_LISTED`` items, then how many more."""
    shown = ", ".join(repr(item) for item in items[:MAX_LISTED])
    return shown + (f", ... ({len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else "")


def _aligned(spec: object, labels: pd.Index | None, what: str) -> NDArray:
    """``spec`` (scalar, array, mapping or Series) as an array aligned to ``labels`` (None: numpy broadcasting)."""
    if isinstance(spec, Mapping):
        spec = pd.Series(spec, dtype=object)
    if isinstance(spec, pd.Series):
        if labels is None:
            raise ValueError(f"{what} is labelled (mapping or Series), so values must be a pandas Series or DataFrame")
        missing = [label for label in labels if label not in spec.index]
        if missing:
            raise ValueError(f"{what} is missing for {_listed(missing)}")
        return spec.reindex(labels).to_numpy()
    array = np.asarray(spec, dtype=object)
    if labels is not None and array.ndim == 1 and len(array) != len(labels):
        raise ValueError(f"{what} has {len(array)} entries for {len(labels)} labels")
    if labels is not None and array.ndim > 1:
        raise ValueError(f"{what} must be a scalar or one entry per label, got shape {array.shape}")
    return array


def _as_float(array: NDArray, what: str) -> NDArray[np.float64]:
    """``array`` as floats, with a precise error for text or missing entries."""
    try:
        result = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} must be numeric: {error}") from None
    if not np.isfinite(result).all():
        raise ValueError(f"{what} must be finite (no NaN or inf)")
    return result


def _signs(direction: object, labels: pd.Index | None) -> NDArray[np.float64]:
    """+1 for positive ("+") and -1 for negative ("-") indicators."""
    raw = _aligned(direction, labels, "direction")
    flat = raw.ravel()
    unknown = sorted({repr(item) for item in flat if item not in ("+", "-")})
    if unknown:
        raise ValueError(f"direction must be '+' (positive) or '-' (negative), got {', '.join(unknown)}")
    return np.where(flat == "+", 1.0, -1.0).reshape(raw.shape)


def _clip_report(outside: NDArray[np.bool_], values: object) -> str:
    """Where values fell outside their bounds, named by column and row where the input is labelled."""
    if isinstance(values, pd.DataFrame):
        parts = [
            f"column {column!r} rows [{_listed(list(values.index[outside[:, j]]))}]"
            for j, column in enumerate(values.columns)
            if outside[:, j].any()
        ]
        return "; ".join(parts)
    if isinstance(values, pd.Series):
        return f"{values.name!r} rows [{_listed(list(values.index[outside]))}]"
    if np.ndim(outside) == 0:
        return f"value {float(np.asarray(values))!r}"
    return f"positions [{_listed([tuple(int(i) for i in p) for p in np.argwhere(outside)])}]"


def order_degree[V: (float, np.ndarray, pd.Series, pd.DataFrame)](
    values: V, lower: Bound, upper: Bound, direction: DirectionSpec
) -> V:
    """Component order degree of indicator values between bounds β (lower) and α (upper).

    Positive indicator: u = (e − β)/(α − β); negative indicator: u = (α − e)/(α − β) (Meng & Han 2000;
    Meng & Han 2000). Values outside [β, α] are clipped to [0, 1], and the clipping is reported: an
    :class:`OrderDegreeClipped` warning names the cells, and pandas results carry ``attrs["clipped"]``
    (number of clipped cells; 0 when none).

    Args:
        values: indicator values e, in the indicator's unit. A DataFrame has rows = periods (or
            objects) and columns = indicators; a Series or array is one indicator (or broadcasts).
        lower: β, same unit as ``values``: a scalar, or per column (DataFrame) / per index entry
            (Series) as a mapping or Series (extra entries are ignored), or an array broadcasting
            against ``values``.
        upper: α, as ``lower``; α > β everywhere.
        direction: "+" (larger is better) or "-" (smaller is better), or per column / per index
            entry as a mapping or Series, or an array of "+"/"-" broadcasting against ``values``.

    Returns:
        Order degrees in [0, 1] (dimensionless), of the same type and shape as ``values``.

    Raises:
        ValueError: if values or bounds are not finite numbers, α ≤ β anywhere, a bound or direction
            is missing for a column, or a direction is not "+" or "-".

    Examples:
        >>> order_degree(75.0, 40.0, 100.0, "+")
        0.5833333333333334
        >>> order_degree(np.array([1.4, 1.1]), 0.5, 2.0, "-")
        array([0.4, 0.6])
    """
    labels = values.columns if isinstance(values, pd.DataFrame) else None
    if isinstance(values, pd.Series):
        labels = values.index
    e = _as_float(values.to_numpy() if isinstance(values, pd.Series | pd.DataFrame) else values, "values")
    beta = _as_float(_aligned(lower, labels, "lower bound"), "lower bound")
    alpha = _as_float(_aligned(upper, labels, "upper bound"), "upper bound")
    sign = _signs(direction, labels)
    try:
        beta, alpha, sign = (np.broadcast_to(x, e.shape) for x in (beta, alpha, sign))
    except ValueError:
        raise ValueError(f"bounds and direction must broadcast against values of shape {e.shape}") from None
    inverted = ~(alpha > beta)
    if inverted.any():
        where = (
            _listed(list(labels[inverted.reshape(-1, len(labels)).any(axis=0)]))
            if labels is not None
            else _listed([tuple(int(i) for i in p) for p in np.argwhere(np.atleast_1d(inverted))])
        )
        raise ValueError(f"upper bound α must exceed lower bound β; it does not for {where}")
    # judged on the values, not on the ratio, which can round back onto 0 or 1 for a value just outside
    outside = (e < beta) | (e > alpha)
    clipped = int(outside.sum())
    if clipped:
        warnings.warn(
            f"{clipped} order degree(s) clipped to [0, 1] (values outside [β, α]): {_clip_report(outside, values)}",
            OrderDegreeClipped,
            stacklevel=2,
        )
    u = np.clip(np.where(sign > 0, e - beta, alpha - e) / (alpha - beta), 0.0, 1.0)
    if isinstance(values, pd.DataFrame):
        result = pd.DataFrame(u, index=values.index, columns=values.columns)
    elif isinstance(values, pd.Series):
        result = pd.Series(u, index=values.index, name=values.name)
    else:
        return float(u) if np.ndim(u) == 0 else u
    result.attrs["clipped"] = clipped
    return result


def default_bounds(data: pd.DataFrame, widen: float = 0.1, degenerate: Literal["raise", "nan"] = "raise") -> pd.DataFrame:
    """Default bounds per indicator: the period range, widened outwards by ``widen`` of each end's magnitude.

    Rule: α = max + widen·|max| and β = min − widen·|min|, over all rows of each column. For
    non-negative data this is the usual α = 1.1·max, β = 0.9·min (usual practice; no primary source, U), which
    keeps order degrees off 0 and 1 so that a geometric mean is not zeroed; for negative values it
    still widens outwards (max −2 gives α = −1.8). A column whose minimum is 0 gets β = 0.

    Args:
        data: indicator values, rows = periods (or objects), columns = indicators.
        widen: relative widening, ≥ 0 (0 gives the plain max and min).
        degenerate: what to do with a column for which the rule gives α = β (constant at 0, or
            constant with ``widen`` = 0): ``"raise"`` (default) or ``"nan"``, which gives it NaN
            bounds and lists it in ``attrs["degenerate"]``.

    Returns:
        Index ``lower``, ``upper``; one column per indicator; ``attrs["rule"]`` states the rule and
        ``attrs["degenerate"]`` lists the columns without bounds.

    Raises:
        ValueError: if ``data`` is empty or not finite numbers, ``widen`` < 0, or a column gives α = β
            and ``degenerate`` is ``"raise"``.

    Examples:
        >>> default_bounds(pd.DataFrame({"x": [50.0, 100.0], "y": [-4.0, -2.0]}))
                   x    y
        lower   45.0 -4.4
        upper  110.0 -1.8
    """
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise ValueError("data must have at least one row and one column")
    if not (np.isfinite(widen) and widen >= 0):
        raise ValueError(f"widen must be a finite number ≥ 0, got {widen!r}")
    values = _as_float(data.to_numpy(), "data")
    top, bottom = values.max(axis=0), values.min(axis=0)
    upper, lower = top + widen * np.abs(top), bottom - widen * np.abs(bottom)
    flat = ~(upper > lower)
    if flat.any() and degenerate == "raise":
        raise ValueError(
            f"the default rule gives α = β for {_listed(list(data.columns[flat]))} "
            "(constant at 0, or constant with widen = 0); pass bounds explicitly"
        )
    lower, upper = np.where(flat, np.nan, lower), np.where(flat, np.nan, upper)
    bounds = pd.DataFrame([lower, upper], index=["lower", "upper"], columns=data.columns)
    bounds.attrs["degenerate"] = list(data.columns[flat])
    bounds.attrs["rule"] = (
        f"upper = max + {widen}*|max|, lower = min - {widen}*|min| per column over all rows "
        f"(= {1 + widen:g}*max and {1 - widen:g}*min for non-negative data)"
    )
    return bounds


def _order_degrees(orders: pd.DataFrame, what: str) -> NDArray[np.float64]:
    """Order degrees as a float array, checked to be finite and in [0, 1]."""
    if orders.shape[0] == 0 or orders.shape[1] == 0:
        raise ValueError(f"{what} must have at least one row and one column")
    array = _as_float(orders.to_numpy(), what)
    outside = ((array < 0) | (array > 1)).any(axis=0)
    if outside.any():
        raise ValueError(f"{what} must be order degrees in [0, 1]; not so in {_listed(list(orders.columns[outside]))}")
    return array


def _weights(weights: pd.Series | None, columns: pd.Index) -> NDArray[np.float64]:
    """Weights aligned to ``columns``: non-negative, summing to 1 (equal when None)."""
    if weights is None:
        return np.full(len(columns), 1.0 / len(columns))
    if set(weights.index) != set(columns) or len(weights) != len(columns):
        raise ValueError(f"weights index {list(weights.index)} must match the columns {list(columns)}")
    w = _as_float(weights.reindex(columns).to_numpy(), "weights")
    if (w < 0).any():
        raise ValueError(f"weights must be non-negative; negative for {_listed(list(columns[w < 0]))}")
    if abs(w.sum() - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise ValueError(f"weights must sum to 1 (within {WEIGHT_SUM_TOLERANCE:g}), they sum to {float(w.sum())!r}")
    return w


def subsystem_order(u: pd.DataFrame, weights: pd.Series | None = None, method: Aggregation = "weighted") -> pd.Series:
    """Subsystem order degree from its component order degrees (Meng & Han 2000).

    ``weighted``: Σ λ_i·u_i; ``geometric``: (Π u_i)^(1/n), unweighted as in the model.

    Args:
        u: component order degrees in [0, 1]; rows = periods, columns = the subsystem's indicators.
        weights: λ_i indexed by the columns of ``u``, ≥ 0 and summing to 1 within 1e-9;
            None gives equal weights. Only for ``method="weighted"``.
        method: "weighted" or "geometric".

    Returns:
        Order degree in [0, 1] per row of ``u``, named ``subsystem_order``; ``attrs["method"]``.

    Raises:
        ValueError: if ``u`` is empty or outside [0, 1], the weights do not match the columns, are
            negative or do not sum to 1, weights are given for "geometric", or the method is unknown.

    Examples:
        >>> u = pd.DataFrame({"a": [0.2, 0.5], "b": [0.8, 0.5]})
        >>> subsystem_order(u).tolist(), subsystem_order(u, method="geometric").round(6).tolist()
        ([0.5, 0.5], [0.4, 0.5])
    """
    values = _order_degrees(u, "u")
    if method == "weighted":
        # a convex combination lies in [min u, max u]; the bound removes rounding and the weight-sum tolerance only
        order = np.clip(values @ _weights(weights, u.columns), values.min(axis=1), values.max(axis=1))
    elif method == "geometric":
        if weights is not None:
            raise ValueError("the geometric subsystem order degree is unweighted; pass weights only with 'weighted'")
        order = np.prod(values, axis=1) ** (1.0 / values.shape[1])
    else:
        raise ValueError(f"method must be 'weighted' or 'geometric', got {method!r}")
    result = pd.Series(order, index=u.index, name="subsystem_order")
    result.attrs["method"] = method
    return result


def synergy_degree(orders: pd.DataFrame, base: Base = "fixed") -> pd.Series:
    """Composite-system synergy degree C of each period against a base period (Meng & Han 2000).

    Δ_j = u_j(t) − u_j(t0); C = θ·(Π_j |Δ_j|)^(1/k), θ = +1 if every Δ_j > 0, else −1; C = 0 if any
    |Δ_j| < 1e-12 (θ = min Δ/|min Δ| is 0/0). C lies in [−1, 1] (Meng & Han 2000).

    Args:
        orders: subsystem order degrees in [0, 1]; rows = periods in time order, columns = k ≥ 2
            subsystems.
        base: "fixed" (t0 = the first row) or "chained" (t0 = the previous row).

    Returns:
        C (dimensionless, in [−1, 1]) for every row but the first, which has no base and is left out;
        named ``synergy_degree``, indexed by those rows' labels; ``attrs["base"]``.

    Raises:
        ValueError: if there are fewer than 2 subsystems or 2 periods, orders lie outside [0, 1] or
            are not finite, or ``base`` is unknown.

    Examples:
        >>> orders = pd.DataFrame({"CE": [0.40, 0.60, 0.35], "LC": [0.50, 0.45, 0.45]}, index=[2020, 2021, 2022])
        >>> synergy_degree(orders).round(6).to_dict()
        {2021: -0.1, 2022: -0.05}
        >>> synergy_degree(orders, base="chained").round(6).to_dict()
        {2021: -0.1, 2022: 0.0}
    """
    values = _order_degrees(orders, "orders")
    rows, k = values.shape
    if k < 2:
        raise ValueError(f"the synergy degree needs k ≥ 2 subsystems (columns), got {k}")
    if rows < 2:
        raise ValueError(f"the synergy degree needs at least 2 periods (rows), got {rows}")
    if base == "fixed":
        reference = values[:1]
    elif base == "chained":
        reference = values[:-1]
    else:
        raise ValueError(f"base must be 'fixed' or 'chained', got {base!r}")
    delta = values[1:] - reference
    magnitude = np.prod(np.abs(delta), axis=1) ** (1.0 / k)
    theta = np.where((delta > 0).all(axis=1), 1.0, -1.0)
    synergy = np.where((np.abs(delta) < ZERO_CHANGE).any(axis=1), 0.0, theta * magnitude)
    result = pd.Series(synergy, index=orders.index[1:], name="synergy_degree")
    result.attrs["base"] = base
    return result


@functools.cache
def _bands() -> pd.DataFrame:
    """The synergy bands (read once)."""
    path = resources.files("symbiosim.metrics").joinpath("data/synergy_bands.csv")
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype={"is_lower_closed": bool, "is_upper_closed": bool})


def _band_labels(values: NDArray[np.float64], table: pd.DataFrame, what: str) -> NDArray:
    """The ``label_en`` of the one band of ``table`` holding each value (interval ends per the table)."""
    v = values[:, None]
    lower, upper = table["lower"].to_numpy(float), table["upper"].to_numpy(float)
    above = (v > lower) | (table["is_lower_closed"].to_numpy() & (v == lower))
    below = (v < upper) | (table["is_upper_closed"].to_numpy() & (v == upper))
    inside = above & below
    unbanded = inside.sum(axis=1) != 1
    if unbanded.any():
        raise ValueError(
            f"{what} {_listed(values[unbanded].tolist())} outside the bands [{lower.min()}, {upper.max()}]"
        )
    return table["label_en"].to_numpy()[inside.argmax(axis=1)]


def synergy_band(c: float | pd.Series) -> str | pd.Series:
    """Band label of synergy degrees, from ``data/synergy_bands.csv``.

    Scheme [−1, 0) none, [0, 0.3) low, [0.3, 0.6) medium, [0.6, 0.8) high, [0.8, 1] very high: frequent
    but not standardised (no primary source, U; docs/metrics.md, "Synergy bands (U)").

    Args:
        c: synergy degree(s) in [−1, 1].

    Returns:
        The label, or a Series of labels with the index of ``c`` named ``synergy_band``.

    Raises:
        ValueError: if a value is not finite or lies outside [−1, 1].

    Examples:
        >>> synergy_band(-0.1), synergy_band(0.3), synergy_band(1.0)
        ('none', 'medium', 'very high')
    """
    if isinstance(c, pd.Series):
        labels = _band_labels(_as_float(c.to_numpy(), "synergy degree"), _bands(), "synergy degree")
        return pd.Series(labels, index=c.index, name="synergy_band")
    return str(_band_labels(_as_float(np.atleast_1d(c), "synergy degree"), _bands(), "synergy degree")[0])
