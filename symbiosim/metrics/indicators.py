"""Order parameters of the circular-economy and low-carbon subsystems, and their synergy (SPEC 7.3-7.4).

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

import pandas as pd

from symbiosim.metrics import coupling, synergy, weights

__all__ = ["SynergyAssessment", "assess", "default_indicators", "indicator_values"]

CNY_PER_10K = 1e4
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


def indicator_values(annual: pd.DataFrame) -> pd.DataFrame:
    """The default indicators from yearly totals of a run.

    Args:
        annual: one row per year (index = year) with the columns of ``REQUIRED``:
            ``product_revenue_cny`` (output value), ``generated_solid_t`` and
            ``symbiosis_used_solid_t`` (solid by-products generated, and used through
            symbiosis technologies), ``landfilled_t``, ``energy_tce``, ``co2_t``,
            ``energy_saved_tce``, ``cement_used_t`` (solid by-products used by cement plants)
            and ``cement_output_t``.

    Returns:
        One row per year; one column per indicator of :func:`default_indicators`.

    Raises:
        ValueError: a required column is missing, or output value or a divisor is not positive.
    """
    missing = [c for c in REQUIRED if c not in annual.columns]
    if missing:
        raise ValueError(f"indicator_values needs yearly columns {missing}")
    for column in ("product_revenue_cny", "generated_solid_t", "cement_output_t"):
        if (annual[column] <= 0).any():
            years = list(annual.index[annual[column] <= 0])
            raise ValueError(f"{column} must be positive in every year (not in {years})")
    value_10k_cny = annual["product_revenue_cny"] / CNY_PER_10K
    table = pd.DataFrame(
        {
            "solid_waste_utilisation_rate": annual["symbiosis_used_solid_t"] / annual["generated_solid_t"],
            "exchange_t_per_10k_cny": annual["symbiosis_used_solid_t"] / value_10k_cny,
            "landfilled_t_per_10k_cny": annual["landfilled_t"] / value_10k_cny,
            "cement_substitution_t_per_t": annual["cement_used_t"] / annual["cement_output_t"],
            "energy_tce_per_10k_cny": annual["energy_tce"] / value_10k_cny,
            "co2_t_per_10k_cny": annual["co2_t"] / value_10k_cny,
            "co2_mt": annual["co2_t"] / 1e6,
            "energy_saved_ktce": annual["energy_saved_tce"] / 1e3,
        },
        index=annual.index,
    )
    return table[list(default_indicators()["indicator"])]


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

    Returns:
        The assessment (see :class:`SynergyAssessment`).

    Raises:
        ValueError: indicators missing from ``values``, fewer than two subsystems or two
            periods, or weights that do not sum to 1 within a subsystem.
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
    data = values[list(spec["indicator"])].astype(float)
    direction = dict(zip(spec["indicator"], spec["direction"], strict=True))
    notes = {"aggregation": method}
    if bounds is None:
        bounds = synergy.default_bounds(data)
        notes["bounds"] = str(bounds.attrs.get("rule", "default_bounds"))
    else:
        notes["bounds"] = "given"
    order = synergy.order_degree(data, bounds.loc["lower"], bounds.loc["upper"], direction)
    chosen = _weights(data, spec, weights_by_indicator, direction, notes)
    orders = pd.DataFrame(index=data.index)
    for name in subsystems:
        members = list(spec.loc[spec["subsystem"] == name, "indicator"])
        given = chosen[members] if method == "weighted" else None  # the geometric mean is unweighted
        orders[name] = synergy.subsystem_order(order[members], given, method=method)
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
    parts = []
    for _, members in spec.groupby("subsystem", sort=False):
        names = list(members["indicator"])
        if isinstance(given, pd.Series):
            part = given.reindex(names)
            if part.isna().any() or abs(part.sum() - 1.0) > WEIGHT_TOLERANCE:
                raise ValueError(f"weights of {names} must be given and sum to 1, not {part.to_dict()}")
        elif given == "equal":
            part = pd.Series(1.0 / len(names), index=names)
        elif given == "entropy":
            part = weights.entropy(data[names], {n: direction[n] for n in names})
        else:
            raise ValueError(f"weights must be a Series, 'entropy' or 'equal', not {given!r}")
        parts.append(part)
    if isinstance(given, str):
        notes["weights"] = "entropy within each subsystem (min-max normalisation)" if given == "entropy" else "equal"
    else:
        notes["weights"] = "given"
    return pd.concat(parts).rename("weight")
