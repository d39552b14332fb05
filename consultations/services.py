"""Consultation (hiệp y): the board of the level holding a dossier asks bodies for their opinion
(`consultation_request`), each body answers (`consultation_answer`, with an optional reply letter
in PDF), reminders are recorded before the due date (`consultation_remind`), and the forward
waits until every body the form's data names was asked and every request is answered or past
its due date (`forward_guard`, registered in apps.py).

Each service is one transaction: the dossier row is locked (so an answer and a forward never
cross), the rows are written with their history, and one ledger event records the act."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit import history, ledger
from consultations import errors, rules
from consultations.models import Consultation
from dossiers import access, calendar, levels, lifecycle, uploads
from dossiers import services as ds
from dossiers.errors import (
    FILE_EMPTY,
    FILE_TOO_LARGE,
    NUL_CHARACTER,
    REASON_REQUIRED,
    TEXT_TOO_LONG,
    UNKNOWN_KIND,
    Conflict,
    DossierError,
)
from dossiers.models import Attachment, DocumentKind, Dossier, DossierState, Organization, Role
from dossiers.permissions import has_role
from workflows import policy

S = DossierState
OPEN_STATES = (S.INTAKE, S.APPRAISAL, S.PUBLIC_NOTICE, S.COUNCIL_REVIEW)
MAX_BODIES = 20
REASON_LIMIT = 2000
# The catalogue's document kind of a consulted body's reply (Văn bản hiệp y).
REPLY_KIND = "y_kien_hiep_y"
OUTCOME_LABELS = {
    "pending": _("Waiting for the answer"),
    "agreed": _("Agreed"),
    "disagreed": _("Disagreed"),
    "silent_agreed": _("No answer by the due date: counts as agreement"),
    "silent_refused": _("No answer by the due date: counts as refusal"),
}


@dataclass(frozen=True)
class Status:
    """Where a dossier's consultation stands (the latest request to each body counts)."""

    required: bool  # the form's data names bodies to consult
    requested: bool  # at least one request was made
    complete: bool  # every named body asked, every request answered or past its due date
    refused: list[str]  # bodies that disagreed (or were silent where silence refuses)
    pending: list[Consultation]  # requests still waiting for an answer before their due date
    missing: list[str]  # bodies the form's data names that were never asked


def _event(
    actor: User | None, dossier: Dossier, action: str, reason: str, data: dict[str, object]
) -> AbstractContextManager[ledger.Entry]:
    return ledger.recording(
        actor=actor,
        action=action,
        object_type="dossiers.dossier",
        object_id=dossier.pk,
        dossier=dossier,
        reason=reason,
        data=data,
        states=(dossier.state, dossier.state, dossier.version),
    )


def may_request(actor: User, dossier: Dossier) -> bool:
    """A board officer (or head) of the level holding the dossier: who may accept it."""
    return policy.rules(actor, dossier).get("accept", False)


def _bodies(dossier: Dossier, codes: Iterable[str]) -> list[Organization]:
    codes = list(dict.fromkeys(str(c).strip() for c in codes))
    if not codes:
        raise DossierError(errors.NO_BODIES, code="no_bodies")
    if len(codes) > MAX_BODIES:
        raise DossierError(errors.TOO_MANY_BODIES, code="too_many_bodies", limit=MAX_BODIES)
    found = {o.code: o for o in Organization.objects.filter(code__in=codes)}
    for code in codes:
        if code not in found:
            raise DossierError(errors.UNKNOWN_BODY, code="unknown_body", value=code)
    holder = lifecycle.holder_code(dossier)
    own = {dossier.organization.code, holder}
    if holder:
        own.add(levels.level(holder).board)
    for code in codes:
        if code in own:
            raise DossierError(errors.OWN_BODY, code="own_body", value=code)
    return [found[c] for c in codes]


def _days(due_in_days: int | None) -> int:
    days = rules.default_due_in_days() if due_in_days is None else due_in_days
    if (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not 1 <= days <= rules.MAX_DUE_IN_DAYS
    ):
        raise DossierError(
            errors.DUE_INVALID, code="due_invalid", limit=rules.MAX_DUE_IN_DAYS, value=days
        )
    return days


@transaction.atomic
def consultation_request(
    *, actor: User, dossier: Dossier | int, bodies: Iterable[str], due_in_days: int | None = None
) -> list[Consultation]:
    """The holding level's board asks `bodies` for their opinion, due in working days."""
    locked = ds.lock(dossier, actor)
    if not may_request(actor, locked):
        raise PermissionDenied
    if locked.state not in OPEN_STATES:
        raise Conflict(errors.NOT_NOW, code="invalid_state", state=locked.get_state_display())
    orgs = _bodies(locked, bodies)
    days = _days(due_in_days)
    open_bodies = set(
        Consultation.objects.filter(
            dossier=locked, body__in=orgs, answered_at__isnull=True
        ).values_list("body__code", flat=True)
    )
    if open_bodies:
        raise Conflict(errors.ALREADY_OPEN, code="already_requested", body=sorted(open_bodies)[0])
    rule = rules.for_form(locked.award_form.code)
    now = timezone.now()
    due = calendar.add_working_days(timezone.localdate(now), days)
    codes = [o.code for o in orgs]
    made = []
    with _event(
        actor,
        locked,
        "consultation.requested",
        "",
        {"bodies": codes, "due_date": due.isoformat(), "due_in_days": days},
    ):
        for org in orgs:
            consultation = Consultation(
                dossier=locked,
                body=org,
                requested_by=actor,
                requested_at=now,
                due_date=due,
                silence_is_agreement=rule.silence_is_agreement,
            )
            history.author(consultation, actor, "consultation.requested")
            consultation.save()
            made.append(consultation)
        # The consulted bodies see the dossier they are asked about (and keep seeing it).
        access.grant(locked, [f"consulted:{code}" for code in codes], access.VIEW)
    return made


def may_answer(actor: User, consultation: Consultation) -> bool:
    return has_role(actor, Role.CONSULTED, consultation.body.code)


def _reason(value: object) -> str:
    text = str(value if value is not None else "").strip()
    if "\x00" in text:
        raise DossierError(NUL_CHARACTER, code="nul_character", field=errors.REASON_FIELD)
    if len(text) > REASON_LIMIT:
        raise DossierError(
            TEXT_TOO_LONG,
            code="text_too_long",
            field=errors.REASON_FIELD,
            length=len(text),
            limit=REASON_LIMIT,
        )
    return text


def _reply_document(upload: File[bytes]) -> tuple[str, bytes]:
    """The reply letter's name and bytes, checked as a dossier upload is (size, then content,
    deeply: dossiers/uploads.py) and a PDF; raises DossierError (400) otherwise."""
    size = upload.size or 0
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise DossierError(FILE_TOO_LARGE, code="file_too_large", size=size, limit=limit)
    if size == 0:
        raise DossierError(FILE_EMPTY, code="file_empty")
    upload.seek(0)
    data = upload.read()
    name = uploads.safe_name(getattr(upload, "name", "") or "")
    content_type = uploads.check(data, name)
    if content_type != uploads.PDF:
        raise DossierError(
            errors.DOCUMENT_NOT_PDF, code="document_not_pdf", type=uploads.LABEL[content_type]
        )
    return name, data


@transaction.atomic
def consultation_answer(
    *,
    actor: User,
    consultation: Consultation | int,
    agree: bool,
    reason: str = "",
    document: File[bytes] | None = None,
) -> Consultation:
    """The consulted body answers: it agrees, or it disagrees and says why; it may join its
    reply letter (a PDF), stored as one of the dossier's documents (kind `y_kien_hiep_y`).

    Raises PermissionDenied (not the body asked), Conflict (answered already, dossier closed),
    DossierError (no reason for a disagreement, a document refused by the upload checks)."""
    pk = consultation if isinstance(consultation, int) else consultation.pk
    row = Consultation.objects.select_related("body").get(pk=pk)
    locked = ds.lock(row.dossier_id, actor)  # the dossier first, as the forward does
    row = Consultation.objects.select_for_update(of=("self",)).select_related("body").get(pk=pk)
    if not may_answer(actor, row):
        raise PermissionDenied
    if row.answered_at is not None:
        raise Conflict(errors.ALREADY_ANSWERED, code="already_answered", body=row.body.code)
    if locked.state in lifecycle.TERMINAL:
        raise Conflict(errors.CLOSED, code="invalid_state", state=locked.get_state_display())
    reason = _reason(reason)
    if not agree and not reason:
        raise DossierError(REASON_REQUIRED, code="reason_required")
    stored: Attachment | None = None
    if document is not None:
        name, data = _reply_document(document)
        kind = DocumentKind.objects.filter(code=REPLY_KIND).first()
        if kind is None:
            raise DossierError(UNKNOWN_KIND, code="unknown_kind", value=REPLY_KIND)
        # Its own "attach" event, before the answer's (ledger events do not nest).
        stored = ds.attachment_store(
            actor=actor, dossier=locked, kind=kind, name=name, data=data, content_type=uploads.PDF
        )
    action = "consultation.agreed" if agree else "consultation.disagreed"
    facts: dict[str, object] = {"consultation": row.pk, "body": row.body.code}
    if stored is not None:
        facts |= {"document": stored.pk, "sha256": stored.sha256}
    try:
        with _event(actor, locked, action, reason, facts):
            row.agree, row.reason, row.document = bool(agree), reason, stored
            row.answered_at, row.answered_by = timezone.now(), actor
            history.author(row, actor, action)
            row.save(update_fields=["agree", "reason", "document", "answered_at", "answered_by"])
    except Exception:
        if stored is not None:  # the rows roll back; the stored file must go too
            stored.file.storage.delete(stored.file.name)
        raise
    return row


@transaction.atomic
def consultation_remind(
    *,
    consultation: Consultation | int,
    actor: User | None = None,
    today: datetime.date | None = None,
) -> bool:
    """Record a reminder to the consulted body (the `consultation.reminded` ledger event the
    notifications consume): at most once per request and day, only while it waits for its
    answer and the dossier is open. Answers whether a reminder was recorded now."""
    pk = consultation if isinstance(consultation, int) else consultation.pk
    dossier_id = Consultation.objects.filter(pk=pk).values_list("dossier_id", flat=True).first()
    if dossier_id is None:
        return False
    locked = ds.lock(dossier_id)
    row = Consultation.objects.select_for_update(of=("self",)).select_related("body").get(pk=pk)
    day = today or calendar.today()
    if row.answered_at is not None or row.reminded_on == day or locked.state in lifecycle.TERMINAL:
        return False
    facts = {
        "consultation": row.pk,
        "body": row.body.code,
        "due_date": row.due_date.isoformat(),
        "day": day.isoformat(),
    }
    with _event(actor, locked, "consultation.reminded", "", facts):
        row.reminded_on = day
        history.author(row, actor, "consultation.reminded")
        row.save(update_fields=["reminded_on"])
    return True


# --- reading -------------------------------------------------------------------------------------


def consultation_list(dossier: Dossier) -> QuerySet[Consultation]:
    return (
        Consultation.objects.filter(dossier=dossier)
        .select_related("body", "requested_by", "answered_by", "document")
        .order_by("id")
    )


def latest(dossier: Dossier) -> list[Consultation]:
    """The latest request to each body (an earlier one was answered and asked again)."""
    by_body: dict[int, Consultation] = {}
    for row in consultation_list(dossier):
        by_body[row.body_id] = row
    return list(by_body.values())


def outcome(row: Consultation, today: datetime.date | None = None) -> str:
    """pending, agreed, disagreed, or silent_agreed / silent_refused once past its due date."""
    if row.answered_at is not None:
        return "agreed" if row.agree else "disagreed"
    if row.due_date < (today or calendar.today()):
        return "silent_agreed" if row.silence_is_agreement else "silent_refused"
    return "pending"


def status(dossier: Dossier, today: datetime.date | None = None) -> Status:
    rows = latest(dossier)
    outcomes = [(row, outcome(row, today)) for row in rows]
    named = rules.for_form(dossier.award_form.code).bodies
    asked = {row.body.code for row in rows}
    missing = [code for code in named if code not in asked]
    pending = [r for r, o in outcomes if o == "pending"]
    return Status(
        required=bool(named),
        requested=bool(rows),
        complete=not pending and not missing,
        refused=[r.body.code for r, o in outcomes if o in ("disagreed", "silent_refused")],
        pending=pending,
        missing=missing,
    )


def is_complete(dossier: Dossier, today: datetime.date | None = None) -> bool:
    """Every body the form names asked, every request answered or past its due date (silence
    then counts by the form's rule)."""
    return status(dossier, today).complete


def _named(codes: list[str]) -> str:
    names = dict(Organization.objects.filter(code__in=codes).values_list("code", "name"))
    return ", ".join(f"{names[c]} ({c})" if c in names else c for c in codes)


def forward_guard(dossier: Dossier) -> None:
    """No forward while a body disagreed, while a body the form's data names (Decree 98/2023
    Art. 31: the Government's flag, orders, the PM's certificate…) was never asked, or while a
    request waits for its answer. A consultation made at a lower level counts: it is the
    dossier's, whichever board asked."""
    # Read after the dossier's lock, never with it: a statement waiting for the lock sees the
    # database as it was when it started, so a request committed meanwhile would be missed.
    state = status(dossier)
    if state.refused:
        raise Conflict(errors.REFUSED, code="consultation_refused", bodies=", ".join(state.refused))
    if state.missing:
        raise Conflict(errors.MISSING, code="consultation_missing", bodies=_named(state.missing))
    if state.pending:
        raise Conflict(
            errors.PENDING,
            code="consultation_pending",
            bodies=", ".join(r.body.code for r in state.pending),
            due=max(r.due_date for r in state.pending).strftime("%d/%m/%Y"),
        )


def due_soon(within: int = 2, today: datetime.date | None = None) -> QuerySet[Consultation]:
    """Open requests whose answer is due within `within` working days (overdue ones excluded)."""
    start = today or calendar.today()
    until = calendar.add_working_days(start, within)
    return (
        Consultation.objects.filter(
            answered_at__isnull=True, due_date__gte=start, due_date__lte=until
        )
        .exclude(dossier__state__in=lifecycle.TERMINAL)
        .select_related("body", "dossier")
        .order_by("due_date", "id")
    )
