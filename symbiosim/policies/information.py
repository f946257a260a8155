"""Information instruments: a facilitation platform."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from symbiosim.policies.levers import PolicyLevers, PolicyView

__all__ = ["FacilitationPlatform"]


@dataclass(frozen=True)
class FacilitationPlatform:
    """A regional information service (the NISP / Ulsan-centre role).

    While in force, an agent's search finds partners at any distance within the by-product's
    haul limit, not only within its own ``search_radius_km``.
    """

    kind: ClassVar[str] = "facilitation_platform"  # its name in scenario files

    start: dt.date
    end: dt.date

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Switch the platform on for this month."""
        levers.platform[...] = True
