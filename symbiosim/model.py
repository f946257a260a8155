"""SymbiosisModel: facilities of a scenario trading by-products, one step per calendar month.

A month is the phases of ``MONTH_PHASES``, in that order, each a method below (``docs/model.md``,
``docs/architecture.md``): the calendar, retirements, policies, production, trade, search, investment,
accounting and the DataCollector's series.

The state is a few named groups: the scenario's arrays (``catalog``), the facilities
(``state``), the policy levers (``levers``), the market (``market``: routes, knowledge,
trust, contracts), this month's accounts (``accounts``) and what the run has recorded
(``record``).
"""

from __future__ import annotations

import copy
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from mesa import Model
from mesa.discrete_space import Network

from symbiosim.accounting import (
    EFFECT_OF,
    Books,
    MonthAccounts,
    book_energy_and_emissions,
    facility_totals,
    money_ledger,
    route_effects,
    route_factors,
    traded_by_facility,
    under_contract_t,
    vat_premium_bid,
)
from symbiosim.agents import AGENT_CLASSES, Enterprise, FacilityState, InvestmentRound, OutputConditions
from symbiosim.agents.investment import retire, sized_base
from symbiosim.agents.production import market_inputs, produce, store_or_dispose
from symbiosim.agents.search import prospects, search_decisions
from symbiosim.agents.sectors import expected_season, production_rates
from symbiosim.environment import pricing
from symbiosim.environment.arrays import build_arrays
from symbiosim.environment.contracts import SearchRules
from symbiosim.environment.geography import assign_landfills, same_sector_neighbours
from symbiosim.environment.market import Market
from symbiosim.environment.parameters import run_settings
from symbiosim.environment.scenario import Scenario, load_scenario
from symbiosim.environment.streams import RandomStreams
from symbiosim.environment.units import MONTHS_PER_YEAR, month_date
from symbiosim.policies import Policy, PolicySchedule, build_policies
from symbiosim.policies.levers import EMITTED, PolicyLevers, PolicyView
from symbiosim.reach import run_gain_bound
from symbiosim.record import RunRecord, RunState, facility_record, flow_records, month_summary, series_collector

__all__ = ["MONTHS_PER_YEAR", "MONTH_PHASES", "PRODUCTION_PHASES", "SymbiosisModel", "month_date"]

MONTH_PHASES = ("begin_month", "retire", "apply_policies", "produce", "trade", "share_information", "invest",
                "account", "collect")  # fmt: skip
PRODUCTION_PHASES = ("begin_month", "apply_policies", "produce")  # a month's output, without trade


class SymbiosisModel(Model):
    """Industrial symbiosis among the facilities of a scenario.

    Args:
        scenario: a :class:`Scenario`, a path to a scenario TOML file, or None for the
            bundled Beijing–Tianjin–Hebei scenario.
        rng: seed (int) or numpy Generator; all randomness comes from it, split into one
            stream per kind of decision (``streams``, common random numbers).
        policies: policy instruments to apply by date, after those scheduled in the scenario
            file (default none).
        collect_agent_data: also record Mesa agent-type series every step (output, profit,
            energy, CO2, tonnes per facility; default False: the model-level series, and the
            run's own per-facility ledger ``record.facility_ledger``, are always recorded).
        **overrides: model parameters by name (see ``catalog/parameters.csv``), ``years``
            (horizon) or ``start`` (first month, ``YYYY-MM``).

    The validated scenario is ``scenario_data`` (``Model.scenario`` is Mesa's own, for its
    experimental scenario API, and stays unset).

    Raises:
        ScenarioError: the scenario file is invalid, or an override (a parameter, ``years``
            or ``start``) is outside its valid range.
        TypeError: an override names no known parameter.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        rng: object = None,
        policies: list[Policy] | None = None,
        collect_agent_data: bool = False,
        **overrides: object,
    ) -> None:
        super().__init__(rng=int(rng.strip()) if isinstance(rng, str) else rng)  # a seed typed into a UI
        self.streams = RandomStreams.spawn(self.rng)
        self.scenario_data = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.params, self.years, self.start = run_settings(self.scenario_data, overrides)
        self.horizon_months = self.years * MONTHS_PER_YEAR
        self.month_index, self.date = 0, self.start
        self.phases: tuple[str, ...] = MONTH_PHASES  # what a step runs
        scheduled = build_policies(self.scenario_data.policies, self.start, month_date(self.start, self.horizon_months - 1))
        self.policies = PolicySchedule([*scheduled, *(policies or [])])
        self.policy_memory: dict[tuple[str, int], object] = {}  # what a policy fixes when it first applies

        p, catalog = self.params, build_arrays(self.scenario_data, self.params)
        self.catalog = catalog
        fac, n = catalog.facilities, catalog.n_facilities
        sectors = fac["sector"].to_numpy()
        self.sector_rows = {sector: np.flatnonzero(sectors == sector) for sector in dict.fromkeys(sectors)}
        bound = run_gain_bound(catalog, self.policies, self.start, self.horizon_months)  # routes that can pay
        self.market = Market.of_scenario(catalog, p, self.scenario_data.table("distances"), bound)
        routes = self.market.routes
        lat, lon = fac["latitude"].to_numpy(dtype=float), fac["longitude"].to_numpy(dtype=float)
        self.neighbours = same_sector_neighbours(lat, lon, sectors, p["diffusion_radius_km"], p["circuity_factor"])
        table = self.scenario_data.table("sectors")
        receiving = set(table.loc[table["receives_landfill"].map(lambda v: v is True), "sector"])
        self.landfills = assign_landfills(fac, receiving)
        self.state = FacilityState.initial(catalog)
        self.levers = PolicyLevers.baseline(catalog)
        self.record = RunRecord(self.start, catalog.facility_ids)
        self.factors = route_factors(catalog, routes)
        self.effects_per_tonne = route_effects(self.factors, np.ones(routes.n_routes), routes.distance_km)
        self.route_saved_t_per_t = {name: self.effects_per_tonne[EFFECT_OF[name]] for name in EMITTED}
        self.accounts = MonthAccounts.empty(n, len(catalog.byproducts), routes.n_routes)
        self.books = Books(catalog, self.state, self.levers, self.market, self.landfills, self.sector_rows, self.factors)
        self.policy_view = PolicyView.of(catalog, self.state.capacity_per_yr, self._recent_tonnes,
                                         self.policy_memory, self.policies.policies)  # fmt: skip
        self._build_space_and_agents()
        self._size_installed_base()
        self.account()
        self._build_datacollector(collect_agent_data)
        self.collect()

    # --- construction -------------------------------------------------------------------
    def _build_space_and_agents(self) -> None:
        fac, catalog = self.catalog.facilities, self.catalog
        graph = nx.Graph()
        graph.add_nodes_from(range(len(fac)))
        layout = dict(enumerate(zip(fac["longitude"].astype(float), fac["latitude"].astype(float), strict=True)))
        self.space = Network(graph, capacity=1, random=self.random, layout=layout)
        table = self.scenario_data.table("sectors")
        classes = dict(zip(table["sector"], table["agent_class"], strict=True))
        self.agent_list: list[Enterprise] = []
        for index, record in enumerate(fac.to_dict("records")):
            agent = AGENT_CLASSES[classes[record["sector"]]](
                self, index, record, self.state, catalog, self.market, self.accounts.totals
            )
            agent.cell = self.space[index]
            self.agent_list.append(agent)
        kinds = [type(agent) for agent in self.agent_list]  # each class decides its facilities' output (produce)
        self.class_rows = {kind: np.flatnonzero([k is kind for k in kinds]) for kind in dict.fromkeys(kinds)}
        catalog.expected_season[...] = expected_season(self.class_rows, self.state, catalog)  # what contracts scale by

    def _size_installed_base(self) -> None:
        """Size the installed base in two sizing years without policies (:func:`~symbiosim.agents.investment.sized_base`)."""
        state, routes, accounts, catalog = self.state, self.market.routes, self.accounts, self.catalog
        groups = (state, self.market.book, accounts, self.record)
        saved = [group.copy() for group in groups]
        installed = full = np.where(catalog.eligible, state.full_cap_tpa, 0.0)
        for _ in range(2):
            state.installed_tpa[...], kept, setup = installed, np.zeros(routes.n_routes), np.zeros(routes.n_routes)
            for self.month_index in range(1, MONTHS_PER_YEAR + 1):
                self.date = month_date(self.start, self.month_index - 1)
                self.produce()
                self.trade()
                net = accounts.prices.wtp - accounts.prices.vat_premium - routes.transport_cny_per_t
                kept, setup = kept + accounts.tonnes * net - accounts.value_cny, setup + accounts.clearing.setup_buyer_cny
            used = state.used_this_year_t.copy()
            installed = np.where(catalog.tech_nameplate_base, full, used)  # a nameplate line stays at its full cap
            for group, copied in zip(groups, saved, strict=True):
                group.restore(copied)
        self.month_index, self.date = 0, self.start
        state.set_installed_base(sized_base(catalog, self.params, routes, used, kept, setup))

    def _build_datacollector(self, collect_agent_data: bool) -> None:
        types = {type(a) for a in self.agent_list} if collect_agent_data else set()
        self.datacollector = series_collector(list(self.accounts.summary), types)

    # --- names ---------------------------------------------------------------------------
    @property
    def facility_ids(self) -> list[str]:
        """Facility ids in node order."""
        return self.catalog.facility_ids

    @property
    def facility_index(self) -> dict[str, int]:
        """Node id of each facility id."""
        return self.policy_view.facility_index

    @property
    def n_facilities(self) -> int:
        """Number of facilities."""
        return self.catalog.n_facilities

    # --- the month ----------------------------------------------------------------------
    def step(self) -> None:
        """Advance one calendar month (the phases of ``self.phases``, normally ``MONTH_PHASES``)."""
        self.advance(self.phases)

    def advance(self, phases: tuple[str, ...] = MONTH_PHASES) -> None:
        """Run ``phases`` (names of ``MONTH_PHASES``, in their order) for the next month.

        ``PRODUCTION_PHASES`` simulates a month's output and policies without trade (the
        planner's snapshots). This does not advance Mesa's clock; :meth:`step` does.
        """
        unknown = [name for name in phases if name not in MONTH_PHASES]
        if unknown:
            raise ValueError(f"unknown phases {unknown}; the phases are {MONTH_PHASES}")
        for name in phases:
            getattr(self, name)()

    def begin_month(self) -> None:
        """Advance the calendar by a month."""
        self.month_index += 1
        self.date = month_date(self.start, self.month_index - 1)

    def retire(self) -> None:
        """Retire technology lines at the end of their lifetime; record capacity in place as a year begins."""
        retire(self.state, self.market, self.month_index)
        self.record.installed_at_year_start.setdefault(self.date.year, self.state.installed_tpa.copy())

    def apply_policies(self) -> None:
        """Reset the policy levers to the baseline, apply the policies in force, then any capacity change."""
        self.levers.reset()
        self.policies.apply(self.levers, self.policy_view, self.date)
        factor = self.levers.capacity_factor
        if (factor != 1.0).any():
            rows, before = self.state.scale_capacity(factor)
            self.record.add_capacity_changes(self.date, rows, before, self.state.capacity_per_yr[rows],
                                             self.catalog.products)  # fmt: skip

    def produce(self) -> None:
        """Output and by-products of every facility for this month, each agent class deciding its facilities' output."""
        lv = self.levers
        conditions = OutputConditions(self.date.month, lv.limit_factor, lv.output_charge_cny_per_unit(self.catalog))
        rate = production_rates(self.class_rows, self.state, self.catalog, conditions)
        ledger = self.accounts.ledger
        ledger["generated_t"], ledger["drawn_from_stock_t"] = produce(self.state, self.catalog, rate)
        self.record.add_output(self.date.year, self.state.output)

    def route_prices(self, over_year: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Per-route willingness to pay (without any VAT-threshold premium) and seller reservation price (CNY/t).

        A seller's reservation price is its best alternative: disposal, or the price it expects from outlets
        (last month's; over the past 12 months for an investor, ``over_year``).
        """
        lv, own = self.levers, pricing.own_reservation_cny_per_t(self.catalog, self.levers.landfill_fee, self.levers.ep_tax)
        on_offer = self.accounts.ledger["generated_t"] + self.accounts.ledger["drawn_from_stock_t"]  # this month's
        outlet = self.market.expected_outlet_price(on_offer, own, self.date.month, self.market.seller_share, over_year)
        return pricing.route_prices(self.market.routes, self.catalog, own, outlet, lv.subsidy_cny_per_t,
                                    lv.transport_subsidy_cny_per_t_km, lv.emission_charge_cny_per_t,
                                    self.route_saved_t_per_t, self.state.cost_factor)  # fmt: skip

    def trade(self) -> None:
        """Clear the market, then store or dispose of what is unsold.

        Under a VAT rebate, a plant that can reach the threshold bids the threshold premium for
        listed wastes, and pays it only in a month in which it does reach the threshold
        (:meth:`~symbiosim.environment.market.Market.clear_with_premium`).
        """
        mk, state, catalog, levers, accounts = self.market, self.state, self.catalog, self.levers, self.accounts
        routes, n, n_b = mk.routes, self.n_facilities, len(catalog.byproducts)
        wtp, reservation = self.route_prices()
        own = pricing.own_reservation_cny_per_t(catalog, levers.landfill_fee, levers.ep_tax)
        own_route = routes.at_seller(own)
        month = market_inputs(state, catalog, routes, (wtp, reservation, own_route), accounts.ledger["generated_t"],
                              self.date.month, self.market.seller_share)  # fmt: skip
        premium, raw_t = vat_premium_bid(catalog, state, levers, month.capacity_t.sum(axis=1))
        result, cleared, route_premium = mk.clear_with_premium(
            self.month_index, month, premium, catalog.is_solid[routes.byproduct],
            lambda listed_t: pricing.vat_qualifies(listed_t, raw_t, levers.vat_rebate_rate, levers.vat_threshold),
        )  # fmt: skip
        state.supply_t[...], state.capacity_t[...] = cleared.supply_t, cleared.capacity_t
        state.group_capacity_t[...] = cleared.group_capacity_t
        accounts.outlets = mk.clear_outlets(state.supply_t, own, self.date.month, self.market.seller_share)
        accounts.prices = pricing.RoutePrices(cleared.wtp_cny_per_t, month.own_reservation_cny_per_t, route_premium)
        accounts.clearing, accounts.tonnes, accounts.value_cny = result, result.tonnes, result.value_cny
        ledger = accounts.ledger
        ledger["sold_t"], ledger["bought_t"], used_t = traded_by_facility(mk.routes, result.tonnes, n, n_b,
                                                                          len(catalog.technologies))  # fmt: skip
        ledger["outlet_t"] = accounts.outlets.sold_t
        state.outlet_this_year += accounts.outlets.sold_t
        contracted = under_contract_t(mk, self.month_index, n, n_b) + catalog.outlets.expected_monthly_t
        ledger["added_to_stock_t"], ledger["disposed_t"] = store_or_dispose(state, catalog, contracted)
        ledger["landfilled_t"], ledger["treated_t"] = catalog.disposal.split(ledger["disposed_t"])
        state.used_this_year_t += used_t

    def share_information(self) -> None:
        """Agents search when it is worth its cost (``agents.search``; a platform finds every candidate); referrals."""
        p, mk, ledger = self.params, self.market, self.accounts.ledger
        wtp, reservation = self.route_prices()
        probability = 1.0 if bool(self.levers.platform) else p["discovery_probability"]
        charge, buyer_t = prospects(self.state, self.catalog, mk.routes, p["discount_rate"], self.levers.capex_subsidy_share)
        searching, _, candidates = search_decisions(mk.routes, mk.book.known, wtp - mk.routes.transport_cny_per_t
            - reservation, ledger["disposed_t"] + ledger["outlet_t"], buyer_t, mk.seller_share,
            self.catalog.contract_months, probability, p["search_cost_cny"], charge)  # fmt: skip
        self.accounts.search_cost_cny = searching * p["search_cost_cny"]
        rules = SearchRules(probability, p["referral_probability"])
        mk.discover(searching, candidates, self.accounts.tonnes, rules, self.streams.search)

    def invest(self) -> None:
        """In the investment month, each agent that could install a technology appraises it (agents in node order)."""
        if self.date.month != int(self.params["investment_month"]):
            return
        wtp, reservation = self.route_prices(over_year=True)  # outlets at the past year's prices; fixed while agents appraise
        round_ = InvestmentRound(self.state, self.catalog, self.market, wtp, reservation,
                                 self.levers.capex_subsidy_share, self.neighbours, self.params,
                                 self.streams.investment.random(self.state.full_cap_tpa.shape), self.month_index)  # fmt: skip
        for agent in self.agent_list:
            if self.catalog.eligible[agent.index].any():
                self.record.adoptions.extend(agent.consider_investment(round_))
        self.state.start_new_year()

    def account(self) -> None:
        """Energy, emission and money ledgers, the month's summary, and its records."""
        books, accounts = self.books, self.accounts
        accounts.effects = route_effects(self.factors, accounts.tonnes, self.market.routes.distance_km)
        book_energy_and_emissions(books, accounts.effects, accounts.ledger, np.flatnonzero(accounts.tonnes))
        accounts.money = money_ledger(books, accounts.ledger, accounts.tonnes, accounts.value_cny,
                                      accounts.search_cost_cny, accounts.outlets.value_cny, accounts.clearing)  # fmt: skip
        accounts.totals.clear()
        accounts.totals.update(facility_totals(self.catalog, self.state, accounts.ledger, accounts.money))
        accounts.summary = month_summary(books, accounts)
        if self.month_index > 0:
            flows = flow_records(books, accounts, self.month_index, self.date) if accounts.tonnes.any() else None
            self.record.add_month(flows, facility_record(books, accounts.ledger, accounts.money, accounts.tonnes))
        self.state.capex_subsidy_paid_cny = 0.0

    def collect(self) -> None:
        """Record the month's series; stop at the end of the horizon."""
        self.datacollector.collect(self)
        if self.month_index >= self.horizon_months:
            self.running = False

    # --- results ------------------------------------------------------------------------
    @property
    def flows(self) -> pd.DataFrame:
        """Every exchange of every month so far (one row per route and month)."""
        return self.record.flows

    @property
    def facility_ledger(self) -> pd.DataFrame:
        """Every facility's monthly ledger so far (see :attr:`symbiosim.record.RunRecord.facility_ledger`)."""
        return self.record.facility_ledger

    @property
    def latest_flows(self) -> pd.DataFrame:
        """The exchanges of the month just simulated (columns as ``flows``; empty before any trade)."""
        return self.record.latest_flows(self.month_index)

    def _recent_tonnes(self, months: int) -> np.ndarray:
        return self.record.tonnes_by_facility(months, self.month_index, self.catalog.not_in_tonnes)

    def run(self, months: int | None = None) -> None:
        """Run ``months`` steps (default: to the horizon's end; beyond it, routes stay those that can pay within it)."""
        for _ in range(self.horizon_months - self.month_index if months is None else months):
            self.step()

    # --- saving and restoring -------------------------------------------------------------
    def saved_state(self) -> RunState:
        """Everything needed to continue this run exactly (copies; see :meth:`restore`)."""
        return RunState(
            self.month_index, self.date, self.running, self.steps,
            {"model": self.rng.bit_generator.state, **self.streams.states()},
            self.random.getstate(), self.state.copy(), self.market.book.copy(), self.accounts.copy(),
            self.record.copy(), copy.deepcopy(self.policy_memory),
            {name: list(values) for name, values in self.datacollector.model_vars.items()},
        )  # fmt: skip

    def restore(self, saved: RunState) -> None:
        """Continue from ``saved`` (a :meth:`saved_state` of a model of the same scenario, seed and horizon).

        The groups are restored in place; Mesa's clock is brought to the saved step by stepping
        it with no phase.

        Raises:
            ValueError: an array of ``saved`` does not fit this model.
        """
        self.state.restore(saved.facility)
        self.market.book.restore(saved.book)
        self.accounts.restore(saved.accounts)
        self.accounts.totals.update(facility_totals(self.catalog, self.state, self.accounts.ledger, self.accounts.money))
        self.record.restore(saved.record)
        self.policy_memory.clear()
        self.policy_memory.update(copy.deepcopy(saved.policy_memory))
        self.datacollector.model_vars = {name: list(values) for name, values in saved.model_vars.items()}
        self.month_index, self.date, self.running = saved.month_index, saved.date, saved.running
        self.rng.bit_generator.state = saved.numpy_rng["model"]
        self.streams.restore(saved.numpy_rng)
        self.random.setstate(saved.python_random)
        self.phases = ()
        try:
            for _ in range(saved.mesa_steps - self.steps):
                self.step()
        finally:
            self.phases = MONTH_PHASES
