"""The by-product market: candidate routes, partner knowledge, trust, contracts and clearing.

A *route* is a (seller, buyer, technology) triple within the by-product's haul limit; a
*link* is a (seller, buyer) pair, which carries what the two know of each other and their
trust. Prices are per tonne at the seller's gate; the buyer pays transport.

Per tonne on a route:

* seller's reservation ``r = supply cost - (landfill fee + EP tax + storage cost)``:
  the seller gains from any price above ``r``;
* buyer's net value ``w - t``: willingness to pay ``w`` (avoided material and energy +
  subsidies - processing cost) less transport ``t``;
* surplus ``s = w - t - r``; a trade needs ``s > 0`` and the price is ``r + share * s``,
  so the seller gains ``share * s`` and the buyer ``(1 - share) * s`` per tonne.

Clearing honours contracts first (at their price, as long as both still gain), then fills
the remaining supply and capacity on known routes in order of falling surplus. A first
trade on a route becomes a contract for that monthly volume.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["ClearingResult", "Market", "TrustRules", "route_surplus", "split_price"]

TONNE_EPSILON = 1e-9


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


@dataclass(frozen=True)
class TrustRules:
    """How trust moves and gates trade (all in 0-1)."""

    initial: float
    gain: float
    loss: float
    minimum: float


@dataclass
class ClearingResult:
    """Tonnes and value traded on each route in one month."""

    tonnes: NDArray[np.float64]
    value_cny: NDArray[np.float64]
    contract_tonnes: NDArray[np.float64]


class Market:
    """Routes, links, contracts and the monthly clearing.

    Args:
        seller, buyer, technology, byproduct: per-route indices.
        distance_km: per-route road distance.
        transport_cny_per_t: per-route transport cost.
        contract_months: per-by-product contract length.
        trust: trust rules.
    """

    def __init__(
        self,
        seller: NDArray[np.intp],
        buyer: NDArray[np.intp],
        technology: NDArray[np.intp],
        byproduct: NDArray[np.intp],
        distance_km: NDArray[np.float64],
        transport_cny_per_t: NDArray[np.float64],
        contract_months: NDArray[np.int64],
        trust: TrustRules,
    ) -> None:
        self.seller, self.buyer, self.technology, self.byproduct = seller, buyer, technology, byproduct
        self.distance_km, self.transport_cny_per_t = distance_km, transport_cny_per_t
        self.contract_months = contract_months
        self.rules = trust
        pairs = np.column_stack([seller, buyer]) if len(seller) else np.empty((0, 2), dtype=np.intp)
        links, self.link = np.unique(pairs, axis=0, return_inverse=True)
        self.link = self.link.reshape(-1).astype(np.intp)
        self.link_seller, self.link_buyer = links[:, 0].astype(np.intp), links[:, 1].astype(np.intp)
        self.link_km = np.zeros(len(links))
        self.link_km[self.link] = distance_km
        self.known = np.zeros(len(links), dtype=bool)
        self.trust = np.full(len(links), trust.initial)
        n = len(seller)
        self.contract_volume_t = np.zeros(n)
        self.contract_price = np.zeros(n)
        self.contract_start = np.zeros(n, dtype=np.int64)
        self.contract_end = np.full(n, -1, dtype=np.int64)
        self.first_trade_step = np.full(n, -1, dtype=np.int64)

    @property
    def n_routes(self) -> int:
        """Number of candidate routes."""
        return len(self.seller)

    def active_contracts(self, step: int) -> NDArray[np.bool_]:
        """Routes with a contract in force at ``step``."""
        return self.contract_end >= step

    def clear(
        self,
        step: int,
        supply_t: NDArray[np.float64],
        capacity_t: NDArray[np.float64],
        wtp_cny_per_t: NDArray[np.float64],
        reservation_cny_per_t: NDArray[np.float64],
        seller_share: float,
        is_installed: NDArray[np.bool_],
        group_of_technology: NDArray[np.intp],
        group_capacity_t: NDArray[np.float64],
        contract_scale: NDArray[np.float64] | None = None,
    ) -> ClearingResult:
        """Clear one month.

        Args:
            step: current step (1-based).
            supply_t: (facilities, by-products) tonnes on offer; reduced in place.
            capacity_t: (facilities, technologies) tonnes each buyer can still take with each
                technology (installed capacity and own cap); reduced in place.
            wtp_cny_per_t: per-route willingness to pay.
            reservation_cny_per_t: per-route seller reservation price.
            seller_share: seller's share of the surplus (0-1).
            is_installed: per-route flag, the buyer has the technology.
            group_of_technology: cap group of each technology.
            group_capacity_t: (facilities, groups) tonnes each buyer can still take within a
                shared cap (e.g. all clinker substitutes together); reduced in place.
            contract_scale: per-route factor on the contracted volume this month (e.g. the
                foreseeable seasonal swing of either party's output); default 1.

        Returns:
            Tonnes, value (price x tonnes, CNY) and contract tonnes per route.
        """
        n = self.n_routes
        tonnes, value, contract_tonnes = np.zeros(n), np.zeros(n), np.zeros(n)
        surplus = route_surplus(wtp_cny_per_t, self.transport_cny_per_t, reservation_cny_per_t)
        s_idx, c_idx, k_idx, b_idx = self.seller, self.buyer, self.technology, self.byproduct
        rules = self.rules
        # 1. contracts, oldest first
        in_force = np.flatnonzero(self.active_contracts(step) & is_installed)
        in_force = in_force[np.argsort(self.contract_start[in_force], kind="stable")]
        for r in in_force.tolist():
            s, c, k, b, link = int(s_idx[r]), int(c_idx[r]), int(k_idx[r]), int(b_idx[r]), int(self.link[r])
            price = float(self.contract_price[r])
            seller_gain = price - reservation_cny_per_t[r]
            buyer_gain = wtp_cny_per_t[r] - self.transport_cny_per_t[r] - price
            if seller_gain < 0 or buyer_gain < 0:  # a party walks away from a loss-making contract
                self.contract_end[r] = -1
                self.trust[link] *= 1 - rules.loss
                continue
            g = int(group_of_technology[k])
            volume = float(self.contract_volume_t[r]) * (1.0 if contract_scale is None else float(contract_scale[r]))
            q = min(volume, float(supply_t[s, b]), float(capacity_t[c, k]), float(group_capacity_t[c, g]))
            if q > TONNE_EPSILON:
                supply_t[s, b] -= q
                capacity_t[c, k] -= q
                group_capacity_t[c, g] -= q
                tonnes[r] += q
                contract_tonnes[r] += q
                value[r] += q * price
            shortfall = 1.0 - q / volume if volume > 0 else 0.0
            if shortfall > 1e-6:
                self.trust[link] *= 1 - rules.loss * shortfall
            else:
                self.trust[link] += rules.gain * (1 - self.trust[link])
        # 2. spot trades on known routes, best surplus first
        eligible = (
            is_installed
            & (surplus > 0)
            & self.known[self.link]
            & (self.trust[self.link] >= rules.minimum)
            & (supply_t[s_idx, b_idx] > TONNE_EPSILON)
            & (capacity_t[c_idx, k_idx] > TONNE_EPSILON)
            & (group_capacity_t[c_idx, group_of_technology[k_idx]] > TONNE_EPSILON)
        )
        candidates = np.flatnonzero(eligible)
        candidates = candidates[np.argsort(-surplus[candidates], kind="stable")]
        has_contract = self.active_contracts(step)
        for r in candidates.tolist():
            s, c, k, b = int(s_idx[r]), int(c_idx[r]), int(k_idx[r]), int(b_idx[r])
            g = int(group_of_technology[k])
            q = min(float(supply_t[s, b]), float(capacity_t[c, k]), float(group_capacity_t[c, g]))
            if q <= TONNE_EPSILON:
                continue
            price = split_price(float(reservation_cny_per_t[r]), float(surplus[r]), seller_share)
            supply_t[s, b] -= q
            capacity_t[c, k] -= q
            group_capacity_t[c, g] -= q
            tonnes[r] += q
            value[r] += q * price
            if not has_contract[r]:
                self.contract_volume_t[r] = q
                self.contract_price[r] = price
                self.contract_start[r] = step
                self.contract_end[r] = step + int(self.contract_months[b])
        new = (tonnes > 0) & (self.first_trade_step < 0)
        self.first_trade_step[new] = step
        return ClearingResult(tonnes=tonnes, value_cny=value, contract_tonnes=contract_tonnes)
