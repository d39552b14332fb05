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

from accounts.names import full_name
from approvals.models import Decision, DecisionState
from dossiers import levels, lifecycle, rewards
from dossiers.models import (
    Dossier,
    Nominee,
    NomineeKind,
    NomineeOutcome,
    Person,
    Role,
    RoleGrant,
)

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
    return full_name(user)


# --- letters: the unit's submission with its list, the notice of nominees not awarded ---------

LETTERS = Path(__file__).parent / "data" / "letter_templates.json"
SECTION_ORDER = (NomineeKind.COLLECTIVE, NomineeKind.INDIVIDUAL, NomineeKind.HOUSEHOLD)
ROMAN = ("I", "II", "III", "IV")
NOT_AWARDED = (NomineeOutcome.DECLINED, NomineeOutcome.NOT_APPROVED)
ACHIEVEMENTS_SHOWN = 220  # characters of a nominee's achievements the list shows


@functools.cache
def letter_templates() -> dict:
    return json.loads(LETTERS.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class LetterSection:
    """One table of a letter: its heading ("I. TẬP THỂ (02)", or none) and its rows of cells."""

    heading: str
    rows: list[list[str]]


@dataclass(frozen=True)
class LetterContent:
    """A letter in Decree 30's arrangement: the issuing body (under its superior, if any), the
    number and date, the kind of letter and its subject, "Kính gửi", the paragraphs, a table
    (inline, before `closing`, or on an annex page with `list_title`), the signer, "Nơi nhận"."""

    number: str
    signed_on: datetime.date | None
    place: str
    superior: list[str]
    body: list[str]
    heading: str
    title: str
    addressee: str
    paragraphs: list[str]
    columns: list[str]
    widths: tuple[float, ...]
    sections: list[LetterSection]
    closing: list[str]
    on_behalf: str
    signer_title: str
    signer_name: str
    recipients: list[str]
    draft: bool = False
    mark: str = ""
    list_title: str = ""  # set: the table goes on an annex page under this title
    list_subtitle: str = ""
    list_note: str = ""
    footer_text: str = ""
    national: list[str] = field(default_factory=lambda: list(templates()["national"]))

    @property
    def date_line(self) -> str:
        return f"{self.place}, {vn_date(self.signed_on)}"


def shorten(text: str, limit: int = ACHIEVEMENTS_SHOWN) -> str:
    """`text` on one line, cut at a word before `limit` characters with "…"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;.:")
    return f"{cut}…"


def _counted(number: int, label: str) -> str:
    return f"{number:02d} {label}"


def _role_holder_name(role: str, code: str | None) -> str:
    """The name of the first user holding `role` at organisation `code` ("" if none)."""
    if not code:
        return ""
    grant = (
        RoleGrant.objects.filter(role=role, organization__code=code)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return signer_name_of(grant.user) if grant is not None else ""


def _level_place(authority: str) -> str:
    return issuer_of(authority)["place"]


def _superior(code: str, authority: str) -> list[str]:
    """The line above a unit's own name (Decree 30: the body it reports to): its level's
    authority, for a unit under a ministry or a province; none under the central level."""
    if code == authority or authority == levels.CENTRAL:
        return []
    return [levels.name_of(authority).upper()]


def receiving_level(dossier: Dossier) -> str:
    """The authority of the level the unit's submission goes to: the level of its route's first
    step (the unit's own ministry, province or the central level: the one the unit sends the
    dossier to), whichever level holds it later."""
    steps = lifecycle.route(dossier)
    return steps[0][1] if steps else levels.authority_of(dossier.organization.code)


def submission_content(dossier: Dossier) -> LetterContent:
    """The unit's submission (Tờ trình) for `dossier` with its list (Danh sách): addressed to the
    head of the receiving level through its board; dated the day it was submitted (left blank,
    with "DỰ THẢO", for a draft). Names, organisations, positions and achievements only."""
    data = letter_templates()["submission"]
    form = dossier.award_form
    organization = dossier.organization
    authority = receiving_level(dossier)
    board = levels.level(authority).board
    issuer = issuer_of(authority)
    name = levels.name_of(authority)
    decider = issuer_of(lifecycle.decider_of(dossier))
    nominees = list(
        dossier.nominees.exclude(outcome=NomineeOutcome.WITHDRAWN)
        .select_related("organization")
        # `dossier_id` too: the related manager reads it from each row (deferred, one query each)
        .only("id", "dossier_id", "kind", "name", "achievements", "person_id", "organization__name")
        .order_by("id")
    )
    # The position only: no identity number or birth date is read.
    positions = dict(
        Person.objects.filter(pk__in={n.person_id for n in nominees if n.person_id})
        .exclude(position="")
        .values_list("pk", "position")
    )
    by_kind: dict[str, list[Nominee]] = {}
    for nominee in nominees:
        by_kind.setdefault(nominee.kind, []).append(nominee)
    kinds = [k for k in SECTION_ORDER if by_kind.get(k)]
    counts = (
        " và ".join(_counted(len(by_kind[k]), KIND_LABEL[k].lower()) for k in kinds) or PLACEHOLDER
    )
    draft = dossier.submitted_at is None
    signed_on = None if draft else timezone.localdate(dossier.submitted_at)
    head = _fill(issuer["issuer_phrase"], {"name": name})
    board_name = levels.name_of(board) if board else ""
    number = _fill(data["number"], {"code": organization.code})
    values = {
        "unit": organization.name,
        "head": head,
        "board": board_name or name,
        "board_only": board_name or name,
        "verb_lower": decider["verb"].lower(),
        "form": form.name,
        "year": dossier.year,
        "counts": counts,
        "reference": dossier.reference,
        "number": number,
        "date": vn_date(signed_on),
    }
    sections = []
    for index, kind in enumerate(kinds):
        rows = []
        for position, nominee in enumerate(by_kind[kind], start=1):
            where = (nominee.organization or organization).name
            if nominee.person_id in positions:
                where = f"{positions[nominee.person_id]}, {where}"
            achievements = shorten(nominee.achievements) or data["no_achievements"]
            rows.append([str(position), nominee.name, where, achievements])
        heading = f"{ROMAN[index]}. {data['sections'][kind]} ({len(rows):02d})"
        sections.append(LetterSection(heading=heading, rows=rows))
    addressee = _fill(data["addressee"], values) if board_name else head
    return LetterContent(
        number=number,
        signed_on=signed_on,
        place=_level_place(authority),
        superior=_superior(organization.code, levels.authority_of(organization.code)),
        body=[organization.name.upper()],
        heading=data["heading"],
        title=_fill(data["title"], values),
        addressee=addressee,
        paragraphs=[_fill(p, values) for p in data["paragraphs"]],
        columns=list(data["columns"]),
        widths=(10, 46, 44, 65),
        sections=sections,
        closing=[],
        on_behalf="",
        signer_title=data["signer_title"],
        signer_name=_role_holder_name(Role.UNIT_HEAD, organization.code),
        recipients=[_fill(r, values) for r in data["recipients"]],
        draft=draft,
        mark="(Dự thảo — chưa ký)" if draft else "(Đã ký)",
        list_title=data["list_title"],
        list_subtitle=_fill(data["list_subtitle"], values),
        list_note=_fill(data["list_note"], values),
        footer_text=f"Tờ trình {number}",
    )


def not_awarded_rows(decision: Decision) -> dict[str, list[tuple[Dossier, Nominee]]]:
    """The nominees of a decision not awarded (declined in it, or not approved), by the code of
    the organisation that proposed them, in the annex's order."""
    grouped: dict[str, list[tuple[Dossier, Nominee]]] = {}
    for dossier, nominee in _nominees(decision):
        if nominee.outcome in NOT_AWARDED:
            grouped.setdefault(dossier.organization.code, []).append((dossier, nominee))
    return grouped


def notice_content(
    decision: Decision, organization: str, rows: list[tuple[Dossier, Nominee]]
) -> LetterContent:
    """The notice (Thông báo) from the decision's issuing board to the unit `organization` of its
    nominees not awarded in the signed `decision`, each with its reason."""
    data = letter_templates()["notice"]
    decider = decision.decider
    authority = decider if levels.level(decider).board else levels.CENTRAL
    board = levels.level(authority).board or ""
    tier = levels.tier_of(authority) or "province"
    by_level = data["by_level"].get(tier, data["by_level"]["province"])
    issuer = issuer_of(decider)
    issuer_name = _fill(issuer["issuer_phrase"], {"name": levels.name_of(decider)})
    forms = sorted({d.award_form.name for d, _n in _nominees(decision)})
    unit = levels.name_of(organization)
    values = {
        "unit": unit,
        "board": levels.name_of(board) if board else issuer_name,
        "board_code": board or decider,
        "issuer": issuer_name,
        "number": decision.number or PLACEHOLDER,
        "date": short_date(decision.signed_on),
        "verb_lower": issuer["verb"].lower(),
        "forms": ", ".join(forms) or PLACEHOLDER,
        "count": f"{len(rows):02d}",
        "authority_upper": levels.name_of(authority).upper(),
    }
    table = []
    for position, (dossier, nominee) in enumerate(rows, start=1):
        kind = KIND_LABEL.get(nominee.kind, nominee.kind).lower()
        reason = " ".join(nominee.outcome_reason.split()) or data["no_reason"]
        table.append(
            [
                str(position),
                f"{nominee.name}\n({kind})",
                f"{dossier.reference}\n{dossier.award_form.name}",
                reason,
            ]
        )
    number = _fill(data["number"], values)
    return LetterContent(
        number=number,
        signed_on=None,
        place=issuer["place"],
        superior=[_fill(by_level["superior"], values)],
        body=[values["board"].upper()],
        heading=data["heading"],
        title=_fill(data["title"], values),
        addressee=_fill(data["addressee"], values),
        paragraphs=[_fill(p, values) for p in data["paragraphs"]],
        columns=list(data["columns"]),
        widths=(10, 50, 45, 60),
        sections=[LetterSection(heading="", rows=table)],
        closing=[_fill(p, values) for p in data["closing"]],
        on_behalf="",
        signer_title=by_level["signer_title"],
        signer_name=_role_holder_name(Role.BOARD_HEAD, board),
        recipients=[_fill(r, values) for r in data["recipients"]],
        mark="",
        footer_text=f"Thông báo {number}",
    )
