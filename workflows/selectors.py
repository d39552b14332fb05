"""Reads: every list is filtered by what the user may see (the policy), in the query."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.names import person_name
from audit.models import LedgerEvent
from dossiers import levels, lifecycle
from dossiers.models import Attachment, AwardForm, Dossier, DossierState, Nominee, Role, RoleGrant
from dossiers.permissions import orgs_with_role
from workflows import policy

S = DossierState


def state_path(dossier: Dossier) -> list[str]:
    """The states the dossier has been in, in order, read from its ledger events (one query):
    the first event's from-state (draft for the event that created it), then each state an
    event moved it to. Events that leave the state as it was add nothing; a dossier the ledger
    does not know (yet) has been in its own state only."""
    if dossier.pk is None:
        return [dossier.state]
    events = (
        LedgerEvent.objects.filter(dossier_id=dossier.pk)
        .exclude(to_state="")
        .order_by("seq")
        .values_list("from_state", "to_state")
    )
    path: list[str] = []
    for from_state, to_state in events:
        if not path:
            path.append(from_state or DossierState.DRAFT.value)
        if to_state != path[-1]:
            path.append(to_state)
    return path or [dossier.state]


def dossier_list_visible_to(user) -> QuerySet[Dossier]:
    return (
        policy.visible(user, Dossier)
        .select_related("organization", "award_form", "bloc", "assignee")
        .prefetch_related(
            Prefetch("nominees", queryset=Nominee.objects.select_related("organization", "person"))
        )
        .order_by("-id")
    )


# What a list's row never reads of its award form (the route, the clocks, the rules, the legal
# text: the dossier's own page and the services do): four JSON columns decoded for every row,
# the costliest part of a row's making. The row's code, name, level and decider remain (the
# policy's next steps read the decider).
ROW_DEFERRED = [
    f"award_form__{name}"
    for name in ("stages", "lower_stages", "stage_days", "eligibility", "legal_basis")
]


# What a list's nominee never shows: its eligibility checks (a JSON document of about 2 KB,
# decoded for every nominee read; the dossier's own page shows them) and what only they read.
NOMINEE_ROW_DEFERRED = ["checks", "checked_at", "stated_birth_date", "stated_sex"]


def dossier_rows(queryset: QuerySet[Dossier]) -> QuerySet[Dossier]:
    """The dossiers of `queryset` as the pages' tables list them (_dossier_rows.html) and the
    policy offers their next step: with their organisation and award form, no nominee. Every
    table joined the less there is to join: past eight tables (with the visibility check and
    the search), PostgreSQL no longer weighs the joins' orders and may read every dossier."""
    return (
        queryset.prefetch_related(None)
        .select_related(None)
        .select_related("organization", "award_form")
        .defer(*ROW_DEFERRED)
    )


def dossier_list_summaries(user, *, nominees_shown: int) -> QuerySet[Dossier]:
    """List items: each dossier's first `nominees_shown` nominees in `listed_nominees` (one
    windowed query per page) and the number of all of them in `nominee_count`, so a dossier
    with hundreds of nominees does not make every list response long. The rows' organisations
    and award forms, a few dozen for a whole page, are read once each by a prefetch rather than
    joined into every row (a page of 200 made 400 model objects fewer: 25 → 20 ms on 100,000
    dossiers); the bloc and the assignee, which a row may lack, stay joined, so that every page
    costs the same queries."""
    first = (
        Nominee.objects.select_related("organization")
        .defer(*NOMINEE_ROW_DEFERRED)
        .order_by("id")[:nominees_shown]
    )
    # A subquery, not Count("nominees"): a join and GROUP BY would count the nominees of every
    # dossier of the list before its page is cut (and again in the page's `count`).
    counted = (
        Nominee.objects.filter(dossier=OuterRef("pk"))
        .order_by()
        .values("dossier")
        .annotate(n=Count("id"))
        .values("n")
    )
    forms = AwardForm.objects.defer(*(name.removeprefix("award_form__") for name in ROW_DEFERRED))
    return (
        dossier_list_visible_to(user)
        .select_related(None)
        .select_related("bloc", "assignee")
        .prefetch_related(None)
        .prefetch_related(
            "organization",
            Prefetch("award_form", queryset=forms),
            Prefetch("nominees", queryset=first, to_attr="listed_nominees"),
        )
        .annotate(nominee_count=Coalesce(Subquery(counted), 0))
    )


def dossier_get_for_user(user, pk: int, *, detail: bool = False) -> Dossier:
    """The dossier, or 404 when it does not exist or the user may not see it."""
    queryset = dossier_list_visible_to(user)
    if detail:
        queryset = queryset.prefetch_related(
            Prefetch(
                "attachments", queryset=Attachment.objects.select_related("kind", "uploaded_by")
            )
        )
    dossier = queryset.filter(pk=pk).first()
    if dossier is None:
        raise Http404
    return dossier


def dossier_events(dossier: Dossier) -> QuerySet[LedgerEvent]:
    return LedgerEvent.objects.filter(dossier_id=dossier.pk).order_by("seq")


def dossier_inbox(user) -> QuerySet[Dossier]:
    """The dossiers waiting for this user's work now, by due date."""
    return dossier_list_visible_to(user).filter(policy.waiting_q(user)).order_by("due_date", "id")


def board_officers(dossier: Dossier) -> list[tuple[str, str]]:
    """The officers (and the head) of the board of the level holding the dossier, as (username,
    full name) by name."""
    holder = lifecycle.holder_code(dossier)
    board = levels.level(holder).board if holder else None
    if board is None:
        return []
    grants = RoleGrant.objects.filter(
        role__in=[Role.BOARD_OFFICER, Role.BOARD_HEAD], organization__code=board
    )
    return officer_names(grants)


def officer_names(grants: QuerySet[RoleGrant]) -> list[tuple[str, str]]:
    """The users of the role grants, once each, as (username, full name) by name."""
    rows = grants.values_list("user__username", "user__first_name", "user__last_name").distinct()
    people = {username: person_name(first, last) or username for username, first, last in rows}
    return sorted(people.items(), key=lambda pair: (pair[1], pair[0]))


def boards_levels(user, *, heads_only: bool = False) -> list[int | None]:
    """The ids of the levels whose board the user serves on (as its head, with `heads_only`)."""
    roles = (Role.BOARD_HEAD,) if heads_only else (Role.BOARD_OFFICER, Role.BOARD_HEAD)
    authorities = levels.authorities_where("board", orgs_with_role(user, *roles))
    return [levels.id_of(a) for a in authorities]


def overdue_by_officer(user) -> list[dict]:
    """For a board's head: the overdue dossiers its level holds, counted by assignee (None for
    the unassigned), most first."""
    held = boards_levels(user, heads_only=True)
    if not held:
        return []
    rows = (
        policy.visible(user, Dossier)
        .filter(holder_id__in=held, due_date__lt=timezone.localdate())
        .exclude(state__in=lifecycle.TERMINAL)
        .values("assignee__username", "assignee__first_name", "assignee__last_name")
        .annotate(count=Count("id"))
        .order_by("-count", "assignee__username")
    )
    return [
        {
            "officer": r["assignee__username"],
            "name": person_name(r["assignee__first_name"] or "", r["assignee__last_name"] or "")
            or r["assignee__username"],
            "count": r["count"],
        }
        for r in rows
    ]
