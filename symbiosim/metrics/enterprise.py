"""An enterprise's accounts with its exchanges and in the counterfactual without them (value-flow evaluation; docs/metrics.md, "An enterprise in a run").

The value-flow evaluation compares *synergistic* production (what the enterprise did, with its
exchanges) with *non-synergistic* production of the same output: every by-product it sold is
landfilled instead (paying the gate fee and EP tax), every by-product it bought is replaced by
the virgin material it displaced, and the subsidies, VAT rebate and investments that came
with the exchanges are gone. Output, prices and everything else stay as they were.

From a run's ledger the model supplies the money entries, energy, air pollutants and
landfilled tonnes; it has no raw-material, water or energy-cost balance, so the indicators
A12, A13, A15, A22, B11, B12 and B23 are left out and the evaluation reports the share of the
weights it covers.
"""

from collections.abc import Mapping

import pandas as pd

from symbiosim.metrics import value_flow

__all__ = ["MODES", "accounts", "evaluate_enterprise"]

MODES = ("synergistic", "non_synergistic")
AIR_POLLUTANTS = ("so2", "nox", "pm")
NEEDED = (
    "profit_cny",
    "product_cost_cny",
    "avoided_material_cny",
    "byproduct_sales_cny",
    "byproduct_purchases_cny",
    "transport_cny",
    "processing_cny",
    "subsidy_cny",
    "vat_rebate_cny",
    "supply_cost_cny",
    "search_cny",
    "link_setup_cny",
    "depreciation_cny",
    "landfill_fee_cny",
    "ep_tax_cny",
    "treatment_cny",
    "storage_cny",
    "energy_tce",
    "energy_saved_tce",
    "landfilled_t",
    "treated_t",
    "sold_solid_t",
    *(f"{p}_t" for p in AIR_POLLUTANTS),
    *(f"{p}_avoided_t" for p in AIR_POLLUTANTS),
)


def accounts(totals: Mapping[str, float], landfill_charge_cny_per_t: float) -> dict[str, dict[str, float]]:
    """Value-flow accounts of one enterprise over a period, with and without its exchanges.

    Args:
        totals: the enterprise's ledger summed over the period (keys of ``NEEDED``; CNY, t, tce).
        landfill_charge_cny_per_t: what disposing of a tonne of its solid by-products
            costs (gate fee + EP tax when landfilled, the route's fee when treated), for the
            tonnes it sold (CNY/t).

    Returns:
        ``{"synergistic": {...}, "non_synergistic": {...}}`` with the keys of
        :func:`symbiosim.metrics.value_flow.indicators_from_accounts` that a run supplies:
        ``net_profit_cny``, ``raw_material_cost_cny`` (virgin inputs net of what by-products
        replaced, plus what the by-products cost to buy, haul and process), ``energy_tce``,
        ``waste_treatment_cost_cny`` (gate fees, EP tax, treatment fees, supply and storage of
        by-products), ``waste_gas_t`` (SO2 + NOx + PM) and ``solid_waste_t`` (landfilled or treated).

    Raises:
        ValueError: a key of ``NEEDED`` is missing, or the charge is negative.

    Examples:
        >>> totals = dict.fromkeys(NEEDED, 0.0) | {"profit_cny": 100.0, "product_cost_cny": 500.0,
        ...     "avoided_material_cny": 60.0, "byproduct_purchases_cny": 10.0, "transport_cny": 20.0,
        ...     "energy_tce": 9.0, "energy_saved_tce": 1.0}
        >>> books = accounts(totals, landfill_charge_cny_per_t=75.0)
        >>> books["synergistic"]["raw_material_cost_cny"], books["non_synergistic"]["raw_material_cost_cny"]
        (470.0, 500.0)
        >>> books["non_synergistic"]["net_profit_cny"], books["non_synergistic"]["energy_tce"]
        (70.0, 10.0)
    """
    missing = [key for key in NEEDED if key not in totals]
    if missing:
        raise ValueError(f"enterprise totals lack {missing}")
    if landfill_charge_cny_per_t < 0:
        raise ValueError(f"landfill_charge_cny_per_t must be >= 0, not {landfill_charge_cny_per_t}")
    t = {key: float(totals[key]) for key in NEEDED}
    buying = t["byproduct_purchases_cny"] + t["transport_cny"] + t["processing_cny"]
    treatment = t["landfill_fee_cny"] + t["ep_tax_cny"] + t["treatment_cny"] + t["supply_cost_cny"] + t["storage_cny"]
    landfilling_sold = t["sold_solid_t"] * landfill_charge_cny_per_t
    # without exchanges: no sales, purchases, avoided material, subsidies, rebate, searches, route set-ups or
    # symbiosis investments; the sold solids go to their disposal route instead
    profit_without = (
        t["profit_cny"]
        - t["byproduct_sales_cny"]
        + t["supply_cost_cny"]
        - landfilling_sold
        + buying
        - t["avoided_material_cny"]
        - t["subsidy_cny"]
        - t["vat_rebate_cny"]
        + t["search_cny"]
        + t["link_setup_cny"]
        + t["depreciation_cny"]
    )
    gas = sum(t[f"{p}_t"] for p in AIR_POLLUTANTS)
    gas_avoided = sum(t[f"{p}_avoided_t"] for p in AIR_POLLUTANTS)
    return {
        "synergistic": {
            "net_profit_cny": t["profit_cny"],
            "raw_material_cost_cny": t["product_cost_cny"] - t["avoided_material_cny"] + buying,
            "energy_tce": t["energy_tce"],
            "waste_treatment_cost_cny": treatment,
            "waste_gas_t": gas,
            "solid_waste_t": t["landfilled_t"] + t["treated_t"],
        },
        "non_synergistic": {
            "net_profit_cny": profit_without,
            "raw_material_cost_cny": t["product_cost_cny"],
            "energy_tce": t["energy_tce"] + t["energy_saved_tce"],
            "waste_treatment_cost_cny": treatment - t["supply_cost_cny"] + landfilling_sold,
            "waste_gas_t": gas + gas_avoided,
            "solid_waste_t": t["landfilled_t"] + t["treated_t"] + t["sold_solid_t"],
        },
    }


def evaluate_enterprise(
    totals: Mapping[str, float], landfill_charge_cny_per_t: float, cap: bool = False
) -> pd.DataFrame:
    """Value-flow evaluation of an enterprise, synergistic against non-synergistic.

    Args:
        totals: as for :func:`accounts`.
        landfill_charge_cny_per_t: as for :func:`accounts`.
        cap: cap each index at 1 (see :func:`symbiosim.metrics.value_flow.evaluate`).

    Returns:
        One row per mode: ``mode``, ``composite``, ``grade``, ``grade_label``,
        ``weight_covered`` (the share of the published weights the run's indicators carry),
        ``composite_rescaled`` (composite ÷ weight covered, so that the published grade
        thresholds, set for the full index system, apply) with its ``grade_rescaled`` and
        ``grade_rescaled_label``, ``net_profit_cny`` and ``note`` (why the enterprise could not
        be evaluated, e.g. the index system is undefined for a loss; the composites are then NaN).
        A facility with no raw-material cost in a mode (a landfill, say) is evaluated without
        A11 and A21.
    """
    books = accounts(totals, landfill_charge_cny_per_t)
    profits = {mode: books[mode]["net_profit_cny"] for mode in MODES}
    if min(profits.values()) <= 0:
        losing = [mode for mode in MODES if profits[mode] <= 0]
        return _not_evaluable(profits, f"net profit <= 0 in {', '.join(losing)}")
    # a facility without raw-material cost (a landfill, say) has no A11 or A21 in either mode
    if min(books[mode]["raw_material_cost_cny"] for mode in MODES) <= 0:
        for mode in MODES:
            del books[mode]["raw_material_cost_cny"]
    try:
        tables = {mode: value_flow.indicators_from_accounts(books[mode]) for mode in MODES}
        summary = value_flow.compare(tables["synergistic"], tables["non_synergistic"], cap=cap)
    except ValueError as error:
        return _not_evaluable(profits, str(error))
    rescaled = summary["composite"] / summary["weight_covered"]
    grades = [value_flow.grade_of(value) for value in rescaled]
    return summary.assign(
        composite_rescaled=rescaled,
        grade_rescaled=[grade for grade, _ in grades],
        grade_rescaled_label=[label for _, label in grades],
        net_profit_cny=[profits[m] for m in summary["mode"]],
        note="",
    )


def _not_evaluable(profits: Mapping[str, float], why: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mode": list(MODES),
            "composite": float("nan"),
            "grade": pd.NA,
            "grade_label": "",
            "weight_covered": float("nan"),
            "composite_rescaled": float("nan"),
            "grade_rescaled": pd.NA,
            "grade_rescaled_label": "",
            "net_profit_cny": [profits[m] for m in MODES],
            "note": f"not evaluable: {why}",
        }
    )
