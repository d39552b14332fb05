"""Working days for public servants, 2023–2025: holidays, observed days and swapped Saturdays."""

import datetime

import pytest

from dossiers import calendar

D = datetime.date

# (day, working?) as announced for public servants each year.
DAYS = [
    # 2023: Tết 20–26/1; 29/4–3/5 (Hùng Kings and 30/4 observed on 2–3/5); 1–4/9.
    (D(2023, 1, 2), False), (D(2023, 1, 20), False), (D(2023, 1, 26), False),
    (D(2023, 1, 27), True), (D(2023, 5, 2), False), (D(2023, 5, 3), False),
    (D(2023, 5, 4), True), (D(2023, 9, 1), False), (D(2023, 9, 4), False),
    (D(2023, 9, 5), True),
    # 2024: Tết 8–14/2; Hùng Kings 18/4; 27/4–1/5 with Saturday 4/5 worked for Monday 29/4.
    (D(2024, 2, 8), False), (D(2024, 2, 14), False), (D(2024, 2, 15), True),
    (D(2024, 4, 18), False), (D(2024, 4, 29), False), (D(2024, 5, 1), False),
    (D(2024, 5, 4), True), (D(2024, 5, 5), False), (D(2024, 9, 3), False),
    # 2025: Tết 25/1–2/2; Hùng Kings 7/4; 30/4–4/5 with Saturday 26/4 worked for Friday 2/5.
    (D(2025, 1, 1), False), (D(2025, 1, 27), False), (D(2025, 1, 31), False),
    (D(2025, 2, 3), True), (D(2025, 4, 7), False), (D(2025, 4, 26), True),
    (D(2025, 5, 2), False), (D(2025, 5, 5), True), (D(2025, 9, 1), False),
    (D(2025, 9, 2), False), (D(2025, 9, 3), True),
]  # fmt: skip


@pytest.mark.parametrize(("day", "working"), DAYS, ids=[str(d) for d, _ in DAYS])
def test_working_day(day, working):
    assert calendar.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (D(2024, 4, 24), 10, D(2024, 5, 10)),  # counts Saturday 4/5/2024, not 13/5
        (D(2025, 4, 24), 5, D(2025, 5, 5)),  # 25, 26 (Saturday worked), 28, 29, then 5/5
        (D(2023, 1, 19), 1, D(2023, 1, 27)),  # across Tết 2023
        (D(2024, 12, 30), 3, D(2025, 1, 3)),  # across the year end and New Year's Day
    ],
)
def test_add_working_days(start, days, due):
    assert calendar.add_working_days(start, days) == due


def test_working_days_between_counts_swapped_saturday():
    assert calendar.working_days_between(D(2024, 4, 24), D(2024, 5, 10)) == 10


def test_table_adds_a_swap_the_library_does_not_know(monkeypatch):
    """A swap announced after the library release: the weekday off and the Saturday worked."""
    monkeypatch.setitem(calendar.EXTRA_DAYS_OFF, D(2026, 12, 31), "test announcement")
    monkeypatch.setitem(calendar.EXTRA_WORKING_DAYS, D(2026, 12, 26), "test announcement")
    assert not calendar.is_working_day(D(2026, 12, 31))
    assert calendar.is_working_day(D(2026, 12, 26))
    assert calendar.add_working_days(D(2026, 12, 24), 2) == D(2026, 12, 26)
