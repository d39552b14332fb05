"""The home page: what waits for the signed-in user, whoever they are.

Everything listed comes from the engine's one policy: the dossiers of `dossier_inbox` (the
policy's `waiting_q`), the decisions of `decisions_waiting_for`, the ballots of
`ballots_waiting_for`; each row's next step is the label of an action `policy.actions` (or
`assignment_actions`) allows the user on it now, so nothing is offered the user may not do. An
inspector acts on nothing: the page offers a read-only overview instead. A unit also finds the
signed decisions on its own dossiers. The page costs the same number of queries whatever the
number of dossiers, ballots or decisions.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, prefetch_related_objects
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from approvals.models import BallotVoter
from approvals.policy import may_prepare, may_prepare_any
from approvals.selectors import (
    ballots_waiting_for,
    decisions_on_own_dossiers,
    decisions_waiting_for,
)
from dossiers import calendar, lifecycle, permissions
from dossiers.models import Dossier, DossierState, Role
from web.consultations import home_requests
from workflows import policy, selectors

PAGE_SIZE = 25
SHOWN = 25  # rows of each smaller list (assigned to me, the board's queue)
DECISIONS_SHOWN = 10

S = DossierState
DECISION_LABELS: dict[str, Promise] = {
    "sign": _("Sign the decision"),
    "propose": _("Propose to the President"),
}
BALLOT_LABELS: dict[str, Promise] = {
    "vote": _("Vote"),
    "attendance": _("Call the meeting's roll"),
    "close": _("Close and count"),
}
EDIT_LABEL = _("Complete the dossier")
PREPARE_LABEL = _("Put it in a submission")
VOTE_LABEL = _("Waiting for its vote")
DECIDE_LABEL = _("Waiting for its decision")
OPEN_LABEL = _("Open the dossier")


@dataclass(frozen=True)
class Step:
    label: Promise | str
    url: str


# The moves that carry a dossier forward, the next step a row offers first; returns, holds,
# rejections and withdrawals stay on the dossier's own page.
FORWARD = ("submit", "accept", "close_notice", "forward", "sign_submission", "release")


def next_steps(user, dossier: Dossier) -> list[Step]:
    """What the user does next with a dossier that waits for them: the forward move the policy
    allows now, else the work it waits for (completing it, its vote, its batch, its decision);
    and taking it from the board's queue when the user may. Only actions the policy allows."""
    page = reverse("workflows:dossier", args=[dossier.pk])
    allowed = policy.actions(user, dossier)
    steps = [Step(lifecycle.ACTION_LABELS[a], page) for a in allowed if a in FORWARD][:1]
    if not steps:
        steps = _waiting_on(user, dossier, page)
    if "claim" in policy.assignment_actions(user, dossier):
        steps.append(Step(policy.ASSIGNMENT_LABELS["claim"], page))
    if not steps and allowed:
        steps = [Step(lifecycle.ACTION_LABELS[allowed[0]], page)]
    return steps or [Step(OPEN_LABEL, page)]


def _waiting_on(user, dossier: Dossier, page: str) -> list[Step]:
    if policy.can_edit(user, dossier):
        return [Step(EDIT_LABEL, page)]
    if dossier.state == S.AWAITING_DECISION and may_prepare(user, dossier):
        return [Step(PREPARE_LABEL, reverse("workflows:decision_new"))]
    if dossier.state in (S.BLOC_VOTING, S.COUNCIL_REVIEW):
        return [Step(VOTE_LABEL, page)]
    if dossier.state in (S.AWAITING_DECISION, S.AWAITING_PRESIDENT):
        return [Step(DECIDE_LABEL, page)]
    return []


def _with_steps(user, dossiers) -> list[Dossier]:
    rows = list(dossiers)
    for dossier in rows:
        dossier.next_steps = next_steps(user, dossier)
    return rows


def _late() -> Q:
    return Q(due_date__lt=calendar.today()) & ~Q(state__in=lifecycle.TERMINAL)


def _counted(queryset, user, what: str) -> dict:
    """The dossiers of `queryset` and the overdue ones. Counting reads every dossier counted
    (on the 100,000-dossier load database: a board's 18,519 waiting, 15 ms; the inspector's
    83,336 open, 23 ms), so a count of at least `HOME_LARGE_COUNT` is kept in the shared cache
    for `HOME_COUNT_SECONDS` and shown with the time it was counted (`counted_at`); a smaller
    count is made afresh for every page."""
    key = f"home-count:{what}:{user.pk}:{calendar.today()}"
    kept = cache.get(key)
    if kept is not None:
        return kept
    counts = queryset.aggregate(total=Count("id"), overdue=Count("id", filter=_late()))
    if counts["total"] >= settings.HOME_LARGE_COUNT:
        counts["counted_at"] = timezone.now()
        cache.set(key, counts, settings.HOME_COUNT_SECONDS)
    return counts


def _ballots(user) -> list:
    """The open ballots waiting for the user, each with its turnout and what the user does
    next (two queries for the rolls and the casts, whatever the number of ballots)."""
    sessions = ballots_waiting_for(user)
    prefetch_related_objects(
        sessions,
        Prefetch("roll", queryset=BallotVoter.objects.select_related("organization")),
        "casts",
    )
    for session in sessions:
        session.roll_size = len(session.roll.all())
        session.voted = len(session.casts.all())
        session.next_steps = [
            Step(BALLOT_LABELS[a], reverse("workflows:ballot_close", args=[session.pk]))
            if a == "close"
            else Step(BALLOT_LABELS[a], reverse("workflows:ballot", args=[session.pk]))
            for a in policy.actions(user, session)
        ]
    return sessions


def _decisions(user) -> list:
    decisions = list(decisions_waiting_for(user).order_by("id")[:50])
    for decision in decisions:
        url = reverse("workflows:decision", args=[decision.pk])
        decision.next_steps = [
            Step(DECISION_LABELS[a], url) for a in policy.actions(user, decision)
        ]
    return decisions


def _unit_decisions(user, units: set[str]) -> list:
    """Signed decisions on the user's units' dossiers, each with those dossiers (read from
    the decision's prefetched dossiers)."""
    decisions = list(decisions_on_own_dossiers(user)[:DECISIONS_SHOWN])
    for decision in decisions:
        decision.own_dossiers = [d for d in decision.dossiers.all() if d.organization.code in units]
    return decisions


@login_required
def inbox(request):
    user = request.user
    roles = permissions.user_roles(user)
    # A consulted body moves no dossier: its requests are listed on their own (`consulted`).
    acting = {role for role, _org in roles if role not in (Role.INSPECTOR, Role.CONSULTED)}
    units = permissions.orgs_with_role(user, Role.UNIT_OFFICER, Role.UNIT_HEAD)
    waiting = dossier_inbox_rows(user)
    counts = _counted(waiting, user, "waiting")
    paginator = Paginator(waiting, PAGE_SIZE)
    paginator.count = counts["total"]  # counted above with the overdue ones: one query
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = _with_steps(user, page.object_list)
    boards = selectors.boards_levels(user)
    mine = unassigned = []
    if boards:
        mine = _with_steps(user, waiting.filter(assignee_id=user.pk)[:SHOWN])
        unassigned = _with_steps(
            user, waiting.filter(assignee__isnull=True, holder_id__in=boards)[:SHOWN]
        )
    overview = None
    if permissions.is_inspector(user):
        overview = _counted(
            selectors.dossier_list_visible_to(user)
            .prefetch_related(None)
            .exclude(state__in=lifecycle.TERMINAL),
            user,
            "overview",
        )
    decisions = _decisions(user)
    ballots = _ballots(user)
    context = {
        "page": page,
        "counts": counts,
        "show_waiting": bool(acting) or counts["total"] > 0,
        "is_board": bool(boards),
        "mine": mine,
        "unassigned": unassigned,
        "overdue_by_officer": selectors.overdue_by_officer(user),
        "decisions": decisions,
        "ballots": ballots,
        "can_open_ballot": bool(
            permissions.led_blocs(user) or permissions.orgs_with_role(user, Role.COUNCIL_SECRETARY)
        ),
        "can_prepare_batch": may_prepare_any(user),
        "can_create": bool(units),
        "unit_decisions": _unit_decisions(user, units) if units else [],
        "overview": overview,
        "consulted": home_requests(user),
    }
    return render(request, "workflows/inbox.html", context)


def dossier_inbox_rows(user):
    """The policy's inbox as a table's rows (no nominee: the rows do not name them)."""
    return selectors.dossier_rows(selectors.dossier_inbox(user))
