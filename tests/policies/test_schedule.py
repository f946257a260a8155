"""Policies are in force in every month their window touches."""

import datetime as dt

from symbiosim.policies import PolicySchedule, share_of_month


class Window:
    def __init__(self, start, end):
        self.start, self.end = start, end
        self.applied = []

    def apply(self, levers, view, date):
        self.applied.append(date)


def test_heating_season_touches_november_to_march():
    season = Window(dt.date(2025, 11, 15), dt.date(2026, 3, 15))
    schedule = PolicySchedule([season])
    months = [dt.date(2025, m, 1) for m in range(9, 13)] + [dt.date(2026, m, 1) for m in range(1, 6)]
    for month in months:
        schedule.apply(None, None, month)
    assert season.applied == [dt.date(2025, 11, 1), dt.date(2025, 12, 1), *(dt.date(2026, m, 1) for m in (1, 2, 3))]
    assert share_of_month(season, dt.date(2025, 11, 1)) == 16 / 30
    assert share_of_month(season, dt.date(2026, 3, 1)) == 15 / 31
    assert share_of_month(season, dt.date(2026, 2, 1)) == 1.0
    assert share_of_month(season, dt.date(2026, 4, 1)) == 0.0


def test_policies_compose_in_order():
    a, b = Window(dt.date(2025, 1, 1), dt.date(2025, 12, 31)), Window(dt.date(2025, 6, 1), dt.date(2025, 6, 1))
    schedule = PolicySchedule([a, b])
    assert schedule.active(dt.date(2025, 6, 1)) == [a, b]
    assert schedule.active(dt.date(2025, 7, 1)) == [a]
