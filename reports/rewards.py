"""Reward money for the reports: read through dossiers/rewards.py (the coefficient × the base
salary in force on the signing day, both data in dossiers/data/catalogue.json), the one place the
decision's annex and documents read them too, so the statistics and the annex agree."""

from __future__ import annotations

import datetime
from decimal import Decimal

from dossiers import rewards


def reward_coefficient(form_code: str, kind: str) -> Decimal | None:
    """The form's coefficient for a nominee of `kind`, or None (no money for that kind)."""
    return rewards.reward_coefficient(form_code, kind)


def base_salary_on(day: datetime.date | None) -> int | None:
    """The base salary (VND) in force on `day`; None before the table or without a day."""
    salary = rewards.base_salary_on(day) if day is not None else None
    return salary.amount if salary is not None else None


def reward_amount(form_code: str, kind: str, day: datetime.date | None) -> int | None:
    """Coefficient × base salary on `day`, rounded as dossiers/rewards.py rounds; None if either
    is unknown."""
    reward = rewards.reward_for(form_code, kind, day) if day is not None else None
    return reward.amount if reward is not None else None
