"""What a run records month by month: exchanges, facility ledgers, series, investments and capacity changes.

:class:`RunRecord` keeps each month's flows and ledger as compact chunks and turns them into
tables on request (``flows``, ``facility_ledger``); the model-level series are Mesa's
``DataCollector``'s, from each month's :func:`month_summary`. :class:`RunState` is everything
needed to continue a run.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from mesa import DataCollector, Model
from numpy.typing import NDArray

from symbiosim.accounting import EFFECTS, LEDGER_PER_FACILITY, Books, MonthAccounts, product_income_cny
from symbiosim.agents import Adoption, FacilityState
from symbiosim.environment.arrays import POLLUTANTS, CatalogArrays
from symbiosim.environment.contracts import ContractBook
from symbiosim.environment.units import month_date
from symbiosim.metrics.ledger import consequential_effects, weighted_sum_by

__all__ = ["AGENT_SERIES", "CAPACITY_CHANGE_COLUMNS", "RunRecord", "RunState", "series_collector"]

CAPACITY_CHANGE_COLUMNS = ["date", "facility_id", "product", "capacity_before_per_yr", "capacity_after_per_yr"]
LATEST_FLOW_COLUMNS = ["step", "seller", "buyer", "seller_id", "buyer_id", "byproduct", "technology", "tonnes",
                       "distance_km"]  # fmt: skip


AGENT_SERIES = ("output_units", "revenue_cny", "cost_cny", "profit_cny", "energy_tce", "co2_t", "sold_t", "bought_t",
                "landfilled_t")  # what each agent reports, when agent-type series are recorded  # fmt: skip


def _summary_value(model: Model, key: str) -> float:
    return model.accounts.summary[key]


def series_collector(summary_keys: list[str], agent_types: set[type]) -> DataCollector:
    """The DataCollector of a run: every entry of the month's summary, and ``AGENT_SERIES`` for each agent type given."""
    types = sorted(agent_types, key=operator.attrgetter("__name__"))
    return DataCollector(
        model_reporters={key: partial(_summary_value, key=key) for key in summary_keys},
        agenttype_reporters={kind: {name: name for name in AGENT_SERIES} for kind in types},
    )


@dataclass
class RunRecord:
    """Everything a run has recorded so far.

    Attributes:
        start: the run's first month.
        facility_ids: in node order.
        flow_chunks: one dict of columns per month with exchanges (see ``flows``).
        ledger_chunks: one (fields, facilities) array per month from the first step on.
        ledger_fields: the names of a ledger chunk's rows.
        adoptions: every investment decision.
        capacity_changes: capacity retired or added by policies.
        annual_output: per calendar year, (facilities, products) output so far.
        annual_months: per calendar year, months simulated.
        installed_at_year_start: per calendar year, the technology capacity in place when it began.
    """

    start: dt.date
    facility_ids: list[str]
    flow_chunks: list[dict[str, np.ndarray]] = field(default_factory=list)
    ledger_chunks: list[np.ndarray] = field(default_factory=list)
    ledger_fields: tuple[str, ...] = ()
    adoptions: list[Adoption] = field(default_factory=list)
    capacity_changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CAPACITY_CHANGE_COLUMNS))
    annual_output: dict[int, np.ndarray] = field(default_factory=dict)
    annual_months: dict[int, int] = field(default_factory=dict)
    installed_at_year_start: dict[int, np.ndarray] = field(default_factory=dict)
    _flows_cache: tuple[int, pd.DataFrame] | None = field(default=None, repr=False)
    _ledger_cache: tuple[int, pd.DataFrame] | None = field(default=None, repr=False)

    def add_output(self, year: int, output: np.ndarray) -> None:
        """Add a month's output to its calendar year."""
        self.annual_output.setdefault(year, np.zeros_like(output))
        self.annual_output[year] += output
        self.annual_months[year] = self.annual_months.get(year, 0) + 1

    def add_month(self, flows: dict[str, np.ndarray] | None, ledger: dict[str, np.ndarray]) -> None:
        """Record a month: its exchanges (None when nothing traded) and its facility ledger."""
        if flows is not None:
            self.flow_chunks.append(flows)
        self.ledger_fields = tuple(ledger)
        self.ledger_chunks.append(np.vstack(list(ledger.values())))

    def add_capacity_changes(
        self, date: dt.date, rows: np.ndarray, before: np.ndarray, after: np.ndarray, products: list[str]
    ) -> None:
        """Record capacity retired or added: facilities ``rows``, capacity ``before`` and ``after`` (rows, products)."""
        facility, product = np.nonzero(before > 0)
        changes = pd.DataFrame(
            {
                "date": date,
                "facility_id": [self.facility_ids[rows[i]] for i in facility],
                "product": [products[j] for j in product],
                "capacity_before_per_yr": before[facility, product],
                "capacity_after_per_yr": after[facility, product],
            }
        )
        self.capacity_changes = pd.concat([self.capacity_changes, changes], ignore_index=True)

    def copy(self) -> RunRecord:
        """An independent copy (chunks are never changed once recorded, so they are shared)."""
        return RunRecord(
            start=self.start,
            facility_ids=list(self.facility_ids),
            flow_chunks=list(self.flow_chunks),
            ledger_chunks=list(self.ledger_chunks),
            ledger_fields=self.ledger_fields,
            adoptions=list(self.adoptions),
            capacity_changes=self.capacity_changes.copy(),
            annual_output={year: values.copy() for year, values in self.annual_output.items()},
            annual_months=dict(self.annual_months),
            installed_at_year_start={year: v.copy() for year, v in self.installed_at_year_start.items()},
        )

    def restore(self, saved: RunRecord) -> None:
        """Take ``saved``'s records, in place."""
        copied = saved.copy()
        for name in ("flow_chunks", "ledger_chunks", "adoptions"):
            getattr(self, name)[:] = getattr(copied, name)
        for name in ("annual_output", "annual_months", "installed_at_year_start"):
            getattr(self, name).clear()
            getattr(self, name).update(getattr(copied, name))
        self.ledger_fields = copied.ledger_fields
        self.capacity_changes = copied.capacity_changes
        self._flows_cache = None
        self._ledger_cache = None

    @property
    def flows(self) -> pd.DataFrame:
        """Every exchange of every month so far (one row per route and month)."""
        if not self.flow_chunks:
            return pd.DataFrame(columns=["step", "date", "seller_id", "buyer_id", "byproduct", "technology", "tonnes"])
        if self._flows_cache is None or self._flows_cache[0] != len(self.flow_chunks):
            columns = self.flow_chunks[0].keys()
            table = pd.DataFrame({c: np.concatenate([chunk[c] for chunk in self.flow_chunks]) for c in columns})
            self._flows_cache = (len(self.flow_chunks), table)
        return self._flows_cache[1].copy()

    @property
    def facility_ledger(self) -> pd.DataFrame:
        """Every facility's monthly ledger so far: one row per month and facility.

        Columns ``step``, ``date``, ``facility_id``, then output value, tonnes, energy,
        emissions and money (units in the names; see :func:`facility_record`).
        """
        n, months = len(self.facility_ids), len(self.ledger_chunks)
        if months == 0:
            return pd.DataFrame(columns=["step", "date", "facility_id", *self.ledger_fields])
        if self._ledger_cache is None or self._ledger_cache[0] != months:
            stacked = np.stack(self.ledger_chunks)  # (months, fields, facilities)
            table = pd.DataFrame(
                stacked.transpose(0, 2, 1).reshape(months * n, len(self.ledger_fields)), columns=self.ledger_fields
            )
            steps = np.repeat(np.arange(1, months + 1), n)
            table.insert(0, "facility_id", np.tile(np.asarray(self.facility_ids, dtype=object), months))
            dates = np.array([month_date(self.start, step).isoformat() for step in range(months)], dtype=object)
            table.insert(0, "date", np.repeat(dates, n))
            table.insert(0, "step", steps)
            self._ledger_cache = (months, table)
        return self._ledger_cache[1].copy()

    def latest_flows(self, month_index: int) -> pd.DataFrame:
        """The exchanges of month ``month_index`` if it was the last recorded (empty otherwise)."""
        last = self.flow_chunks[-1] if self.flow_chunks else None
        if last is not None and int(last["step"][0]) == month_index:
            return pd.DataFrame(last)
        return pd.DataFrame(columns=LATEST_FLOW_COLUMNS)

    def tonnes_by_facility(self, months: int, month_index: int, other_units: list[str] | None = None) -> np.ndarray:
        """Tonnes each facility exchanged (sold + bought, symbiosis exchanges) in the last ``months`` months.

        By-products named in ``other_units`` (not measured in tonnes) are left out.
        """
        totals = np.zeros(len(self.facility_ids))
        for chunk in reversed(self.flow_chunks):
            if int(chunk["step"][0]) <= month_index - months:
                break
            tonnes = chunk["tonnes"] * chunk["is_symbiosis"]
            if other_units:
                tonnes = tonnes * ~np.isin(chunk["byproduct"], other_units)
            np.add.at(totals, chunk["seller"], tonnes)
            np.add.at(totals, chunk["buyer"], tonnes)
        return totals


@dataclass
class RunState:
    """Everything needed to continue a run exactly: the model's state groups, its clock and random streams.

    Attributes:
        month_index, date, running: the model's calendar.
        mesa_steps: Mesa's step count.
        numpy_rng: the numpy generators' states by name (``model``, Mesa's own, and each of
            the run's :class:`~symbiosim.environment.streams.RandomStreams`); python_random:
            the standard-library generator's state.
        facility: the facilities; book: partner knowledge, trust and contracts; accounts: the
            last month's accounts; record: what the run has recorded.
        policy_memory: what each policy fixed when it first applied.
        model_vars: the DataCollector's series so far.
    """

    month_index: int
    date: dt.date
    running: bool
    mesa_steps: int
    numpy_rng: dict
    python_random: tuple
    facility: FacilityState
    book: ContractBook
    accounts: MonthAccounts
    record: RunRecord
    policy_memory: dict[tuple[str, int], object]
    model_vars: dict[str, list]


LEDGER_TONNES = ("generated_t", "sold_t", "outlet_t", "bought_t", "landfilled_t", "treated_t")


def facility_record(
    books: Books,
    ledger: dict[str, NDArray[np.float64]],
    money: dict[str, NDArray[np.float64]],
    tonnes: NDArray[np.float64],
) -> dict[str, NDArray[np.float64]]:
    """This month's per-facility ledger: tonnes, energy, emissions and money (output value = product revenue).

    ``output_main_units`` is the output of the facility's main product (product units);
    ``generated_solid_t`` counts the by-products whose unsold part is landfilled or treated;
    ``symbiosis_used_solid_t`` the tonnes of those the facility bought through symbiosis
    technologies (not plain waste treatment such as MSW incineration); the money entries are
    those of :func:`money_ledger` (CNY).
    """
    catalog, routes = books.catalog, books.market.routes
    solid = catalog.is_solid
    t = np.flatnonzero(tonnes)  # the routes that traded (the sum over them is the sum over all)
    solid_symbiosis = catalog.tech_is_symbiosis[routes.technology[t]] & solid[routes.byproduct[t]]
    return {
        "output_main_units": books.state.output[np.arange(catalog.n_facilities), catalog.main_product],
        "generated_solid_t": ledger["generated_t"][:, solid].sum(axis=1),
        "symbiosis_used_solid_t": weighted_sum_by(routes.buyer[t], tonnes[t] * solid_symbiosis, catalog.n_facilities),
        **{name: ledger[name][:, catalog.in_tonnes].sum(axis=1) for name in LEDGER_TONNES},  # tonnes only
        "sold_solid_t": ledger["sold_t"][:, solid].sum(axis=1),
        **{name: ledger[name] for name in LEDGER_PER_FACILITY},
        **money,
    }


def month_summary(books: Books, accounts: MonthAccounts) -> dict[str, float]:
    """Region totals of the month, as recorded by the DataCollector (see docs/model.md)."""
    catalog, state, levers, market = books.catalog, books.state, books.levers, books.market
    led, money, tonnes = accounts.ledger, accounts.money, accounts.tonnes
    generated = led["generated_t"].sum(axis=0)
    sold = led["sold_t"].sum(axis=0)
    to_outlets = led["outlet_t"].sum(axis=0)
    landfilled, treated = led["landfilled_t"].sum(axis=0), led["treated_t"].sum(axis=0)
    last: dict[str, float] = {}
    profit = money["profit_cny"]
    for sector, rows in books.sector_rows.items():
        last[f"profit_cny.{sector}"] = float(profit[rows].sum())
    for j, name in enumerate(catalog.byproducts):
        last[f"generated_t.{name}"] = float(generated[j])
        last[f"exchanged_t.{name}"] = float(sold[j])
        last[f"outlet_t.{name}"] = float(to_outlets[j])
        last[f"landfilled_t.{name}"] = float(landfilled[j])
        last[f"treated_t.{name}"] = float(treated[j])
        used = sold[j] + to_outlets[j]
        last[f"utilisation_rate.{name}"] = float(used / generated[j]) if generated[j] > 0 else float("nan")
    last.update(outlet_prices(catalog, accounts))
    unused_share = books.route_unused_share
    for name in EFFECTS:
        effect = accounts.effects.get(name, np.zeros(len(unused_share)))
        last[f"consequential_{name}"] = float(consequential_effects(effect, unused_share).sum())
    subsidy = float(money["subsidy_cny"].sum()) + state.capex_subsidy_paid_cny
    clearing = accounts.clearing
    mass, by_mass = catalog.in_tonnes, books.route_in_tonnes  # totals in t: tonnes only
    last.update(
        {
            "exchanged_t": float(sold[mass].sum()),
            "outlet_t": float(to_outlets[mass].sum()),
            "landfilled_t": float(landfilled[mass].sum()),
            "treated_t": float(treated[mass].sum()),
            "stock_t": float(state.stock[:, mass].sum()),
            "active_links": int((tonnes > 0).sum()),
            "known_links": int(market.book.known.sum()),
            "technologies_installed": int((state.installed_tpa > 0).sum()),
            "profit_cny": float(money["profit_cny"].sum()),
            "byproduct_trade_cny": float(accounts.value_cny.sum()),
            "transport_t_km": float((tonnes * market.routes.distance_km)[by_mass].sum()),
            "energy_tce": float(led["energy_tce"].sum()),
            "energy_saved_tce": float(led["energy_saved_tce"].sum()),
            "co2_t": float(led["co2_t"].sum()),
            "co2_avoided_t": float(led["co2_avoided_t"].sum()),
            **{f"{pol}_t": float(led[f"{pol}_t"].sum()) for pol in POLLUTANTS},
            **{f"{pol}_avoided_t": float(led[f"{pol}_avoided_t"].sum()) for pol in POLLUTANTS},
            "ep_tax_cny": float(money["ep_tax_cny"].sum()),
            "subsidy_cny": subsidy,
            "emission_charges_cny": float(money["emission_charges_cny"].sum()),
            "vat_rebate_cny": float(money["vat_rebate_cny"].sum()),
            "fiscal_cost_cny": float(money["subsidy_cny"].sum())
            + state.capex_subsidy_paid_cny
            + float(money["vat_rebate_cny"].sum())
            - float(money["ep_tax_cny"].sum())
            - float(money["emission_charges_cny"].sum()),
            "landfill_fees_outside_cny": float(money["landfill_fee_cny"][~books.landfills.has_landfill].sum()),
            "output_value_cny": float(product_income_cny(catalog, state).sum()),
            **{
                f"output_units.{p}": float(total)
                for p, total in zip(catalog.products, state.output.sum(axis=0), strict=True)
            },
            "limited_facilities": int((levers.limit_factor < 1.0).sum()),
            "contract_shortfalls": int(clearing.shortfalls) if clearing else 0,
            "contract_undelivered_t": float(clearing.undelivered_t) if clearing else 0.0,
        }
    )
    return last


def outlet_prices(catalog: CatalogArrays, accounts: MonthAccounts) -> dict[str, float]:
    """``outlet_price_cny_per_t.<by-product>``: the gate price of its outlet markets this month.

    Only by-products that have an outlet get the series. The price is weighted by the tonnes
    each market traded; in a month in which none traded, it is the mean price the markets quote
    (their highest bid), and NaN only before the first month or when none has any demand.
    """
    outlets, clearing = catalog.outlets, accounts.outlets
    prices: dict[str, float] = {}
    for b, markets in outlets.markets_of_byproduct:
        price = float("nan")
        if clearing is not None and len(clearing.market_t):
            traded, quoted = clearing.market_t[markets], clearing.price_cny_per_t[markets]
            if traded.sum() > 0:
                price = float((traded * np.where(traded > 0, quoted, 0.0)).sum() / traded.sum())
            elif np.isfinite(quoted).any():
                price = float(np.nanmean(quoted))
        prices[f"outlet_price_cny_per_t.{catalog.byproducts[b]}"] = price
    return prices


def flow_records(books: Books, accounts: MonthAccounts, step: int, date: dt.date) -> dict[str, NDArray]:
    """Columns of one row per route that traded this month (see :attr:`symbiosim.record.RunRecord.flows`)."""
    catalog, routes, prices = books.catalog, books.market.routes, accounts.prices
    tonnes, value = accounts.tonnes, accounts.value_cny
    r = np.flatnonzero(tonnes > 0)
    price = value[r] / tonnes[r]
    # the buyer's VAT rebate of the month (if it reached the threshold), spread over the listed
    # wastes it bought, replaces the threshold premium it bid: its gain is what it earned
    listed = catalog.is_solid[routes.byproduct[r]]
    listed_t = accounts.ledger["bought_t"][:, catalog.is_solid].sum(axis=1)
    rebate = np.divide(
        accounts.money["vat_rebate_cny"], listed_t, out=np.zeros(catalog.n_facilities), where=listed_t > 0
    )
    rebate_per_t = rebate[routes.buyer[r]] * listed
    ids = np.asarray(catalog.facility_ids, dtype=object)
    is_symbiosis = catalog.tech_is_symbiosis[routes.technology[r]]
    clearing = accounts.clearing
    return {
        "step": np.full(len(r), step),
        "date": np.full(len(r), date.isoformat(), dtype=object),
        "seller": routes.seller[r],
        "buyer": routes.buyer[r],
        "seller_id": ids[routes.seller[r]],
        "buyer_id": ids[routes.buyer[r]],
        "byproduct": np.asarray(catalog.byproducts, dtype=object)[routes.byproduct[r]],
        "technology": np.asarray(catalog.technologies, dtype=object)[routes.technology[r]],
        "is_symbiosis": is_symbiosis,
        "tonnes": tonnes[r],
        "distance_km": routes.distance_km[r],
        "mode": routes.mode_names_of(r),
        "price_cny_per_t": price,
        "transport_cny_per_t": routes.transport_cny_per_t[r],
        "seller_gain_cny_per_t": price - prices.reservation[r],
        "buyer_gain_cny_per_t": prices.wtp[r] - prices.vat_premium[r] - routes.transport_cny_per_t[r] - price
        + rebate_per_t,
        "buyer_vat_rebate_cny_per_t": rebate_per_t,
        "contract_tonnes": clearing.contract_tonnes[r] if clearing else np.zeros(len(r)),
        "start_step": books.market.book.first_trade_step[r],
        **{name: accounts.effects[name][r] for name in EFFECTS},
    }
