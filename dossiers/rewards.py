"""Reward money (tiền thưởng): the award form's coefficient × the base salary (mức lương cơ sở)
in force on the day the decision is signed.

Both are data in dossiers/data/catalogue.json: each award form's `reward_coefficient`
(individual / collective / household, with its citation) and the `base_salaries` table (the
amount, the decree that set it, the day it took effect). The decision's annex (documents/) reads
them here, in the domain layer both the documents and the reports sit above; reports/rewards.py
reads the same rows with the same rounding, so the annex and the statistics agree.
"""

from __future__ import annotations

import datetime
import functools
import json
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from dossiers.catalogue import CATALOGUE

# The amount after multiplying is rounded up to the next ten thousand đồng, as reports/rewards.py
# does ([unverified] Decree 98/2023's rounding rule as recalled, not checked against the text).
ROUND_TO = 10_000
KINDS = ("individual", "collective", "household")


@dataclass(frozen=True)
class BaseSalary:
    amount: int
    valid_from: datetime.date
    legal_basis: str


@dataclass(frozen=True)
class Reward:
    coefficient: Decimal
    base_salary: BaseSalary
    amount: int


@dataclass(frozen=True)
class _Data:
    coefficients: dict[str, dict[str, Decimal]]
    salaries: list[BaseSalary]


@functools.cache
def _catalogue() -> _Data:
    data = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    coefficients = {
        form["code"]: {
            kind: Decimal(str(value))
            for kind, value in form.get("reward_coefficient", {}).items()
            if kind in KINDS
        }
        for form in data["award_forms"]
    }
    salaries = sorted(
        (
            BaseSalary(
                amount=int(row["amount"]),
                valid_from=datetime.date.fromisoformat(row["from"]),
                legal_basis=row.get("legal_basis", ""),
            )
            for row in data.get("base_salaries", [])
        ),
        key=lambda row: row.valid_from,
    )
    return _Data(coefficients=coefficients, salaries=salaries)


def reward_coefficient(form_code: str, kind: str) -> Decimal | None:
    """The form's coefficient for a nominee of `kind`, or None where the catalogue gives none."""
    return _catalogue().coefficients.get(form_code, {}).get(kind)


def base_salary_on(day: datetime.date) -> BaseSalary | None:
    """The base salary in force on `day` (the last row that took effect by then), or None
    before the table's first row."""
    found = None
    for row in _catalogue().salaries:
        if row.valid_from <= day:
            found = row
    return found


def reward_for(form_code: str, kind: str, day: datetime.date) -> Reward | None:
    """Coefficient × base salary on `day`, rounded up to ROUND_TO đồng; None if either is
    unknown (the form gives that kind no money, or the day is before the table)."""
    coefficient = reward_coefficient(form_code, kind)
    salary = base_salary_on(day)
    if coefficient is None or salary is None:
        return None
    steps = (coefficient * salary.amount / ROUND_TO).to_integral_value(rounding=ROUND_CEILING)
    return Reward(coefficient=coefficient, base_salary=salary, amount=int(steps) * ROUND_TO)
