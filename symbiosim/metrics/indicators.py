"""Order parameters of the circular-economy and low-carbon subsystems, and their synergy (docs/metrics.md).

The default indicator set (``data/synergy_indicators.csv``) is computed from yearly region
totals of a run by :func:`indicator_values`; :func:`assess` then turns any indicator table
(rows = years, columns = indicators of one or more subsystems) into order degrees, subsystem
order degrees, the synergy degree (fixed and chained base) and the coupling coordination of
the subsystems. Bounds and weights are explicit inputs; their defaults follow a documented
rule that is recorded in the result:

* bounds: :func:`symbiosim.metrics.synergy.default_bounds` (the observed range, widened);
* weights: entropy weights of each subsystem's indicators over the years (min-max
  normalisation, by indicator direction), or equal weights when ``weights="equal"``.

Users define their own subsystems and indicators with a table like the default one
(columns ``subsystem``, ``indicator``, ``direction``).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

from symbiosim.environment.units import CNY_PER_10K
from symbiosim.metrics import coupling, synergy, weights

__all__ = ["SynergyAssessment", "assess", "default_indicators", "indicator_values"]

WEIGHT_TOLERANCE = 1e-9
REQUIRED = (
    "product_revenue_cny",
    "generated_solid_t",
    "symbiosis_used_solid_t",
    "landfilled_t",
    "energy_tce",
    "co2_t",
    "energy_saved_tce",
    "cement_used_t",
    "cement_output_t",
)


@cache
def _default_table() -> pd.DataFrame:
    path = resources.files("symbiosim.metrics").joinpath("data/synergy_indicators.csv")
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, keep_default_na=False)


def default_indicators() -> pd.DataFrame:
    """The default indicator set: ``subsystem``, ``indicator``, ``direction``, ``unit``, ``meaning``, ``source``."""
    return _default_table().copy()


DIVISORS = {  # what each default indicator is divided by, where that can be zero
    "solid_waste_utilisation_rate": "generated_solid_t",
    "exchange_t_per_10k_cny": "product_revenue_cny",
    "landfilled_t_per_10k_cny": "product_revenue_cny",
    "cement_substitution_t_per_t": "cement_output_t",
    "energy_tce_per_10k_cny": "product_revenue_cny",
    "co2_t_per_10k_cny": "product_revenue_cny",
}


def indicator_values(annual: pd.DataFrame, unavailable: Literal["raise", "nan"] = "raise") -> pd.DataFrame:
    """The default indicators from yearly totals of a run.

    Args:
        annual: one row per year (index = year) with the columns of ``REQUIRED``:
            ``product_revenue_cny`` (output value), ``generated_solid_t`` and
            ``symbiosis_used_solid_t`` (solid by-products generated, and used through
            symbiosis technologies), ``landfilled_t``, ``energy_tce``, ``co2_t``,
            ``energy_saved_tce``, ``cement_used_t`` (solid by-products used by cement plants)
            and ``cement_output_t``.
        unavailable: what to do when a divisor is not positive in some year (e.g. a region
            without cement plants): ``"raise"`` (default) or ``"nan"``, which makes the
            indicators divided by it NaN in every year and gives the reason in
            ``attrs["unavailable"]`` (indicator -> reason).

    Returns:
        One row per year; one column per indicator of :func:`default_indicators`.

    Raises:
        ValueError: a required column is missing, or a divisor is not positive and
            ``unavailable`` is ``"raise"``.
    """
    missing = [c for c in REQUIRED if c not in annual.columns]
    if missing:
        raise ValueError(f"indicator_values needs yearly columns {missing}")
    reasons: dict[str, str] = {}
    for column in dict.fromkeys(DIVISORS.values()):
        if (annual[column] <= 0).any():
            years = list(annual.index[annual[column] <= 0])
            if unavailable == "raise":
                raise ValueError(f"{column} must be positive in every year (not in {years})")
            for indicator, divisor in DIVISORS.items():
                if divisor == column:
                    reasons[indicator] = f"{column} is not positive in {', '.join(map(str, years))} (divisor)"
    value_10k_cny = annual["product_revenue_cny"].where(annual["product_revenue_cny"] > 0) / CNY_PER_10K
    table = pd.DataFrame(
        {
            "solid_waste_utilisation_rate": annual["symbiosis_used_solid_t"] / _positive(annual["generated_solid_t"]),
            "exchange_t_per_10k_cny": annual["symbiosis_used_solid_t"] / value_10k_cny,
            "landfilled_t_per_10k_cny": annual["landfilled_t"] / value_10k_cny,
            "cement_substitution_t_per_t": annual["cement_used_t"] / _positive(annual["cement_output_t"]),
            "energy_tce_per_10k_cny": annual["energy_tce"] / value_10k_cny,
            "co2_t_per_10k_cny": annual["co2_t"] / value_10k_cny,
            "co2_mt": annual["co2_t"] / 1e6,
            "energy_saved_ktce": annual["energy_saved_tce"] / 1e3,
        },
        index=annual.index,
    )
    table = table[list(default_indicators()["indicator"])]
    for indicator in reasons:
        table[indicator] = np.nan
    table.attrs["unavailable"] = reasons
    return table


def _positive(column: pd.Series) -> pd.Series:
    """``column`` with values that are not positive replaced by NaN (a divisor)."""
    return column.where(column > 0)


@dataclass(frozen=True)
class SynergyAssessment:
    """Order degrees, synergy and coupling of the subsystems of an indicator table.

    Attributes:
        order_degrees: rows = periods, columns = indicators (0-1).
        subsystem_orders: rows = periods, columns = subsystems (0-1).
        synergy_fixed: synergy degree against the first period (-1 to 1).
        synergy_chained: synergy degree against the previous period (-1 to 1).
        coupling: coupling coordination of the subsystems per period (``C``, ``T``, ``D``, bands).
        bounds: rows ``lower``, ``upper``; columns = indicators.
        weights: weight of each indicator within its subsystem.
        notes: the rules used for bounds, weights and aggregation.
    """

    order_degrees: pd.DataFrame
    subsystem_orders: pd.DataFrame
    synergy_fixed: pd.Series
    synergy_chained: pd.Series
    coupling: pd.DataFrame
    bounds: pd.DataFrame
    weights: pd.Series
    notes: dict[str, str] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per period: subsystem order degrees, both synergy degrees and the coupling coordination."""
        frame = self.subsystem_orders.add_prefix("order_")
        frame["synergy_fixed"] = self.synergy_fixed
        frame["synergy_chained"] = self.synergy_chained
        return frame.join(self.coupling)


def assess(
    values: pd.DataFrame,
    spec: pd.DataFrame | None = None,
    bounds: pd.DataFrame | None = None,
    weights_by_indicator: pd.Series | str = "entropy",
    method: str = "weighted",
    unavailable: Literal["raise", "exclude"] = "raise",
) -> SynergyAssessment:
    """Order degrees, synergy degree and coupling coordination of the subsystems in ``spec``.

    Args:
        values: rows = periods (in order), columns = indicators.
        spec: ``subsystem``, ``indicator``, ``direction`` ("+"/"-") per indicator (default:
            :func:`default_indicators`); at least two subsystems.
        bounds: rows ``lower``/``upper`` per indicator (default:
            :func:`symbiosim.metrics.synergy.default_bounds` of ``values``).
        weights_by_indicator: a Series of weights per indicator (summing to 1 within each
            subsystem), or ``"entropy"`` (default) or ``"equal"``.
        method: subsystem aggregation, ``weighted`` or ``geometric``.
        unavailable: what to do with an indicator that cannot be assessed, because it has no
            value in some period (NaN, e.g. divided by a cement output of 0) or it is constant
            and the bounds come from the default rule (no observed range): ``"raise"`` (default;
            a constant indicator then keeps the rule's bounds, or raises at 0), or ``"exclude"``, which
            gives it a NaN order degree and weight 0, assesses each subsystem on the rest (given
            weights are rescaled to sum to 1 over them) and records why in
            ``notes["unavailable"]``; a subsystem left with no indicator has a NaN order degree,
            and then the synergy and coupling are NaN too.

    Returns:
        The assessment (see :class:`SynergyAssessment`).

    Raises:
        ValueError: indicators missing from ``values``, fewer than two subsystems or two
            periods, weights that do not sum to 1 within a subsystem, or (with ``unavailable``
            = ``"raise"``) an indicator that cannot be assessed.
    """
    spec = default_indicators() if spec is None else spec
    missing = [i for i in spec["indicator"] if i not in values.columns]
    if missing:
        raise ValueError(f"indicators missing from the values: {missing}")
    subsystems = list(dict.fromkeys(spec["subsystem"]))
    if len(subsystems) < 2:
        raise ValueError(f"at least two subsystems are needed, not {subsystems}")
    if len(values) < 2:
        raise ValueError("at least two periods are needed")
    if unavailable not in ("raise", "exclude"):
        raise ValueError(f"unavailable must be 'raise' or 'exclude', not {unavailable!r}")
    data = values[list(spec["indicator"])].astype(float)
    direction = dict(zip(spec["indicator"], spec["direction"], strict=True))
    notes: dict = {"aggregation": method}
    reasons: dict[str, str] = {}
    if unavailable == "exclude":
        given = values.attrs.get("unavailable", {})
        for name in data.columns[data.isna().any()]:
            reasons[name] = given.get(name, "no value in some period")
    if bounds is None:
        if unavailable == "exclude":
            # bounds from the observed range say nothing about a constant indicator: its order
            # degree would be an artefact of the widening rule (0.5), or undefined at 0
            for name in data.columns[(data.max() == data.min()) & data.notna().all()]:
                reasons[name] = "constant in every period (no observed range to bound it)"
        usable = [name for name in data.columns if name not in reasons]
        if usable:
            found = synergy.default_bounds(data[usable], degenerate="nan" if unavailable == "exclude" else "raise")
            notes["bounds"] = str(found.attrs["rule"])
            for name in found.attrs["degenerate"]:
                reasons[name] = "the default rule gives no bounds (α = β)"
        else:
            found = pd.DataFrame(index=["lower", "upper"])
            notes["bounds"] = "default rule (no indicator to bound)"
        bounds = found.reindex(columns=data.columns)
    else:
        notes["bounds"] = "given"
    usable = [name for name in data.columns if name not in reasons]
    if reasons:
        notes["unavailable"] = reasons
    order = pd.DataFrame(np.nan, index=data.index, columns=data.columns)
    if usable:
        order[usable] = synergy.order_degree(
            data[usable], bounds.loc["lower", usable], bounds.loc["upper", usable], direction
        )
    kept = spec[spec["indicator"].isin(usable)]
    chosen = _weights(data[usable], kept, weights_by_indicator, direction, notes).reindex(data.columns, fill_value=0.0)
    orders = pd.DataFrame(index=data.index)
    for name in subsystems:
        members = list(kept.loc[kept["subsystem"] == name, "indicator"])
        if not members:
            orders[name] = np.nan
            reasons[f"order_{name}"] = f"no indicator of {name} can be assessed"
            continue
        given = chosen[members] if method == "weighted" else None  # the geometric mean is unweighted
        orders[name] = synergy.subsystem_order(order[members], given, method=method)
    if orders.isna().any().any():
        later = data.index[1:]
        return SynergyAssessment(
            order_degrees=order,
            subsystem_orders=orders,
            synergy_fixed=pd.Series(np.nan, index=later, name="synergy"),
            synergy_chained=pd.Series(np.nan, index=later, name="synergy"),
            coupling=pd.DataFrame(
                {"C": np.nan, "T": np.nan, "D": np.nan, "band": None, "coupling_band": None}, index=data.index
            ),
            bounds=bounds,
            weights=chosen,
            notes=notes,
        )
    return SynergyAssessment(
        order_degrees=order,
        subsystem_orders=orders,
        synergy_fixed=synergy.synergy_degree(orders, base="fixed"),
        synergy_chained=synergy.synergy_degree(orders, base="chained"),
        coupling=coupling.coordination(orders),
        bounds=bounds,
        weights=chosen,
        notes=notes,
    )


def _weights(
    data: pd.DataFrame,
    spec: pd.DataFrame,
    given: pd.Series | str,
    direction: Mapping[str, str],
    notes: dict[str, str],
) -> pd.Series:
    """Weights of the indicators within each subsystem (each subsystem's sum to 1)."""
    parts = [pd.Series(dtype=float)]
    if isinstance(given, str):
        notes["weights"] = "entropy within each subsystem (min-max normalisation)" if given == "entropy" else "equal"
    else:
        notes["weights"] = "given"
    for subsystem, members in spec.groupby("subsystem", sort=False):
        names = list(members["indicator"])
        if isinstance(given, pd.Series):
            part = given.reindex(names)
            rescale = "unavailable" in notes and part.sum() > 0  # over the indicators that can be assessed
            if part.isna().any() or (not rescale and abs(part.sum() - 1.0) > WEIGHT_TOLERANCE):
                raise ValueError(f"weights of {names} must be given and sum to 1, not {part.to_dict()}")
            part = part / part.sum() if rescale else part
        elif given == "equal":
            part = pd.Series(1.0 / len(names), index=names)
        elif given == "entropy":
            if (data[names].max() == data[names].min()).all():
                # no indicator separates the periods: entropy weights are undefined, and any
                # weights give the same (constant) subsystem order degree
                part = pd.Series(1.0 / len(names), index=names)
                notes["weights"] += f"; equal for {subsystem} (every indicator constant)"
            else:
                part = weights.entropy(data[names], {n: direction[n] for n in names})
        else:
            raise ValueError(f"weights must be a Series, 'entropy' or 'equal', not {given!r}")
        parts.append(part)
    return pd.concat(parts).rename("weight")
