"""Route prices: the seller's reservation price and the buyer's willingness to pay (CNY/t).

Pure functions of the catalog's values, this month's fees, taxes, subsidies and charges, and
the routes; :class:`RoutePrices` holds one month's result. See ``docs/model.md`` ("Exchange").
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from symbiosim.environment.arrays import CatalogArrays
from symbiosim.environment.routes import Routes

__all__ = [
    "RoutePrices",
    "avoided_charges_cny_per_t",
    "own_reservation_cny_per_t",
    "reservation_cny_per_t",
    "route_prices",
    "route_surplus",
    "split_price",
    "subsidy_cny_per_t",
    "vat_qualifies",
    "vat_threshold_premium_cny_per_t",
    "willingness_to_pay_cny_per_t",
]


@dataclass
class RoutePrices:
    """One month's per-route prices (CNY/t).

    Attributes:
        wtp: the buyer's willingness to pay, including any VAT-threshold premium it bids.
        reservation: the seller's own reservation price (its disposal alternative), against
            which the flows report its gain; a contract binds against it, and a new trade clears
            only above the better of it and the outlet price the seller expects.
        vat_premium: the VAT-threshold premium included in ``wtp`` (0 where none is bid).
    """

    wtp: NDArray[np.float64]
    reservation: NDArray[np.float64]
    vat_premium: NDArray[np.float64]

    @classmethod
    def zeros(cls, n_routes: int) -> "RoutePrices":
        """No prices yet (before the first month)."""
        return cls(np.zeros(n_routes), np.zeros(n_routes), np.zeros(n_routes))


def own_reservation_cny_per_t(
    catalog: CatalogArrays,
    landfill_fee_cny_per_t: NDArray[np.float64],
    ep_tax_cny_per_t: NDArray[np.float64],
) -> NDArray[np.float64]:
    """(facilities, by-products) what a seller needs per tonne when its only alternative is its disposal route.

    Supply cost less the disposal charges a sale avoids: landfill costs the gate fee and EP
    tax; a treatment route its own fee (landfill policies do not touch it); a by-product that
    is not extracted when unsold (steam) costs nothing, whatever fee a policy sets on it.
    Storage only defers disposal, so adding the storage cost as well would count a tonne as
    both stored and landfilled.

    Args:
        catalog: the by-products' supply costs and disposal routes.
        landfill_fee_cny_per_t: (facilities, by-products) this month's gate fee.
        ep_tax_cny_per_t: (facilities, by-products) this month's EP tax.
    """
    disposal_cny_per_t = (landfill_fee_cny_per_t + ep_tax_cny_per_t) * catalog.is_landfilled[None, :]
    treatment_cny_per_t = catalog.disposal.treatment_fee_cny_per_t - catalog.supply_cost_cny_per_t
    return -treatment_cny_per_t[None, :] - disposal_cny_per_t


def reservation_cny_per_t(
    routes: Routes,
    own_cny_per_t: NDArray[np.float64],
    outlet_price_cny_per_t: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """The seller's reservation price on each route: its best alternative to the trade.

    The alternative is the seller's disposal route (``own_cny_per_t``, see
    :func:`own_reservation_cny_per_t`) or, where it is better, the gate price the seller
    expects from its outlet market (``outlet_price_cny_per_t``, (facilities, by-products), NaN
    where it has none).
    """
    best = own_cny_per_t
    if outlet_price_cny_per_t is not None:
        best = np.fmax(own_cny_per_t, outlet_price_cny_per_t)
    return routes.at_seller(best)


def subsidy_cny_per_t(
    routes: Routes,
    per_tonne_cny: NDArray[np.float64],
    per_t_km_cny: NDArray[np.float64],
    rows: NDArray[np.intp] | None = None,
) -> NDArray[np.float64]:
    """Per-route subsidy to the buyer: per tonne used (facilities, technologies) plus per t km hauled (by-products).

    For every route, or for the routes ``rows`` only.
    """
    at = (routes.buyer, routes.technology, routes.byproduct, routes.distance_km)
    buyer, technology, byproduct, km = at if rows is None else (values[rows] for values in at)
    if not per_tonne_cny.any() and not per_t_km_cny.any():  # no subsidy in force (most months): zero, without the gather
        return np.zeros(len(buyer))
    return per_tonne_cny[buyer, technology] + per_t_km_cny[byproduct] * km


def avoided_charges_cny_per_t(
    routes: Routes,
    charge_cny_per_t: Mapping[str, NDArray[np.float64]],
    saved_t_per_t: Mapping[str, NDArray[np.float64]],
) -> NDArray[np.float64]:
    """Per-route emission charges (carbon price, air tax) the buyer avoids per tonne used.

    Args:
        routes: the routes.
        charge_cny_per_t: per emitted substance, (facilities,) the charge per tonne emitted.
        saved_t_per_t: per substance, (routes,) tonnes avoided per tonne traded.
    """
    total = np.zeros(routes.n_routes)
    for name, saved in saved_t_per_t.items():
        charge = charge_cny_per_t[name]
        if charge.any():
            total += charge[routes.buyer] * saved
    return total


def willingness_to_pay_cny_per_t(
    routes: Routes,
    value_of_technology_cny_per_t: NDArray[np.float64],
    subsidy_per_t: NDArray[np.float64],
    avoided_charges_per_t: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The buyer's willingness to pay on each route: its technology's value (avoided material - processing) + subsidies + avoided charges."""
    return value_of_technology_cny_per_t[routes.technology] + subsidy_per_t + avoided_charges_per_t


def route_prices(
    routes: Routes,
    catalog: CatalogArrays,
    own_reservation_cny_per_t: NDArray[np.float64],
    outlet_price_cny_per_t: NDArray[np.float64] | None,
    subsidy_per_tonne_cny: NDArray[np.float64],
    subsidy_per_t_km_cny: NDArray[np.float64],
    charge_cny_per_t: Mapping[str, NDArray[np.float64]],
    saved_t_per_t: Mapping[str, NDArray[np.float64]],
    cost_factor: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Every route's willingness to pay (without any VAT-threshold premium) and reservation price this month.

    Args:
        routes: the routes.
        catalog: the technologies' values.
        own_reservation_cny_per_t: (facilities, by-products) each seller's price with only its
            disposal route as alternative (:func:`own_reservation_cny_per_t`).
        outlet_price_cny_per_t: (facilities, by-products) the gate price each seller expects
            from outlets (NaN: none), or None.
        subsidy_per_tonne_cny: (facilities, technologies) per-tonne subsidy to buyers.
        subsidy_per_t_km_cny: (by-products,) transport subsidy per t km.
        charge_cny_per_t: per emitted substance, (facilities,) the charge per tonne emitted.
        saved_t_per_t: per substance, (routes,) tonnes avoided per tonne traded.
        cost_factor: (technologies,) each technology's opex as a share of the catalog's
            (learning; None: 1).
    """
    subsidy = subsidy_cny_per_t(routes, subsidy_per_tonne_cny, subsidy_per_t_km_cny)
    charges = avoided_charges_cny_per_t(routes, charge_cny_per_t, saved_t_per_t)
    opex = catalog.tech_opex_cny_per_t if cost_factor is None else catalog.tech_opex_cny_per_t * cost_factor
    value_k = catalog.tech_avoided_cny_per_t - opex
    wtp = willingness_to_pay_cny_per_t(routes, value_k, subsidy, charges)
    return wtp, reservation_cny_per_t(routes, own_reservation_cny_per_t, outlet_price_cny_per_t)


def vat_threshold_premium_cny_per_t(
    rate: NDArray[np.float64],
    income_cny: NDArray[np.float64],
    needed_t: NDArray[np.float64],
    capacity_t: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Extra value per tonne of listed waste to a plant that can reach the VAT-rebate threshold.

    The rebate (rate x this month's product income) is won only if listed wastes reach the
    threshold share of raw material (``needed_t``). A plant that cannot reach it even with all
    its capacity for wastes (``capacity_t``) gains nothing from one more tonne; a plant that can
    values each tonne at the rebate spread over that capacity. So the value of a tonne jumps
    from nothing to rate x income / capacity as the threshold comes within reach.

    Args:
        rate: (facilities,) rebate rate (share of product income).
        income_cny: (facilities,) product income this month.
        needed_t: (facilities,) listed wastes needed to reach the threshold.
        capacity_t: (facilities,) the plant's capacity for wastes this month.

    Examples:
        >>> vat_threshold_premium_cny_per_t(np.array([0.091, 0.091]), np.array([3e7, 3e7]),
        ...                                 np.array([4067.0, 6000.0]), np.array([5000.0, 5000.0])).round(1)
        array([546.,   0.])
    """
    reachable = (rate > 0) & (needed_t > 0) & (needed_t <= capacity_t)
    return np.divide(rate * income_cny, capacity_t, out=np.zeros(len(rate)), where=reachable)


def vat_qualifies(
    listed_wastes_t: NDArray[np.float64],
    raw_material_t: NDArray[np.float64],
    rate: NDArray[np.float64],
    threshold: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """Which plants reach the VAT-rebate threshold: listed wastes >= threshold x raw material (and a rebate applies)."""
    share = np.divide(listed_wastes_t, raw_material_t, out=np.zeros(len(rate)), where=raw_material_t > 0)
    return (rate > 0) & (raw_material_t > 0) & (share >= threshold)


def route_surplus(
    wtp_cny_per_t: NDArray[np.float64],
    transport_cny_per_t: NDArray[np.float64],
    reservation_cny_per_t: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Joint gain per tonne of a trade: ``w - t - r`` (CNY/t)."""
    return wtp_cny_per_t - transport_cny_per_t - reservation_cny_per_t


def split_price(reservation_cny_per_t: float, surplus_cny_per_t: float, seller_share: float) -> float:
    """Price at the seller's gate that gives the seller ``seller_share`` of the surplus (CNY/t).

    >>> split_price(-75.0, 300.0, 0.5)
    75.0
    """
    return reservation_cny_per_t + seller_share * surplus_cny_per_t
