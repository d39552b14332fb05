"""Working-day arithmetic on Vietnam's public holidays (lunar new year included)."""

import datetime
from functools import lru_cache

import holidays
from django.utils import timezone


def today() -> datetime.date:
    return timezone.localdate()


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end`."""
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
