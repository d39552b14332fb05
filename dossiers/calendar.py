"""Working-day arithmetic on Vietnam's calendar for public servants.

The `holidays` library knows the public holidays (lunar new year included), the observed days
and the government's announced swaps: a Saturday worked in exchange for a bridge day off (for
example Saturday 4/5/2024 worked for Monday 29/4/2024). Its own `is_working_day` counts those
Saturdays. A swap announced after the pinned library release goes in the tables below until the
library learns it; each entry names its source.
"""

import datetime
from functools import lru_cache

import holidays
from django.utils import timezone

# Swaps the library does not know yet: {date: source}. A day off on a weekday, and the weekend
# day worked in exchange. Empty while the pinned `holidays` release knows every announced swap.
EXTRA_DAYS_OFF: dict[datetime.date, str] = {}
EXTRA_WORKING_DAYS: dict[datetime.date, str] = {}


def today() -> datetime.date:
    return timezone.localdate()


@lru_cache(maxsize=1)
def _calendar() -> holidays.HolidayBase:
    """Vietnam's holidays, growing by year as dates are asked for (expand=True)."""
    return holidays.country_holidays("VN")


def is_working_day(day: datetime.date) -> bool:
    if day in EXTRA_DAYS_OFF:
        return False
    if day in EXTRA_WORKING_DAYS:
        return True
    return _calendar().is_working_day(day)


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
