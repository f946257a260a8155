"""Monthly accounts of a model: energy, emissions, money, the summary series and flow records.

The per-route physical factors (what a tonne on each route displaces, the technology's extra
process energy and CO2, the transport factors) do not change during a run and are computed
once (:func:`route_factors`); each month they are combined with the tonnes traded through the
pure functions of :mod:`symbiosim.metrics.ledger` (seed eq. 6 and 7).

Plain waste treatment (technologies with ``is_symbiosis`` false, e.g. MSW incineration)
displaces material in the buyer's economics, but its effects are not symbiosis savings: its
factors are zero here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from symbiosim.environment.arrays import POLLUTANTS, CatalogArrays
from symbiosim.environment.market import Market
from symbiosim.metrics.ledger import exchange_effects, weighted_sum_by

if TYPE_CHECKING:
    from symbiosim.model import SymbiosisModel

__all__ = [
    "EFFECT_OF",
    "EMITTED",
    "INCOME_ENTRIES",
    "RouteFactors",
    "book_energy_and_emissions",
    "facility_record",
    "facility_view",
    "flow_records",
    "money_ledger",
    "month_summary",
    "route_effects",
    "route_factors",
]

KG_PER_T = 1000.0
INCOME_ENTRIES = (
    "product_revenue_cny",
    "byproduct_sales_cny",
    "avoided_material_cny",
    "subsidy_cny",
    "vat_rebate_cny",
    "landfill_revenue_cny",
)
REVENUE_ENTRIES = (
    "product_revenue_cny",
    "byproduct_sales_cny",
    "landfill_revenue_cny",
    "subsidy_cny",
    "vat_rebate_cny",
)
EMITTED = ("co2", "so2", "nox", "pm")  # what emission charges can be levied on
EFFECT_OF = {"co2": "co2_avoided_t", **{p: f"{p}_avoided_t" for p in POLLUTANTS}}
EFFECTS = ("energy_saved_tce", "co2_avoided_t", *(f"{p}_avoided_t" for p in POLLUTANTS))


@dataclass(frozen=True)
class RouteFactors:
    """Per-route factors of the energy and emission effects (zero for non-symbiosis routes).

    ``material`` holds, per effect, the displaced material's factor (kg or kgce per unit);
    ``extra`` the technology's added process energy or CO2 per tonne; ``transport`` the
    transport factor per t km.
    """

    displaced_per_t: NDArray[np.float64]
    material: dict[str, NDArray[np.float64]]
    extra: dict[str, NDArray[np.float64]]
    transport: dict[str, NDArray[np.float64]]


def route_factors(arrays: CatalogArrays, market: Market) -> RouteFactors:
    """Per-route factors for every effect in ``EFFECTS``."""
    k, b = market.technology, market.byproduct
    counts = arrays.tech_is_symbiosis[k].astype(float)
    mat = arrays.tech_material[k]
    tech, byp, mf = arrays.technology, arrays.byproduct, arrays.material_factors
    zero = np.zeros(len(k))
    material = {
        "energy_saved_tce": mf["energy_kgce"][mat],
        "co2_avoided_t": mf["co2_kg"][mat],
        **{f"{p}_avoided_t": mf[f"{p}_kg"][mat] for p in POLLUTANTS},
    }
    extra = {
        "energy_saved_tce": tech["extra_energy_kgce_per_t"].to_numpy(dtype=float)[k] * counts,
        "co2_avoided_t": tech["extra_co2_kg_per_t"].to_numpy(dtype=float)[k] * counts,
        **{f"{p}_avoided_t": zero for p in POLLUTANTS},
    }
    transport = {
        "energy_saved_tce": byp["transport_kgce_per_t_km"].to_numpy(dtype=float)[b] * counts,
        "co2_avoided_t": byp["transport_co2_kg_per_t_km"].to_numpy(dtype=float)[b] * counts,
        **{f"{p}_avoided_t": zero for p in POLLUTANTS},
    }
    displaced = tech["displaced_per_t"].to_numpy(dtype=float)[k] * counts
    return RouteFactors(displaced_per_t=displaced, material=material, extra=extra, transport=transport)


def route_effects(
    factors: RouteFactors, tonnes: NDArray[np.float64], distance_km: NDArray[np.float64]
) -> dict[str, NDArray[np.float64]]:
    """Energy saved (tce) and CO2, SO2, NOx, PM avoided (t) on each route this month."""
    return {
        name: exchange_effects(
            tonnes,
            distance_km,
            factors.displaced_per_t,
            factors.material[name],
            factors.extra[name],
            factors.transport[name],
        )
        / KG_PER_T
        for name in EFFECTS
    }


def book_energy_and_emissions(model: SymbiosisModel, effects: dict[str, NDArray[np.float64]]) -> None:
    """Facility energy use and emissions: output x intensity, less what its purchases save."""
    n, buyer, led = model.n_facilities, model.market.buyer, model.ledger
    pf = model.arrays.product_factors
    led["energy_saved_tce"] = weighted_sum_by(buyer, effects["energy_saved_tce"], n)
    led["co2_avoided_t"] = weighted_sum_by(buyer, effects["co2_avoided_t"], n)
    led["energy_tce"] = (model.output * pf["energy_kgce"]).sum(axis=1) / KG_PER_T - led["energy_saved_tce"]
    led["co2_t"] = (model.output * pf["co2_kg"]).sum(axis=1) / KG_PER_T - led["co2_avoided_t"]
    for pol in POLLUTANTS:
        led[f"{pol}_avoided_t"] = weighted_sum_by(buyer, effects[f"{pol}_avoided_t"], n)
        led[f"{pol}_t"] = (model.output * pf[f"{pol}_kg"]).sum(axis=1) / KG_PER_T - led[f"{pol}_avoided_t"]


def money_ledger(
    model: SymbiosisModel, tonnes: NDArray[np.float64], value: NDArray[np.float64]
) -> dict[str, NDArray[np.float64]]:
    """Per-facility money this month (CNY); ``profit_cny`` = income entries - all others."""
    mk, n = model.market, model.n_facilities
    k, b = mk.technology, mk.byproduct
    pf = model.arrays.product_factors
    landfilled = model.ledger["landfilled_t"]
    money = {
        "product_revenue_cny": model.product_income_cny(),
        "product_cost_cny": (model.output * pf["cost_cny"]).sum(axis=1),
        "byproduct_sales_cny": weighted_sum_by(mk.seller, value, n),
        "byproduct_purchases_cny": weighted_sum_by(mk.buyer, value, n),
        "transport_cny": weighted_sum_by(mk.buyer, tonnes * mk.transport_cny_per_t, n),
        "processing_cny": weighted_sum_by(mk.buyer, tonnes * model.tech_opex_cny_per_t[k], n),
        "avoided_material_cny": weighted_sum_by(mk.buyer, tonnes * model.tech_avoided_cny_per_t[k], n),
        "subsidy_cny": weighted_sum_by(mk.buyer, tonnes * model.route_subsidy_cny_per_t(), n),
        "supply_cost_cny": weighted_sum_by(mk.seller, tonnes * model.supply_cost[b], n),
        "landfill_fee_cny": (landfilled * model.landfill_fee).sum(axis=1),
        "ep_tax_cny": (landfilled * model.ep_tax).sum(axis=1),
        "storage_cny": (model.ledger["added_to_stock_t"] * model.storage_cost[None, :]).sum(axis=1),
        "search_cny": model.search_cost_cny.copy(),
        "depreciation_cny": model.depreciation_cny_per_month.copy(),
    }
    money["landfill_revenue_cny"] = model.landfill_share.T @ money["landfill_fee_cny"]
    money["emission_charges_cny"] = emission_charges_cny(model)
    money["vat_rebate_cny"] = model.vat_rebate_cny()
    income = sum(money[key] for key in INCOME_ENTRIES)
    money["profit_cny"] = income - sum(money[key] for key in money if key not in INCOME_ENTRIES)
    return money


def facility_view(model: SymbiosisModel) -> dict[str, list[float]]:
    """Per-facility totals of the month as plain lists (what agents report, read in O(1))."""
    led, money = model.ledger, model.money
    revenue = sum(money[key] for key in REVENUE_ENTRIES)
    arrays = {
        "output_units": model.output[np.arange(model.n_facilities), model.main_product],
        "stock_t": model.stock.sum(axis=1),
        **{name: led[name].sum(axis=1) for name in ("generated_t", "sold_t", "bought_t", "landfilled_t")},
        "profit_cny": money["profit_cny"],
        "revenue_cny": revenue,
        "cost_cny": revenue - money["profit_cny"],
        "energy_tce": led["energy_tce"],
        "co2_t": led["co2_t"],
    }
    return {name: values.tolist() for name, values in arrays.items()}


LEDGER_PHYSICAL = (
    "energy_tce",
    "energy_saved_tce",
    "co2_t",
    "co2_avoided_t",
    *(f"{p}_t" for p in POLLUTANTS),
    *(f"{p}_avoided_t" for p in POLLUTANTS),
)
LEDGER_TONNES = ("generated_t", "sold_t", "bought_t", "landfilled_t")


def facility_record(model: SymbiosisModel, tonnes: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """This month's per-facility ledger: tonnes, energy, emissions and money (output value = product revenue).

    ``output_main_units`` is the output of the facility's main product (t or MWh);
    ``generated_solid_t`` counts the by-products whose unsold part is landfilled;
    ``symbiosis_used_solid_t`` the tonnes of those the facility bought through symbiosis
    technologies (not plain waste treatment such as MSW incineration); the money entries are
    those of :func:`money_ledger` (CNY).
    """
    led, mk = model.ledger, model.market
    solid_symbiosis = model.arrays.tech_is_symbiosis[mk.technology] & model.is_landfilled[mk.byproduct]
    return {
        "output_main_units": model.output[np.arange(model.n_facilities), model.main_product],
        "generated_solid_t": led["generated_t"][:, model.is_landfilled].sum(axis=1),
        "symbiosis_used_solid_t": weighted_sum_by(mk.buyer, tonnes * solid_symbiosis, model.n_facilities),
        **{name: led[name].sum(axis=1) for name in LEDGER_TONNES},
        "sold_solid_t": led["sold_t"][:, model.is_landfilled].sum(axis=1),
        **{name: led[name] for name in LEDGER_PHYSICAL},
        **model.money,
    }


def emission_charges_cny(model: SymbiosisModel) -> NDArray[np.float64]:
    """Per-facility carbon and air-pollutant charges this month (CNY).

    CO2 is charged on emissions above the free allocation (a negative charge is the sale of
    unused allowances); SO2, NOx and PM on all emissions.
    """
    led, charges = model.ledger, model.emission_charge_cny_per_t
    free_t = (model.output * model.free_co2_t_per_unit).sum(axis=1)
    total = charges["co2"] * (led["co2_t"] - free_t)
    for pol in POLLUTANTS:
        total = total + charges[pol] * led[f"{pol}_t"]
    return total


def month_summary(model: SymbiosisModel, tonnes: NDArray[np.float64], value: NDArray[np.float64]) -> dict[str, float]:
    """Region totals of the month, as recorded by the DataCollector (see docs/model.md)."""
    led, mk = model.ledger, model.market
    generated = led["generated_t"].sum(axis=0)
    sold = led["sold_t"].sum(axis=0)
    landfilled = led["landfilled_t"].sum(axis=0)
    last: dict[str, float] = {}
    profit = model.money["profit_cny"]
    for sector, rows in model.sector_rows.items():
        last[f"profit_cny.{sector}"] = float(profit[rows].sum())
    for j, name in enumerate(model.byproducts):
        last[f"generated_t.{name}"] = float(generated[j])
        last[f"exchanged_t.{name}"] = float(sold[j])
        last[f"landfilled_t.{name}"] = float(landfilled[j])
        last[f"utilisation_rate.{name}"] = float(sold[j] / generated[j]) if generated[j] > 0 else float("nan")
    last.update(
        {
            "exchanged_t": float(sold.sum()),
            "landfilled_t": float(landfilled.sum()),
            "stock_t": float(model.stock.sum()),
            "active_links": int((tonnes > 0).sum()),
            "known_links": int(mk.known.sum()),
            "technologies_installed": int((model.installed_tpa > 0).sum()),
            "profit_cny": float(model.money["profit_cny"].sum()),
            "byproduct_trade_cny": float(value.sum()),
            "transport_t_km": float((tonnes * mk.distance_km).sum()),
            "energy_tce": float(led["energy_tce"].sum()),
            "energy_saved_tce": float(led["energy_saved_tce"].sum()),
            "co2_t": float(led["co2_t"].sum()),
            "co2_avoided_t": float(led["co2_avoided_t"].sum()),
            **{f"{pol}_t": float(led[f"{pol}_t"].sum()) for pol in POLLUTANTS},
            **{f"{pol}_avoided_t": float(led[f"{pol}_avoided_t"].sum()) for pol in POLLUTANTS},
            "ep_tax_cny": float(model.money["ep_tax_cny"].sum()),
            "subsidy_cny": float(model.money["subsidy_cny"].sum()) + model.capex_subsidy_paid_cny,
            "emission_charges_cny": float(model.money["emission_charges_cny"].sum()),
            "vat_rebate_cny": float(model.money["vat_rebate_cny"].sum()),
            "fiscal_cost_cny": float(model.money["subsidy_cny"].sum())
            + model.capex_subsidy_paid_cny
            + float(model.money["vat_rebate_cny"].sum())
            - float(model.money["ep_tax_cny"].sum())
            - float(model.money["emission_charges_cny"].sum()),
            "landfill_fees_outside_cny": float(model.money["landfill_fee_cny"][~model.has_landfill].sum()),
            "output_value_cny": float(model.product_income_cny().sum()),
            **{
                f"output_units.{p}": float(total)
                for p, total in zip(model.products, model.output.sum(axis=0), strict=True)
            },
            "limited_facilities": int((model.limit_factor < 1.0).sum()),
            "contract_shortfalls": int(model.clearing.shortfalls) if model.clearing else 0,
            "contract_undelivered_t": float(model.clearing.undelivered_t) if model.clearing else 0.0,
        }
    )
    return last


def flow_records(
    model: SymbiosisModel,
    tonnes: NDArray[np.float64],
    value: NDArray[np.float64],
    effects: dict[str, NDArray[np.float64]],
) -> dict[str, NDArray]:
    """Columns of one row per route that traded this month (see ``SymbiosisModel.flows``)."""
    mk = model.market
    r = np.flatnonzero(tonnes > 0)
    price = value[r] / tonnes[r]
    # the buyer's VAT rebate of the month (if it reached the threshold), spread over the listed
    # wastes it bought, replaces the threshold premium it bid: its gain is what it earned
    listed = model.is_landfilled[mk.byproduct[r]]
    listed_t = model.ledger["bought_t"][:, model.is_landfilled].sum(axis=1)
    rebate = np.divide(model.money["vat_rebate_cny"], listed_t, out=np.zeros(model.n_facilities), where=listed_t > 0)
    rebate_per_t = rebate[mk.buyer[r]] * listed
    ids = np.asarray(model.facility_ids, dtype=object)
    is_symbiosis = model.arrays.tech_is_symbiosis[mk.technology[r]]
    return {
        "step": np.full(len(r), model.month_index),
        "date": np.full(len(r), model.date.isoformat(), dtype=object),
        "seller": mk.seller[r],
        "buyer": mk.buyer[r],
        "seller_id": ids[mk.seller[r]],
        "buyer_id": ids[mk.buyer[r]],
        "byproduct": np.asarray(model.byproducts, dtype=object)[mk.byproduct[r]],
        "technology": np.asarray(model.technologies, dtype=object)[mk.technology[r]],
        "is_symbiosis": is_symbiosis,
        "tonnes": tonnes[r],
        "distance_km": mk.distance_km[r],
        "price_cny_per_t": price,
        "transport_cny_per_t": mk.transport_cny_per_t[r],
        "seller_gain_cny_per_t": price - model.route_reservation[r],
        "buyer_gain_cny_per_t": model.route_wtp[r] - model.route_vat_premium[r] - mk.transport_cny_per_t[r] - price
        + rebate_per_t,
        "buyer_vat_rebate_cny_per_t": rebate_per_t,
        "contract_tonnes": model.clearing.contract_tonnes[r],
        "start_step": mk.first_trade_step[r],
        **{name: effects[name][r] for name in EFFECTS},
    }
