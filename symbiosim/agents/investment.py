"""Investment in symbiosis technologies: appraisal, room to install, installation and retirement.

An agent appraises a technology once a year (:meth:`symbiosim.agents.base.Enterprise.consider_investment`)
from what it knows: the routes to sellers it knows, this month's prices, what those sellers
could not place over the past year, and how many rivals already use the technology. The
functions here are that behaviour, on the facility state and the market.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from symbiosim.agents.state import FacilityState, Vintage
from symbiosim.environment.arrays import MONTHS_PER_YEAR, CatalogArrays
from symbiosim.environment.competition import OutsideOptions, best_rival, competitive_prices
from symbiosim.environment.market import Market
from symbiosim.environment.outlets import outlet_share_outbid
from symbiosim.environment.pricing import route_surplus
from symbiosim.environment.routes import Routes

__all__ = [
    "MIN_INCREMENT_SHARE",
    "InvestmentRound",
    "TechnologyRoutes",
    "annuity_factor",
    "annuity_factors",
    "appraise",
    "install",
    "learn",
    "neighbour_adoption_share",
    "retire",
    "rival_buyers",
    "room_to_install_tpa",
    "sized_base",
]

MIN_INCREMENT_SHARE = 0.05  # increments below 5% of the full cap are not worth appraising


def annuity_factor(rate: float, years: int) -> float:
    """Present value of 1 per year for ``years`` years at ``rate`` per year.

    >>> round(annuity_factor(0.08, 20), 4)
    9.8181
    """
    if rate == 0:
        return float(years)
    return (1 - (1 + rate) ** -years) / rate


def annuity_factors(rate: float, lifetimes_yr: NDArray[np.int64]) -> NDArray[np.float64]:
    """:func:`annuity_factor` of each technology's lifetime (capex per t/yr / this = its capital charge per t)."""
    return np.array([annuity_factor(rate, int(years)) for years in lifetimes_yr])


@dataclass(frozen=True)
class TechnologyRoutes:
    """A technology's routes in an investment round, sorted by buyer.

    Attributes:
        rows: route indices, by buyer (each buyer's in their original order).
        starts: (facilities + 1,) where each buyer's routes begin in ``rows``.
        qualifies: (len(rows),) the buyer knows and trusts the seller and the route pays.
        rivals: (facilities,) per seller, qualifying routes whose buyer uses the technology,
            kept up to date as facilities install it during the round.
    """

    rows: NDArray[np.intp]
    starts: NDArray[np.intp]
    qualifies: NDArray[np.bool_]
    rivals: NDArray[np.int64]


@dataclass(frozen=True)
class InvestmentRound:
    """What agents decide from in one year's investment round.

    Attributes:
        state: the facilities.
        catalog: the scenario's arrays (technology costs, lifetimes, caps).
        market: routes, what partners know, contracts.
        wtp_cny_per_t, reservation_cny_per_t: (routes,) this month's prices.
        capex_subsidy_share: (facilities, technologies) share of capex the government pays.
        neighbours: each facility's same-sector neighbours within the diffusion radius.
        params: model parameters (``discount_rate``, ``max_payback_yr``,
            ``consider_probability``, ``diffusion_weight``, ``bargaining_share``).
        draws: (facilities, technologies) uniform draws on [0, 1), one per facility and
            technology in every round whether it is used or not (common random numbers).
        month_index: the current step.
    """

    state: FacilityState
    catalog: CatalogArrays
    market: Market
    wtp_cny_per_t: NDArray[np.float64]
    reservation_cny_per_t: NDArray[np.float64]
    capex_subsidy_share: NDArray[np.float64]
    neighbours: list[NDArray[np.intp]]
    params: dict[str, float]
    draws: NDArray[np.float64]
    month_index: int

    @cached_property
    def _by_technology(self) -> dict[int, TechnologyRoutes]:
        return {}

    @cached_property
    def consider_probability(self) -> NDArray[np.float64]:
        """(facilities,) each facility's chance of appraising a technology in the round (its own or the run's)."""
        return self.catalog.behaviour("consider_probability", self.params)

    @cached_property
    def max_payback_yr(self) -> NDArray[np.float64]:
        """(facilities,) each facility's longest acceptable simple payback, years (its own or the run's)."""
        return self.catalog.behaviour("max_payback_yr", self.params)

    def routes_of(self, k: int) -> TechnologyRoutes:
        """Technology k's routes sorted by buyer, with who could buy on each now (built once a round)."""
        if k not in self._by_technology:
            routes = self.market.routes
            of_tech = routes.of_technology[k]
            order = np.argsort(routes.buyer[of_tech], kind="stable")  # stable: each buyer's routes keep their order
            rows = of_tech[order]
            starts = np.searchsorted(routes.buyer[rows], np.arange(self.catalog.n_facilities + 1))
            qualifies = self.trusted(rows) & (self.surplus(rows) > 0)
            users = qualifies & (self.state.installed_tpa[routes.buyer[rows], k] > 0)
            rivals = np.bincount(routes.seller[rows[users]], minlength=self.catalog.n_facilities)
            self._by_technology[k] = TechnologyRoutes(rows, starts, qualifies, rivals)
        return self._by_technology[k]

    def trusted(self, rows: NDArray[np.intp]) -> NDArray[np.bool_]:
        """Whether the buyer of each route knows its seller and trusts it enough to deal with it."""
        book, link = self.market.book, self.market.routes.link[rows]
        return book.known[link] & (book.trust[link] >= self.market.rules.minimum)

    def surplus(self, rows: NDArray[np.intp]) -> NDArray[np.float64]:
        """Joint surplus of each route at the round's prices, CNY/t."""
        routes = self.market.routes
        return route_surplus(self.wtp_cny_per_t[rows], routes.transport_cny_per_t[rows], self.reservation_cny_per_t[rows])

    def started_using(self, index: int, k: int) -> None:
        """Facility ``index`` installed technology k for the first time: its routes now count as a rival's."""
        if k in self._by_technology:
            by = self._by_technology[k]
            mine = slice(by.starts[index], by.starts[index + 1])
            np.add.at(by.rivals, self.market.routes.seller[by.rows[mine][by.qualifies[mine]]], 1)

    @cached_property
    def outlet_sales_t_per_yr(self) -> NDArray[np.float64]:
        """(outlet markets,) what each outlet market bought over the past year, t (the same for every appraisal)."""
        market, sold = self.catalog.outlets.seller_market, self.state.outlet_this_year
        has = market >= 0
        return np.bincount(market[has], sold[has], self.catalog.outlets.n_markets) * self.state.year_scale


def neighbour_adoption_share(round_: InvestmentRound, index: int, k: int) -> float:
    """Share of same-sector neighbours (within ``diffusion_radius_km``) that use technology k."""
    near = round_.neighbours[index]
    if len(near) == 0:
        return 0.0
    return np.count_nonzero(round_.state.installed_tpa[near, k] > 0) / len(near)  # the mean of the flags, exactly


def rival_buyers(round_: InvestmentRound, index: int, k: int, sellers: NDArray[np.intp]) -> NDArray[np.int64]:
    """Per seller, the other buyers that know and trust it, use technology k now and to whom its route pays."""
    by = round_.routes_of(k)
    counts = by.rivals[sellers]
    if round_.state.installed_tpa[index, k] > 0:  # this facility's own qualifying routes are in the counts
        mine = slice(by.starts[index], by.starts[index + 1])
        own = np.sort(round_.market.routes.seller[by.rows[mine][by.qualifies[mine]]])
        counts = counts - (np.searchsorted(own, sellers, "right") - np.searchsorted(own, sellers, "left"))
    return counts


def appraise(round_: InvestmentRound, index: int, k: int) -> tuple[float, float]:
    """Expected extra volume (t/yr) and buyer margin (CNY/t) for technology k at a facility.

    The volume is what known sellers it trusts enough to deal with (trust at least
    ``min_trust``, as the market requires) failed to place over the past year, plus the part
    of their outlet sales that the outlets value below what it would pay (as sellers turn to
    it, the outlet price climbs its demand curve to the buyer's value), plus what they hold
    in stock, divided among the buyers that deal with each seller, already use the
    technology and could buy from it at a gain; the margin is what the buyer would keep on those routes at competitive
    prices (the split of the surplus, or more where another of those sellers would leave it
    more; :mod:`symbiosim.environment.competition`), less its part of the set-up of a route not
    yet set up, spread over a contract's tonnes, weighted by that volume.
    """
    routes, book, state = round_.market.routes, round_.market.book, round_.state
    by = round_.routes_of(k)
    mine = slice(by.starts[index], by.starts[index + 1])
    own = by.rows[mine]
    candidates = own[round_.trusted(own)]
    if len(candidates) == 0:
        return 0.0, 0.0
    surplus = round_.surplus(candidates)
    good = surplus > 0
    if not good.any():
        return 0.0, 0.0
    candidates, surplus = candidates[good], surplus[good]
    s, b = routes.seller[candidates], routes.byproduct[candidates]
    competitors = rival_buyers(round_, index, k, s)
    # what known sellers could not place, and the part of their outlet sales the outlets value below what this buyer
    # would pay (environment/outlets.py), shared with the other buyers that know them
    outlets = round_.catalog.outlets
    net = round_.wtp_cny_per_t[candidates] - routes.transport_cny_per_t[candidates]
    outbid = outlet_share_outbid(outlets, outlets.seller_market[s, b], net, round_.outlet_sales_t_per_yr)
    placed_elsewhere = (state.unsold_this_year[s, b] + state.outlet_this_year[s, b] * outbid) * state.year_scale
    available = (placed_elsewhere + state.stock[s, b]) / (1 + competitors)
    volume = float(available.sum())
    if volume <= 0:
        return 0.0, 0.0
    setup = round_.market.setup_cny[candidates] * (book.first_trade_step[candidates] < 0)  # routes not yet set up
    # the price it would pay in competition: the split, or less where another known seller with unsold tonnes, on a
    # route already set up, would leave the buyer more (environment/competition.py)
    rival = (available > 0) & (setup <= 0)
    options = OutsideOptions(best_rival(np.zeros(len(s), dtype=np.intp), s, surplus, rival), np.zeros(len(s)))
    price = competitive_prices(net, round_.reservation_cny_per_t[candidates], round_.market.seller_share[b], options)
    kept = net - price
    # a route not yet set up also pays the buyer's part of its set-up (its stated part, or in proportion to its
    # gain), spread over a contract's tonnes
    contract_t = available / MONTHS_PER_YEAR * round_.catalog.contract_months[b]
    stated = round_.market.setup_seller_share[candidates]
    buyer_setup = np.where(np.isnan(stated), setup * kept / surplus, setup * (1 - stated))
    setup_per_t = np.divide(buyer_setup, contract_t, out=np.zeros(len(setup)), where=contract_t > 0)
    margin = float(((kept - setup_per_t) * available).sum() / volume)
    return volume, margin


def sized_base(
    catalog: CatalogArrays,
    params: dict[str, float],
    routes: Routes,
    used_tpa: NDArray[np.float64],
    kept_by_route_cny: NDArray[np.float64],
    setup_by_route_cny: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The installed base at the start: each plant's line sized to a year of use, where it pays.

    Two sizing years of production and trade precede the run, without policies and with the
    knowledge of the start: in the first, every eligible plant has every technology it may run
    at its full cap; in the second, each line is what it used in the first, so that prices are
    those of that base (no rival buyer has room it would not have). ``used_tpa`` (facilities,
    technologies) is what each plant used in the second, ``kept_by_route_cny`` (routes,) what
    buyers kept on each route's tonnes (willingness to pay less transport and price), and
    ``setup_by_route_cny`` (routes,) their part of the set-up of the routes they opened.

    A line is in the base when the investment rule would have built it: it is at least
    ``MIN_INCREMENT_SHARE`` of the full cap, its NPV at the catalog capex (and the set-up of
    its routes) over its lifetime is positive and its simple payback within ``max_payback_yr``. Of a technology's eligible
    plants, at most the share ``initial_adoption_share`` (rounded) has it: those with the
    highest NPV. A technology whose base is ``nameplate`` (the facility data are the base, e.g.
    an incinerator's furnaces) is installed at those plants whether or not it pays, at its
    full cap (technologies of one cap group then share the group's cap equally).

    Returns:
        (facilities, technologies) installed capacity, t of by-product per year.
    """
    n_k = len(catalog.technologies)
    cell = routes.flat_index("buyer", n_k)
    kept_cny = np.bincount(cell, kept_by_route_cny, used_tpa.size).reshape(used_tpa.shape)
    setup = np.bincount(cell, setup_by_route_cny, used_tpa.size).reshape(used_tpa.shape)
    capex = used_tpa * catalog.tech_capex_cny_per_tpa[None, :] + setup
    npv = kept_cny * annuity_factors(params["discount_rate"], catalog.tech_lifetime_yr)[None, :] - capex
    pays = (used_tpa > catalog.full_cap_tpa * MIN_INCREMENT_SHARE) & (npv > 0)
    pays &= capex <= catalog.behaviour("max_payback_yr", params)[:, None] * kept_cny  # each plant's own hurdle
    has = catalog.eligible & (pays | catalog.tech_nameplate_base[None, :])
    share = catalog.technology["initial_adoption_share"].to_numpy(dtype=float)
    for k in range(n_k):
        allowed = int(np.floor(share[k] * catalog.eligible[:, k].sum() + 0.5))
        ranked = np.flatnonzero(has[:, k])
        has[ranked[np.argsort(-npv[ranked, k], kind="stable")][allowed:], k] = False
    nameplate = has & catalog.tech_nameplate_base[None, :]
    group = catalog.tech_group
    in_group = np.stack([nameplate[:, group == g].sum(axis=1) for g in group], axis=1)
    group_cap = catalog.facility_group_cap[:, group] * catalog.capacity_per_yr[:, catalog.group_cap_product[group]]
    shared = np.divide(group_cap, in_group, out=np.zeros_like(group_cap), where=in_group > 0)
    return np.where(nameplate, np.minimum(catalog.full_cap_tpa, shared), np.where(has, used_tpa, 0.0))


def room_to_install_tpa(state: FacilityState, catalog: CatalogArrays, index: int, k: int, added_tpa: float = 0.0) -> float:
    """Capacity (t/yr) of technology k a facility could still add.

    Limited by the technology's own cap (at nameplate output) less what is installed, and by
    its cap group's shared cap on the past year's output less what the group's technologies
    used over that year and ``added_tpa``, what the facility has just installed for the
    group's other technologies in this round.
    """
    group = catalog.tech_group
    members = group == group[k]
    product = catalog.group_cap_product[group[k]]
    per_year = state.year_scale
    group_cap = catalog.facility_group_cap[index, group[k]] * state.output_this_year[index, product] * per_year
    # the group cap limits what is used, not what is installed: idle lines for other
    # by-products do not stop a plant from adding a line for one it can actually get
    group_room = group_cap - state.used_this_year_t[index, members].sum() * per_year - added_tpa
    return float(min(state.full_cap_tpa[index, k] - state.installed_tpa[index, k], group_room))


def install(
    state: FacilityState,
    catalog: CatalogArrays,
    index: int,
    k: int,
    capacity_tpa: float,
    capex_cny: float,
    month_index: int,
    subsidy_cny: float = 0.0,
) -> None:
    """Add capacity of technology k at a facility.

    The capex (net of any capex subsidy, ``subsidy_cny``, which the government pays now) is
    depreciated in equal monthly parts over the technology's lifetime, from this month on; at
    the end of its lifetime the capacity is retired (see :func:`retire`).
    """
    state.capex_subsidy_paid_cny += subsidy_cny
    learn(state, catalog, k, capacity_tpa)
    months = int(catalog.tech_lifetime_yr[k]) * MONTHS_PER_YEAR
    monthly = capex_cny / months
    state.installed_tpa[index, k] += capacity_tpa
    state.depreciation_cny_per_month[index] += monthly
    state.vintages.append(Vintage(month_index + months - 1, index, k, capacity_tpa, monthly))


def learn(state: FacilityState, catalog: CatalogArrays, k: int, capacity_tpa: float) -> None:
    """Technology k gains the experience of ``capacity_tpa`` more installed capacity.

    Its capex and opex fall with each doubling of the capacity installed in the region by its
    learning rate LR (Wright's law): cost factor = (installed to date / learning base) ^
    log2(1 - LR). The base is what was installed at the start, or the first installation.
    """
    if state.learning_base_tpa[k] <= 0:
        state.learning_base_tpa[k] = capacity_tpa
    state.installed_to_date_tpa[k] += capacity_tpa
    rate = float(catalog.tech_learning_rate[k])
    if rate > 0 and state.learning_base_tpa[k] > 0:
        experience = max(state.installed_to_date_tpa[k] / state.learning_base_tpa[k], 1.0)
        state.cost_factor[k] = experience ** np.log2(1.0 - rate)


def retire(state: FacilityState, market: Market, month_index: int) -> None:
    """Retire the capacity installed during the run that has reached the end of its lifetime.

    Capacity present at the start (the installed base) is taken as maintained and is not
    retired; retired capacity can be replaced by new investment. The buyer ends the contracts
    of that technology when a line retires (a planned end, which costs no trust); the market
    signs new ones within the capacity left.
    """
    keep = []
    for vintage in state.vintages:
        if vintage.last_month < month_index:
            index, k = vintage.facility, vintage.technology
            state.installed_tpa[index, k] = max(state.installed_tpa[index, k] - vintage.capacity_tpa, 0.0)
            state.depreciation_cny_per_month[index] = max(
                state.depreciation_cny_per_month[index] - vintage.depreciation_cny_per_month, 0.0
            )
            routes = market.routes.of_technology[k]
            market.end_contracts(routes[market.routes.buyer[routes] == index], month_index)
        else:
            keep.append(vintage)
    state.vintages[:] = keep
