"""Monthly accounts: energy, emissions, money, the summary series and flow records.

The per-route physical factors (what a tonne on each route displaces, the technology's extra
process energy and CO2, the transport factors) do not change during a run and are computed
once (:func:`route_factors`); each month they are combined with the tonnes traded through the
pure functions of :mod:`symbiosim.metrics.ledger` (energy and emission effects of an exchange).

Accounting reads the state groups (:class:`Books`: the catalog, the facility state, the policy
levers, the market and where landfilled tonnes go) and writes one month's
:class:`MonthAccounts`; it never reads or writes the model.

Plain waste treatment (technologies with ``is_symbiosis`` false, e.g. MSW incineration)
displaces material in the buyer's economics, but its effects are not symbiosis savings: its
factors are zero here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from symbiosim.agents import FacilityState
from symbiosim.environment.arrays import POLLUTANTS, CatalogArrays
from symbiosim.environment.geography import Landfills
from symbiosim.environment.market import ClearingResult, Market
from symbiosim.environment.outlets import OutletClearing
from symbiosim.environment.pricing import (
    RoutePrices,
    subsidy_cny_per_t,
    vat_qualifies,
    vat_threshold_premium_cny_per_t,
)
from symbiosim.environment.routes import Routes
from symbiosim.environment.units import KG_PER_T
from symbiosim.metrics.ledger import exchange_effects, weighted_sum_by
from symbiosim.policies.levers import EMITTED, PolicyLevers

__all__ = [
    "EFFECT_OF",
    "EMITTED",
    "INCOME_ENTRIES",
    "LEDGER_PER_FACILITY",
    "LEDGER_TONNES_BY_BYPRODUCT",
    "Books",
    "MonthAccounts",
    "RouteFactors",
    "book_energy_and_emissions",
    "facility_totals",
    "money_ledger",
    "product_income_cny",
    "raw_material_t",
    "route_effects",
    "route_factors",
    "traded_by_facility",
    "under_contract_t",
    "vat_premium_bid",
    "vat_rebate_cny",
]

INCOME_ENTRIES = (
    "product_revenue_cny",
    "byproduct_sales_cny",
    "outlet_sales_cny",
    "avoided_material_cny",
    "subsidy_cny",
    "vat_rebate_cny",
    "landfill_revenue_cny",
)
REVENUE_ENTRIES = (
    "product_revenue_cny",
    "byproduct_sales_cny",
    "outlet_sales_cny",
    "landfill_revenue_cny",
    "subsidy_cny",
    "vat_rebate_cny",
)
EFFECT_OF = {"co2": "co2_avoided_t", **{p: f"{p}_avoided_t" for p in POLLUTANTS}}
EFFECTS = ("energy_saved_tce", "co2_avoided_t", *(f"{p}_avoided_t" for p in POLLUTANTS))
LEDGER_TONNES_BY_BYPRODUCT = (
    "generated_t",
    "drawn_from_stock_t",
    "sold_t",
    "outlet_t",
    "bought_t",
    "added_to_stock_t",
    "disposed_t",
    "landfilled_t",
    "treated_t",
)  # (facilities, by-products) each
LEDGER_PER_FACILITY = (
    "energy_tce",
    "energy_saved_tce",
    "co2_t",
    "co2_avoided_t",
    *(f"{p}_t" for p in POLLUTANTS),
    *(f"{p}_avoided_t" for p in POLLUTANTS),
)  # (facilities,) each, in the order of the facility ledger's columns


@dataclass(frozen=True)
class Books:
    """What accounting reads: the state groups of a run (none of them is changed by accounting).

    Attributes:
        catalog: the scenario's arrays.
        state: the facilities.
        levers: this month's policy levers.
        market: routes, partner knowledge and contracts.
        landfills: where each facility's landfilled tonnes go.
        sector_rows: the facilities of each sector.
        factors: per-route effect factors.
    """

    catalog: CatalogArrays
    state: FacilityState
    levers: PolicyLevers
    market: Market
    landfills: Landfills
    sector_rows: dict[str, NDArray[np.intp]]
    factors: RouteFactors

    @cached_property
    def route_unused_share(self) -> NDArray[np.float64]:
        """Per route, the share of its by-product business as usual leaves unused (the routes do not change)."""
        return self.catalog.bau_landfill_share[self.market.routes.byproduct]

    @cached_property
    def route_in_tonnes(self) -> NDArray[np.bool_]:
        """Per route, whether its by-product is counted in tonnes (not MWh)."""
        return self.catalog.in_tonnes[self.market.routes.byproduct]


@dataclass
class MonthAccounts:
    """One month's accounts (replaced, entry by entry, every month).

    Attributes:
        ledger: physical entries by name, (facilities, by-products) for ``LEDGER_TONNES_BY_BYPRODUCT``,
            (facilities,) for energy and emissions.
        money: money entries by name (CNY), (facilities,) each; ``profit_cny`` = income - costs.
        totals: per-facility totals agents report (profit, energy, tonnes, ...), as lists.
        summary: region totals of the month, as the DataCollector records them.
        prices: this month's route prices.
        clearing: this month's clearing (None before the first month).
        tonnes, value_cny: (routes,) traded this month.
        effects: per effect, (routes,) energy saved and emissions avoided this month.
        search_cost_cny: (facilities,) what searching for partners cost this month.
        outlets: this month's sales to outlets (none before the first month).
    """

    ledger: dict[str, NDArray[np.float64]]
    money: dict[str, NDArray[np.float64]]
    totals: dict[str, list[float]]
    summary: dict[str, float]
    prices: RoutePrices
    tonnes: NDArray[np.float64]
    value_cny: NDArray[np.float64]
    effects: dict[str, NDArray[np.float64]]
    search_cost_cny: NDArray[np.float64]
    clearing: ClearingResult | None = None
    outlets: OutletClearing | None = None

    def copy(self) -> MonthAccounts:
        """An independent copy."""
        return MonthAccounts(
            ledger={name: values.copy() for name, values in self.ledger.items()},
            money={name: values.copy() for name, values in self.money.items()},
            totals={name: list(values) for name, values in self.totals.items()},
            summary=dict(self.summary),
            prices=RoutePrices(self.prices.wtp.copy(), self.prices.reservation.copy(), self.prices.vat_premium.copy()),
            tonnes=self.tonnes.copy(),
            value_cny=self.value_cny.copy(),
            effects={name: values.copy() for name, values in self.effects.items()},
            search_cost_cny=self.search_cost_cny.copy(),
            clearing=self.clearing,
            outlets=self.outlets,
        )

    def restore(self, saved: MonthAccounts) -> None:
        """Take ``saved``'s entries (``totals`` is updated in place: agents read it)."""
        copied = saved.copy()
        self.ledger, self.money, self.summary = copied.ledger, copied.money, copied.summary
        self.prices, self.tonnes, self.value_cny = copied.prices, copied.tonnes, copied.value_cny
        self.effects, self.search_cost_cny, self.clearing = copied.effects, copied.search_cost_cny, copied.clearing
        self.outlets = copied.outlets
        self.totals.clear()
        self.totals.update(copied.totals)

    @classmethod
    def empty(cls, n: int, n_byproducts: int, n_routes: int) -> MonthAccounts:
        """Accounts of no month yet: every entry zero."""
        ledger = {name: np.zeros((n, n_byproducts)) for name in LEDGER_TONNES_BY_BYPRODUCT}
        ledger |= {name: np.zeros(n) for name in LEDGER_PER_FACILITY}
        return cls(
            ledger=ledger,
            money={"profit_cny": np.zeros(n)},
            totals={},
            summary={},
            prices=RoutePrices.zeros(n_routes),
            tonnes=np.zeros(n_routes),
            value_cny=np.zeros(n_routes),
            effects={},
            search_cost_cny=np.zeros(n),
            outlets=OutletClearing.none(n, n_byproducts),
        )


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


def route_factors(arrays: CatalogArrays, routes: Routes) -> RouteFactors:
    """Per-route factors for every effect in ``EFFECTS``."""
    k, b = routes.technology, routes.byproduct
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
    by_road = routes.transport_kgce_per_t_km is None or routes.transport_co2_kg_per_t_km is None
    kgce = byp["transport_kgce_per_t_km"].to_numpy(dtype=float)[b] if by_road else routes.transport_kgce_per_t_km
    co2 = byp["transport_co2_kg_per_t_km"].to_numpy(dtype=float)[b] if by_road else routes.transport_co2_kg_per_t_km
    transport = {
        "energy_saved_tce": kgce * counts,
        "co2_avoided_t": co2 * counts,
        **{f"{p}_avoided_t": zero for p in POLLUTANTS},
    }
    displaced = tech["displaced_per_t"].to_numpy(dtype=float)[k] * counts
    return RouteFactors(displaced_per_t=displaced, material=material, extra=extra, transport=transport)


def route_effects(
    factors: RouteFactors, tonnes: NDArray[np.float64], distance_km: NDArray[np.float64]
) -> dict[str, NDArray[np.float64]]:
    """Energy saved (tce) and CO2, SO2, NOx, PM avoided (t) on each route this month (computed where tonnes moved)."""
    traded = np.flatnonzero(tonnes)
    effects = {}
    for name in EFFECTS:
        effect = np.zeros(len(tonnes))
        effect[traded] = exchange_effects(
            tonnes[traded],
            distance_km[traded],
            factors.displaced_per_t[traded],
            factors.material[name][traded],
            factors.extra[name][traded],
            factors.transport[name][traded],
        ) / KG_PER_T
        effects[name] = effect
    return effects


def traded_by_facility(
    routes: Routes, tonnes: NDArray[np.float64], n: int, n_byproducts: int, n_technologies: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Tonnes each facility sold and bought (facilities, by-products), and used per technology (facilities, technologies)."""
    n_b, n_k, t = n_byproducts, n_technologies, np.flatnonzero(tonnes)  # the routes that traded
    seller, buyer, byproduct, tonnes = routes.seller[t], routes.buyer[t], routes.byproduct[t], tonnes[t]
    sold = np.bincount(seller * n_b + byproduct, weights=tonnes, minlength=n * n_b).reshape(n, n_b)
    bought = np.bincount(buyer * n_b + byproduct, weights=tonnes, minlength=n * n_b).reshape(n, n_b)
    used = np.bincount(buyer * n_k + routes.technology[t], weights=tonnes, minlength=n * n_k).reshape(n, n_k)
    return sold, bought, used


def under_contract_t(market: Market, step: int, n: int, n_byproducts: int) -> NDArray[np.float64]:
    """Volume each seller has under contracts in force at ``step`` (facilities, by-products), t per month."""
    routes, in_force = market.routes, market.active_contracts(step)
    flat_seller = routes.flat_index("seller", n_byproducts)
    volume = np.bincount(
        flat_seller[in_force], weights=market.book.contract_volume_t[in_force], minlength=n * n_byproducts
    )
    return volume.reshape(n, n_byproducts)


def product_income_cny(catalog: CatalogArrays, state: FacilityState) -> NDArray[np.float64]:
    """Each facility's income from its products this month (CNY)."""
    return (state.output * catalog.product_factors["price_cny"]).sum(axis=1)


def raw_material_t(state: FacilityState, levers: PolicyLevers) -> NDArray[np.float64]:
    """Each facility's raw material this month (t), for the VAT-rebate share of wastes."""
    return (state.output * levers.raw_material_t_per_unit).sum(axis=1)


def vat_premium_bid(
    catalog: CatalogArrays, state: FacilityState, levers: PolicyLevers, capacity_t: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The VAT-threshold premium each plant bids per tonne of listed waste this month, and its raw material (t).

    Both are zero without a VAT rebate; see :func:`~symbiosim.environment.pricing.vat_threshold_premium_cny_per_t`
    (``capacity_t``: (facilities,) each plant's capacity for wastes this month).
    """
    n = catalog.n_facilities
    if not levers.vat_rebate_rate.any():
        return np.zeros(n), np.zeros(n)
    raw_t = raw_material_t(state, levers)
    premium = vat_threshold_premium_cny_per_t(levers.vat_rebate_rate, product_income_cny(catalog, state),
                                              levers.vat_threshold * raw_t, capacity_t)  # fmt: skip
    return premium, raw_t


def vat_rebate_cny(books: Books, bought_t: NDArray[np.float64]) -> NDArray[np.float64]:
    """VAT rebate earned this month: rate x product income where listed wastes (of ``bought_t``) reached the threshold."""
    levers, n = books.levers, books.catalog.n_facilities
    if not levers.vat_rebate_rate.any():
        return np.zeros(n)
    listed_t = bought_t[:, books.catalog.is_solid].sum(axis=1)
    qualifies = vat_qualifies(
        listed_t, raw_material_t(books.state, levers), levers.vat_rebate_rate, levers.vat_threshold
    )
    return np.where(qualifies, levers.vat_rebate_rate * product_income_cny(books.catalog, books.state), 0.0)


def book_energy_and_emissions(
    books: Books,
    effects: dict[str, NDArray[np.float64]],
    ledger: dict[str, NDArray[np.float64]],
    traded: NDArray[np.intp] | None = None,
) -> None:
    """Facility energy use and emissions: output x intensity, plus the treatment of its treated tonnes, less what its purchases save.

    ``traded``: the routes that traded (every effect is zero on the others, so the sums are the
    same over them alone); None: every route.
    """
    t = slice(None) if traded is None else traded
    n, buyer, disposal = books.catalog.n_facilities, books.market.routes.buyer[t], books.catalog.disposal
    pf, output, treated = books.catalog.product_factors, books.state.output, ledger["treated_t"]
    ledger["energy_saved_tce"] = weighted_sum_by(buyer, effects["energy_saved_tce"][t], n)
    ledger["co2_avoided_t"] = weighted_sum_by(buyer, effects["co2_avoided_t"][t], n)
    energy_kgce = (output * pf["energy_kgce"]).sum(axis=1) + treated @ disposal.treatment_kgce_per_t
    co2_kg = (output * pf["co2_kg"]).sum(axis=1) + treated @ disposal.treatment_co2_kg_per_t
    ledger["energy_tce"] = energy_kgce / KG_PER_T - ledger["energy_saved_tce"]
    ledger["co2_t"] = co2_kg / KG_PER_T - ledger["co2_avoided_t"]
    for pol in POLLUTANTS:
        ledger[f"{pol}_avoided_t"] = weighted_sum_by(buyer, effects[f"{pol}_avoided_t"][t], n)
        ledger[f"{pol}_t"] = (output * pf[f"{pol}_kg"]).sum(axis=1) / KG_PER_T - ledger[f"{pol}_avoided_t"]


def money_ledger(
    books: Books,
    ledger: dict[str, NDArray[np.float64]],
    tonnes: NDArray[np.float64],
    value: NDArray[np.float64],
    search_cost_cny: NDArray[np.float64],
    outlet_sales_cny: NDArray[np.float64],
    clearing: ClearingResult | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Per-facility money this month (CNY); ``profit_cny`` = income entries - all others.

    Sales to outlets (``outlet_sales_cny``, (facilities,), and ``ledger["outlet_t"]``) and
    their supply costs are entries of their own, beside the sales on symbiosis routes. The
    set-up of routes first traded this month comes from ``clearing`` (none before the first).
    """
    catalog, state, levers, routes = books.catalog, books.state, books.levers, books.market.routes
    t = np.flatnonzero(tonnes)  # the routes that traded: every per-route entry is zero on the others
    n, k, b, seller, buyer = catalog.n_facilities, routes.technology[t], routes.byproduct[t], routes.seller[t], routes.buyer[t]
    pf, value, tonnes = catalog.product_factors, value[t], tonnes[t]
    landfilled = ledger["landfilled_t"]
    route_subsidy = subsidy_cny_per_t(routes, levers.subsidy_cny_per_t, levers.transport_subsidy_cny_per_t_km, t)
    money = {
        "product_revenue_cny": product_income_cny(catalog, state),
        "product_cost_cny": (state.output * pf["cost_cny"]).sum(axis=1),
        "byproduct_sales_cny": weighted_sum_by(seller, value, n),
        "outlet_sales_cny": outlet_sales_cny.copy(),
        "byproduct_purchases_cny": weighted_sum_by(buyer, value, n),
        "transport_cny": weighted_sum_by(buyer, tonnes * routes.transport_cny_per_t[t], n),
        "processing_cny": weighted_sum_by(buyer, tonnes * (catalog.tech_opex_cny_per_t * state.cost_factor)[k], n),
        "avoided_material_cny": weighted_sum_by(buyer, tonnes * catalog.tech_avoided_cny_per_t[k], n),
        "subsidy_cny": weighted_sum_by(buyer, tonnes * route_subsidy, n),
        "supply_cost_cny": weighted_sum_by(seller, tonnes * catalog.supply_cost_cny_per_t[b], n),
        "outlet_supply_cost_cny": ledger["outlet_t"] @ catalog.supply_cost_cny_per_t,
        "landfill_fee_cny": (landfilled * levers.landfill_fee).sum(axis=1),
        "ep_tax_cny": (landfilled * levers.ep_tax).sum(axis=1),
        "treatment_cny": ledger["treated_t"] @ catalog.disposal.treatment_fee_cny_per_t,
        "storage_cny": (ledger["added_to_stock_t"] * catalog.storage_cost_cny_per_t_month[None, :]).sum(axis=1),
        "search_cny": search_cost_cny.copy(),
        "link_setup_cny": _setup_cny(clearing, routes, n, t),
        "depreciation_cny": state.depreciation_cny_per_month.copy(),
    }
    money["landfill_revenue_cny"] = books.landfills.revenue_cny(money["landfill_fee_cny"])
    money["emission_charges_cny"] = emission_charges_cny(state, levers, ledger)
    money["vat_rebate_cny"] = vat_rebate_cny(books, ledger["bought_t"])
    income = sum(money[key] for key in INCOME_ENTRIES)
    money["profit_cny"] = income - sum(money[key] for key in money if key not in INCOME_ENTRIES)
    return money


def _setup_cny(clearing: ClearingResult | None, routes: Routes, n: int, traded: NDArray[np.intp]) -> NDArray[np.float64]:
    """Per facility, its part of the set-up of the routes first traded this month (CNY; ``traded``: the routes that traded)."""
    if clearing is None or clearing.setup_seller_cny is None or clearing.setup_buyer_cny is None:
        return np.zeros(n)
    return weighted_sum_by(routes.seller[traded], clearing.setup_seller_cny[traded], n) + weighted_sum_by(
        routes.buyer[traded], clearing.setup_buyer_cny[traded], n
    )


def facility_totals(
    catalog: CatalogArrays,
    state: FacilityState,
    ledger: dict[str, NDArray[np.float64]],
    money: dict[str, NDArray[np.float64]],
) -> dict[str, list[float]]:
    """Per-facility totals of the month as plain lists (what agents report, read in O(1))."""
    revenue = sum(money[key] for key in REVENUE_ENTRIES)
    arrays = {
        "output_units": state.output[np.arange(catalog.n_facilities), catalog.main_product],
        "stock_t": state.stock.sum(axis=1),
        **{name: ledger[name].sum(axis=1) for name in ("generated_t", "sold_t", "bought_t", "landfilled_t")},
        "profit_cny": money["profit_cny"],
        "revenue_cny": revenue,
        "cost_cny": revenue - money["profit_cny"],
        "energy_tce": ledger["energy_tce"],
        "co2_t": ledger["co2_t"],
    }
    return {name: values.tolist() for name, values in arrays.items()}


def emission_charges_cny(
    state: FacilityState, levers: PolicyLevers, ledger: dict[str, NDArray[np.float64]]
) -> NDArray[np.float64]:
    """Per-facility carbon and air-pollutant charges this month (CNY).

    CO2 is charged on emissions above the free allocation (a negative charge is the sale of
    unused allowances); SO2, NOx and PM on all emissions.
    """
    charges = levers.emission_charge_cny_per_t
    free_t = (state.output * levers.free_co2_t_per_unit).sum(axis=1)
    total = charges["co2"] * (ledger["co2_t"] - free_t)
    for pol in POLLUTANTS:
        total = total + charges[pol] * ledger[f"{pol}_t"]
    return total
