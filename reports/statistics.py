"""The yearly statistics of awards (thống kê kết quả khen thưởng): how many collectives,
individuals and households each award form rewarded, by level and by proposing organisation,
with the reward money, for one year or a range of years.

What is counted: a nominee awarded (outcome "awarded", not later revoked or declined) in a
signed decision, in the year the decision was signed; of the dossiers the user may see (the
policy), so a province's board counts its province's awards and an inspector every award.
Reward money: reports/rewards.py (coefficient × the base salary in force on the signing day).

Modelled on the Ministry of Home Affairs' statistics of emulation and commendation (the
Home Affairs sector's statistical reporting regime, Circular 03/2018/TT-BNV, replaced by
Circular 01/2023/TT-BNV; the tables of "số lượng khen thưởng" that ministries and provinces
report upward each year). Reproduced: the rows by level and award form — state-level awards
(khen thưởng cấp Nhà nước: honorary titles, orders, the Government's flag, the national
emulation fighter, the PM's certificate), then the ministries' and the provinces' own forms —
with a subtotal per level and a grand total; the columns total, of which collectives,
individuals (and households), and reward money; a second table by proposing organisation.
Not reproduced: the breakdowns the engine does not record (by sex, ethnic minority, workers and
farmers, leaders vs. staff, by sector), nor the "đột xuất / chuyên đề / theo niên hạn"
classification. [unverified] the exact form numbers and column order of the circulars' tables
were not retrieved offline: the layout follows their published headings, not a copy of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, QuerySet

from approvals.models import DecisionState
from dossiers.models import Dossier, Level, Nominee, NomineeKind, NomineeOutcome
from reports import rewards
from workflows import policy

LEVEL_ORDER = [Level.CENTRAL, Level.MINISTRY, Level.PROVINCE]
LEVEL_TITLE = {
    Level.CENTRAL: "Khen thưởng cấp Nhà nước",
    Level.MINISTRY: "Khen thưởng của bộ, ban, ngành, đoàn thể trung ương",
    Level.PROVINCE: "Khen thưởng của tỉnh, thành phố trực thuộc trung ương",
}
KINDS = [NomineeKind.COLLECTIVE, NomineeKind.INDIVIDUAL, NomineeKind.HOUSEHOLD]


@dataclass
class Count3:
    """Awards of one group: collectives, individuals, households, and their reward money."""

    collective: int = 0
    individual: int = 0
    household: int = 0
    money: int = 0
    unpriced: int = 0  # awards whose money is unknown (no coefficient or base salary)

    @property
    def total(self) -> int:
        return self.collective + self.individual + self.household

    def add(self, kind: str, count: int, amount: int | None) -> None:
        setattr(self, kind, getattr(self, kind) + count)
        if amount is None:
            self.unpriced += count
        else:
            self.money += amount * count

    def merge(self, other: Count3) -> None:
        for name in ("collective", "individual", "household", "money", "unpriced"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class FormRow:
    level: str
    code: str
    name: str
    weight: float  # the form's highest coefficient: the rows go from the highest award down
    years: dict[int, Count3] = field(default_factory=dict)
    all_years: Count3 = field(default_factory=Count3)


@dataclass
class OrgRow:
    code: str
    name: str
    years: dict[int, Count3] = field(default_factory=dict)
    all_years: Count3 = field(default_factory=Count3)


@dataclass
class Statistics:
    first: int
    last: int
    forms: list[FormRow]
    organisations: list[OrgRow]
    levels: dict[str, Count3]
    total: Count3

    @property
    def years(self) -> list[int]:
        return list(range(self.first, self.last + 1))


def awarded_rows(user, first: int, last: int) -> QuerySet:
    """One row per (form, kind, proposing organisation, signing day) with its count: one query."""
    visible = policy.visible(user, Dossier).values("pk")
    return (
        Nominee.objects.filter(
            outcome=NomineeOutcome.AWARDED,
            dossier__in=visible,
            dossier__decision_entries__decision__state=DecisionState.SIGNED,
            dossier__decision_entries__decision__signed_on__year__gte=first,
            dossier__decision_entries__decision__signed_on__year__lte=last,
        )
        .values(
            "kind",
            form_code=F("dossier__award_form__code"),
            form_name=F("dossier__award_form__name"),
            form_level=F("dossier__award_form__level"),
            org_code=F("dossier__organization__code"),
            org_name=F("dossier__organization__name"),
            signed_on=F("dossier__decision_entries__decision__signed_on"),
        )
        .annotate(count=Count("id"))
        .order_by()
    )


def award_statistics(user, first: int, last: int) -> Statistics:
    forms: dict[str, FormRow] = {}
    orgs: dict[str, OrgRow] = {}
    for row in awarded_rows(user, first, last):
        year, kind, count = row["signed_on"].year, row["kind"], row["count"]
        amount = rewards.reward_amount(row["form_code"], kind, row["signed_on"])
        weight = max(
            (float(rewards.reward_coefficient(row["form_code"], k) or 0) for k in KINDS),
            default=0.0,
        )
        form = forms.setdefault(
            row["form_code"],
            FormRow(row["form_level"], row["form_code"], row["form_name"], weight),
        )
        org = orgs.setdefault(row["org_code"], OrgRow(row["org_code"], row["org_name"]))
        for target in (form, org):
            target.years.setdefault(year, Count3()).add(kind, count, amount)
            target.all_years.add(kind, count, amount)
    levels: dict[str, Count3] = defaultdict(Count3)
    total = Count3()
    for form in forms.values():
        levels[form.level].merge(form.all_years)
        total.merge(form.all_years)
    order = {level: i for i, level in enumerate(LEVEL_ORDER)}
    return Statistics(
        first=first,
        last=last,
        forms=sorted(forms.values(), key=lambda f: (order.get(f.level, 9), -f.weight, f.code)),
        organisations=sorted(orgs.values(), key=lambda o: o.name),
        levels=dict(levels),
        total=total,
    )
