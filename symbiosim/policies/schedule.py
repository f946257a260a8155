"""The policy schedule: which instruments are in force in a given month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from symbiosim.model import SymbiosisModel

__all__ = ["Policy", "PolicySchedule"]


class Policy(Protocol):
    """An instrument with a validity window; ``apply`` edits the model's monthly arrays."""

    start: dt.date
    end: dt.date

    def apply(self, model: SymbiosisModel, date: dt.date) -> None:
        """Change this month's caps, fees, taxes or subsidies in ``model``."""


@dataclass
class PolicySchedule:
    """Policies in force by date; several may be active at once and they compose in order."""

    policies: list[Policy]

    def active(self, date: dt.date) -> list[Policy]:
        """Policies whose window contains ``date``."""
        return [p for p in self.policies if p.start <= date <= p.end]

    def apply(self, model: SymbiosisModel, date: dt.date) -> None:
        """Apply every policy in force on ``date``, in list order."""
        for policy in self.active(date):
            policy.apply(model, date)
