"""Policy instruments and their schedule.

A policy is applied at the start of every month, before production; it may lower the
production cap of facilities and change fees, taxes and subsidies in the model's arrays.
The default scenario runs with no policy beyond the baseline fees and taxes of the catalog.
"""

from symbiosim.policies.schedule import Policy, PolicySchedule, month_end, share_of_month

__all__ = ["Policy", "PolicySchedule", "month_end", "share_of_month"]
