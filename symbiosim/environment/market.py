"""The by-product market: partner knowledge, trust, contracts, clearing and partner search.

Routes and links are built once (:mod:`symbiosim.environment.routes`); route prices come
from :mod:`symbiosim.environment.pricing`. Prices are per tonne at the seller's gate; the
buyer pays transport.

Per tonne on a route:

* seller's reservation ``r``: supply cost less the disposal charges the seller avoids by
  selling (its outside option);
* buyer's net value ``w - t``: willingness to pay ``w`` (avoided material and energy +
  subsidies - processing cost) less transport ``t``;
* surplus ``s = w - t - r``; a trade needs ``s > 0`` and the price is ``r + share * s``,
  so the seller gains ``share * s`` and the buyer ``(1 - share) * s`` per tonne.

Clearing honours contracts first (at their price, as long as both still gain), then fills
the remaining supply and capacity on known routes in order of falling surplus. A first
trade on a route becomes a contract for that monthly volume, as far as it is recurring: only
generation and buyer capacity not yet promised under other contracts can be committed.
"""

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from symbiosim.environment.routes import Routes
from symbiosim.environment.units import TONNE_EPSILON

__all__ = [
    "ClearingResult",
    "ContractBook",
    "Market",
    "MonthInputs",
    "SearchRules",
    "TrustRules",
    "route_surplus",
    "split_price",
]

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


@dataclass(frozen=True)
class SearchRules:
    """How agents learn of partners (probabilities per month or per search; km)."""

    radius_km: float  # an agent's own search reaches partners within this road distance
    discovery_probability: float  # chance a search finds a given candidate inside the radius
    referral_probability: float  # chance a partner's partner becomes known in a month


@dataclass
class ContractBook:
    """What trading partners know of each other and have agreed (per link, per route).

    Attributes:
        known: (links,) the two parties know each other.
        trust: (links,) trust between them, 0-1.
        contract_volume_t, contract_price: (routes,) the volume (t/month at signing) and price
            (CNY/t) of the route's contract.
        contract_start, contract_end: (routes,) first and last step of the contract (end < step:
            no contract in force).
        first_trade_step: (routes,) step of the first trade on the route (-1: never traded).
        contract_seller_season, contract_buyer_season: (routes,) each party's seasonal factor
            in the month the contract was signed.
    """

    known: NDArray[np.bool_]
    trust: NDArray[np.float64]
    contract_volume_t: NDArray[np.float64]
    contract_price: NDArray[np.float64]
    contract_start: NDArray[np.int64]
    contract_end: NDArray[np.int64]
    first_trade_step: NDArray[np.int64]
    contract_seller_season: NDArray[np.float64]
    contract_buyer_season: NDArray[np.float64]

    @classmethod
    def fresh(cls, routes: Routes, initial_trust: float) -> "ContractBook":
        """Nobody known, initial trust on every link, no contract."""
        n = routes.n_routes
        return cls(
            known=np.zeros(routes.n_links, dtype=bool),
            trust=np.full(routes.n_links, initial_trust),
            contract_volume_t=np.zeros(n),
            contract_price=np.zeros(n),
            contract_start=np.zeros(n, dtype=np.int64),
            contract_end=np.full(n, -1, dtype=np.int64),
            first_trade_step=np.full(n, -1, dtype=np.int64),
            contract_seller_season=np.ones(n),
            contract_buyer_season=np.ones(n),
        )

    def arrays(self) -> dict[str, NDArray]:
        """Every array by name (the book's whole state)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def copy(self) -> "ContractBook":
        """An independent copy (to clear a month again from the same state)."""
        return ContractBook(**{name: values.copy() for name, values in self.arrays().items()})

    def restore(self, saved: "ContractBook | dict[str, NDArray]") -> None:
        """Overwrite every array in place with ``saved``'s (a book or its ``arrays()``)."""
        values = saved.arrays() if isinstance(saved, ContractBook) else saved
        for name, current in self.arrays().items():
            if np.shape(values[name]) != current.shape:
                raise ValueError(f"{name} has shape {np.shape(values[name])}, the market {current.shape}")
            current[...] = values[name]


class Market:
    """Routes, what partners know and have agreed, the monthly clearing and partner search.

    Args:
        routes: the candidate routes.
        contract_months: per-by-product contract length.
        trust: trust rules.
        group_of_technology: cap group of each technology (technologies of one group share a
            buyer's cap); default: each technology its own group.
    """

    def __init__(
        self,
        routes: Routes,
        contract_months: NDArray[np.int64],
        trust: TrustRules,
        group_of_technology: NDArray[np.intp] | None = None,
    ) -> None:
        self.routes = routes
        self.contract_months = contract_months
        self.rules = trust
        n_tech = int(routes.technology.max()) + 1 if routes.n_routes else 0
        self.group_of_technology = (
            np.arange(n_tech, dtype=np.intp) if group_of_technology is None else np.asarray(group_of_technology)
        )
        self.book = ContractBook.fresh(routes, trust.initial)

    @property
    def n_routes(self) -> int:
        """Number of candidate routes."""
        return self.routes.n_routes

    def active_contracts(self, step: int) -> NDArray[np.bool_]:
        """Routes with a contract in force at ``step``."""
        return self.book.contract_end >= step

    def end_contracts(self, routes: NDArray[np.intp], step: int) -> None:
        """End the contracts in force on ``routes`` before ``step`` (a planned end: trust is not hurt)."""
        ending = routes[self.book.contract_end[routes] >= step]
        self.book.contract_end[ending] = step - 1

    def discover(
        self,
        searching: NDArray[np.bool_],
        traded_t: NDArray[np.float64],
        rules: SearchRules,
        platform: bool,
        rng: np.random.Generator,
    ) -> None:
        """Searches and referrals extend what agents know.

        A searching agent finds each unknown partner within ``rules.radius_km`` (any distance
        within the haul limit when a facilitation ``platform`` is on) with the discovery
        probability; independently, the partners of its partners' partners (along the links
        that traded this month) become known with the referral probability.

        Args:
            searching: (facilities,) agents that search this month.
            traded_t: (routes,) tonnes traded this month.
            rules: search radius and probabilities.
            platform: a facilitation platform is in force.
            rng: the random stream (one draw per link for discovery, then one per link for referral).
        """
        routes, known = self.routes, self.book.known
        n = len(searching)
        draws = rng.random(len(known))
        found = (
            ~known
            & (searching[routes.link_seller] | searching[routes.link_buyer])
            & (platform | (routes.link_km <= rules.radius_km))
            & (draws < rules.discovery_probability)
        )
        active_link = np.zeros(len(known), dtype=bool)
        active_link[routes.link[traded_t > 0]] = True
        referral_draws = rng.random(len(known))
        if active_link.any():
            seller, buyer = routes.link_seller[active_link], routes.link_buyer[active_link]
            a = sparse.csr_matrix((np.ones(active_link.sum()), (seller, buyer)), shape=(n, n))
            reach = (a @ a.T @ a).tocsr()
            referred = np.asarray(reach[routes.link_seller, routes.link_buyer]).reshape(-1) > 0
            found |= ~known & referred & (referral_draws < rules.referral_probability)
        known |= found

    def clear(self, step: int, month: MonthInputs) -> ClearingResult:
        """Clear one month.

        Args:
            step: current step (1-based).
            month: this month's offers, capacities and prices; ``supply_t``, ``capacity_t``
                and ``group_capacity_t`` are reduced in place by what is traded.

        Returns:
            Tonnes, value (price x tonnes, CNY) and contract tonnes per route.
        """
        rt, book = self.routes, self.book
        n = self.n_routes
        tonnes, value, contract_tonnes = np.zeros(n), np.zeros(n), np.zeros(n)
        n_b = month.supply_t.shape[1]
        n_k = month.capacity_t.shape[1]
        n_g = month.group_capacity_t.shape[1]
        # flat indices of each route into the (facility, x) tables; the loops below work on
        # plain Python lists, which are much faster to index one element at a time than numpy
        at_supply = rt.seller * n_b + rt.byproduct
        at_capacity = rt.buyer * n_k + rt.technology
        at_group = rt.buyer * n_g + self.group_of_technology[rt.technology]
        supply = month.supply_t.ravel().tolist()
        capacity = month.capacity_t.ravel().tolist()
        group_capacity = month.group_capacity_t.ravel().tolist()
        surplus = route_surplus(month.wtp_cny_per_t, rt.transport_cny_per_t, month.reservation_cny_per_t)
        rules = self.rules
        in_force_mask = self.active_contracts(step) & month.is_installed
        season = np.maximum(month.season_now, SEASON_FLOOR)
        due = book.contract_volume_t * self.seasonal_scale(season)
        # promises are kept in seasonal base terms (volume / the party's seasonal factor at
        # signing), so contracts signed in different seasons never add up to more than a
        # party has in any month
        base_seller = book.contract_volume_t / book.contract_seller_season
        base_buyer = book.contract_volume_t / book.contract_buyer_season
        free_supply, free_tech, free_capacity = (
            free.ravel().tolist() for free in self._uncommitted(month, season, in_force_mask, base_seller, base_buyer)
        )
        seller_season, buyer_season = season[rt.seller].tolist(), season[rt.buyer].tolist()
        seller_gain = book.contract_price - month.reservation_cny_per_t
        buyer_gain = month.wtp_cny_per_t - rt.transport_cny_per_t - book.contract_price
        # 1. contracts, oldest first
        shortfalls, undelivered = 0, 0.0
        in_force = np.flatnonzero(in_force_mask)
        in_force = in_force[np.argsort(book.contract_start[in_force], kind="stable")]
        for r, i_s, i_c, i_g, link, volume, price, keeps, b_s, b_c in zip(
            in_force.tolist(),
            at_supply[in_force].tolist(),
            at_capacity[in_force].tolist(),
            at_group[in_force].tolist(),
            rt.link[in_force].tolist(),
            due[in_force].tolist(),
            book.contract_price[in_force].tolist(),
            ((seller_gain[in_force] >= 0) & (buyer_gain[in_force] >= 0)).tolist(),
            base_seller[in_force].tolist(),
            base_buyer[in_force].tolist(),
            strict=True,
        ):
            if not keeps:  # a party walks away from a contract that now makes it a loss
                book.contract_end[r] = -1
                book.trust[link] *= 1 - rules.loss
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
                book.trust[link] *= 1 - rules.loss * shortfall
            else:
                book.trust[link] += rules.gain * (1 - book.trust[link])
        # 2. spot trades on known routes, best surplus first
        supply_now = np.asarray(supply)[at_supply]
        eligible = (
            month.is_installed
            & (surplus > 0)
            & book.known[rt.link]
            & (book.trust[rt.link] >= rules.minimum)
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
            rt.byproduct[candidates].tolist(),
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
                book.contract_seller_season[r] = f_s
                book.contract_buyer_season[r] = f_c
                book.contract_volume_t[r] = volume
                book.contract_price[r] = price
                book.contract_start[r] = step
                book.contract_end[r] = step + int(self.contract_months[b])
        month.supply_t[...] = np.asarray(supply).reshape(month.supply_t.shape)
        month.capacity_t[...] = np.asarray(capacity).reshape(month.capacity_t.shape)
        month.group_capacity_t[...] = np.asarray(group_capacity).reshape(month.group_capacity_t.shape)
        new = (tonnes > 0) & (book.first_trade_step < 0)
        book.first_trade_step[new] = step
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
        rt, book = self.routes, self.book
        return np.minimum(
            season_now[rt.seller] / book.contract_seller_season, season_now[rt.buyer] / book.contract_buyer_season
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

        rt = self.routes
        n_b, n_k, n_g = month.generated_t.shape[1], month.capacity_t.shape[1], month.group_capacity_t.shape[1]
        groups = self.group_of_technology[rt.technology]
        per_facility = season[:, None]
        free_supply = month.generated_t / per_facility - promised(
            rt.seller * n_b + rt.byproduct, base_seller, month.generated_t.shape
        )
        # generation and caps on output follow the seasons; installed capacity does not, so a
        # promise made in a low month must still fit the line in the buyer's peak month
        peak = np.maximum(month.season_peak, SEASON_FLOOR)[:, None]
        tech_base = np.minimum(month.capacity_t / per_facility, month.installed_monthly_t / peak)
        free_tech = tech_base - promised(rt.buyer * n_k + rt.technology, base_buyer, month.capacity_t.shape)
        free_group = month.group_capacity_t / per_facility - promised(
            rt.buyer * n_g + groups, base_buyer, month.group_capacity_t.shape
        )
        return np.maximum(free_supply, 0.0), np.maximum(free_tech, 0.0), np.maximum(free_group, 0.0)
