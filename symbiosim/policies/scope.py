"""Which facilities a policy covers: provinces, cities, sectors and named facilities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from symbiosim.policies.levers import PolicyView

__all__ = ["Scope"]


@dataclass(frozen=True)
class Scope:
    """A selection of facilities; an empty field does not restrict.

    Attributes:
        provinces: province names (e.g. ``["Hebei"]``).
        cities: prefecture-level city names (e.g. ``["Tangshan", "Handan"]``).
        sectors: sector ids (e.g. ``["steel", "cement"]``).
        facility_ids: facility ids.
    """

    provinces: tuple[str, ...] = field(default=())
    cities: tuple[str, ...] = field(default=())
    sectors: tuple[str, ...] = field(default=())
    facility_ids: tuple[str, ...] = field(default=())

    def mask(self, view: PolicyView) -> NDArray[np.bool_]:
        """Facilities covered, as a boolean array in node order."""
        fac = view.facilities
        covered = np.ones(len(fac), dtype=bool)
        for column, values in (
            ("province", self.provinces),
            ("city", self.cities),
            ("sector", self.sectors),
            ("facility_id", self.facility_ids),
        ):
            if values:
                covered &= fac[column].isin(values).to_numpy()
        return covered
