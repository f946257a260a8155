"""Capacity retirement and replacement: old plants close for good, new capacity may open elsewhere."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from symbiosim.policies.scope import Scope

if TYPE_CHECKING:
    from symbiosim.policies.levers import PolicyLevers, PolicyView

__all__ = ["CapacityReplacement"]


@dataclass(frozen=True)
class CapacityReplacement:
    """Retire the capacity of covered facilities, optionally replacing part of it at named facilities.

    Retirement is permanent and takes effect for the whole month in which ``start`` falls;
    ``end`` only closes the window in which the policy may act (default: ``start``). A retired
    facility produces nothing from then on, so its by-products, its purchases and its
    contracts stop (a shortfall for its partners).

    Replacement follows the capacity-swap rules ("产能置换"): for each sector, the capacity
    retired divided by ``replacement_ratio`` is added to the ``replaced_by`` facilities of that
    sector, in proportion to their capacity. The MIIT measures of 2021 ask for at least 1.5 t
    of steel capacity retired per t built in the key air-pollution regions (1.25 elsewhere) and
    2 t of cement clinker capacity (1.5 elsewhere); a sector with no facility in
    ``replaced_by`` is retired without replacement.

    Attributes:
        start: the retirement date.
        end: last day of the window (retirement is permanent regardless).
        scope: the facilities retired (facilities in ``replaced_by`` never are).
        below_capacity: retire only covered facilities whose largest product capacity is below
            this, in that product's unit per year (t of steel or clinker, MWh); default: all.
        replaced_by: facility ids that receive the replacement capacity.
        replacement_ratio: capacity retired per unit of capacity built (≥ 1).
    """

    kind: ClassVar[str] = "capacity_replacement"  # its name in scenario files

    start: dt.date
    end: dt.date | None = None
    scope: Scope = field(default_factory=Scope)
    below_capacity: float = math.inf
    replaced_by: tuple[str, ...] = ()
    replacement_ratio: float = 1.0

    def __post_init__(self) -> None:
        if self.end is None:
            object.__setattr__(self, "end", self.start)
        if self.end < self.start:
            raise ValueError("end must not be before start")
        if self.replacement_ratio < 1.0:
            raise ValueError("replacement_ratio must be at least 1 (capacity retired per unit built)")

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Retire and replace capacity, once: in the first month the policy is in force.

        The change is a factor on each facility's capacity (``levers.capacity_factor``), which
        the model applies for good after every policy of the month has applied.
        """
        key = view.memory_key("capacity", self)
        if key in view.memory:
            return
        index = view.facility_index
        unknown = set(self.replaced_by) - set(index)
        if unknown:
            raise ValueError(f"replaced_by names unknown facilities: {sorted(unknown)}")
        targets = np.zeros(view.n_facilities, dtype=bool)
        targets[[index[f] for f in self.replaced_by]] = True
        main_capacity = view.capacity_per_yr.max(axis=1)
        retired = self.scope.mask(view) & ~targets & (main_capacity < self.below_capacity) & (main_capacity > 0)
        factor = np.where(retired, 0.0, 1.0)
        sectors = view.facilities["sector"].to_numpy()
        for sector in np.unique(sectors[retired]):
            receivers = targets & (sectors == sector)
            base = main_capacity[receivers].sum()
            if base > 0:
                added = main_capacity[retired & (sectors == sector)].sum() / self.replacement_ratio
                factor[receivers] = 1.0 + added / base
        levers.capacity_factor *= factor
        view.memory[key] = True
