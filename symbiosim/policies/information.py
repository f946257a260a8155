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

    While in force, every search finds each of its candidates (unknown partners with whom a
    trade would pay), not only with ``discovery_probability``, so more agents find a search
    worth its cost.
    """

    kind: ClassVar[str] = "facilitation_platform"  # its name in scenario files

    start: dt.date
    end: dt.date

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Switch the platform on for this month."""
        levers.platform[...] = True
