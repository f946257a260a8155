"""Value-flow evaluation of a product made with and without synergy (Zheng et al., glyphosate case).

The index system has three levels: economic benefit A (A1 resource input, A2 resource productivity)
and environmental benefit B (B1 resource utilisation, B2 waste treatment), with 13 indicators at the
third level (Zheng et al., glyphosate case; docs/metrics.md, "Value-flow evaluation"). Each indicator is compared with a benchmark, the best value in class:

* cost indicator (lower is better: costs, inputs and emissions per unit of net profit):
  index = benchmark / actual;
* benefit indicator (higher is better: net profit per cost, recycling rates): index = actual / benchmark;
* score = index x weight, composite P = sum of the scores, and P is graded from 1 (P >= 0.9, very high)
  to 5 (P < 0.6, very low).

As published, the index is not capped at 1; ``cap=True`` caps it. The default AHP weights and the grade
bands are the package tables ``data/value_flow_weights.csv`` and ``data/value_flow_grades.csv``. The 13
default weights sum to 0.988, not 1. They are kept as given and never renormalised, so a product that
meets the benchmark on every indicator scores 0.988. A partial indicator set gives a composite over the
weights it covers, and the result reports that share as ``weight_covered``.

The original article, with the glyphosate indicator values and composite scores, could not be found.
The examples and tests therefore use hand calculations, not published numbers.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "ValueFlowResult",
    "compare",
    "default_grades",
    "default_weights",
    "evaluate",
    "grade_of",
    "indicators_from_accounts",
]

type Direction = Literal["cost", "benefit"]
type Mode = Literal["synergistic", "non_synergistic"]

DIRECTIONS: tuple[Direction, ...] = ("cost", "benefit")
MODES: tuple[Mode, ...] = ("synergistic", "non_synergistic")
REQUIRED_COLUMNS = ("indicator", "benchmark", "actual", "direction", "weight")
INDEX_AT_BENCHMARK = 1.0  # index when actual equals benchmark; also the cap when cap=True
GRADE_TOLERANCE = 1e-9  # a sum that hits a band edge exactly (0.3 + 0.6 = 0.9) gets that edge's grade

NET_PROFIT_KEY = "net_profit_cny"
WASTE_GAS_KEYS = ("waste_gas_m3", "waste_gas_t")
UNIT_OF_SUFFIX = {"cny": "CNY", "t": "t", "tce": "tce", "m3": "m3"}
# indicator -> (numerator account, denominator account); "waste_gas" is resolved to one of WASTE_GAS_KEYS
RATIOS: dict[str, tuple[str, str]] = {
    "A11": ("raw_material_cost_cny", NET_PROFIT_KEY),
    "A12": ("energy_cost_cny", NET_PROFIT_KEY),
    "A13": ("raw_material_t", NET_PROFIT_KEY),
    "A14": ("energy_tce", NET_PROFIT_KEY),
    "A15": ("water_t", NET_PROFIT_KEY),
    "A21": (NET_PROFIT_KEY, "raw_material_cost_cny"),
    "A22": (NET_PROFIT_KEY, "energy_cost_cny"),
    "B11": ("raw_material_recycled_t", "raw_material_t"),
    "B12": ("energy_recycled_tce", "energy_tce"),
    "B21": ("waste_treatment_cost_cny", NET_PROFIT_KEY),
    "B22": ("waste_gas", NET_PROFIT_KEY),
    "B23": ("waste_water_t", NET_PROFIT_KEY),
    "B24": ("solid_waste_t", NET_PROFIT_KEY),
}
ACCOUNT_KEYS = frozenset({key for pair in RATIOS.values() for key in pair} - {"waste_gas"} | set(WASTE_GAS_KEYS))


@dataclass(frozen=True, eq=False)
class ValueFlowResult:
    """Value-flow evaluation of one product under one production mode.

    Equality is identity (``eq=False``) because the record holds a DataFrame.

    Attributes:
        table: The input table plus ``index`` (dimensionless, >= 0) and ``score`` (index x weight) columns.
        composite: Composite index P, the sum of the scores (dimensionless, >= 0; can exceed 1 without cap).
        grade: Grade 1 (very high) to 5 (very low), from ``default_grades()``.
        grade_label: Label of the grade, e.g. ``"very high"``.
        weight_covered: Sum of the weights of the evaluated indicators (0.988 for the full default set).
    """

    table: pd.DataFrame
    composite: float
    grade: int
    grade_label: str
    weight_covered: float


@cache
def _package_table(name: str) -> pd.DataFrame:
    with resources.files("symbiosim.metrics").joinpath(f"data/{name}").open(encoding="utf-8") as handle:
        return pd.read_csv(handle)


def default_weights() -> pd.DataFrame:
    """Default AHP weights of the 13 indicators (Zheng et al., glyphosate case, as transcribed; original not located, U).

    The weights sum to 0.988, not 1, and are returned as given, not renormalised. The transcribed subtotals
    (A1 0.344, B2 0.210) disagree with its item weights (0.334, 0.198), so one weight may be mistranscribed;
    the ``note`` column records this.

    Returns:
        A copy of the table, one row per indicator (A11 ... B24), with columns ``indicator``, ``name``,
        ``group`` (A1, A2, B1, B2), ``direction`` ("cost" or "benefit"), ``weight`` (dimensionless), ``source``
        and ``note``.

    Examples:
        >>> weights = default_weights()
        >>> round(float(weights["weight"].sum()), 3), weights.set_index("indicator").loc["A21", "direction"]
        (0.988, 'benefit')
    """
    return _package_table("value_flow_weights.csv").copy()


def default_grades() -> pd.DataFrame:
    """Grade bands of the composite index P (Zheng et al., glyphosate case; transcription unverified, U).

    Returns:
        A copy of the table, one row per grade, with columns ``grade`` (1-5), ``label``, ``composite_min``
        and ``composite_max`` (band is min <= P < max; open ends are +-inf), ``source`` and ``note``.
    """
    return _package_table("value_flow_grades.csv").copy()


def grade_of(composite: float) -> tuple[int, str]:
    """Grade (1 = very high ... 5 = very low) and its label for a composite index (docs/metrics.md, "Index, score, composite, grade").

    Examples:
        >>> grade_of(0.85)
        (2, 'high')
    """
    grades = _package_table("value_flow_grades.csv")
    reached = grades.loc[composite >= grades["composite_min"] - GRADE_TOLERANCE]
    band = reached.loc[reached["composite_min"].idxmax()]
    return int(band["grade"]), str(band["label"])


def _require_columns(table: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; required: {list(columns)}")
    if table.empty:
        raise ValueError(f"{what} has no rows")
    if table["indicator"].isna().any():
        raise ValueError(f"{what} has row(s) {table.index[table['indicator'].isna()].tolist()} without an indicator")
    duplicated = table["indicator"].loc[table["indicator"].duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(f"{what} lists indicator(s) {duplicated} more than once")


def _numeric(table: pd.DataFrame, column: str, what: str) -> NDArray[np.float64]:
    values = pd.to_numeric(table[column], errors="coerce").astype(np.float64)
    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        rows = dict(zip(table["indicator"][bad], table[column][bad], strict=True))
        raise ValueError(f"{what}: column {column!r} must hold finite numbers; got {rows} (indicator: value)")
    return values.to_numpy()


def _check_directions(table: pd.DataFrame, what: str) -> None:
    unknown = ~table["direction"].isin(DIRECTIONS)
    if unknown.any():
        rows = dict(zip(table["indicator"][unknown], table["direction"][unknown], strict=True))
        raise ValueError(f"{what}: column 'direction' must be one of {DIRECTIONS}; got {rows} (indicator: value)")


def _require_positive(indicators: pd.Series, values: NDArray[np.float64], where: NDArray[np.bool_], why: str) -> None:
    bad = where & (values <= 0)
    if bad.any():
        raise ValueError(f"indicator(s) {indicators[bad].tolist()}: {why} must be > 0, got {values[bad].tolist()}")


def evaluate(table: pd.DataFrame, cap: bool = False) -> ValueFlowResult:
    """Evaluate one production mode against benchmarks (Zheng et al., glyphosate case; docs/metrics.md, "Value-flow evaluation").

    index = benchmark / actual for a cost indicator, actual / benchmark for a benefit indicator;
    if ``cap``, index = min(index, 1); score = index x weight; composite P = sum of the scores.
    The weights are used as given (not renormalised): an incomplete indicator set gives P over the
    weights it covers, reported as ``weight_covered``. The grade uses ``default_grades()``. A sum that
    meets a band edge within 1e-9 gets that edge's grade.

    Args:
        table: One row per indicator. Columns: ``indicator`` (unique id), ``benchmark`` and ``actual``
            (>= 0, in the indicator's unit, e.g. t per CNY of net profit; the divisor must be > 0), ``direction``
            ("cost" or "benefit") and ``weight`` (>= 0, dimensionless). Other columns are kept; existing
            ``index`` or ``score`` columns are replaced.
        cap: Cap each index at 1 so that beating the benchmark earns no extra credit (the published
            method does not cap).

    Returns:
        The result, whose table is a copy of ``table`` with ``index`` and ``score`` added, in the same order.

    Raises:
        ValueError: If a column is missing, the table is empty, an indicator is absent or repeated, a direction
            is unknown, a number is missing (NaN), infinite or not numeric, a weight, benchmark or actual is
            negative, a benefit indicator has benchmark 0, or a cost indicator has actual 0 against a positive
            benchmark without ``cap`` (its index would be unbounded; 0 against a benchmark of 0 scores 1). The
            message names the indicator and the column.

    Examples:
        >>> table = pd.DataFrame({"indicator": ["A11", "B11", "A21"], "benchmark": [2.0, 0.8, 4.0],
        ...                       "actual": [2.5, 0.6, 6.0], "direction": ["cost", "benefit", "benefit"],
        ...                       "weight": [0.5, 0.3, 0.2]})
        >>> result = evaluate(table)  # indices 0.8, 0.75, 1.5 -> 0.4 + 0.225 + 0.3
        >>> round(result.composite, 6), result.grade, result.grade_label
        (0.925, 1, 'very high')
        >>> capped = evaluate(table, cap=True)  # A21 capped at 1 -> 0.4 + 0.225 + 0.2
        >>> round(capped.composite, 6), capped.grade, capped.grade_label
        (0.825, 2, 'high')
    """
    what = "value-flow table"
    _require_columns(table, REQUIRED_COLUMNS, what)
    _check_directions(table, what)
    benchmark, actual, weight = (_numeric(table, column, what) for column in ("benchmark", "actual", "weight"))
    indicators = table["indicator"].reset_index(drop=True)
    for column, values in (("benchmark", benchmark), ("actual", actual), ("weight", weight)):
        negative = values < 0
        if negative.any():
            raise ValueError(
                f"indicator(s) {indicators[negative].tolist()}: {column} must be >= 0, got {values[negative].tolist()}"
            )
    is_cost = (table["direction"] == "cost").to_numpy()
    _require_positive(indicators, benchmark, ~is_cost, "benchmark of a benefit indicator (index = actual / benchmark)")
    # a cost of 0 (nothing emitted, say) meets a benchmark of 0 (index 1); against a positive
    # benchmark the index is unbounded, which only a cap makes finite
    unbounded = is_cost & (actual == 0) & (benchmark > 0)
    if unbounded.any() and not cap:
        raise ValueError(
            f"indicator(s) {indicators[unbounded].tolist()}: actual of a cost indicator is 0 against a positive "
            "benchmark, so its index (benchmark / actual) is unbounded; evaluate with cap=True"
        )
    numerator, denominator = np.where(is_cost, benchmark, actual), np.where(is_cost, actual, benchmark)
    index = np.divide(numerator, denominator, out=np.full(len(actual), INDEX_AT_BENCHMARK), where=denominator > 0)
    if cap:
        index = np.minimum(index, INDEX_AT_BENCHMARK)
    score = index * weight
    composite = math.fsum(score)
    grade, label = grade_of(composite)
    return ValueFlowResult(
        table=table.assign(index=index, score=score),
        composite=composite,
        grade=grade,
        grade_label=label,
        weight_covered=math.fsum(weight),
    )


def compare(
    synergistic: pd.DataFrame,
    non_synergistic: pd.DataFrame,
    weights: pd.DataFrame | None = None,
    cap: bool = False,
) -> pd.DataFrame:
    """Evaluate a product's synergistic and non-synergistic production against common benchmarks.

    Benchmark rule: each indicator has a single benchmark shared by both modes. It comes from the first of
    these that applies:

    1. a ``benchmark`` column in ``weights``;
    2. ``benchmark`` columns in both mode tables, which must agree for every indicator;
    3. the better of the two actuals: the lower for a cost indicator, the higher for a benefit indicator.

    Under rule 3 the better mode has index 1 on each indicator where it wins, so the composites rank the two
    modes against each other. Supply external best-in-class benchmarks to grade them in absolute terms.
    Indicators that ``weights`` lists but the mode tables lack are left out (see ``weight_covered``).

    Args:
        synergistic: Columns ``indicator`` and ``actual`` (in the indicator's unit) for production with
            exchanges, optionally ``benchmark``; e.g. from ``indicators_from_accounts``.
        non_synergistic: The same indicators for production without exchanges.
        weights: Columns ``indicator``, ``direction`` and ``weight``, optionally ``benchmark``. Defaults to
            ``default_weights()``.
        cap: Cap each index at 1 (see ``evaluate``).

    Returns:
        One row per mode ("synergistic", "non_synergistic") with columns ``mode``, ``composite``, ``grade``,
        ``grade_label`` and ``weight_covered``. ``attrs["results"]`` maps each mode to its ``ValueFlowResult``.
        Each result's ``table`` gives ``benchmark``, ``actual``, ``index`` and ``score`` per indicator; concatenate
        them for a long mode x indicator table.

    Raises:
        ValueError: If a table lacks a column or repeats an indicator, if the two modes list different
            indicators, if an indicator has no weight, if benchmarks come from both ``weights`` and the mode
            tables, or from only one mode table, or disagree between the modes, or if ``evaluate`` rejects a
            mode. The message names the mode.

    Examples:
        >>> weights = pd.DataFrame({"indicator": ["A11", "B11"], "direction": ["cost", "benefit"],
        ...                         "weight": [0.6, 0.4]})
        >>> syn = pd.DataFrame({"indicator": ["A11", "B11"], "actual": [2.0, 0.6]})
        >>> non = pd.DataFrame({"indicator": ["A11", "B11"], "actual": [4.0, 0.8]})
        >>> summary = compare(syn, non, weights)  # benchmarks 2.0 (lower cost) and 0.8 (higher rate)
        >>> summary.round(6)[["mode", "composite", "grade", "grade_label"]].to_numpy().tolist()
        [['synergistic', 0.9, 1, 'very high'], ['non_synergistic', 0.7, 3, 'medium']]
        >>> detail = pd.concat({mode: r.table for mode, r in summary.attrs["results"].items()}, names=["mode", None])
        >>> detail.loc["non_synergistic", "index"].tolist()
        [0.5, 1.0]
    """
    weights = default_weights() if weights is None else weights
    _require_columns(weights, ("indicator", "direction", "weight"), "weights")
    _check_directions(weights, "weights")
    tables: dict[Mode, pd.DataFrame] = {"synergistic": synergistic, "non_synergistic": non_synergistic}
    for mode, table in tables.items():
        _require_columns(table, ("indicator", "actual"), f"{mode} table")
    indicators = [set(table["indicator"]) for table in tables.values()]
    if indicators[0] != indicators[1]:
        raise ValueError(
            f"the modes must list the same indicators; only synergistic: {sorted(indicators[0] - indicators[1])}, "
            f"only non_synergistic: {sorted(indicators[1] - indicators[0])}"
        )
    unweighted = sorted(indicators[0] - set(weights["indicator"]))
    if unweighted:
        raise ValueError(f"indicator(s) {unweighted} have no weight in weights")
    has_benchmark = ["benchmark" in table.columns for table in tables.values()]
    if any(has_benchmark) and "benchmark" in weights.columns:
        raise ValueError("benchmarks are given both in weights and in the mode tables; give them in one place")
    if any(has_benchmark) and not all(has_benchmark):
        raise ValueError("a benchmark column is given in only one mode table; give it in both or in neither")

    base = weights.loc[weights["indicator"].isin(indicators[0])].drop(columns=["source", "note"], errors="ignore")
    columns = ["indicator", "actual", "benchmark"] if all(has_benchmark) else ["indicator", "actual"]
    merged = {mode: base.merge(table[columns], on="indicator", how="left") for mode, table in tables.items()}
    actual = {mode: _numeric(table, "actual", f"{mode} table") for mode, table in merged.items()}
    if all(has_benchmark):
        bench = {mode: _numeric(table, "benchmark", f"{mode} table") for mode, table in merged.items()}
        differs = bench["synergistic"] != bench["non_synergistic"]
        if differs.any():
            raise ValueError(
                f"the modes give different benchmarks for indicator(s) {base['indicator'][differs].tolist()}"
            )
    elif "benchmark" not in base.columns:
        is_cost = (base["direction"] == "cost").to_numpy()
        syn, non = actual["synergistic"], actual["non_synergistic"]
        best = np.where(is_cost, np.minimum(syn, non), np.maximum(syn, non))
        merged = {mode: table.assign(benchmark=best) for mode, table in merged.items()}

    results: dict[Mode, ValueFlowResult] = {}
    for mode, table in merged.items():
        try:
            results[mode] = evaluate(table, cap=cap)
        except ValueError as error:
            raise ValueError(f"{mode}: {error}") from error
    summary = pd.DataFrame(
        {
            "mode": list(results),
            "composite": [result.composite for result in results.values()],
            "grade": [result.grade for result in results.values()],
            "grade_label": [result.grade_label for result in results.values()],
            "weight_covered": [result.weight_covered for result in results.values()],
        }
    )
    summary.attrs["results"] = results
    return summary


def _unit(key: str) -> str:
    return UNIT_OF_SUFFIX[key.rsplit("_", 1)[1]]


def indicators_from_accounts(accounts: Mapping[str, float]) -> pd.DataFrame:
    """Build the 13 value-flow indicators from an enterprise's accounts for one period.

    A11-A15 and B21-B24 divide an input, a cost or an emission by the net profit; A21 and A22 divide the net
    profit by the raw-material and energy costs; B11 and B12 are the recycled shares of the raw-material and
    energy inputs (docs/metrics.md, "An enterprise in a run"). An indicator whose accounts are missing is left out and listed in
    ``attrs["missing"]``. ``evaluate`` then scores only the indicators present and reports ``weight_covered``.
    A zero emission or input gives a cost indicator of 0: it scores 1 against a benchmark of 0 (as in
    ``compare`` when the other mode is no better) and needs ``cap=True`` against a positive benchmark.

    Args:
        accounts: Totals over one period, all >= 0: ``net_profit_cny`` (> 0), ``raw_material_cost_cny``,
            ``energy_cost_cny``, ``raw_material_t`` (all raw material, recycled included), ``energy_tce`` (all
            energy, recycled included), ``water_t``, ``waste_treatment_cost_cny``, ``waste_gas_m3`` or
            ``waste_gas_t``, ``waste_water_t``, ``solid_waste_t``, ``raw_material_recycled_t`` and
            ``energy_recycled_tce``.

    Returns:
        One row per available indicator, in the order A11 ... B24, with columns ``indicator``, ``actual`` and
        ``unit`` (e.g. "t/CNY"). ``attrs["missing"]`` lists the indicators left out.

    Raises:
        ValueError: If a key is unknown, both waste-gas keys are given, a value is not a finite number >= 0,
            the net profit is <= 0 (a loss-making enterprise cannot be evaluated by this index system), a
            recycled amount exceeds its total, or a denominator is 0.

    Examples:
        >>> table = indicators_from_accounts({"net_profit_cny": 2.0e7, "raw_material_cost_cny": 5.0e7,
        ...                                   "raw_material_t": 1.0e4, "raw_material_recycled_t": 2.5e3})
        >>> table.to_numpy().tolist()
        [['A11', 2.5, 'CNY/CNY'], ['A13', 0.0005, 't/CNY'], ['A21', 0.4, 'CNY/CNY'], ['B11', 0.25, 't/t']]
        >>> table.attrs["missing"]
        ['A12', 'A14', 'A15', 'A22', 'B12', 'B21', 'B22', 'B23', 'B24']
    """
    unknown = sorted(set(accounts) - ACCOUNT_KEYS)
    if unknown:
        raise ValueError(f"unknown account key(s) {unknown}; allowed: {sorted(ACCOUNT_KEYS)}")
    gas_keys = [key for key in WASTE_GAS_KEYS if key in accounts]
    if len(gas_keys) > 1:
        raise ValueError(f"give the waste gas as one of {list(WASTE_GAS_KEYS)}, not both")
    values: dict[str, float] = {}
    for key, value in accounts.items():
        try:
            number = float(value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"account {key!r} must be a number, got {value!r}") from error
        if not math.isfinite(number) or (number < 0 and key != NET_PROFIT_KEY):  # a loss gets its own message
            raise ValueError(f"account {key!r} must be a finite number >= 0, got {value!r}")
        values[key] = number
    if NET_PROFIT_KEY in values and values[NET_PROFIT_KEY] <= 0:
        raise ValueError(
            f"{NET_PROFIT_KEY} = {values[NET_PROFIT_KEY]} <= 0: indicators per unit of net profit are undefined, "
            "so a loss-making enterprise cannot be evaluated by this index system"
        )
    for recycled, total in (("raw_material_recycled_t", "raw_material_t"), ("energy_recycled_tce", "energy_tce")):
        if recycled in values and total in values and values[recycled] > values[total]:
            raise ValueError(f"{recycled} = {values[recycled]} exceeds {total} = {values[total]}, the total input")

    rows, missing = [], []
    for indicator, (ratio_numerator, denominator) in RATIOS.items():
        numerator = (gas_keys or [WASTE_GAS_KEYS[0]])[0] if ratio_numerator == "waste_gas" else ratio_numerator
        if numerator not in values or denominator not in values:
            missing.append(indicator)
            continue
        if values[denominator] == 0:
            raise ValueError(f"indicator {indicator} = {numerator} / {denominator} is undefined: {denominator} = 0")
        unit = f"{_unit(numerator)}/{_unit(denominator)}"
        rows.append((indicator, values[numerator] / values[denominator], unit))
    table = pd.DataFrame(rows, columns=["indicator", "actual", "unit"])
    table.attrs["missing"] = missing
    return table
