"""The by-product market: candidate routes, partner knowledge, trust, contracts and clearing.

A *route* is a (seller, buyer, technology) triple within the by-product's haul limit; a
*link* is a (seller, buyer) pair, which carries what the two know of each other and their
trust. Prices are per tonne at the seller's gate; the buyer pays transport.

Per tonne on a route:

* seller's reservation ``r = supply cost - (landfill fee + EP tax)``: the seller gains
  from any price above ``r`` (its outside option is to landfill the tonne);
* buyer's net value ``w - t``: willingness to pay ``w`` (avoided material and energy +
  subsidies - processing cost) less transport ``t``;
* surplus ``s = w - t - r``; a trade needs ``s > 0`` and the price is ``r + share * s``,
  so the seller gains ``share * s`` and the buyer ``(1 - share) * s`` per tonne.

Clearing honours contracts first (at their price, as long as both still gain), then fills
the remaining supply and capacity on known routes in order of falling surplus. A first
trade on a route becomes a contract for that monthly volume, as far as it is recurring: only
generation and buyer capacity not yet promised under other contracts can be committed.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["ClearingResult", "Market", "MonthInputs", "TrustRules", "route_surplus", "split_price"]

TONNE_EPSILON = 1e-9
SEASON_FLOOR = 1e-6  # a seasonal factor of 0 would make base volumes infinite


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
class MonthInputs:
    """What the market needs to clear one month (arrays over facilities, technologies, routes).

    Attributes:
        supply_t: (facilities, by-products) tonnes on offer (generation + stock).
        generated_t: (facilities, by-products) tonnes generated this month (recurring supply).
        capacity_t: (facilities, technologies) tonnes each buyer can take with each technology
            (installed capacity and own cap).
        group_capacity_t: (facilities, cap groups) tonnes each buyer can take within a shared cap.
        wtp_cny_per_t: per-route willingness to pay.
        reservation_cny_per_t: per-route seller reservation price.
        is_installed: per-route flag, the buyer has the technology.
        season_now: (facilities,) each facility's seasonal factor this month (mean 1).
        installed_monthly_t: (facilities, technologies) installed capacity / 12: flat over the
            year, so promises against it are counted at the buyer's peak season.
        season_peak: (facilities,) each facility's highest seasonal factor of the year.
        seller_share: seller's share of the surplus (0-1).
    """

    supply_t: NDArray[np.float64]
    generated_t: NDArray[np.float64]
    capacity_t: NDArray[np.float64]
    group_capacity_t: NDArray[np.float64]
    wtp_cny_per_t: NDArray[np.float64]
    reservation_cny_per_t: NDArray[np.float64]
    is_installed: NDArray[np.bool_]
    season_now: NDArray[np.float64]
    installed_monthly_t: NDArray[np.float64]
    season_peak: NDArray[np.float64]
    seller_share: float


@dataclass
class ClearingResult:
    """Tonnes and value traded on each route in one month."""

    tonnes: NDArray[np.float64]
    value_cny: NDArray[np.float64]
    contract_tonnes: NDArray[np.float64]
    shortfalls: int = 0  # contracts delivered short this month
    undelivered_t: float = 0.0  # tonnes due under contracts but not delivered


class Market:
    """Routes, links, contracts and the monthly clearing.

    Args:
        seller, buyer, technology, byproduct: per-route indices.
        distance_km: per-route road distance.
        transport_cny_per_t: per-route transport cost.
        contract_months: per-by-product contract length.
        trust: trust rules.
        group_of_technology: cap group of each technology (technologies of one group share a
            buyer's cap); default: each technology its own group.
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
        group_of_technology: NDArray[np.intp] | None = None,
    ) -> None:
        self.seller, self.buyer, self.technology, self.byproduct = seller, buyer, technology, byproduct
        self.distance_km, self.transport_cny_per_t = distance_km, transport_cny_per_t
        self.contract_months = contract_months
        self.rules = trust
        n_tech = int(technology.max()) + 1 if len(technology) else 0
        self.group_of_technology = (
            np.arange(n_tech, dtype=np.intp) if group_of_technology is None else np.asarray(group_of_technology)
        )
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
        # each party's seasonal factor in the month the contract was signed
        self.contract_seller_season = np.ones(n)
        self.contract_buyer_season = np.ones(n)

    @property
    def n_routes(self) -> int:
        """Number of candidate routes."""
        return len(self.seller)

    MUTABLE = (
        "trust",
        "contract_volume_t",
        "contract_price",
        "contract_start",
        "contract_end",
        "first_trade_step",
        "contract_seller_season",
        "contract_buyer_season",
    )  # what a clearing changes

    def mutable_state(self) -> dict[str, NDArray]:
        """Copies of everything :meth:`clear` changes, to clear a month again from the same state."""
        return {name: getattr(self, name).copy() for name in self.MUTABLE}

    def restore_state(self, state: dict[str, NDArray]) -> None:
        """Put back a state saved by :meth:`mutable_state`."""
        for name in self.MUTABLE:
            getattr(self, name)[...] = state[name]

    def active_contracts(self, step: int) -> NDArray[np.bool_]:
        """Routes with a contract in force at ``step``."""
        return self.contract_end >= step

    def clear(self, step: int, month: MonthInputs) -> ClearingResult:
        """Clear one month.

        Args:
            step: current step (1-based).
            month: this month's offers, capacities and prices; ``supply_t``, ``capacity_t``
                and ``group_capacity_t`` are reduced in place by what is traded.

        Returns:
            Tonnes, value (price x tonnes, CNY) and contract tonnes per route.
        """
        n = self.n_routes
        tonnes, value, contract_tonnes = np.zeros(n), np.zeros(n), np.zeros(n)
        n_b = month.supply_t.shape[1]
        n_k = month.capacity_t.shape[1]
        n_g = month.group_capacity_t.shape[1]
        # flat indices of each route into the (facility, x) tables; the loops below work on
        # plain Python lists, which are much faster to index one element at a time than numpy
        at_supply = self.seller * n_b + self.byproduct
        at_capacity = self.buyer * n_k + self.technology
        at_group = self.buyer * n_g + self.group_of_technology[self.technology]
        supply = month.supply_t.ravel().tolist()
        capacity = month.capacity_t.ravel().tolist()
        group_capacity = month.group_capacity_t.ravel().tolist()
        surplus = route_surplus(month.wtp_cny_per_t, self.transport_cny_per_t, month.reservation_cny_per_t)
        rules = self.rules
        in_force_mask = self.active_contracts(step) & month.is_installed
        season = np.maximum(month.season_now, SEASON_FLOOR)
        due = self.contract_volume_t * self.seasonal_scale(season)
        # promises are kept in seasonal base terms (volume / the party's seasonal factor at
        # signing), so contracts signed in different seasons never add up to more than a
        # party has in any month
        base_seller = self.contract_volume_t / self.contract_seller_season
        base_buyer = self.contract_volume_t / self.contract_buyer_season
        free_supply, free_tech, free_capacity = (
            free.ravel().tolist() for free in self._uncommitted(month, season, in_force_mask, base_seller, base_buyer)
        )
        seller_season, buyer_season = season[self.seller].tolist(), season[self.buyer].tolist()
        seller_gain = self.contract_price - month.reservation_cny_per_t
        buyer_gain = month.wtp_cny_per_t - self.transport_cny_per_t - self.contract_price
        # 1. contracts, oldest first
        shortfalls, undelivered = 0, 0.0
        in_force = np.flatnonzero(in_force_mask)
        in_force = in_force[np.argsort(self.contract_start[in_force], kind="stable")]
        for r, i_s, i_c, i_g, link, volume, price, keeps, b_s, b_c in zip(
            in_force.tolist(),
            at_supply[in_force].tolist(),
            at_capacity[in_force].tolist(),
            at_group[in_force].tolist(),
            self.link[in_force].tolist(),
            due[in_force].tolist(),
            self.contract_price[in_force].tolist(),
            ((seller_gain[in_force] >= 0) & (buyer_gain[in_force] >= 0)).tolist(),
            base_seller[in_force].tolist(),
            base_buyer[in_force].tolist(),
            strict=True,
        ):
            if not keeps:  # a party walks away from a contract that now makes it a loss
                self.contract_end[r] = -1
                self.trust[link] *= 1 - rules.loss
                free_supply[i_s] += b_s  # the promise is released
                free_tech[i_c] += b_c
                free_capacity[i_g] += b_c
                continue
            q = min(volume, supply[i_s], capacity[i_c], group_capacity[i_g])
            if q > TONNE_EPSILON:
                supply[i_s] -= q
                capacity[i_c] -= q
                group_capacity[i_g] -= q
                tonnes[r] += q
                contract_tonnes[r] += q
                value[r] += q * price
            shortfall = 1.0 - q / volume if volume > 0 else 0.0
            if shortfall > 1e-6:
                shortfalls += 1
                undelivered += volume - q
                self.trust[link] *= 1 - rules.loss * shortfall
            else:
                self.trust[link] += rules.gain * (1 - self.trust[link])
        # 2. spot trades on known routes, best surplus first
        supply_now = np.asarray(supply)[at_supply]
        eligible = (
            month.is_installed
            & (surplus > 0)
            & self.known[self.link]
            & (self.trust[self.link] >= rules.minimum)
            & (supply_now > TONNE_EPSILON)
            & (np.asarray(capacity)[at_capacity] > TONNE_EPSILON)
            & (np.asarray(group_capacity)[at_group] > TONNE_EPSILON)
        )
        candidates = np.flatnonzero(eligible)
        candidates = candidates[np.argsort(-surplus[candidates], kind="stable")]
        has_contract = self.active_contracts(step)
        prices = month.reservation_cny_per_t + month.seller_share * surplus
        for r, i_s, i_c, i_g, price, contracted, b in zip(
            candidates.tolist(),
            at_supply[candidates].tolist(),
            at_capacity[candidates].tolist(),
            at_group[candidates].tolist(),
            prices[candidates].tolist(),
            has_contract[candidates].tolist(),
            self.byproduct[candidates].tolist(),
            strict=True,
        ):
            q = min(supply[i_s], capacity[i_c], group_capacity[i_g])
            if q <= TONNE_EPSILON:
                continue
            supply[i_s] -= q
            capacity[i_c] -= q
            group_capacity[i_g] -= q
            tonnes[r] += q
            value[r] += q * price
            # a contract commits only recurring volume: generation not yet promised to others,
            # and buyer capacity not yet promised either (stock sold off is spot)
            if contracted:
                continue
            f_s, f_c = seller_season[r], buyer_season[r]
            volume = min(q, free_supply[i_s] * f_s, free_tech[i_c] * f_c, free_capacity[i_g] * f_c)
            if volume > TONNE_EPSILON:
                free_supply[i_s] -= volume / f_s
                free_tech[i_c] -= volume / f_c
                free_capacity[i_g] -= volume / f_c
                self.contract_seller_season[r] = f_s
                self.contract_buyer_season[r] = f_c
                self.contract_volume_t[r] = volume
                self.contract_price[r] = price
                self.contract_start[r] = step
                self.contract_end[r] = step + int(self.contract_months[b])
        month.supply_t[...] = np.asarray(supply).reshape(month.supply_t.shape)
        month.capacity_t[...] = np.asarray(capacity).reshape(month.capacity_t.shape)
        month.group_capacity_t[...] = np.asarray(group_capacity).reshape(month.group_capacity_t.shape)
        new = (tonnes > 0) & (self.first_trade_step < 0)
        self.first_trade_step[new] = step
        return ClearingResult(
            tonnes=tonnes,
            value_cny=value,
            contract_tonnes=contract_tonnes,
            shortfalls=shortfalls,
            undelivered_t=undelivered,
        )

    def seasonal_scale(self, season_now: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per-route factor on the contracted volume this month: the foreseeable seasonal swing.

        Both parties expect the volume agreed in the signing month to follow their seasons, so
        it is scaled by the smaller of the two ratios (this month's factor / the signing
        month's). Only unforeseen shortfalls (e.g. a production limit) then cost trust.
        """
        return np.minimum(
            season_now[self.seller] / self.contract_seller_season, season_now[self.buyer] / self.contract_buyer_season
        )

    def _uncommitted(
        self,
        month: MonthInputs,
        season: NDArray[np.float64],
        in_force: NDArray[np.bool_],
        base_seller: NDArray[np.float64],
        base_buyer: NDArray[np.float64],
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """What contracts in force have not yet promised, in seasonal base terms (t/month / factor).

        Returns:
            Seller generation (facilities, by-products), buyer capacity per technology
            (facilities, technologies) and per cap group (facilities, groups), each divided
            by the party's seasonal factor this month, less the promises in force.
        """

        def promised(
            index: NDArray[np.intp], weights: NDArray[np.float64], shape: tuple[int, ...]
        ) -> NDArray[np.float64]:
            size = shape[0] * shape[1]
            return np.bincount(index[in_force], weights=weights[in_force], minlength=size).reshape(shape)

        n_b, n_k, n_g = month.generated_t.shape[1], month.capacity_t.shape[1], month.group_capacity_t.shape[1]
        groups = self.group_of_technology[self.technology]
        per_facility = season[:, None]
        free_supply = month.generated_t / per_facility - promised(
            self.seller * n_b + self.byproduct, base_seller, month.generated_t.shape
        )
        # generation and caps on output follow the seasons; installed capacity does not, so a
        # promise made in a low month must still fit the line in the buyer's peak month
        peak = np.maximum(month.season_peak, SEASON_FLOOR)[:, None]
        tech_base = np.minimum(month.capacity_t / per_facility, month.installed_monthly_t / peak)
        free_tech = tech_base - promised(self.buyer * n_k + self.technology, base_buyer, month.capacity_t.shape)
        free_group = month.group_capacity_t / per_facility - promised(
            self.buyer * n_g + groups, base_buyer, month.group_capacity_t.shape
        )
        return np.maximum(free_supply, 0.0), np.maximum(free_tech, 0.0), np.maximum(free_group, 0.0)
