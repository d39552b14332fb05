"""The clock's reminders (`manage.py notify_overdue`, daily): overdue work, ballots closing soon.

Both may run any number of times: a dossier's overdue notice is keyed by the dossier and the day
(one a day while it stays overdue), a ballot's closing reminder by the ballot (once)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from approvals.models import BallotSession, BallotState
from dossiers import calendar, levels, lifecycle
from dossiers.models import Dossier, DossierState, Role
from notifications import selectors, services
from notifications.consumer import (
    ballot_body,
    ballot_link,
    ballot_voters,
    day,
    dossier_link,
    moment,
)
from notifications.models import Notification
from notifications.models import NotificationKind as K

S = DossierState
CLOSING_WITHIN = datetime.timedelta(hours=24)
# With the unit: its officers and head answer a return; elsewhere the holding level's board.
WITH_THE_UNIT = (S.DRAFT, S.RETURNED)


def overdue_recipients(
    dossier: Dossier, units: dict[str, list[User]], heads: dict[str, list[User]]
) -> list[User]:
    """Whose overdue work it is: the assigned officer; with the unit, the unit's people; else
    the head of the board of the level holding the dossier."""
    if dossier.assignee_id is not None and dossier.assignee is not None:
        return [dossier.assignee]
    if dossier.state in WITH_THE_UNIT:
        return units.get(dossier.organization.code, [])
    holder = lifecycle.holder_code(dossier)
    board = levels.level(holder).board if holder else None
    return heads.get(board, []) if board else []


def overdue_notify(*, today: datetime.date | None = None) -> list[Notification]:
    """Tell whoever holds each overdue dossier (due before `today`, not ended, not on hold),
    once per dossier and day."""
    today = today or calendar.today()
    dossiers = (
        Dossier.objects.filter(due_date__lt=today)
        .exclude(state__in=[*lifecycle.TERMINAL, S.ON_HOLD])
        .select_related("organization", "assignee")
        .order_by("due_date", "pk")
    )
    units = selectors.grants_by_org(selectors.UNIT_ROLES)
    heads = selectors.grants_by_org([Role.BOARD_HEAD])
    made: list[Notification] = []
    with translation.override(settings.LANGUAGE_CODE):
        for dossier in dossiers:
            assert dossier.due_date is not None  # filtered above
            facts = {
                "ref": dossier.reference,
                "title": dossier.title,
                "due": day(dossier.due_date),
                "days": (today - dossier.due_date).days,
                "state": dossier.get_state_display(),
            }
            made += services.notification_send(
                recipients=overdue_recipients(dossier, units, heads),
                kind=K.OVERDUE,
                title=_("Dossier %(ref)s is overdue") % facts,
                message=_(
                    "Dossier %(ref)s “%(title)s” was due on %(due)s (%(days)s days ago) and is "
                    "still at the stage “%(state)s”."
                )
                % facts,
                link=dossier_link(dossier.pk),
                key=f"overdue:{dossier.pk}:{today.isoformat()}",
                dossier_id=dossier.pk,
            )
    return made


def ballot_closing_notify(*, now: datetime.datetime | None = None) -> list[Notification]:
    """Remind the voters who have not voted yet of each open ballot whose deadline falls
    within the next 24 hours, once per ballot."""
    now = now or timezone.now()
    sessions = BallotSession.objects.filter(
        state=BallotState.OPEN, deadline__gt=now, deadline__lte=now + CLOSING_WITHIN
    ).select_related("bloc", "council")
    made: list[Notification] = []
    with translation.override(settings.LANGUAGE_CODE):
        for session in sessions.order_by("deadline", "pk"):
            facts = {
                "body": ballot_body(session),
                "year": session.year,
                "deadline": moment(session.deadline),
            }
            made += services.notification_send(
                recipients=ballot_voters(session, not_voted=True),
                kind=K.BALLOT_CLOSING,
                title=_("Ballot closing soon: %(body)s, %(year)s") % facts,
                message=_(
                    "The secret ballot of %(body)s (%(year)s) closes at %(deadline)s and your "
                    "vote has not been cast yet."
                )
                % facts,
                link=ballot_link(session.pk),
                key=f"ballot_closing:{session.pk}",
            )
    return made
