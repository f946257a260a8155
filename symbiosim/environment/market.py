"""The by-product market: partner knowledge, trust, contracts, clearing and partner search.

Routes and links are built once (:mod:`symbiosim.environment.routes`); route prices come
from :mod:`symbiosim.environment.pricing`. Prices are per tonne at the seller's gate; the
buyer pays transport.

Per tonne on a route:

* seller's reservation ``r``: supply cost less the disposal charges the seller avoids by
  selling (its outside option);
* buyer's net value ``w - t``: willingness to pay ``w`` (avoided material and energy +
  subsidies - processing cost) less transport ``t``;
* surplus ``s = w - t - r``; a trade needs ``s > 0``; the price is the split ``r + share * s``
  unless a party's outside option in this month's market binds
  (:mod:`symbiosim.environment.competition`).

Clearing honours contracts first (at their price, as long as both still gain), then fills
the remaining supply and capacity on known routes in order of falling surplus, and then sets
the terms of the month's spot trades from what is left (rival sellers with unsold tonnes,
rival buyers with room). A first
trade on a route becomes a contract for that monthly volume, as far as it is recurring: only
generation and buyer capacity not yet promised under other contracts can be committed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from symbiosim.environment.arrays import CatalogArrays
from symbiosim.environment.clearing import ClearingResult, MonthInputs
from symbiosim.environment.clearing_month import contracts_and_candidates, spot_and_terms
from symbiosim.environment.competition import share_array
from symbiosim.environment.contracts import ContractBook, SearchRules, TrustRules
from symbiosim.environment.numpy_exact import stable_argsort
from symbiosim.environment.outlets import OutletClearing, Outlets, clear_outlets, expected_gate_price, mean_traded_price
from symbiosim.environment.referrals import three_step_reach
from symbiosim.environment.routes import GainBound, Routes, build_routes, setup_cny
from symbiosim.environment.streams import keyed_uniform
from symbiosim.environment.units import TONNE_EPSILON

__all__ = ["ClearingResult", "ContractBook", "Market", "MonthInputs", "SearchRules", "TrustRules"]

SEASON_FLOOR = 1e-6  # a seasonal factor of 0 would make base volumes infinite


class Market:
    """Routes, what partners know and have agreed, the monthly clearing and partner search.

    Args:
        routes: the candidate routes.
        contract_months: per-by-product contract length.
        trust: trust rules.
        group_of_technology: cap group of each technology (technologies of one group share a
            buyer's cap); default: each technology its own group.
        outlets: the rest of the economy's demand (:mod:`symbiosim.environment.outlets`); none
            by default.
        seller_share: (by-products,) the sellers' share of a trade's surplus (``bargaining_share``, or a
            by-product's own in table ``behaviour``); :meth:`of_scenario` sets it.
    """

    def __init__(
        self,
        routes: Routes,
        contract_months: NDArray[np.int64],
        trust: TrustRules,
        group_of_technology: NDArray[np.intp] | None = None,
        outlets: Outlets | None = None,
        setup_cny: NDArray[np.float64] | None = None,
        seller_share: NDArray[np.float64] | None = None,
    ) -> None:
        self.routes = routes
        self.seller_share = seller_share  # (by-products,) sellers' share of a trade's surplus (bargaining_share)
        self.setup_cny = np.zeros(routes.n_routes) if setup_cny is None else setup_cny  # one-off, per route
        self.setup_seller_share = np.full(routes.n_routes, np.nan)  # the seller's stated part of a set-up (NaN: by gains)
        self.outlets = outlets
        self.contract_months = contract_months
        self.rules = trust
        n_tech = int(routes.technology.max()) + 1 if routes.n_routes else 0
        self.group_of_technology = (
            np.arange(n_tech, dtype=np.intp) if group_of_technology is None else np.asarray(group_of_technology)
        )
        self.book = ContractBook.fresh(routes, trust.initial, outlets.n_markets if outlets else 0)
        self._flat_index: tuple[tuple[int, int, int], tuple[NDArray[np.intp], ...]] | None = None  # see flat_index

    @classmethod
    def of_scenario(cls, catalog: CatalogArrays, params: Mapping[str, float], distances: pd.DataFrame,
                    gain_bound: GainBound | None = None) -> Market:  # fmt: skip
        """The market of a scenario, with partners within ``initial_knowledge_km`` known at the start.

        Routes: :func:`~symbiosim.environment.routes.build_routes` (within ``gain_bound`` if given); trust: the parameters.
        """
        routes = build_routes(catalog, params["circuity_factor"], distances, catalog.mean_generation_t > 0,
                              params["freight_tariff_factor"], gain_bound)  # fmt: skip
        trust = TrustRules(params["initial_trust"], params["trust_gain"], params["trust_loss"], params["min_trust"])
        market = cls(routes, catalog.contract_months, trust, catalog.tech_group, catalog.outlets, setup_cny(catalog, routes),
                     catalog.byproduct_value("bargaining_share", params))  # fmt: skip
        market.setup_seller_share = catalog.link_setup_seller_share[routes.byproduct]
        radius = catalog.behaviour("initial_knowledge_km", params)  # a link is known if either party's radius covers it
        market.book.known[:] = routes.link_km <= np.maximum(radius[routes.link_seller], radius[routes.link_buyer])
        return market

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

    def discover(self, searching: NDArray[np.bool_], candidate_link: NDArray[np.bool_], traded_t: NDArray[np.float64],
                 rules: SearchRules, rng: np.random.Generator) -> None:  # fmt: skip
        """Searches and referrals extend what agents know.

        A searching agent finds each of its candidates (an unknown partner with whom a trade
        would pay; :func:`symbiosim.agents.search.search_decisions`) with the discovery
        probability; independently, the partners of its partners' partners (along the links
        that traded this month) become known with the referral probability.

        Args:
            searching: (facilities,) agents that search this month.
            candidate_link: (links,) links with a route worth trading on.
            traded_t: (routes,) tonnes traded this month.
            rules: discovery and referral probabilities.
            rng: the search stream (per link, :func:`keyed_uniform` of its two facilities).
        """
        routes, known, n = self.routes, self.book.known, len(searching)
        link_key = routes.link_seller.astype(np.uint64) * np.uint64(n) + routes.link_buyer.astype(np.uint64)
        draws = keyed_uniform(rng, link_key)
        searcher = searching[routes.link_seller] | searching[routes.link_buyer]
        found = ~known & candidate_link & searcher & (draws < rules.discovery_probability)
        active_link = np.bincount(routes.link[traded_t > 0], minlength=len(known)) > 0
        referral_draws = keyed_uniform(rng, link_key)
        if active_link.any():
            seller, buyer = routes.link_seller[active_link], routes.link_buyer[active_link]
            asked = np.flatnonzero(~known & (referral_draws < rules.referral_probability))  # the only links it can add
            found[asked] |= three_step_reach(seller.astype(np.int64), buyer.astype(np.int64), n,
                                             routes.link_seller[asked].astype(np.int64),
                                             routes.link_buyer[asked].astype(np.int64))  # fmt: skip
        known |= found

    def flat_index(self, n_b: int, n_k: int, n_g: int) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
        """Per route, its flat index into the (seller, by-product), (buyer, technology) and (buyer, cap group) tables."""
        if self._flat_index is None or self._flat_index[0] != (n_b, n_k, n_g):
            rt = self.routes
            at = (rt.flat_index("seller", n_b), rt.flat_index("buyer", n_k),
                  rt.buyer * n_g + self.group_of_technology[rt.technology])  # fmt: skip
            self._flat_index = ((n_b, n_k, n_g), at)
        return self._flat_index[1]

    def clear(self, step: int, month: MonthInputs) -> ClearingResult:
        """Clear one month.

        Args:
            step: current step (1-based).
            month: this month's offers, capacities and prices; ``supply_t``, ``capacity_t``
                and ``group_capacity_t`` are reduced in place by what is traded.

        Returns:
            Tonnes, value (price x tonnes, CNY) and contract tonnes per route.
        """
        rt, book, rules = self.routes, self.book, self.rules
        n = self.n_routes
        out = (np.zeros(n), np.zeros(n), np.zeros(n))  # tonnes, contract tonnes, value
        n_b, n_k, n_g = month.supply_t.shape[1], month.capacity_t.shape[1], month.group_capacity_t.shape[1]
        # flat indices of each route into the (facility, x) tables; the compiled passes
        # (environment/clearing_month.py) change these copies in place
        at = self.flat_index(n_b, n_k, n_g)
        left = (month.supply_t.ravel().copy(), month.capacity_t.ravel().copy(), month.group_capacity_t.ravel().copy())
        own = month.reservation_cny_per_t if month.own_reservation_cny_per_t is None else month.own_reservation_cny_per_t
        season = np.maximum(month.season_now, SEASON_FLOOR)
        # 1. contracts, oldest first (promises are kept in seasonal base terms: volume / the party's
        # seasonal factor at signing, so contracts signed in different seasons never add up to
        # more than a party has in any month), and the routes open to spot trade
        shortfalls, undelivered, surplus, open_route, candidates, free = contracts_and_candidates(
            step, (month.wtp_cny_per_t, rt.transport_cny_per_t, month.reservation_cny_per_t, own),
            (month.is_installed, rt.seller, rt.buyer, rt.link), at,
            (book.contract_volume_t, book.contract_seller_season, book.contract_buyer_season, book.contract_start,
             book.contract_end, book.contract_price, book.known, book.trust),
            (season, np.maximum(month.season_peak, SEASON_FLOOR)),
            (month.generated_t.ravel(), month.capacity_t.ravel(), month.installed_monthly_t.ravel(),
             month.group_capacity_t.ravel()),
            left, (rules.loss, rules.gain, rules.minimum, TONNE_EPSILON), out,
        )  # fmt: skip
        # 2. spot trades on known routes, best surplus first; 3. their terms and the set-up of new routes
        candidates = candidates[stable_argsort(-surplus[candidates])]
        setup_seller, setup_buyer = spot_and_terms(
            step, candidates, surplus, open_route,
            (month.wtp_cny_per_t, rt.transport_cny_per_t, month.reservation_cny_per_t, share_array(month.seller_share, n)),
            (rt.seller, rt.buyer, self.contract_months[rt.byproduct].astype(np.int64)), at,
            (self.setup_cny, self.setup_seller_share, book.first_trade_step),
            (book.contract_seller_season, book.contract_buyer_season, book.contract_volume_t, book.contract_price,
             book.contract_start, book.contract_end), season, left, free, out, TONNE_EPSILON,
        )  # fmt: skip
        month.supply_t[...] = left[0].reshape(month.supply_t.shape)
        month.capacity_t[...] = left[1].reshape(month.capacity_t.shape)
        month.group_capacity_t[...] = left[2].reshape(month.group_capacity_t.shape)
        tonnes, contract_tonnes, value = out
        return ClearingResult(tonnes, value, contract_tonnes, shortfalls, undelivered, setup_seller, setup_buyer)

    def clear_with_premium(
        self,
        step: int,
        month: MonthInputs,
        premium_cny_per_t: NDArray[np.float64],
        on_route: NDArray[np.bool_],
        qualifies: Callable[[NDArray[np.float64]], NDArray[np.bool_]],
    ) -> tuple[ClearingResult, MonthInputs, NDArray[np.float64]]:
        """Clear a month in which buyers bid a premium that they earn only by buying enough.

        Each buyer adds ``premium_cny_per_t`` (facilities,) to its willingness to pay on the
        routes of ``on_route``. A buyer pays the premium only if, with what it buys on those
        routes, ``qualifies(tonnes per facility)`` holds: the month is cleared again, from the
        same contracts and trust, without the premium of every buyer that fell short, until
        every buyer bidding one qualifies (each round drops at least one buyer). ``month`` is
        not changed.

        Returns:
            The clearing, the month's inputs as cleared (supply and capacities reduced by what
            was traded), and the premium included in each route's willingness to pay.
        """
        before = self.book.copy() if premium_cny_per_t.any() else None
        premium = premium_cny_per_t
        while True:
            route_premium = premium[self.routes.buyer] * on_route
            inputs = replace(
                month,
                supply_t=month.supply_t.copy(),
                capacity_t=month.capacity_t.copy(),
                group_capacity_t=month.group_capacity_t.copy(),
                wtp_cny_per_t=month.wtp_cny_per_t + route_premium,
            )
            result = self.clear(step, inputs)
            if before is None:
                return result, inputs, route_premium
            bought = np.bincount(self.routes.buyer, weights=result.tonnes * on_route, minlength=len(premium))
            short = (premium > 0) & ~qualifies(bought)
            if not short.any():
                return result, inputs, route_premium
            premium = np.where(short, 0.0, premium)
            self.book.restore(before)

    def expected_outlet_price(
        self, supply_t: NDArray[np.float64], reservation_cny_per_t: NDArray[np.float64], calendar_month: int,
        seller_share: float | NDArray[np.float64], over_year: bool = False,
    ) -> NDArray[np.float64]:
        """(facilities, by-products) the gate price each seller expects from outlets (:func:`expected_gate_price`).

        A trader expects last month's price; an investor (``over_year``) the mean of the past 12 months traded.
        """
        last = mean_traded_price(self.book.outlet_price_by_month, self.book.outlet_price) if over_year else self.book.outlet_price
        return expected_gate_price(self.outlets, last, supply_t, reservation_cny_per_t, calendar_month, seller_share)

    def clear_outlets(
        self, supply_t: NDArray[np.float64], reservation_cny_per_t: NDArray[np.float64], calendar_month: int,
        seller_share: float | NDArray[np.float64],
    ) -> OutletClearing:
        """Clear the outlet markets on what is left of ``supply_t`` (reduced in place); remember their prices."""
        if self.outlets is None or not self.outlets.n_markets:
            return OutletClearing.none(*supply_t.shape)
        result = clear_outlets(self.outlets, supply_t, reservation_cny_per_t,
                               self.outlets.block_capacity_t(calendar_month), seller_share)  # fmt: skip
        # a market that did not trade quotes only its best bid, which one seller's tonnes may not
        # fetch: sellers then expect the trial clearing of all supply again, not that quote
        self.book.outlet_price[:] = np.where(result.market_t > 0, result.price_cny_per_t, np.nan)
        self.book.outlet_price_by_month[:, calendar_month - 1] = self.book.outlet_price
        return result
