"""Shared constants (unit conversions, tolerances) and month arithmetic, defined once.

Units are spelled one way in names throughout the package: ``_t`` tonnes, ``_kt``
thousand tonnes, ``_tpa`` tonnes per year (capacities), ``_per_yr`` per year for product
capacity in its own unit, ``_tce`` tonnes of coal equivalent, ``_cny`` yuan, ``_km``
kilometres, ``_share`` or ``_rate`` a 0-1 fraction.
"""

import datetime as dt

__all__ = [
    "CNY_PER_10K",
    "CNY_PER_M",
    "KG_PER_T",
    "MONTHS_PER_YEAR",
    "TONNE_EPSILON",
    "T_PER_KT",
    "T_PER_MT",
    "month_date",
]

MONTHS_PER_YEAR = 12
KG_PER_T = 1000.0
T_PER_KT = 1000.0
T_PER_MT = 1e6
CNY_PER_M = 1e6
CNY_PER_10K = 1e4
TONNE_EPSILON = 1e-9  # tonnes below this are rounding, not a trade


def month_date(start: dt.date, months_after: int) -> dt.date:
    """First day of the month ``months_after`` months after ``start``.

    >>> month_date(dt.date(2025, 11, 1), 3)
    datetime.date(2026, 2, 1)
    """
    total = start.year * MONTHS_PER_YEAR + start.month - 1 + months_after
    return dt.date(total // MONTHS_PER_YEAR, total % MONTHS_PER_YEAR + 1, 1)
