"""What policies act on: the month's levers, and the read-only view of the region they decide from.

Each month the model resets the :class:`PolicyLevers` to the catalog's baseline, then every
policy in force edits them (:meth:`symbiosim.policies.Policy.apply`); production, prices,
investment and accounting read them. A policy sees the region only through a
:class:`PolicyView`: facilities, names, capacity and recent exchanges, none of them writable,
plus its own memory (what it fixed when it first applied).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from symbiosim.environment.arrays import POLLUTANTS, CatalogArrays
from symbiosim.environment.units import KG_PER_T

__all__ = ["EMITTED", "PolicyLevers", "PolicyView"]

EMITTED = ("co2", *POLLUTANTS)  # what emission charges can be levied on


@dataclass
class PolicyLevers:
    """Every array a policy may set for the month (shapes fixed; ``reset`` restores the baseline).

    Attributes:
        limit_factor: (facilities,) production cap as a share of capacity (1 = no limit).
        landfill_fee: (facilities, by-products) gate fee paid per tonne landfilled (CNY/t).
        ep_tax: (facilities, by-products) EP tax per tonne landfilled (CNY/t).
        subsidy_cny_per_t: (facilities, technologies) paid to the buyer per tonne used.
        transport_subsidy_cny_per_t_km: (by-products,) paid to the buyer per t km hauled.
        capex_subsidy_share: (facilities, technologies) share of an investment the government pays.
        platform: (scalar bool) a facilitation platform is in force.
        emission_charge_cny_per_t: per substance of ``EMITTED``, (facilities,) charge per tonne emitted.
        free_co2_t_per_unit: (facilities, products) free carbon allocation per unit of output.
        vat_rebate_rate: (facilities,) VAT rebate as a share of product income (0 = none).
        vat_threshold: (facilities,) listed-waste share of raw material that wins the rebate.
        raw_material_t_per_unit: (facilities, products) raw material per unit of output.
        capacity_factor: (facilities,) factor by which capacity changes for good this month (1 = none).
    """

    base_landfill_fee: NDArray[np.float64]
    base_ep_tax: NDArray[np.float64]
    limit_factor: NDArray[np.float64]
    landfill_fee: NDArray[np.float64]
    ep_tax: NDArray[np.float64]
    subsidy_cny_per_t: NDArray[np.float64]
    transport_subsidy_cny_per_t_km: NDArray[np.float64]
    capex_subsidy_share: NDArray[np.float64]
    platform: NDArray[np.bool_]
    emission_charge_cny_per_t: dict[str, NDArray[np.float64]]
    free_co2_t_per_unit: NDArray[np.float64]
    vat_rebate_rate: NDArray[np.float64]
    vat_threshold: NDArray[np.float64]
    raw_material_t_per_unit: NDArray[np.float64]
    capacity_factor: NDArray[np.float64]

    @classmethod
    def baseline(cls, catalog: CatalogArrays) -> PolicyLevers:
        """The levers with no policy in force: the catalog's fees and taxes, nothing else."""
        n, n_b = catalog.n_facilities, len(catalog.byproducts)
        n_products, n_technologies = len(catalog.products), len(catalog.technologies)
        landfill_fee = np.tile(catalog.landfill_fee_cny_per_t, (n, 1))
        ep_tax = np.tile(catalog.ep_tax_cny_per_t, (n, 1))
        levers = cls(
            base_landfill_fee=landfill_fee,
            base_ep_tax=ep_tax,
            limit_factor=np.ones(n),
            landfill_fee=landfill_fee.copy(),
            ep_tax=ep_tax.copy(),
            subsidy_cny_per_t=np.zeros((n, n_technologies)),
            transport_subsidy_cny_per_t_km=np.zeros(n_b),
            capex_subsidy_share=np.zeros((n, n_technologies)),
            platform=np.zeros((), dtype=bool),
            emission_charge_cny_per_t={name: np.zeros(n) for name in EMITTED},
            free_co2_t_per_unit=np.zeros((n, n_products)),
            vat_rebate_rate=np.zeros(n),
            vat_threshold=np.zeros(n),
            raw_material_t_per_unit=np.zeros((n, n_products)),
            capacity_factor=np.ones(n),
        )
        levers.base_landfill_fee.flags.writeable = False
        levers.base_ep_tax.flags.writeable = False
        return levers

    def output_charge_cny_per_unit(self, catalog: CatalogArrays) -> NDArray[np.float64]:
        """(facilities, products) charges a unit of output carries: CO2 above its free allocation, and air pollutants."""
        factors = catalog.product_factors
        co2 = factors["co2_kg"] / KG_PER_T - self.free_co2_t_per_unit
        total = self.emission_charge_cny_per_t["co2"][:, None] * co2
        for pollutant in POLLUTANTS:
            total = total + self.emission_charge_cny_per_t[pollutant][:, None] * factors[f"{pollutant}_kg"] / KG_PER_T
        return total

    def reset(self) -> None:
        """Back to the baseline, in place (every array keeps its identity)."""
        self.limit_factor[:] = 1.0
        self.landfill_fee[:] = self.base_landfill_fee
        self.ep_tax[:] = self.base_ep_tax
        self.subsidy_cny_per_t[:] = 0.0
        self.transport_subsidy_cny_per_t_km[:] = 0.0
        self.capex_subsidy_share[:] = 0.0
        self.platform[...] = False
        for charge in self.emission_charge_cny_per_t.values():
            charge[:] = 0.0
        self.vat_rebate_rate[:] = 0.0
        self.vat_threshold[:] = 0.0
        self.raw_material_t_per_unit[:] = 0.0
        self.free_co2_t_per_unit[:] = 0.0
        self.capacity_factor[:] = 1.0


@dataclass(frozen=True)
class PolicyView:
    """What a policy may read of the region when it applies (nothing here is writable).

    Attributes:
        facilities: the facility table (``facility_id``, ``sector``, ``city``, ``province``,
            ``emission_grade``, ...), in node order.
        products, byproducts, technologies: names in index order.
        tech_byproduct: (technologies,) the by-product each technology uses.
        capacity_per_yr: (facilities, products) capacity now (read-only).
        tonnes_by_facility: months -> (facilities,) symbiosis tonnes each facility sold and
            bought in the last ``months`` months.
        memory: what each policy fixed when it first applied, keyed by ``memory_key``; a
            policy reads and writes only its own entries.
        schedule: the policies in schedule order (a policy's key is its position).
    """

    facilities: pd.DataFrame
    products: tuple[str, ...]
    byproducts: tuple[str, ...]
    technologies: tuple[str, ...]
    tech_byproduct: NDArray[np.intp]
    capacity_per_yr: NDArray[np.float64]
    tonnes_by_facility: Callable[[int], NDArray[np.float64]]
    memory: dict[tuple[str, int], object] = field(default_factory=dict)
    schedule: tuple[object, ...] = ()

    @classmethod
    def of(
        cls,
        catalog: CatalogArrays,
        capacity_per_yr: NDArray[np.float64],
        tonnes_by_facility: Callable[[int], NDArray[np.float64]],
        memory: dict[tuple[str, int], object],
        schedule: list,
    ) -> PolicyView:
        """The view of a run: the catalog's names, a read-only view of ``capacity_per_yr``, the policies' memory."""
        capacity = capacity_per_yr.view()
        capacity.flags.writeable = False
        return cls(catalog.facilities, tuple(catalog.products), tuple(catalog.byproducts), tuple(catalog.technologies),
                   catalog.tech_byproduct, capacity, tonnes_by_facility, memory, tuple(schedule))  # fmt: skip

    @property
    def n_facilities(self) -> int:
        """Number of facilities."""
        return len(self.facilities)

    @cached_property
    def facility_index(self) -> dict[str, int]:
        """Node id of each facility id."""
        return {facility_id: i for i, facility_id in enumerate(self.facilities["facility_id"])}

    def memory_key(self, kind: str, policy: object) -> tuple[str, int]:
        """Key of what ``policy`` fixes when it first applies: its kind and place in the schedule.

        Stable across checkpoints, unlike the policy object's identity.
        """
        return kind, next(i for i, p in enumerate(self.schedule) if p is policy)
