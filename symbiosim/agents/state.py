"""Facility state: every facility's capacity, output, stocks, installed technology and this year's tallies.

The arrays hold one row per facility (node id), so that a month of production and trade is
computed for all facilities at once; an :class:`~symbiosim.agents.base.Enterprise` reads and
decides for its own row. Shapes never change during a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from symbiosim.environment.arrays import MONTHS_PER_YEAR, CatalogArrays

__all__ = ["FacilityState", "Vintage"]


class Vintage(NamedTuple):
    """Capacity of a technology installed during the run, retired after its lifetime."""

    last_month: int  # last month index (step) in service
    facility: int
    technology: int
    capacity_tpa: float  # t of by-product per year
    depreciation_cny_per_month: float


@dataclass
class FacilityState:
    """What every facility has and did (rows: facilities; columns: products P, by-products B, technologies K, groups G).

    Attributes:
        capacity_per_yr: (n, P) capacity, product units per year (policies may change it for good).
        full_cap_tpa: (n, K) use of each technology's by-product at full capacity, t per year.
        storage_limit_t: (n, B) on-site storage limit, t.
        installed_tpa: (n, K) installed technology capacity, t of by-product per year.
        depreciation_cny_per_month: (n,) depreciation of the capacity installed during the run.
        vintages: capacity installed during the run, in order of installation.
        output: (n, P) this month's output, product units.
        stock: (n, B) by-products held in storage, t.
        supply_t: (n, B) by-products on offer this month (generation + stock), less what sold.
        capacity_t: (n, K) what each buyer can take this month per technology, less what it took.
        group_capacity_t: (n, G) the same within each shared cap group.
        unsold_this_year: (n, B) t disposed of this year (since the last investment round).
        outlet_this_year: (n, B) t sold to outlets this year (a buyer who outbids the outlet
            could take them).
        used_this_year_t: (n, K) t used per technology this year.
        output_this_year: (n, P) output this year.
        installed_to_date_tpa: (K,) capacity of each technology installed in the region so far
            (at the start and since; retirements do not undo it): the experience it learns from.
        learning_base_tpa: (K,) the experience its catalog capex and opex are for: what was
            installed at the start, or the first installation if none was.
        cost_factor: (K,) its capex and opex now, as a share of the catalog's (1 without
            learning; see :func:`symbiosim.agents.investment.learn`).
        months_this_year: months accumulated in the ``*_this_year`` arrays.
        capex_subsidy_paid_cny: capex subsidies paid this month (reset after accounting).
    """

    capacity_per_yr: NDArray[np.float64]
    full_cap_tpa: NDArray[np.float64]
    storage_limit_t: NDArray[np.float64]
    installed_tpa: NDArray[np.float64]
    depreciation_cny_per_month: NDArray[np.float64]
    output: NDArray[np.float64]
    stock: NDArray[np.float64]
    supply_t: NDArray[np.float64]
    capacity_t: NDArray[np.float64]
    group_capacity_t: NDArray[np.float64]
    unsold_this_year: NDArray[np.float64]
    outlet_this_year: NDArray[np.float64]
    used_this_year_t: NDArray[np.float64]
    output_this_year: NDArray[np.float64]
    installed_to_date_tpa: NDArray[np.float64]
    learning_base_tpa: NDArray[np.float64]
    cost_factor: NDArray[np.float64]
    months_this_year: int = 0
    capex_subsidy_paid_cny: float = 0.0
    vintages: list[Vintage] = field(default_factory=list)

    @classmethod
    def initial(cls, catalog: CatalogArrays) -> FacilityState:
        """The state at the start of a run, with nothing installed (see :meth:`set_installed_base`)."""
        n, n_k, n_b = catalog.n_facilities, len(catalog.technologies), len(catalog.byproducts)
        capacity = catalog.capacity_per_yr.copy()
        full_cap = catalog.full_cap_tpa.copy()
        n_p, n_g = len(catalog.products), len(catalog.group_cap_t_per_t)
        installed = np.zeros((n, n_k))
        return cls(
            capacity_per_yr=capacity,
            full_cap_tpa=full_cap,
            storage_limit_t=catalog.mean_generation_t * catalog.storage_months[None, :],
            installed_tpa=installed,
            depreciation_cny_per_month=np.zeros(n),
            output=np.zeros((n, n_p)),
            stock=np.zeros((n, n_b)),
            supply_t=np.zeros((n, n_b)),
            capacity_t=np.zeros((n, n_k)),
            group_capacity_t=np.zeros((n, n_g)),
            unsold_this_year=np.zeros((n, n_b)),
            outlet_this_year=np.zeros((n, n_b)),
            used_this_year_t=np.zeros((n, n_k)),
            output_this_year=np.zeros((n, n_p)),
            installed_to_date_tpa=installed.sum(axis=0),
            learning_base_tpa=installed.sum(axis=0),
            cost_factor=np.ones(n_k),
        )

    def set_installed_base(self, installed_tpa: NDArray[np.float64]) -> None:
        """Start from ``installed_tpa`` (facilities, technologies), t per year: the experience technologies learn from."""
        self.installed_tpa[...] = installed_tpa
        self.installed_to_date_tpa[...] = installed_tpa.sum(axis=0)
        self.learning_base_tpa[...] = self.installed_to_date_tpa

    @property
    def year_scale(self) -> float:
        """Factor turning this year's accumulated figures into a full year (12 / months so far).

        The first year is shorter than 12 months when the run starts after January.
        """
        return MONTHS_PER_YEAR / max(self.months_this_year, 1)

    def arrays(self) -> dict[str, NDArray]:
        """Every array of the state by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), np.ndarray)}

    def copy(self) -> FacilityState:
        """An independent copy."""
        return FacilityState(
            **{name: values.copy() for name, values in self.arrays().items()},
            months_this_year=self.months_this_year,
            capex_subsidy_paid_cny=self.capex_subsidy_paid_cny,
            vintages=list(self.vintages),
        )

    def restore(self, saved: FacilityState) -> None:
        """Take ``saved``'s values, in place (every array keeps its identity and shape).

        Raises:
            ValueError: an array of ``saved`` has another shape.
        """
        for name, current in self.arrays().items():
            values = getattr(saved, name)
            if np.shape(values) != current.shape:
                raise ValueError(f"{name} has shape {np.shape(values)}, the model {current.shape}")
            current[...] = values
        self.months_this_year = int(saved.months_this_year)
        self.capex_subsidy_paid_cny = float(saved.capex_subsidy_paid_cny)
        self.vintages[:] = [Vintage(*vintage) for vintage in saved.vintages]

    def scale_capacity(self, factor: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Multiply each facility's capacity by ``factor`` for good (0 retires it).

        What follows from capacity scales with it: the caps of its technologies at full output
        and its storage limit.

        Returns:
            The facilities changed and their capacity before, (changed, products).
        """
        rows = np.flatnonzero(factor != 1.0)
        before = self.capacity_per_yr[rows].copy()
        self.capacity_per_yr[rows] *= factor[rows, None]
        self.full_cap_tpa[rows] *= factor[rows, None]
        self.storage_limit_t[rows] *= factor[rows, None]
        return rows, before

    def start_new_year(self) -> None:
        """Clear this year's tallies (after the investment round)."""
        self.unsold_this_year[:] = 0.0
        self.outlet_this_year[:] = 0.0
        self.used_this_year_t[:] = 0.0
        self.output_this_year[:] = 0.0
        self.months_this_year = 0
