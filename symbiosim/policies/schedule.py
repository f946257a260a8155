"""The policy schedule: which instruments are in force in a given month."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from symbiosim.policies.levers import PolicyLevers, PolicyView

__all__ = ["Policy", "PolicySchedule", "month_end", "share_of_month"]


class Policy(Protocol):
    """An instrument with a validity window (both days included); ``apply`` edits the month's levers."""

    start: dt.date
    end: dt.date

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Change this month's caps, fees, taxes or subsidies in ``levers`` (``date``: the month's first day)."""


def month_end(month_start: dt.date) -> dt.date:
    """Last day of the month that starts on ``month_start``.

    Examples:
        >>> month_end(dt.date(2024, 2, 1))
        datetime.date(2024, 2, 29)
    """
    return month_start.replace(day=calendar.monthrange(month_start.year, month_start.month)[1])


def share_of_month(policy: Policy, month_start: dt.date) -> float:
    """Share of the month's days on which ``policy`` is in force (0-1).

    Examples:
        A heating-season limit from 15 November covers 16 of November's 30 days:

        >>> class Window:
        ...     start, end = dt.date(2025, 11, 15), dt.date(2026, 3, 15)
        >>> round(share_of_month(Window(), dt.date(2025, 11, 1)), 4), share_of_month(Window(), dt.date(2025, 12, 1))
        (0.5333, 1.0)
    """
    last = month_end(month_start)
    first_day, last_day = max(policy.start, month_start), min(policy.end, last)
    if first_day > last_day:
        return 0.0
    return ((last_day - first_day).days + 1) / ((last - month_start).days + 1)


@dataclass
class PolicySchedule:
    """Policies in force by month; several may be active at once and they compose in list order."""

    policies: list[Policy]

    def active(self, month_start: dt.date) -> list[Policy]:
        """Policies in force on at least one day of the month starting ``month_start``."""
        return [p for p in self.policies if share_of_month(p, month_start) > 0]

    def apply(self, levers: PolicyLevers, view: PolicyView, month_start: dt.date) -> None:
        """Apply every policy in force during the month, in list order.

        A policy covering part of a month decides itself how to count it, e.g. scaling its
        effect by :func:`share_of_month`.
        """
        for policy in self.active(month_start):
            policy.apply(levers, view, month_start)
