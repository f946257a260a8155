"""Production limits: uniform, performance-graded and symbiosis-aware curtailment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from symbiosim.policies.schedule import share_of_month
from symbiosim.policies.scope import Scope

if TYPE_CHECKING:
    from symbiosim.policies.levers import PolicyLevers, PolicyView

__all__ = ["LIMIT_MODES", "ProductionLimit"]

LIMIT_MODES = ("uniform", "graded", "symbiosis_aware")
KEY_NODE_MONTHS = 12  # key nodes are ranked on the tonnes exchanged in the 12 months before the limit


@dataclass(frozen=True)
class ProductionLimit:
    """Cap the output of covered facilities at a share of their capacity during a window.

    For a month only partly in the window the cap is averaged over its days: a 50% cap from
    15 November allows 1 - 16/30 x 0.5 = 73.3% of capacity in November. Several limits
    compose: the lowest cap applies.

    Attributes:
        start, end: first and last day in force (both included).
        cap_share: share of capacity allowed, 0-1 (0 = shutdown).
        scope: the facilities covered.
        mode: ``uniform`` (every covered facility at ``cap_share``); ``graded`` (cap by the
            facility's grade in the scenario's ``emission_grades`` table, from ``grade_caps``;
            a facility without a grade, or with a grade not listed, gets ``cap_share``); ``symbiosis_aware`` (as uniform, but
            the facilities in ``exempt_facility_ids`` and the ``exempt_top_k`` key symbiosis
            nodes are exempt).
        grade_caps: cap share per emission grade (e.g. ``{"A": 1.0, "B": 0.8, "C": 0.5, "D": 0.0}``).
        exempt_facility_ids: facilities exempt in symbiosis-aware mode.
        exempt_top_k: in symbiosis-aware mode, also exempt the k covered facilities with the most
            tonnes exchanged (as seller or buyer, symbiosis exchanges only) in the 12 months
            before the limit first applies; the list is fixed for the limit's duration.
    """

    kind: ClassVar[str] = "production_limit"  # its name in scenario files

    start: dt.date
    end: dt.date
    cap_share: float
    scope: Scope = field(default_factory=Scope)
    mode: Literal["uniform", "graded", "symbiosis_aware"] = "uniform"
    grade_caps: Mapping[str, float] = field(default_factory=dict)
    exempt_facility_ids: tuple[str, ...] = ()
    exempt_top_k: int = 0

    def __post_init__(self) -> None:
        if self.mode not in LIMIT_MODES:
            raise ValueError(f"mode must be one of {LIMIT_MODES}, not {self.mode!r}")
        if not 0.0 <= self.cap_share <= 1.0 or any(not 0.0 <= c <= 1.0 for c in self.grade_caps.values()):
            raise ValueError("cap shares must lie in 0-1")
        if self.end < self.start:
            raise ValueError("end must not be before start")

    def caps(self, view: PolicyView) -> np.ndarray:
        """Cap share per facility while in force (1 where not covered or exempt)."""
        covered = self.scope.mask(view)
        caps = np.full(view.n_facilities, self.cap_share)
        if self.mode == "graded":
            grades = view.facilities["emission_grade"]  # "" where ungraded
            caps = np.array([self.grade_caps.get(g, self.cap_share) for g in grades])
        elif self.mode == "symbiosis_aware":
            covered &= ~self.exempt(view, covered)
        return np.where(covered, caps, 1.0)

    def exempt(self, view: PolicyView, covered: np.ndarray) -> np.ndarray:
        """Facilities exempt in symbiosis-aware mode (named, or top-k key nodes when first applied)."""
        key = view.memory_key("exempt", self)
        if key not in view.memory:
            exempt = view.facilities["facility_id"].isin(self.exempt_facility_ids).to_numpy().copy()
            if self.exempt_top_k > 0:
                tonnes = np.where(covered, view.tonnes_by_facility(KEY_NODE_MONTHS), 0.0)
                ranked = np.argsort(-tonnes, kind="stable")[: self.exempt_top_k]
                exempt[ranked[tonnes[ranked] > 0]] = True
            view.memory[key] = exempt
        return view.memory[key]

    def apply(self, levers: PolicyLevers, view: PolicyView, date: dt.date) -> None:
        """Lower this month's production cap of the covered facilities."""
        covered_days = share_of_month(self, date)
        monthly = 1.0 - covered_days * (1.0 - self.caps(view))
        np.minimum(levers.limit_factor, monthly, out=levers.limit_factor)
