"""What a decision document says, read from the decision and the template data
(documents/data/decision_templates.json): plain values the renderer lays out, nothing drawn here.

No personal identification data is ever read into it: names, kinds, organisations, forms and
outcomes only (no CCCD, no birth date), so neither the PDF nor the public page can show them."""

from __future__ import annotations

import datetime
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Prefetch
from django.utils import timezone

from approvals.models import Decision, DecisionState
from dossiers import levels, rewards
from dossiers.models import Dossier, Nominee, NomineeKind, NomineeOutcome

TEMPLATES = Path(__file__).parent / "data" / "decision_templates.json"
KIND_LABEL = {
    NomineeKind.INDIVIDUAL: "Cá nhân",
    NomineeKind.COLLECTIVE: "Tập thể",
    NomineeKind.HOUSEHOLD: "Hộ gia đình",
}
PLACEHOLDER = "…"


@functools.cache
def templates() -> dict:
    return json.loads(TEMPLATES.read_text(encoding="utf-8"))


def vn_date(day: datetime.date | None) -> str:
    """ "ngày 06 tháng 3 năm 2023": a day below 10 and the months January and February with a
    leading zero (Decree 30/2020/NĐ-CP, Appendix I)."""
    if day is None:
        return f"ngày {PLACEHOLDER} tháng {PLACEHOLDER} năm {PLACEHOLDER}"
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def short_date(day: datetime.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else PLACEHOLDER


def money(amount: int | None) -> str:
    """1.490.000: thousands separated by dots, as Vietnamese documents write them."""
    return "—" if amount is None else f"{amount:,}".replace(",", ".")


@dataclass(frozen=True)
class Row:
    nominee_id: int
    name: str
    kind: str
    organization: str
    form_code: str
    form_name: str
    dossier: str
    year: int
    outcome: str
    reason: str = ""
    coefficient: str = ""
    amount: int | None = None
    title: str = ""  # "Ông" / "Bà" for an individual whose sex the registry knows


@dataclass(frozen=True)
class DecisionContent:
    decision_id: int
    decider: str
    draft: bool
    number: str
    signed_on: datetime.date | None
    body: list[str]
    authority: str
    place: str
    issuer_name: str
    title: str
    bases: list[str]
    articles: list[str]
    on_behalf: str
    signer_title: str
    signer_name: str
    recipients: list[str]
    awarded: list[Row]
    declined: list[Row]
    total: int
    annex_subtitle: str
    national: list[str] = field(default_factory=list)
    texts: dict = field(default_factory=dict)

    @property
    def date_line(self) -> str:
        return f"{self.place}, {vn_date(self.signed_on)}"


def issuer_of(decider: str) -> dict:
    """The template's lines for an issuer: its level's, with its own code's over them."""
    data = templates()
    tier = levels.tier_of(decider) or "province"
    chosen = dict(data["by_level"].get(tier, data["by_level"]["province"]))
    chosen.update(data["by_code"].get(decider, {}))
    return chosen


def _fill(text: str, values: dict) -> str:
    return text.format_map(values)


def _nominees(decision: Decision) -> list[tuple[Dossier, Nominee]]:
    dossiers = (
        Dossier.objects.filter(decision_entries__decision=decision)
        .select_related("award_form", "organization")
        .prefetch_related(
            Prefetch(
                "nominees",
                queryset=Nominee.objects.select_related("organization", "person").order_by("id"),
            )
        )
        .order_by("award_form__code", "organization__code", "id")
    )
    return [(d, n) for d in dossiers for n in d.nominees.all()]


def _row(dossier: Dossier, nominee: Nominee, day: datetime.date | None, outcome: str) -> Row:
    form = dossier.award_form
    reward = rewards.reward_for(form.code, nominee.kind, day) if day else None
    coefficient = rewards.reward_coefficient(form.code, nominee.kind)
    title = ""
    if nominee.kind == NomineeKind.INDIVIDUAL and nominee.person_id:
        title = {"male": "Ông", "female": "Bà"}.get(nominee.person.sex, "")
    organization = nominee.organization or dossier.organization
    return Row(
        nominee_id=nominee.pk,
        name=nominee.name,
        kind=KIND_LABEL.get(nominee.kind, nominee.kind),
        organization=organization.name,
        form_code=form.code,
        form_name=form.name,
        dossier=dossier.reference,
        year=dossier.year,
        outcome=outcome,
        reason=nominee.outcome_reason if outcome == NomineeOutcome.DECLINED else "",
        coefficient=f"{coefficient:g}".replace(".", ",") if coefficient is not None else "",
        amount=reward.amount if reward else None,
        title=title,
    )


def decision_content(decision: Decision, *, signer_name: str = "") -> DecisionContent:
    """The decision as signed, or, before the signature (`draft`), as it would read if signed
    today with every nominee still pending awarded: number and date left blank."""
    draft = decision.state != DecisionState.SIGNED
    day = decision.signed_on if not draft else timezone.localdate()
    awarded: list[Row] = []
    declined: list[Row] = []
    for dossier, nominee in _nominees(decision):
        if draft and nominee.outcome == NomineeOutcome.PENDING:
            awarded.append(_row(dossier, nominee, day, NomineeOutcome.AWARDED))
        elif not draft and nominee.outcome == NomineeOutcome.AWARDED:
            awarded.append(_row(dossier, nominee, day, NomineeOutcome.AWARDED))
        elif not draft and nominee.outcome == NomineeOutcome.DECLINED:
            declined.append(_row(dossier, nominee, day, NomineeOutcome.DECLINED))
    data = templates()
    issuer = issuer_of(decision.decider)
    name = levels.name_of(decision.decider)
    board_code = levels.level(decision.decider).board or levels.level(levels.CENTRAL).board
    forms: dict[str, int] = {}
    for row in awarded:
        forms[row.form_name] = forms.get(row.form_name, 0) + 1
    for row in declined:
        forms.setdefault(row.form_name, 0)
    salary = rewards.base_salary_on(day)
    total = sum(r.amount or 0 for r in awarded)
    proposers = sorted({r.organization for r in awarded + declined})
    values = {
        "name": name,
        "name_upper": name.upper(),
        "board": levels.name_of(board_code) if board_code else "",
        "proposal": f" tại Tờ trình số {decision.proposal_number}"
        if decision.proposal_number
        else "",
        "verb": issuer["verb"],
        "verb_lower": issuer["verb"].lower(),
        "forms": ", ".join(forms) or PLACEHOLDER,
        "forms_counted": "; ".join(f"{f}" for f in forms) or PLACEHOLDER,
        "count": f"{len(awarded):02d}",
        "years": ", ".join(str(y) for y in sorted({r.year for r in awarded})) or PLACEHOLDER,
        "base_salary": money(salary.amount) if salary else PLACEHOLDER,
        "base_basis": salary.legal_basis if salary else PLACEHOLDER,
        "base_from": short_date(salary.valid_from) if salary else PLACEHOLDER,
        "total": money(total),
        "number": decision.number or f"{PLACEHOLDER}/{PLACEHOLDER}",
        "date": short_date(decision.signed_on if not draft else None),
        "proposers": ", ".join(proposers) or PLACEHOLDER,
    }
    values["executors"] = _fill(issuer["executors"], values)
    values["declined_clause"] = _fill(data["declined_clause"], values) if declined else ""
    values["issuer"] = _fill(issuer["issuer_phrase"], values)
    return DecisionContent(
        decision_id=decision.pk,
        decider=decision.decider,
        draft=draft,
        number=decision.number or f"{PLACEHOLDER}/{PLACEHOLDER}",
        signed_on=decision.signed_on if not draft else None,
        body=[_fill(line, values) for line in issuer["body"]],
        authority=_fill(issuer["authority"], values),
        place=issuer["place"],
        issuer_name=name,
        title=_fill(data["title"], values),
        bases=[_fill(line, values) for line in issuer["bases"]],
        articles=[_fill(text, values) for text in data["articles"]],
        on_behalf=_fill(issuer["on_behalf"], values),
        signer_title=issuer["signer_title"],
        signer_name=signer_name,
        recipients=[_fill(line, values) for line in issuer["recipients"]],
        awarded=awarded,
        declined=declined,
        total=total,
        annex_subtitle=_fill(data["annex_subtitle"], values),
        national=list(data["national"]),
        texts={k: data[k] for k in ("annex_title", "annex_awarded", "annex_declined")}
        | {"certificate": data["certificate"]},
    )


def signer_name_of(user) -> str:
    """The signer as the document names them: the full name, else the sign-in name."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
