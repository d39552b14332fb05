"""The ledger's events, through an outbox: who should know of each, and what to tell them.

Every domain action appends one ledger event in its own transaction (audit/ledger.py). The
ledger writes the outbox row of an event someone must be told of (`OutboxMessage`) in that
event's own INSERT (`outbox`, a `hooks.Companion` registered in apps.py): work rolled back, or
a savepoint rolled back inside it, leaves no row and so no notification. Once the transaction
commits, a task is sent to deliver it (tasks.py; in place without a broker); the beat's scan
delivers whatever the broker lost. The delivery reads the committed event and writes the
notifications (services.notification_send), in the site's language, keyed so that delivering
twice writes them once.

The audit layer knows nothing of this app; this app reads the event's plain facts (action,
object, dossier, data) and the domain's roles (dossiers, workflows, approvals) to find the
people. Event → recipients:

    return                  the proposing unit's officers and head
    ballot.opened           the voters on the roll (the bloc's member units' voters, or the
                            council's members)
    ballot.closed           the proposing units of the dossiers on the ballot (one per dossier)
    consultation.requested  the consulted bodies' users
    assign                  the officer it was assigned to
    decision.prepared       the decider's users (a President's batch: the PM's, who proposes it)
    decision.proposed       the President's users
    decision.back_to_pm     the PM's users (the batch must be proposed again)
    decision.signed         the proposing units of the batch's dossiers (one per dossier)

The actor is never told of their own act. Reminders of the clock (overdue work, ballots closing
soon) are in reminders.py."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accounts.names import full_name
from approvals.models import BallotBody, BallotItem, BallotSession, Decision, DecisionEntry
from audit import hooks
from audit.models import LedgerEvent
from dossiers import levels, lifecycle
from dossiers.models import Decider, Dossier, NomineeOutcome, Role
from notifications import selectors, services
from notifications.models import Notification, OutboxMessage
from notifications.models import NotificationKind as K

logger = logging.getLogger(__name__)


@dataclass
class Draft:
    """One notification to write, for `recipients`; `subject` tells apart several drafts of
    one event (a ballot's or a batch's dossiers)."""

    kind: str
    recipients: list[User]
    title: str
    message: str
    link: str = ""
    dossier_id: int | None = None
    subject: str = ""


Handler = Callable[[LedgerEvent, dict[str, Any]], Iterator[Draft]]
HANDLERS: dict[str, Handler] = {}


def handles(*actions: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for action in actions:
            HANDLERS[action] = handler
        return handler

    return register


# --- after commit -------------------------------------------------------------------------------


def outbox_rows(events: list[LedgerEvent]) -> list[OutboxMessage]:
    """The outbox rows of the events being inserted that someone must be told of."""
    return [OutboxMessage(event_id=event.seq) for event in events if event.action in HANDLERS]


def outbox_written(rows: list[OutboxMessage]) -> None:
    """Once the events' transaction has committed, a task to deliver each."""
    for row in rows:
        transaction.on_commit(partial(enqueue, row.event_id), robust=True)


outbox = hooks.Companion(rows=outbox_rows, event_field="event_id", written=outbox_written)


def enqueue(seq: int) -> None:
    """Send the task that delivers `seq` (tasks.py). A broker that cannot be reached is only
    logged: the outbox row stays, and the beat's scan delivers it once the broker is back."""
    from notifications.tasks import deliver_event

    try:
        deliver_event.delay(seq)
    except Exception as exc:  # the broker's trouble is not the user's action's
        logger.warning("notification of event %s left in the outbox: %s", seq, exc)


def deliver(seq: int) -> list[Notification]:
    """Write the notifications of the committed event `seq` (and queue their e-mails)."""
    event = LedgerEvent.objects.select_related("actor").filter(seq=seq).first()
    handler = HANDLERS.get(event.action) if event is not None else None
    if event is None or handler is None:
        return []
    data = json.loads(event.body).get("data") or {}
    made: list[Notification] = []
    with translation.override(settings.LANGUAGE_CODE):
        for draft in handler(event, data):
            recipients = [u for u in draft.recipients if u.pk != event.actor_id]
            made += services.notification_send(
                recipients=recipients,
                kind=draft.kind,
                title=draft.title,
                message=draft.message,
                link=draft.link,
                key=f"event:{event.seq}" + (f":{draft.subject}" if draft.subject else ""),
                dossier_id=draft.dossier_id,
                event_seq=event.seq,
            )
    return made


# --- words --------------------------------------------------------------------------------------


def actor_label(user: User | None) -> str:
    if user is None:
        return _("The system")
    return full_name(user)


def day(value: Any) -> str:
    if isinstance(value, str):
        value = parse_date(value)
    return formats.date_format(value, "d/m/Y") if value else ""


def moment(value: Any) -> str:
    return formats.date_format(timezone.localtime(value), "H:i d/m/Y") if value else ""


def dossier_link(pk: int) -> str:
    return reverse("workflows:dossier", args=[pk])


def ballot_link(pk: int) -> str:
    return reverse("workflows:ballot", args=[pk])


def ballot_body(session: BallotSession) -> str:
    if session.body == BallotBody.BLOC and session.bloc is not None:
        return session.bloc.name
    return session.council.name if session.council is not None else ""


def _object_pk(event: LedgerEvent) -> int:
    return int(event.object_id) if event.object_id.isdigit() else 0


def _dossier(event: LedgerEvent) -> Dossier | None:
    if event.dossier_id is None:
        return None
    return Dossier.objects.select_related("organization").filter(pk=event.dossier_id).first()


def unit_users(*org_codes: str) -> list[User]:
    """The proposing unit's officers and its head (the head resubmits and signs)."""
    return selectors.users_with_role(selectors.UNIT_ROLES, org_codes)


def ballot_voters(session: BallotSession, *, not_voted: bool = False) -> list[User]:
    """The people who vote for the roll: a bloc's member units' voters, a council's members."""
    roll = session.roll.all()
    if not_voted:
        roll = roll.filter(cast__isnull=True)
    if session.body == BallotBody.BLOC:
        codes = roll.exclude(organization=None).values_list("organization__code", flat=True)
        return selectors.users_with_role([Role.BLOC_VOTER], codes)
    ids = roll.exclude(user=None).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def decider_users(code: str) -> list[User]:
    return selectors.users_with_role([Role.DECIDER], [code])


# --- the events ---------------------------------------------------------------------------------


@handles("return")
def dossier_returned(event: LedgerEvent, data: dict[str, Any]) -> Iterator[Draft]:
    dossier = _dossier(event)
    if dossier is None:
        return
    yield Draft(
        kind=K.RETURNED,
        recipients=unit_users(dossier.organization.code),
        title=_("Dossier %(ref)s was returned for supplement") % {"ref": dossier.reference},
        message=_("%(actor)s returned dossier %(ref)s “%(title)s” to your unit. Reason: %(reason)s")
        % {
            "actor": actor_label(event.actor),
            "ref": dossier.reference,
            "title": dossier.title,
            "reason": event.reason,
        },
        link=dossier_link(dossier.pk),
        dossier_id=dossier.pk,
    )


def _session(event: LedgerEvent) -> BallotSession | None:
    return (
        BallotSession.objects.select_related("bloc", "council").filter(pk=_object_pk(event)).first()
    )


@handles("ballot.opened")
def ballot_opened(event: LedgerEvent, data: dict[str, Any]) -> Iterator[Draft]:
    session = _session(event)
    if session is None:
        return
    facts = {
        "actor": actor_label(event.actor),
        "body": ballot_body(session),
        "year": session.year,
        "count": len(data.get("nominees", [])),
        "deadline": moment(session.deadline),
    }
    if session.deadline:
        message = _(
            "%(actor)s opened a secret ballot of %(body)s (%(year)s) on %(count)s nominees. "
            "Vote before %(deadline)s."
        )
    else:
        message = _(
            "%(actor)s opened a secret ballot of %(body)s (%(year)s) on %(count)s nominees."
        )
    yield Draft(
        kind=K.BALLOT_OPENED,
        recipients=ballot_voters(session),
        title=_("Ballot open: %(body)s, %(year)s") % facts,
        message=message % facts,
        link=ballot_link(session.pk),
    )


@handles("ballot.closed")
def ballot_closed(event: LedgerEvent, data: dict[str, Any]) -> Iterator[Draft]:
    session = _session(event)
    if session is None:
        return
    rows = list(
        BallotItem.objects.filter(session=session)
        .values("dossier_id", "dossier__reference", "dossier__title", "dossier__organization__code")
        .annotate(total=Count("id"), passed=Count("id", filter=Q(passed=True)))
        .order_by("dossier_id")
    )
    body = ballot_body(session)
    units = selectors.grants_by_org(
        selectors.UNIT_ROLES, [row["dossier__organization__code"] for row in rows]
    )
    for row in rows:
        facts = {
            "body": body,
            "year": session.year,
            "ref": row["dossier__reference"],
            "title": row["dossier__title"],
            "passed": row["passed"],
            "total": row["total"],
        }
        yield Draft(
            kind=K.BALLOT_CLOSED,
            recipients=units.get(row["dossier__organization__code"], []),
            title=_("Ballot closed: %(body)s, %(year)s") % facts,
            message=_(
                "The secret ballot of %(body)s (%(year)s) has closed. Dossier %(ref)s "
                "“%(title)s”: %(passed)s of %(total)s nominees passed."
            )
            % facts,
            link=dossier_link(row["dossier_id"]),
            dossier_id=row["dossier_id"],
            subject=f"dossier:{row['dossier_id']}",
        )


@handles("consultation.requested")
def consultation_requested(event: LedgerEvent, data: dict[str, Any]) -> Iterator[Draft]:
    dossier = _dossier(event)
    if dossier is None:
        return
    yield Draft(
        kind=K.CONSULTATION_REQUESTED,
        recipients=selectors.users_with_role([Role.CONSULTED], data.get("bodies", [])),
        title=_("Your opinion is asked on dossier %(ref)s") % {"ref": dossier.reference},
        message=_(
            "%(actor)s asks your organisation's opinion (hiệp y) on dossier %(ref)s "
            "“%(title)s”, by %(due)s."
        )
        % {
            "actor": actor_label(event.actor),
            "ref": dossier.reference,
            "title": dossier.title,
            "due": day(data.get("due_date")),
        },
        link=dossier_link(dossier.pk),
        dossier_id=dossier.pk,
    )


@handles("consultation.reminded")
def consultation_reminded(event: LedgerEvent, data: dict[str, Any]) -> Iterator[Draft]:
    dossier = _dossier(event)
    if dossier is None:
        return
    yield Draft(
        kind=K.CONSULTATION_REMINDER,
        recipients=selectors.users_with_role([Role.CONSULTED], [data.get("body", "")]),
        title=_("Your opinion on dossier %(ref)s is due on %(due)s")
        % {"ref": dossier.reference, "due": day(data.get("due_date"))},
        message=_(
            "The board still waits for your organisation's opinion (hiệp y) on dossier %(ref)s "
            "“%(title)s”: it is due on %(due)s."
        )
        % {"ref": dossier.reference, "title": dossier.title, "due": day(data.get("due_date"))},
        link=dossier_link(dossier.pk),
        dossier_id=dossier.pk,
    )


@handles("notice.comment")
def comment_received(event: LedgerEvent, data: dict[str, Any]) -> Iterator[Draft]:
    """A public comment reaches the board of the level holding the dossier: it must be handled
    before the notice closes."""
    dossier = _dossier(event)
    holder = lifecycle.holder_code(dossier) if dossier is not None else None
    board = levels.level(holder).board if holder else None
    if dossier is None or not board:
        return
    yield Draft(
        kind=K.COMMENT_RECEIVED,
        recipients=selectors.users_with_role([Role.BOARD_OFFICER, Role.BOARD_HEAD], [board]),
        title=_("A public comment on dossier %(ref)s") % {"ref": dossier.reference},
        message=_(
            "Someone commented on a nominee of dossier %(ref)s “%(title)s” under public notice. "
            "Mark it handled with a note before the notice closes."
        )
        % {"ref": dossier.reference, "title": dossier.title},
        link=dossier_link(dossier.pk) + "#board-work",
        dossier_id=dossier.pk,
    )


@handles("assign")
def dossier_assigned(event: LedgerEvent, data: dict[str, Any]) -> Iterator[Draft]:
    dossier = _dossier(event)
    officer = User.objects.filter(username=data.get("to") or "", is_active=True).first()
    if dossier is None or officer is None:
        return
    facts = {
        "actor": actor_label(event.actor),
        "ref": dossier.reference,
        "title": dossier.title,
        "due": day(dossier.due_date),
    }
    if dossier.due_date:
        message = _("%(actor)s assigned dossier %(ref)s “%(title)s” to you. Due by %(due)s.")
    else:
        message = _("%(actor)s assigned dossier %(ref)s “%(title)s” to you.")
    yield Draft(
        kind=K.ASSIGNED,
        recipients=[officer],
        title=_("Dossier %(ref)s was assigned to you") % facts,
        message=message % facts,
        link=dossier_link(dossier.pk),
        dossier_id=dossier.pk,
    )


def _decision(event: LedgerEvent) -> tuple[Decision, int] | None:
    decision = Decision.objects.filter(pk=_object_pk(event)).first()
    if decision is None:
        return None
    return decision, DecisionEntry.objects.filter(decision=decision).count()


@handles("decision.prepared", "decision.proposed", "decision.back_to_pm")
def batch_awaiting_signature(event: LedgerEvent, data: dict[str, Any]) -> Iterator[Draft]:
    found = _decision(event)
    if found is None:
        return
    decision, count = found
    facts = {
        "actor": actor_label(event.actor),
        "id": decision.pk,
        "count": count,
        "decider": decision.get_decider_display(),
        "number": decision.proposal_number or event.reason or f"#{decision.pk}",
    }
    to_president = decision.decider == Decider.PRESIDENT
    if event.action == "decision.prepared" and to_president:
        signers = decider_users(Decider.PM)  # the PM proposes it to the President first
        title = _("Decision batch #%(id)s awaits your proposal to the President") % facts
        message = _(
            "%(actor)s prepared a submission of %(count)s dossiers for the State President; "
            "it awaits the Prime Minister's proposal."
        )
    elif event.action == "decision.prepared":
        signers = decider_users(decision.decider)
        title = _("Decision batch #%(id)s awaits your signature") % facts
        message = _("%(actor)s prepared a decision batch of %(count)s dossiers for %(decider)s.")
    elif event.action == "decision.proposed":
        signers = decider_users(Decider.PRESIDENT)
        title = _("Decision batch #%(id)s awaits your signature") % facts
        message = _(
            "%(actor)s proposed a batch of %(count)s dossiers to the State President "
            "(proposal %(number)s)."
        )
    else:
        signers = decider_users(Decider.PM)
        title = _("Decision batch #%(id)s must be proposed again") % facts
        message = _(
            "A dossier left batch #%(id)s after it was proposed: the batch (%(count)s dossiers) "
            "is back with the Prime Minister to be proposed again."
        )
    yield Draft(
        kind=K.AWAITING_SIGNATURE,
        recipients=signers,
        title=title,
        message=message % facts,
        link=reverse("workflows:decision", args=[decision.pk]),
    )


@handles("decision.signed")
def decision_signed(event: LedgerEvent, data: dict[str, Any]) -> Iterator[Draft]:
    decision = Decision.objects.filter(pk=_object_pk(event)).first()
    if decision is None:
        return
    dossiers = list(
        Dossier.objects.filter(decision_entries__decision=decision)
        .select_related("organization")
        .annotate(
            awarded=Count("nominees", filter=Q(nominees__outcome=NomineeOutcome.AWARDED)),
            declined=Count("nominees", filter=Q(nominees__outcome=NomineeOutcome.DECLINED)),
        )
        .order_by("pk")
    )
    units = selectors.grants_by_org(selectors.UNIT_ROLES, [d.organization.code for d in dossiers])
    for dossier in dossiers:
        facts = {
            "decider": decision.get_decider_display(),
            "number": decision.number,
            "date": day(decision.signed_on),
            "ref": dossier.reference,
            "title": dossier.title,
            "awarded": dossier.awarded,
            "declined": dossier.declined,
        }
        yield Draft(
            kind=K.DECISION_SIGNED,
            recipients=units.get(dossier.organization.code, []),
            title=_("Decision %(number)s signed: dossier %(ref)s") % facts,
            message=_(
                "%(decider)s signed decision %(number)s on %(date)s. Dossier %(ref)s "
                "“%(title)s”: %(awarded)s nominees awarded, %(declined)s declined."
            )
            % facts,
            link=dossier_link(dossier.pk),
            dossier_id=dossier.pk,
            subject=f"dossier:{dossier.pk}",
        )
