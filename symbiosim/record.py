"""What a run records month by month: exchanges, facility ledgers, investments and capacity changes.

:class:`RunRecord` keeps each month's flows and ledger as compact chunks and turns them into
tables on request (``flows``, ``facility_ledger``); the model-level series are Mesa's
``DataCollector``'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from symbiosim.accounting import MonthAccounts
from symbiosim.agents import Adoption, FacilityState
from symbiosim.environment.market import ContractBook
from symbiosim.environment.units import month_date

__all__ = ["CAPACITY_CHANGE_COLUMNS", "RunRecord", "RunState"]

CAPACITY_CHANGE_COLUMNS = ["date", "facility_id", "product", "capacity_before_per_yr", "capacity_after_per_yr"]
LATEST_FLOW_COLUMNS = ["step", "seller", "buyer", "seller_id", "buyer_id", "byproduct", "technology", "tonnes",
                       "distance_km"]  # fmt: skip


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
        emissions and money (units in the names; see :func:`symbiosim.accounting.facility_record`).
        """
        n, months = len(self.facility_ids), len(self.ledger_chunks)
        if months == 0:
            return pd.DataFrame(columns=["step", "date", "facility_id", *self.ledger_fields])
        stacked = np.stack(self.ledger_chunks)  # (months, fields, facilities)
        table = pd.DataFrame(
            stacked.transpose(0, 2, 1).reshape(months * n, len(self.ledger_fields)), columns=self.ledger_fields
        )
        steps = np.repeat(np.arange(1, months + 1), n)
        table.insert(0, "facility_id", np.tile(np.asarray(self.facility_ids, dtype=object), months))
        table.insert(0, "date", [month_date(self.start, step - 1).isoformat() for step in steps])
        table.insert(0, "step", steps)
        return table

    def latest_flows(self, month_index: int) -> pd.DataFrame:
        """The exchanges of month ``month_index`` if it was the last recorded (empty otherwise)."""
        last = self.flow_chunks[-1] if self.flow_chunks else None
        if last is not None and int(last["step"][0]) == month_index:
            return pd.DataFrame(last)
        return pd.DataFrame(columns=LATEST_FLOW_COLUMNS)

    def tonnes_by_facility(self, months: int, month_index: int) -> np.ndarray:
        """Tonnes each facility exchanged (sold + bought, symbiosis exchanges) in the last ``months`` months."""
        totals = np.zeros(len(self.facility_ids))
        for chunk in reversed(self.flow_chunks):
            if int(chunk["step"][0]) <= month_index - months:
                break
            tonnes = chunk["tonnes"] * chunk["is_symbiosis"]
            np.add.at(totals, chunk["seller"], tonnes)
            np.add.at(totals, chunk["buyer"], tonnes)
        return totals


@dataclass
class RunState:
    """Everything needed to continue a run exactly: the model's state groups, its clock and random streams.

    Attributes:
        month_index, date, running: the model's calendar.
        mesa_steps: Mesa's step count.
        numpy_rng: the numpy generator's state; python_random: the standard-library
            generator's state.
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
