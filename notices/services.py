"""Public comments on the nominees under public notice: the public list, posting a comment
(limits, honeypot, a rate per client address), the board handling it, and the guard that keeps
the notice open while a comment waits.

Entry points for api/ and web/; every write is one transaction with its ledger event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from audit import context, ledger
from audit.history import author
from dossiers import levels
from dossiers.errors import Conflict, DossierError, Forbidden
from dossiers.lifecycle import holder_code
from dossiers.models import Dossier, DossierState, Nominee, NomineeOutcome, Role
from dossiers.permissions import has_role
from notices.models import CONTACT_MAX, NOTE_MAX, TEXT_MAX, Comment

# Comments one client address may send per hour (each accepted submission counts).
RATE_PER_HOUR_DEFAULT = 5
RATE_WINDOW_SECONDS = 3600
SUMMARY_CHARS = 500

COMMENTS_OPEN = _(
    "Public comments not handled yet: %(count)s. Handle every comment before closing the public "
    "notice."
)
TOO_MANY = _(
    "Too many comments from your address: at most %(limit)s per hour. Please try again later."
)
NOT_UNDER_NOTICE = _("No nominee under public notice has this number.")
ALREADY_HANDLED = _("This comment was already handled on %(when)s.")
NOT_THE_BOARD = _("Only the board of the level holding the dossier handles its comments.")
FIELD_TEXT = _("comment")
FIELD_CONTACT = _("contact")
FIELD_NOTE = _("note")
TEXT_REQUIRED = _("The %(field)s cannot be empty.")
TEXT_TOO_LONG = _("The %(field)s is %(length)s characters long; at most %(limit)s are allowed.")
NUL_CHARACTER = _("The %(field)s contains a NUL character, which is not allowed.")

LISTED_OUTCOMES = (NomineeOutcome.PENDING, NomineeOutcome.ON_HOLD)


class Missing(DossierError):
    status = 404
    code = "not_found"


class RateLimited(DossierError):
    status = 429
    code = "rate_limited"


# The public list.


@dataclass(frozen=True)
class NoticeEntry:
    """What the public sees of a nominee under notice: nothing that identifies a person beyond
    the name the notice itself publishes."""

    nominee_id: int
    name: str
    kind: str
    kind_label: str
    organization: str
    award_form: str
    level: str
    notice_from: object
    notice_until: object
    achievements: str


def notice_nominees() -> QuerySet[Nominee]:
    """Nominees of the dossiers in public notice, in one query (their dossier, award form and
    organisation joined; the level's name comes from the organisation tree, read once)."""
    return (
        Nominee.objects.filter(
            dossier__state=DossierState.PUBLIC_NOTICE, outcome__in=LISTED_OUTCOMES
        )
        .select_related("dossier__award_form", "organization")
        .only(
            "id",
            "name",
            "kind",
            "achievements",
            "organization__name",
            "dossier__holder_id",
            "dossier__stage_started_on",
            "dossier__due_date",
            "dossier__award_form__name",
        )
        .order_by("dossier__due_date", "dossier_id", "id")
    )


def summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _level_label(holder: str | None) -> str:
    """The level posting the notice: "Central" for the central board, else the ministry's or
    the province's name."""
    if not holder:
        return ""
    return str(CENTRAL_LEVEL) if holder == levels.CENTRAL else levels.name_of(holder)


CENTRAL_LEVEL = _("Central (Central Emulation-Commendation Board)")


def notice_entry(nominee: Nominee) -> NoticeEntry:
    dossier = nominee.dossier
    holder = levels.code_of(dossier.holder_id)
    return NoticeEntry(
        nominee_id=nominee.pk,
        name=nominee.name,
        kind=nominee.kind,
        kind_label=str(nominee.get_kind_display()),
        organization=nominee.organization.name if nominee.organization else "",
        award_form=dossier.award_form.name,
        level=_level_label(holder),
        notice_from=dossier.stage_started_on,
        notice_until=dossier.due_date,
        achievements=summary(nominee.achievements),
    )


# Posting a comment.


def client_hash(address: str) -> str:
    """A salted hash of the client address: an HMAC keyed with SECRET_KEY, so the same address
    gives the same value (a flood or an abuse can be traced to one sender) but the address cannot
    be recovered from it, nor guessed by hashing candidate addresses without the key. The address
    itself is never stored."""
    return salted_hmac("notices.comment.client", address or "unknown").hexdigest()


def _check_text(value: str, field, limit: int, *, required: bool) -> str:
    if "\x00" in value:
        raise DossierError(NUL_CHARACTER, code="invalid", field=field)
    value = value.strip()
    if required and not value:
        raise DossierError(TEXT_REQUIRED, code="required", field=field)
    if len(value) > limit:
        raise DossierError(
            TEXT_TOO_LONG, code="too_long", field=field, length=len(value), limit=limit
        )
    return value


def rate_limit() -> int:
    return int(getattr(settings, "NOTICE_COMMENTS_PER_HOUR", RATE_PER_HOUR_DEFAULT))


def _count_submission(sender: str) -> None:
    """One more submission from this sender this hour; 429 beyond the limit."""
    key = "notices:rate:" + hashlib.sha256(sender.encode()).hexdigest()[:32]
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW_SECONDS)
        count = 1
    if count > rate_limit():
        raise RateLimited(TOO_MANY, limit=rate_limit())


@dataclass(frozen=True)
class Receipt:
    nominee: int
    received_at: object


def comment_post(
    *, nominee_id: int, text: str, contact: str = "", client_ip: str = "", honeypot: str = ""
) -> Receipt:
    """Store a comment on a nominee whose dossier is under public notice.

    Bad input → 400; more than the hourly limit from one address → 429; a nominee not under
    notice → 404. A filled honeypot (a field people never see) is answered as a success and
    nothing is stored."""
    text = _check_text(text or "", FIELD_TEXT, TEXT_MAX, required=True)
    contact = _check_text(contact or "", FIELD_CONTACT, CONTACT_MAX, required=False)
    sender = client_hash(client_ip)
    _count_submission(sender)
    if honeypot:
        return Receipt(nominee=nominee_id, received_at=timezone.now())
    with transaction.atomic():
        nominee = (
            Nominee.objects.filter(pk=nominee_id, outcome__in=LISTED_OUTCOMES)
            .only("id", "dossier_id")
            .first()
        )
        dossier = (
            Dossier.objects.select_for_update()
            .filter(pk=nominee.dossier_id, state=DossierState.PUBLIC_NOTICE)
            .first()
            if nominee is not None
            else None
        )
        if dossier is None:
            raise Missing(NOT_UNDER_NOTICE)
        comment = Comment(
            nominee=nominee, dossier=dossier, text=text, contact=contact, client_hash=sender
        )
        author(comment, None, "public comment")
        # The ledger takes every request's client address (audit.context); a member of the
        # public's is personal data, so this event keeps the comment's salted hash instead.
        with (
            _client_recorded_as(sender),
            ledger.recording(
                actor=None,
                action="notice.comment",
                obj=comment,
                dossier=dossier,
                data={
                    "nominee": nominee.pk,
                    "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                },
                states=(dossier.state, dossier.state, dossier.version),
            ),
        ):
            comment.save()
    return Receipt(nominee=nominee.pk, received_at=comment.created_at)


@contextmanager
def _client_recorded_as(value: str) -> Iterator[None]:
    token = context.client_ip.set(value)
    try:
        yield
    finally:
        context.client_ip.reset(token)


# The board's queue.


def dossier_comments(dossier: Dossier) -> QuerySet[Comment]:
    return (
        Comment.objects.filter(dossier=dossier)
        .select_related("nominee", "handled_by")
        .order_by("id")
    )


def may_handle(user, dossier: Dossier) -> bool:
    """An officer or the head of the board of the level holding the dossier."""
    holder = holder_code(dossier)
    board = levels.level(holder).board if holder else None
    return board is not None and (
        has_role(user, Role.BOARD_OFFICER, board) or has_role(user, Role.BOARD_HEAD, board)
    )


def comment_handle(*, actor, comment_id: int, note: str) -> Comment:
    """Mark a comment handled, with the board's note. 404: no such comment; 403: not the board
    of the level holding its dossier; 409: already handled; 400: no note."""
    note = _check_text(note or "", FIELD_NOTE, NOTE_MAX, required=True)
    with transaction.atomic():
        found = Comment.objects.filter(pk=comment_id).values_list("dossier_id", flat=True).first()
        if found is None:
            raise Missing(_("No such comment."))
        dossier = Dossier.objects.select_for_update().get(pk=found)
        if not may_handle(actor, dossier):
            raise Forbidden(NOT_THE_BOARD)
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        if comment.handled_at is not None:
            raise Conflict(
                ALREADY_HANDLED,
                code="already_handled",
                when=timezone.localtime(comment.handled_at).strftime("%d/%m/%Y %H:%M"),
            )
        comment.handled_at = timezone.now()
        comment.handled_by = actor
        comment.note = note
        author(comment, actor, "comment handled")
        with ledger.recording(
            actor=actor,
            action="notice.comment_handle",
            obj=comment,
            dossier=dossier,
            reason=note,
            data={"nominee": comment.nominee_id},
            states=(dossier.state, dossier.state, dossier.version),
        ):
            comment.save(update_fields=["handled_at", "handled_by", "note"])
    return comment


# The guard on closing the notice (registered in apps.py).


def comments_handled_guard(dossier: Dossier) -> None:
    count = Comment.objects.filter(dossier=dossier, handled_at__isnull=True).count()
    if count:
        raise Conflict(COMMENTS_OPEN, code="comments_open", count=count)
