"""SymbiosisModel: facilities of a scenario trading by-products, one step per calendar month.

Each step runs, in order (SPEC section 5):

1. ``apply_policies``: reset this month's caps, fees, taxes and subsidies, then apply the
   policies in force;
2. ``produce``: output = capacity x utilisation x seasonal factor, capped by any production
   limit; by-products = output x generation coefficients; stock is put on offer again;
3. ``trade``: the market clears (contracts first, then spot trades by surplus); what is
   unsold goes to storage up to the storage limit, the rest to landfill (or is not
   extracted, for steam);
4. ``share_information``: searches and referrals let agents learn of new partners;
5. ``invest`` (in ``investment_month``): each agent appraises technologies (NPV, payback,
   neighbour diffusion);
6. ``account``: money, energy and emission ledgers, then the DataCollector records.
"""

import datetime as dt
import numbers
import operator
from functools import partial
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from mesa import DataCollector, Model
from mesa.discrete_space import Network
from scipy import sparse
from scipy.spatial import cKDTree

from symbiosim.accounting import (
    EFFECT_OF,
    EMITTED,
    book_energy_and_emissions,
    facility_record,
    facility_view,
    flow_records,
    money_ledger,
    month_summary,
    route_effects,
    route_factors,
)
from symbiosim.agents import AGENT_CLASSES, Adoption, Enterprise
from symbiosim.environment.arrays import MONTHS_PER_YEAR, POLLUTANTS, build_arrays
from symbiosim.environment.geography import EARTH_RADIUS_KM, candidate_pairs, unit_vectors
from symbiosim.environment.market import ClearingResult, Market, MonthInputs, TrustRules
from symbiosim.environment.network import exchange_graph
from symbiosim.environment.scenario import MAX_YEARS, Scenario, load_scenario, parameter_range_issues, parse_start
from symbiosim.environment.validation import ScenarioError, ValidationIssue
from symbiosim.policies import Policy, PolicySchedule, build_policies

__all__ = ["SymbiosisModel", "month_date"]


def month_date(start: dt.date, months_after: int) -> dt.date:
    """First day of the month ``months_after`` months after ``start``.

    >>> month_date(dt.date(2025, 11, 1), 3)
    datetime.date(2026, 2, 1)
    """
    total = start.year * MONTHS_PER_YEAR + start.month - 1 + months_after
    return dt.date(total // MONTHS_PER_YEAR, total % MONTHS_PER_YEAR + 1, 1)


def _seed(rng: object) -> object:
    """Accept seeds typed into a UI as text."""
    if isinstance(rng, str):
        return int(rng.strip())
    return rng


class SymbiosisModel(Model):
    """Industrial symbiosis among the facilities of a scenario.

    Args:
        scenario: a :class:`Scenario`, a path to a scenario TOML file, or None for the
            bundled Beijing–Tianjin–Hebei scenario.
        rng: seed (int) or numpy Generator; all randomness comes from it.
        policies: policy instruments to apply by date, after those scheduled in the scenario
            file (default none).
        collect_agent_data: also record Mesa agent-type series every step (output, profit,
            energy, CO2, tonnes per facility; default False: the model-level series, and the
            model's own per-facility ledger ``facility_ledger``, are always recorded).
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
        super().__init__(rng=_seed(rng))
        self.scenario_data = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.params = dict(self.scenario_data.parameters)
        self.years, self.start = self.scenario_data.years, self.scenario_data.start
        problems: list[ValidationIssue] = []
        for key, value in overrides.items():
            if key == "years":
                if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 1 <= value <= MAX_YEARS:
                    problems.append(
                        ValidationIssue("overrides", None, "years", f"'{value}' is not a whole number in 1-{MAX_YEARS}")
                    )
                else:
                    self.years = int(value)
            elif key == "start":
                self.start, found = parse_start(value, "overrides")
                problems += found
            elif key in self.params:
                try:
                    self.params[key] = float(value)
                except (TypeError, ValueError):
                    problems.append(
                        ValidationIssue("overrides", None, f"parameters.{key}", f"'{value}' is not a number")
                    )
            else:
                raise TypeError(f"unknown parameter '{key}'; known: {sorted(self.params)} and years, start")
        problems += parameter_range_issues(self.params, self.scenario_data.tables["parameters"], "overrides")
        if not float(self.params.get("investment_month", 1)).is_integer():
            month = self.params["investment_month"]
            problems.append(
                ValidationIssue("overrides", None, "parameters.investment_month", f"{month} is not a whole month")
            )
        if problems:
            raise ScenarioError(problems)
        self.horizon_months = self.years * MONTHS_PER_YEAR
        self.month_index = 0
        self.date = self.start
        last_month = month_date(self.start, self.horizon_months - 1)
        scheduled = build_policies(self.scenario_data.policies, self.start, last_month)
        self.policies = PolicySchedule([*scheduled, *(policies or [])])
        self.policy_memory: dict[object, object] = {}  # what a policy fixes when it first applies
        self.adoptions: list[Adoption] = []
        self.capacity_changes = pd.DataFrame(
            columns=["date", "facility_id", "product", "capacity_before_per_yr", "capacity_after_per_yr"]
        )  # capacity retired or added by policies
        self._flow_chunks: list[dict[str, np.ndarray]] = []
        self._ledger_chunks: list[np.ndarray] = []  # (fields, facilities) per month
        self._ledger_fields: tuple[str, ...] = ()
        self._flows_cache: tuple[int, pd.DataFrame] | None = None

        self._build_catalog()
        self._build_space_and_agents()
        self._build_market()
        self._build_initial_state()
        self._build_datacollector(collect_agent_data)
        self.datacollector.collect(self)

    # --- construction -------------------------------------------------------------------
    def _build_catalog(self) -> None:
        arrays = build_arrays(self.scenario_data)
        self.arrays = arrays
        self.facilities = arrays.facilities
        self.facility_ids = arrays.facility_ids
        self.facility_index = {facility_id: i for i, facility_id in enumerate(self.facility_ids)}
        sectors = self.facilities["sector"].to_numpy()
        self.sector_rows = {sector: np.flatnonzero(sectors == sector) for sector in dict.fromkeys(sectors)}
        self.products, self.byproducts, self.technologies = arrays.products, arrays.byproducts, arrays.technologies
        self.capacity_per_yr = arrays.capacity_per_yr
        self.main_product = arrays.main_product
        self.eligible = arrays.eligible
        self.full_cap_tpa = arrays.full_cap_tpa
        self.eligible_technologies = [np.flatnonzero(row).tolist() for row in arrays.eligible]
        byp, tech = arrays.byproduct, arrays.technology
        self.is_landfilled = (byp["disposal_route"] == "landfill").to_numpy()
        self.tech_capex_cny_per_tpa = tech["capex_cny_per_tpa"].to_numpy(dtype=float)
        self.tech_lifetime_yr = tech["lifetime_yr"].to_numpy(dtype=int)
        self.tech_opex_cny_per_t = tech["opex_cny_per_t"].to_numpy(dtype=float)
        self.tech_displaced_per_t = tech["displaced_per_t"].to_numpy(dtype=float)
        self.tech_cap_t_per_t = tech["cap_t_per_t"].to_numpy(dtype=float)
        self.group_cap_t_per_t = arrays.group_cap_t_per_t
        material_price = arrays.material_factors["price_cny"][arrays.tech_material]
        self.tech_avoided_cny_per_t = self.tech_displaced_per_t * material_price
        n, n_b = len(self.facility_ids), len(self.byproducts)
        mean_generation = np.einsum(
            "np,npb->nb", self.capacity_per_yr * arrays.utilisation / MONTHS_PER_YEAR, arrays.generation_t_per_unit
        )
        self.storage_limit_t = mean_generation * byp["storage_months"].to_numpy(dtype=float)[None, :]
        self.base_landfill_fee = np.tile(byp["landfill_fee_cny_per_t"].to_numpy(dtype=float), (n, 1))
        self.base_ep_tax = np.tile(byp["ep_tax_cny_per_t"].to_numpy(dtype=float), (n, 1))
        self.storage_cost = byp["storage_cost_cny_per_t_month"].to_numpy(dtype=float)
        self.storage_months = byp["storage_months"].to_numpy(dtype=float)
        self.supply_cost = byp["supply_cost_cny_per_t"].to_numpy(dtype=float)
        self.is_seller = mean_generation > 0  # (n, B)
        self.n_facilities, self.n_byproducts = n, n_b

    def _build_space_and_agents(self) -> None:
        fac = self.facilities
        graph = nx.Graph()
        graph.add_nodes_from(range(len(fac)))
        layout = {
            i: (float(lon), float(lat))
            for i, (lon, lat) in enumerate(zip(fac["longitude"], fac["latitude"], strict=True))
        }
        self.space = Network(graph, capacity=1, random=self.random, layout=layout)
        classes = dict(
            zip(
                self.scenario_data.table("sectors")["sector"],
                self.scenario_data.table("sectors")["agent_class"],
                strict=True,
            )
        )
        self.agent_list: list[Enterprise] = []
        for index, record in enumerate(fac.to_dict("records")):
            agent = AGENT_CLASSES[classes[record["sector"]]](self, index, record)
            agent.cell = self.space[index]
            self.agent_list.append(agent)
        # what a facility landfills goes to its city's landfill(s); the gate fee is split equally
        # among them, and paid to disposal outside the scenario where the city has none
        sectors = self.scenario_data.table("sectors")
        receiving = set(sectors.loc[sectors["receives_landfill"].map(lambda v: v is True), "sector"])
        by_city: dict[str, list[int]] = {}
        for agent in self.agent_list:
            if agent.sector in receiving:
                by_city.setdefault(agent.city, []).append(agent.index)
        rows, cols, weights = [], [], []
        for agent in self.agent_list:
            for landfill in by_city.get(agent.city, []):
                rows.append(agent.index)
                cols.append(landfill)
                weights.append(1.0 / len(by_city[agent.city]))
        n = len(fac)
        self.landfill_share = sparse.csr_matrix((weights, (rows, cols)), shape=(n, n))
        self.has_landfill = np.asarray(self.landfill_share.sum(axis=1)).reshape(-1) > 0

    def _build_market(self) -> None:
        arrays, p = self.arrays, self.params
        fac = self.facilities
        lat, lon = fac["latitude"].to_numpy(dtype=float), fac["longitude"].to_numpy(dtype=float)
        byp = arrays.byproduct
        overrides = self.scenario_data.table("distances")
        index = self.facility_index
        given = {
            (index[f], index[t]): float(km)
            for f, t, km in zip(
                overrides["from_facility_id"], overrides["to_facility_id"], overrides["distance_km"], strict=True
            )
            if f in index and t in index
        }
        parts: list[tuple[np.ndarray, ...]] = []
        for k in range(len(self.technologies)):
            b = int(arrays.tech_byproduct[k])
            max_km = float(byp.at[b, "max_haul_km"])
            sellers = np.flatnonzero(self.is_seller[:, b])
            buyers = np.flatnonzero(self.eligible[:, k])
            i, j, km = candidate_pairs(
                lat[sellers], lon[sellers], lat[buyers], lon[buyers], max_km, p["circuity_factor"]
            )
            s, c = sellers[i], buyers[j]
            if given:
                pairs = dict(zip(zip(s.tolist(), c.tolist(), strict=True), km.tolist(), strict=True))
                seller_set, buyer_set = set(sellers.tolist()), set(buyers.tolist())
                for (fs, fc), dist in given.items():
                    if fs in seller_set and fc in buyer_set:
                        pairs[(fs, fc)] = dist
                pairs = {key: d for key, d in sorted(pairs.items()) if d <= max_km}
                s = np.array([key[0] for key in pairs], dtype=np.intp)
                c = np.array([key[1] for key in pairs], dtype=np.intp)
                km = np.array(list(pairs.values()), dtype=float)
            keep = s != c
            parts.append(
                (
                    s[keep],
                    c[keep],
                    np.full(keep.sum(), k, dtype=np.intp),
                    np.full(keep.sum(), b, dtype=np.intp),
                    km[keep],
                )
            )
        seller, buyer, tech, byproduct, km = (np.concatenate([part[f] for part in parts]) for f in range(5))
        tariff = byp["tariff_cny_per_t_km"].to_numpy(dtype=float)[byproduct]
        fixed = byp["fixed_cost_cny_per_t"].to_numpy(dtype=float)[byproduct]
        rules = TrustRules(p["initial_trust"], p["trust_gain"], p["trust_loss"], p["min_trust"])
        self.market = Market(
            seller.astype(np.intp),
            buyer.astype(np.intp),
            tech.astype(np.intp),
            byproduct.astype(np.intp),
            km,
            tariff * km + fixed,
            byp["contract_months"].to_numpy(dtype=np.int64),
            rules,
            arrays.tech_group,
        )
        self.market.known[:] = self.market.link_km <= p["initial_knowledge_km"]
        self.routes_of_technology = [np.flatnonzero(self.market.technology == k) for k in range(len(self.technologies))]
        self._appraisal_prices: tuple[np.ndarray, np.ndarray] | None = None
        # neighbours for technology diffusion: same sector within diffusion_radius_km
        xyz = unit_vectors(lat, lon)
        chord = 2 * np.sin(p["diffusion_radius_km"] / p["circuity_factor"] / EARTH_RADIUS_KM / 2)
        tree = cKDTree(xyz)
        sectors = fac["sector"].to_numpy()
        self.neighbours = [
            np.array([j for j in sorted(found) if j != i and sectors[j] == sectors[i]], dtype=np.intp)
            for i, found in enumerate(tree.query_ball_point(xyz, chord))
        ]

    def _build_initial_state(self) -> None:
        n, n_b, n_k = self.n_facilities, self.n_byproducts, len(self.technologies)
        share = self.arrays.technology["initial_adoption_share"].to_numpy(dtype=float)
        self.clearing: ClearingResult | None = None
        draws = self.rng.random((n, n_k))
        has = self.eligible & (draws < share[None, :])
        # technologies drawn together in one cap group share the group's cap equally
        group = self.arrays.tech_group
        drawn_in_group = np.stack([has[:, group == g].sum(axis=1) for g in group], axis=1)
        group_cap_tpa = (
            self.group_cap_t_per_t[group][None, :] * self.capacity_per_yr[:, self.arrays.group_cap_product[group]]
        )
        share_of_group = np.divide(
            group_cap_tpa, drawn_in_group, out=np.zeros_like(group_cap_tpa), where=drawn_in_group > 0
        )
        self.installed_tpa = np.where(has, np.minimum(self.full_cap_tpa, share_of_group), 0.0)
        self.capex_subsidy_share = np.zeros((n, n_k))  # share of capex paid by the government
        self.depreciation_cny_per_month = np.zeros(n)
        self.capex_subsidy_paid_cny = 0.0  # this month; reset after accounting
        self.vintages: list[tuple[int, int, int, float, float]] = []  # (last month, facility, tech, t/yr, CNY/month)
        self.stock = np.zeros((n, n_b))
        self.unsold_this_year = np.zeros((n, n_b))
        self.used_this_year_t = np.zeros((n, n_k))
        self.output_this_year = np.zeros((n, len(self.products)))
        self.months_this_year = 0  # months accumulated in the *_this_year arrays
        self.output = np.zeros((n, len(self.products)))
        # per calendar year: output (units), months simulated, and the technology capacity in
        # place when the year began (t/yr), for planner snapshots of the run
        self.annual_output: dict[int, np.ndarray] = {}
        self.annual_months: dict[int, int] = {}
        self.installed_at_year_start: dict[int, np.ndarray] = {}
        self.limit_factor = np.ones(n)
        self.landfill_fee = self.base_landfill_fee.copy()
        self.ep_tax = self.base_ep_tax.copy()
        self.subsidy_cny_per_t = np.zeros((n, n_k))  # paid to the buyer per tonne used
        self.transport_subsidy_cny_per_t_km = np.zeros(n_b)  # paid to the buyer per t km hauled
        self.is_platform_on = False
        # charges on emissions (carbon price, air-pollutant tax), CNY per tonne emitted, and the
        # free carbon allocation, t CO2 per unit of output
        self.emission_charge_cny_per_t = {name: np.zeros(n) for name in EMITTED}
        # VAT rebate for comprehensive resource use: rebate rate (share x VAT rate), the waste
        # share of raw material that triggers it, and raw material per unit of each product
        self.vat_rebate_rate = np.zeros(n)
        self.vat_threshold = np.zeros(n)
        self.raw_material_t_per_unit = np.zeros((n, len(self.products)))
        self.free_co2_t_per_unit = np.zeros((n, len(self.products)))
        self.last_tonnes = np.zeros(self.market.n_routes)
        self.ledger = {
            name: np.zeros((n, n_b))
            for name in (
                "generated_t",
                "drawn_from_stock_t",
                "sold_t",
                "bought_t",
                "added_to_stock_t",
                "disposed_t",
                "landfilled_t",
            )
        }
        for name in ("energy_tce", "co2_t", "energy_saved_tce", "co2_avoided_t", *(f"{p}_t" for p in POLLUTANTS)):
            self.ledger[name] = np.zeros(n)
        self.money = {"profit_cny": np.zeros(n)}
        self.search_cost_cny = np.zeros(n)
        self.route_factors = route_factors(self.arrays, self.market)
        per_tonne = route_effects(self.route_factors, np.ones(self.market.n_routes), self.market.distance_km)
        self.route_saved_t_per_t = {name: per_tonne[EFFECT_OF[name]] for name in EMITTED}
        self.last: dict[str, float] = {}
        self.account(np.zeros(self.market.n_routes), np.zeros(self.market.n_routes))

    def _build_datacollector(self, collect_agent_data: bool) -> None:
        reporters = {key: partial(_last_value, key=key) for key in self.last}
        fields = {
            "output_units": "output_units",
            "revenue_cny": "revenue_cny",
            "cost_cny": "cost_cny",
            "profit_cny": "profit_cny",
            "energy_tce": "energy_tce",
            "co2_t": "co2_t",
            "sold_t": "sold_t",
            "bought_t": "bought_t",
            "landfilled_t": "landfilled_t",
        }
        types = sorted({type(a) for a in self.agent_list}, key=operator.attrgetter("__name__"))
        self.datacollector = DataCollector(
            model_reporters=reporters,
            agenttype_reporters=dict.fromkeys(types, fields) if collect_agent_data else {},
        )

    # --- the month ----------------------------------------------------------------------
    def step(self) -> None:
        """Advance one calendar month."""
        self.month_index += 1
        self.date = month_date(self.start, self.month_index - 1)
        self.retire()
        self.installed_at_year_start.setdefault(self.date.year, self.installed_tpa.copy())
        self.apply_policies()
        self.produce()
        tonnes, value = self.trade()
        self.share_information(tonnes)
        if self.date.month == int(self.params["investment_month"]):
            self.invest()
        self.account(tonnes, value)
        self.datacollector.collect(self)
        if self.month_index >= self.horizon_months:
            self.running = False

    def policy_key(self, kind: str, policy: object) -> tuple[str, int]:
        """Key of what a policy fixes when it first applies (``policy_memory``): its place in the schedule.

        Stable across checkpoints, unlike the policy object's identity.
        """
        return kind, next(i for i, p in enumerate(self.policies.policies) if p is policy)

    def apply_policies(self) -> None:
        """Reset this month's policy arrays to the baseline, then apply policies in force."""
        self.limit_factor[:] = 1.0
        self.landfill_fee[:] = self.base_landfill_fee
        self.ep_tax[:] = self.base_ep_tax
        self.subsidy_cny_per_t[:] = 0.0
        self.transport_subsidy_cny_per_t_km[:] = 0.0
        self.capex_subsidy_share[:] = 0.0
        self.is_platform_on = False
        for charge in self.emission_charge_cny_per_t.values():
            charge[:] = 0.0
        self.vat_rebate_rate[:] = 0.0
        self.vat_threshold[:] = 0.0
        self.raw_material_t_per_unit[:] = 0.0
        self.free_co2_t_per_unit[:] = 0.0
        self.policies.apply(self, self.date)

    def produce(self) -> None:
        """Output and by-products of every facility for this month."""
        a = self.arrays
        month = self.date.month - 1
        rate = np.minimum(a.utilisation * a.season[:, month : month + 1], self.limit_factor[:, None])
        self.output = self.capacity_per_yr / MONTHS_PER_YEAR * np.clip(rate, 0.0, 1.0)
        self.output_this_year += self.output
        self.annual_output.setdefault(self.date.year, np.zeros_like(self.output))
        self.annual_output[self.date.year] += self.output
        self.annual_months[self.date.year] = self.annual_months.get(self.date.year, 0) + 1
        self.months_this_year += 1
        generated = np.einsum("np,npb->nb", self.output, a.generation_t_per_unit)
        self.ledger["generated_t"] = generated
        self.ledger["drawn_from_stock_t"] = self.stock.copy()
        self.supply_t = generated + self.stock
        self.stock = np.zeros_like(self.stock)

    def buyer_capacity_t(self) -> np.ndarray:
        """Tonnes each facility can take this month per technology: min(cap x output, installed/12)."""
        a = self.arrays
        by_output = self.tech_cap_t_per_t[None, :] * self.output[:, a.tech_cap_product]
        return np.where(self.installed_tpa > 0, np.minimum(by_output, self.installed_tpa / MONTHS_PER_YEAR), 0.0)

    def route_prices(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-route willingness to pay and seller reservation price (CNY/t) this month."""
        mk = self.market
        wtp_k = self.tech_avoided_cny_per_t - self.tech_opex_cny_per_t
        wtp = wtp_k[mk.technology] + self.route_subsidy_cny_per_t() + self.route_avoided_charges_cny_per_t()
        # the seller's outside option is its by-product's disposal route: landfill avoids nothing
        # but costs fee + tax; a by-product that is not extracted (steam) costs nothing unsold,
        # whatever fee a policy sets on it. Storage only defers disposal, so adding the storage
        # cost as well would count a tonne as both stored and landfilled
        disposal_cny_per_t = (self.landfill_fee + self.ep_tax) * self.is_landfilled[None, :]
        reservation_nb = self.supply_cost[None, :] - disposal_cny_per_t
        return wtp, reservation_nb[mk.seller, mk.byproduct]

    def product_income_cny(self) -> np.ndarray:
        """Each facility's income from its products this month (CNY)."""
        return (self.output * self.arrays.product_factors["price_cny"]).sum(axis=1)

    def raw_material_t(self) -> np.ndarray:
        """Each facility's raw material this month (t), for the VAT-rebate share of wastes."""
        return (self.output * self.raw_material_t_per_unit).sum(axis=1)

    def vat_threshold_premium_cny_per_t(self) -> np.ndarray:
        """Extra value per tonne of listed waste to a plant that can reach the VAT-rebate threshold.

        The rebate (rate x this month's product income) is won only if listed wastes reach the
        threshold share of raw material. A plant that cannot reach it even with all its capacity
        for wastes gains nothing from one more tonne; a plant that can values each tonne at the
        rebate spread over that capacity. So the value of a tonne jumps from nothing to
        rate x income / capacity as the threshold comes within reach (e.g. as output, and with
        it the raw material, falls, or as capacity is installed).
        """
        income = self.product_income_cny()
        needed_t = self.vat_threshold * self.raw_material_t()
        capacity_t = self.capacity_t.sum(axis=1)
        reachable = (self.vat_rebate_rate > 0) & (needed_t > 0) & (needed_t <= capacity_t)
        return np.divide(self.vat_rebate_rate * income, capacity_t, out=np.zeros(self.n_facilities), where=reachable)

    def vat_qualifies(self, listed_wastes_t: np.ndarray) -> np.ndarray:
        """Which plants reach the VAT-rebate threshold with ``listed_wastes_t`` (t) of listed wastes this month."""
        raw_t = self.raw_material_t()
        share = np.divide(listed_wastes_t, raw_t, out=np.zeros(self.n_facilities), where=raw_t > 0)
        return (self.vat_rebate_rate > 0) & (raw_t > 0) & (share >= self.vat_threshold)

    def vat_rebate_cny(self) -> np.ndarray:
        """VAT rebate earned this month: rate x product income where listed wastes reached the threshold."""
        if not self.vat_rebate_rate.any():
            return np.zeros(self.n_facilities)
        qualifies = self.vat_qualifies(self.ledger["bought_t"][:, self.is_landfilled].sum(axis=1))
        return np.where(qualifies, self.vat_rebate_rate * self.product_income_cny(), 0.0)

    def route_avoided_charges_cny_per_t(self) -> np.ndarray:
        """Per-route emission charges (carbon price, air tax) the buyer avoids per tonne used (CNY/t)."""
        buyer = self.market.buyer
        total = np.zeros(self.market.n_routes)
        for name, saved in self.route_saved_t_per_t.items():
            charge = self.emission_charge_cny_per_t[name]
            if charge.any():
                total += charge[buyer] * saved
        return total

    def route_subsidy_cny_per_t(self) -> np.ndarray:
        """Per-route subsidy to the buyer this month (CNY/t): per tonne used plus per t km hauled."""
        mk = self.market
        per_tonne = self.subsidy_cny_per_t[mk.buyer, mk.technology]
        return per_tonne + self.transport_subsidy_cny_per_t_km[mk.byproduct] * mk.distance_km

    def trade(self) -> tuple[np.ndarray, np.ndarray]:
        """Clear the market, then store or landfill what is unsold. Returns tonnes and value per route.

        Under a VAT rebate, a plant that can reach the threshold values listed wastes at the
        threshold premium (``vat_threshold_premium_cny_per_t``). It pays that premium only if
        it does reach the threshold this month: the month is cleared again, from the same
        contracts and trust, without the premium of every plant that fell short, until every
        plant bidding the premium qualifies (each round drops at least one plant).
        """
        mk = self.market
        wtp, reservation = self.route_prices()
        capacity_t = self.buyer_capacity_t()
        group_capacity_t = self.group_cap_t_per_t[None, :] * self.output[:, self.arrays.group_cap_product]
        self.capacity_t = capacity_t  # the premium depends on the capacity for wastes
        premium = self.vat_threshold_premium_cny_per_t() if self.vat_rebate_rate.any() else np.zeros(self.n_facilities)
        listed_route = self.is_landfilled[mk.byproduct]
        before = mk.mutable_state() if premium.any() else None
        while True:
            route_premium = premium[mk.buyer] * listed_route
            month = MonthInputs(
                supply_t=self.supply_t.copy(),
                generated_t=self.ledger["generated_t"],
                capacity_t=capacity_t.copy(),
                group_capacity_t=group_capacity_t.copy(),
                wtp_cny_per_t=wtp + route_premium,
                reservation_cny_per_t=reservation,
                is_installed=self.installed_tpa[mk.buyer, mk.technology] > 0,
                season_now=self.arrays.season[:, self.date.month - 1],
                installed_monthly_t=self.installed_tpa / MONTHS_PER_YEAR,
                season_peak=self.arrays.season.max(axis=1),
                seller_share=self.params["bargaining_share"],
            )
            result = mk.clear(self.month_index, month)
            if before is None:
                break
            listed_t = np.bincount(mk.buyer, weights=result.tonnes * listed_route, minlength=self.n_facilities)
            short = (premium > 0) & ~self.vat_qualifies(listed_t)
            if not short.any():
                break
            premium = np.where(short, 0.0, premium)
            mk.restore_state(before)
        self.supply_t, self.capacity_t, self.group_capacity_t = month.supply_t, month.capacity_t, month.group_capacity_t
        self.route_wtp, self.route_reservation, self.route_vat_premium = month.wtp_cny_per_t, reservation, route_premium
        n, n_b = self.n_facilities, self.n_byproducts
        flat_seller = mk.seller * n_b + mk.byproduct
        flat_buyer = mk.buyer * n_b + mk.byproduct
        self.ledger["sold_t"] = np.bincount(flat_seller, weights=result.tonnes, minlength=n * n_b).reshape(n, n_b)
        self.ledger["bought_t"] = np.bincount(flat_buyer, weights=result.tonnes, minlength=n * n_b).reshape(n, n_b)
        unsold = np.maximum(self.supply_t, 0.0)
        # storage is a buffer for customers: up to storage_months of the volume under contract
        in_force = mk.active_contracts(self.month_index)
        contracted = np.bincount(
            flat_seller[in_force], weights=mk.contract_volume_t[in_force], minlength=n * n_b
        ).reshape(n, n_b)
        buffer_t = np.minimum(self.storage_limit_t, contracted * self.storage_months[None, :])
        stored = np.minimum(unsold, buffer_t)
        disposed = unsold - stored
        self.stock = stored
        self.ledger["added_to_stock_t"] = stored
        self.ledger["disposed_t"] = disposed
        self.ledger["landfilled_t"] = disposed * self.is_landfilled[None, :]
        self.unsold_this_year += disposed
        n_k = len(self.technologies)
        self.used_this_year_t += np.bincount(
            mk.buyer * n_k + mk.technology, weights=result.tonnes, minlength=n * n_k
        ).reshape(n, n_k)
        self.clearing = result
        return result.tonnes, result.value_cny

    def share_information(self, tonnes: np.ndarray) -> None:
        """Searches (own radius, or any distance with a platform) and referrals extend what agents know."""
        mk, p = self.market, self.params
        n = self.n_facilities
        wants_buyers = (self.capacity_t > 1e-9).any(axis=1)
        wants_sellers = (self.ledger["disposed_t"] > 1e-9).any(axis=1)
        searching = (wants_buyers | wants_sellers) & (self.rng.random(n) < p["search_probability"])
        self.search_cost_cny = searching * p["search_cost_cny"]
        draws = self.rng.random(len(mk.known))
        found = (
            ~mk.known
            & (searching[mk.link_seller] | searching[mk.link_buyer])
            # a facilitation platform shows offers beyond the agent's own search radius
            & (self.is_platform_on | (mk.link_km <= p["search_radius_km"]))
            & (draws < p["discovery_probability"])
        )
        active_link = np.zeros(len(mk.known), dtype=bool)
        active_link[mk.link[tonnes > 0]] = True
        referral_draws = self.rng.random(len(mk.known))
        if active_link.any():
            a = sparse.csr_matrix(
                (np.ones(active_link.sum()), (mk.link_seller[active_link], mk.link_buyer[active_link])), shape=(n, n)
            )
            reach = (a @ a.T @ a).tocsr()
            referred = np.asarray(reach[mk.link_seller, mk.link_buyer]).reshape(-1) > 0
            found |= ~mk.known & referred & (referral_draws < p["referral_probability"])
        mk.known |= found

    def invest(self) -> None:
        """Each agent that could install a technology appraises it (agents in node order)."""
        self._appraisal_prices = self.route_prices()  # prices do not change while agents appraise
        for agent in self.agent_list:
            if self.eligible_technologies[agent.index]:
                self.adoptions.extend(agent.consider_investment())
        self._appraisal_prices = None
        self.unsold_this_year[:] = 0.0
        self.used_this_year_t[:] = 0.0
        self.output_this_year[:] = 0.0
        self.months_this_year = 0

    def neighbour_adoption_share(self, index: int, k: int) -> float:
        """Share of same-sector neighbours (within ``diffusion_radius_km``) that use technology k."""
        near = self.neighbours[index]
        if len(near) == 0:
            return 0.0
        return float((self.installed_tpa[near, k] > 0).mean())

    def appraise(self, index: int, k: int) -> tuple[float, float]:
        """Expected extra volume (t/yr) and buyer margin (CNY/t) for technology k at a facility.

        The volume is what known sellers within reach failed to place over the past year
        (plus what they hold in stock), divided among the buyers that know each seller and
        already use the technology; the margin is the buyer's share of the surplus on those
        routes, weighted by that volume.
        """
        mk = self.market
        of_tech = self.routes_of_technology[k]
        own = of_tech[mk.buyer[of_tech] == index]
        routes = own[mk.known[mk.link[own]]]
        if len(routes) == 0:
            return 0.0, 0.0
        wtp, reservation = self._appraisal_prices or self.route_prices()
        surplus = wtp[routes] - mk.transport_cny_per_t[routes] - reservation[routes]
        good = surplus > 0
        if not good.any():
            return 0.0, 0.0
        routes, surplus = routes[good], surplus[good]
        s, b = mk.seller[routes], mk.byproduct[routes]
        others = of_tech[mk.buyer[of_tech] != index]
        rivals = others[mk.known[mk.link[others]] & (self.installed_tpa[mk.buyer[others], k] > 0)]
        competitors = np.bincount(mk.seller[rivals], minlength=self.n_facilities)[s]
        # what known sellers could not place, shared with the other buyers that know them
        available = (self.unsold_this_year[s, b] * self.year_scale + self.stock[s, b]) / (1 + competitors)
        volume = float(available.sum())
        if volume <= 0:
            return 0.0, 0.0
        margin = float(((1 - self.params["bargaining_share"]) * surplus * available).sum() / volume)
        return volume, margin

    @property
    def year_scale(self) -> float:
        """Factor turning this year's accumulated figures into a full year (12 / months so far).

        The first year is shorter than 12 months when the run starts after January.
        """
        return MONTHS_PER_YEAR / max(self.months_this_year, 1)

    def room_to_install_tpa(self, index: int, k: int) -> float:
        """Capacity (t/yr) of technology k a facility could still add.

        Limited by the technology's own cap (at nameplate output) less what is installed, and
        by its cap group's shared cap on the past year's output less what the group's
        technologies used over that year.
        """
        group = self.arrays.tech_group
        members = group == group[k]
        product = self.arrays.group_cap_product[group[k]]
        per_year = self.year_scale
        group_cap = self.group_cap_t_per_t[group[k]] * self.output_this_year[index, product] * per_year
        # the group cap limits what is used, not what is installed: idle lines for other
        # by-products do not stop a plant from adding a line for one it can actually get
        group_room = group_cap - self.used_this_year_t[index, members].sum() * per_year
        return float(min(self.full_cap_tpa[index, k] - self.installed_tpa[index, k], group_room))

    def install(self, index: int, k: int, capacity_tpa: float, capex_cny: float, subsidy_cny: float = 0.0) -> None:
        """Add capacity of technology k at a facility.

        The capex (net of any capex subsidy, ``subsidy_cny``, which the government pays now) is
        depreciated in equal monthly parts over the technology's lifetime, from this month on;
        at the end of its lifetime the capacity is retired (see ``retire``).
        """
        self.capex_subsidy_paid_cny += subsidy_cny
        months = int(self.tech_lifetime_yr[k]) * MONTHS_PER_YEAR
        monthly = capex_cny / months
        self.installed_tpa[index, k] += capacity_tpa
        self.depreciation_cny_per_month[index] += monthly
        self.vintages.append((self.month_index + months - 1, index, k, capacity_tpa, monthly))

    def retire(self) -> None:
        """Retire the capacity installed during the run that has reached the end of its lifetime.

        Capacity present at the start (the initial adoption) is taken as maintained and is not
        retired; retired capacity can be replaced by new investment. The buyer ends the contracts
        of that technology when a line retires (a planned end, which costs no trust); the market
        signs new ones within the capacity left.
        """
        keep = []
        for vintage in self.vintages:
            last_month, index, k, capacity_tpa, monthly = vintage
            if last_month < self.month_index:
                self.installed_tpa[index, k] = max(self.installed_tpa[index, k] - capacity_tpa, 0.0)
                self.depreciation_cny_per_month[index] = max(self.depreciation_cny_per_month[index] - monthly, 0.0)
                # the buyer ends the contracts of the line it retires (planned, so trust is not hurt);
                # new ones are signed within the capacity it has left
                mk = self.market
                routes = self.routes_of_technology[k]
                ending = routes[(mk.buyer[routes] == index) & (mk.contract_end[routes] >= self.month_index)]
                mk.contract_end[ending] = self.month_index - 1
            else:
                keep.append(vintage)
        self.vintages = keep

    def scale_capacity(self, factor: np.ndarray, date: dt.date) -> pd.DataFrame:
        """Multiply each facility's capacity by ``factor`` for good (0 retires it).

        What follows from capacity scales with it: the caps of its technologies at full
        output and its storage limit. Each change is recorded in ``capacity_changes``.

        Returns:
            The changes made (one row per facility and product).
        """
        rows = np.flatnonzero(factor != 1.0)
        before = self.capacity_per_yr[rows].copy()
        self.capacity_per_yr[rows] *= factor[rows, None]
        self.full_cap_tpa[rows] *= factor[rows, None]
        self.storage_limit_t[rows] *= factor[rows, None]
        facility, product = np.nonzero(before > 0)
        changes = pd.DataFrame(
            {
                "date": date,
                "facility_id": [self.facility_ids[rows[i]] for i in facility],
                "product": [self.products[j] for j in product],
                "capacity_before_per_yr": before[facility, product],
                "capacity_after_per_yr": self.capacity_per_yr[rows[facility], product],
            }
        )
        self.capacity_changes = pd.concat([self.capacity_changes, changes], ignore_index=True)
        return changes

    def account(self, tonnes: np.ndarray, value: np.ndarray) -> None:
        """Energy, emission and money ledgers, the month's summary and its flow records."""
        effects = route_effects(self.route_factors, tonnes, self.market.distance_km)
        book_energy_and_emissions(self, effects)
        self.money = money_ledger(self, tonnes, value)
        self.facility_view = facility_view(self)
        self.last = month_summary(self, tonnes, value)
        if tonnes.any():
            self._flow_chunks.append(flow_records(self, tonnes, value, effects))
        if self.month_index > 0:
            record = facility_record(self, tonnes)
            self._ledger_fields = tuple(record)
            self._ledger_chunks.append(np.vstack(list(record.values())))
        self.route_effects = effects
        self.last_tonnes = tonnes
        self.capex_subsidy_paid_cny = 0.0

    # --- results ------------------------------------------------------------------------
    @property
    def flows(self) -> pd.DataFrame:
        """Every exchange of every month so far (one row per route and month)."""
        if not self._flow_chunks:
            return pd.DataFrame(columns=["step", "date", "seller_id", "buyer_id", "byproduct", "technology", "tonnes"])
        if self._flows_cache is None or self._flows_cache[0] != len(self._flow_chunks):
            columns = self._flow_chunks[0].keys()
            table = pd.DataFrame({c: np.concatenate([chunk[c] for chunk in self._flow_chunks]) for c in columns})
            self._flows_cache = (len(self._flow_chunks), table)
        return self._flows_cache[1].copy()

    @property
    def facility_ledger(self) -> pd.DataFrame:
        """Every facility's monthly ledger so far: one row per month and facility.

        Columns ``step``, ``date``, ``facility_id``, then output value, tonnes, energy,
        emissions and money (units in the names; see :func:`symbiosim.accounting.facility_record`).
        """
        n, months = self.n_facilities, len(self._ledger_chunks)
        if months == 0:
            return pd.DataFrame(columns=["step", "date", "facility_id", *self._ledger_fields])
        stacked = np.stack(self._ledger_chunks)  # (months, fields, facilities)
        table = pd.DataFrame(
            stacked.transpose(0, 2, 1).reshape(months * n, len(self._ledger_fields)), columns=self._ledger_fields
        )
        steps = np.repeat(np.arange(1, months + 1), n)
        table.insert(0, "facility_id", np.tile(np.asarray(self.facility_ids, dtype=object), months))
        table.insert(0, "date", [month_date(self.start, step - 1).isoformat() for step in steps])
        table.insert(0, "step", steps)
        return table

    @property
    def latest_flows(self) -> pd.DataFrame:
        """The exchanges of the month just simulated (columns as ``flows``; empty before any trade)."""
        last = self._flow_chunks[-1] if self._flow_chunks else None
        if last is not None and int(last["step"][0]) == self.month_index:
            return pd.DataFrame(last)
        return pd.DataFrame(
            columns=[
                "step",
                "seller",
                "buyer",
                "seller_id",
                "buyer_id",
                "byproduct",
                "technology",
                "tonnes",
                "distance_km",
            ]
        )

    def exchange_network(self) -> nx.MultiDiGraph:
        """The network of the latest month's exchanges (see ``environment.network``)."""
        return exchange_graph(self.facilities, self.latest_flows.rename(columns={"tonnes": "tonnes_per_month"}))

    def tonnes_by_facility(self, months: int) -> np.ndarray:
        """Tonnes each facility exchanged (sold + bought, symbiosis exchanges) in the last ``months`` months."""
        totals = np.zeros(self.n_facilities)
        for chunk in reversed(self._flow_chunks):
            if int(chunk["step"][0]) <= self.month_index - months:
                break
            tonnes = chunk["tonnes"] * chunk["is_symbiosis"]
            np.add.at(totals, chunk["seller"], tonnes)
            np.add.at(totals, chunk["buyer"], tonnes)
        return totals

    def run(self, months: int | None = None) -> None:
        """Run ``months`` steps (default: to the end of the horizon)."""
        for _ in range(self.horizon_months - self.month_index if months is None else months):
            self.step()


def _last_value(model: SymbiosisModel, key: str) -> float:
    return model.last[key]
