"""What a month's clearing takes (:class:`MonthInputs`) and gives (:class:`ClearingResult`); see :mod:`symbiosim.environment.market`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["ClearingResult", "MonthInputs"]


@dataclass
class MonthInputs:
    """What the market needs to clear one month (arrays over facilities, technologies, routes).

    Attributes:
        supply_t: (facilities, by-products) tonnes on offer (generation + stock).
        generated_t: (facilities, by-products) tonnes generated this month (recurring supply).
        capacity_t: (facilities, technologies) tonnes each buyer can take with each technology
            (installed capacity and own cap).
        group_capacity_t: (facilities, cap groups) tonnes each buyer can take within a shared cap.
        wtp_cny_per_t: per-route willingness to pay.
        reservation_cny_per_t: per-route seller reservation price.
        is_installed: per-route flag, the buyer has the technology.
        season_now: (facilities,) each facility's seasonal factor this month (mean 1).
        installed_monthly_t: (facilities, technologies) installed capacity / 12: flat over the
            year, so promises against it are counted at the buyer's peak season.
        season_peak: (facilities,) each facility's highest seasonal factor of the year.
        seller_share: seller's share of the surplus (0-1), one for every route or (routes,) each route's.
        own_reservation_cny_per_t: per-route seller reservation with only its disposal route as
            alternative (None: ``reservation_cny_per_t``). A contract binds while the seller does
            not lose against this: a better outside option (an outlet) is taken up at the next
            signing, not by breaking a contract.
    """

    supply_t: NDArray[np.float64]
    generated_t: NDArray[np.float64]
    capacity_t: NDArray[np.float64]
    group_capacity_t: NDArray[np.float64]
    wtp_cny_per_t: NDArray[np.float64]
    reservation_cny_per_t: NDArray[np.float64]
    is_installed: NDArray[np.bool_]
    season_now: NDArray[np.float64]
    installed_monthly_t: NDArray[np.float64]
    season_peak: NDArray[np.float64]
    seller_share: float | NDArray[np.float64]
    own_reservation_cny_per_t: NDArray[np.float64] | None = None


@dataclass
class ClearingResult:
    """Tonnes and value traded on each route in one month."""

    tonnes: NDArray[np.float64]
    value_cny: NDArray[np.float64]
    contract_tonnes: NDArray[np.float64]
    shortfalls: int = 0  # contracts delivered short this month
    undelivered_t: float = 0.0  # tonnes due under contracts but not delivered
    setup_seller_cny: NDArray[np.float64] | None = None  # set-up of routes first traded this month, seller's part
    setup_buyer_cny: NDArray[np.float64] | None = None  # and the buyer's
