"""Reads: every list is filtered by what the user may see, in the query."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from audit.models import LedgerEvent
from dossiers import permissions
from dossiers.models import Attachment, Dossier, DossierState, Nominee, Role

S = DossierState


def dossier_list_visible_to(user) -> QuerySet[Dossier]:
    return (
        permissions.visible_dossiers(user)
        .select_related("organization", "award_form__reviewing_body", "bloc")
        .prefetch_related(
            Prefetch("nominees", queryset=Nominee.objects.select_related("organization"))
        )
        .order_by("-id")
    )


def dossier_list_summaries(user, *, nominees_shown: int) -> QuerySet[Dossier]:
    """List items: each dossier's first `nominees_shown` nominees in `listed_nominees` (one
    windowed query per page) and the number of all of them in `nominee_count`, so a dossier
    with hundreds of nominees does not make every list response long."""
    first = Nominee.objects.select_related("organization").order_by("id")[:nominees_shown]
    return (
        dossier_list_visible_to(user)
        .prefetch_related(None)
        .prefetch_related(Prefetch("nominees", queryset=first, to_attr="listed_nominees"))
        .annotate(nominee_count=Count("nominees"))
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


def inbox_q(user) -> Q:
    """Dossiers waiting for this user's work now."""
    from approvals.models import DecisionEntry, DecisionState

    if permissions.is_inspector(user):
        return ~Q(state__in=[S.DECIDED, S.NOT_APPROVED, S.WITHDRAWN, S.REVOKED])
    roles = permissions.user_roles(user)
    unit_orgs = {o for r, o in roles if r in (Role.UNIT_OFFICER, Role.UNIT_HEAD) and o}
    board = permissions.orgs_with_role(user, Role.BOARD_OFFICER, Role.BOARD_HEAD)
    heads = permissions.orgs_with_role(user, Role.BOARD_HEAD)
    deciders = permissions.orgs_with_role(user, Role.DECIDER)
    voters = permissions.orgs_with_role(user, Role.BLOC_VOTER)
    open_batch = DecisionEntry.objects.filter(dossier=OuterRef("pk")).exclude(
        decision__state=DecisionState.SIGNED
    )
    q = Q(pk__in=[])
    if unit_orgs:
        q |= Q(organization__code__in=unit_orgs, state__in=[S.DRAFT, S.RETURNED])
    if board:
        q |= Q(
            award_form__reviewing_body__code__in=board,
            state__in=[S.INTAKE, S.PUBLIC_NOTICE, S.APPRAISAL, S.ON_HOLD],
        )
    if heads:
        q |= Q(award_form__reviewing_body__code__in=heads, state=S.AWAITING_DECISION) & ~Exists(
            open_batch
        )
    if permissions.has_role(user, Role.COUNCIL_SECRETARY):
        q |= Q(state=S.COUNCIL_REVIEW)
    if deciders:
        forms = set(deciders) | ({"CTN"} if "TTG" in deciders else set())
        q |= Q(award_form__decider__in=forms, state=S.AWAITING_DECISION) & Exists(open_batch)
        if "CTN" in deciders:
            q |= Q(award_form__decider="CTN", state=S.AWAITING_PRESIDENT)
    if voters:
        q |= Q(state=S.BLOC_VOTING)  # visibility already limits it to the voter's blocs
    return q


def dossier_inbox(user) -> QuerySet[Dossier]:
    return dossier_list_visible_to(user).filter(inbox_q(user)).order_by("due_date", "id")
