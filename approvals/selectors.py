"""Reads for decisions, filtered in the query by who may see them."""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from approvals.models import Decision
from dossiers import permissions
from dossiers.models import Dossier, Role

# The board that prepares each decider's submissions.
DECIDER_BOARD = {"TTG": "BTDKT-TW", "CTN": "BTDKT-TW", "T-UBND": "T-BTDKT"}


def decision_list_visible_to(user) -> QuerySet[Decision]:
    queryset = Decision.objects.select_related("signed_by").prefetch_related(
        Prefetch(
            "dossiers",
            queryset=Dossier.objects.select_related("organization").prefetch_related("nominees"),
        )
    )
    if permissions.is_inspector(user):
        return queryset
    deciders = permissions.orgs_with_role(user, Role.DECIDER)
    if "TTG" in deciders:
        deciders.add("CTN")
    boards = permissions.orgs_with_role(user, Role.BOARD_OFFICER, Role.BOARD_HEAD)
    decided_by_board = [d for d, b in DECIDER_BOARD.items() if b in boards]
    return queryset.filter(Q(decider__in=deciders) | Q(decider__in=decided_by_board))


def decision_get_for_user(user, pk: int) -> Decision:
    decision = decision_list_visible_to(user).filter(pk=pk).first()
    if decision is None:
        raise Http404
    return decision


def decisions_waiting_for(user) -> QuerySet[Decision]:
    """Unsigned submissions waiting for this decider (the PM proposes President forms)."""
    deciders = permissions.orgs_with_role(user, Role.DECIDER)
    q = Q(pk__in=[])
    if deciders:
        q |= Q(decider__in=deciders - {"CTN"}, state="draft")
        if "TTG" in deciders:
            q |= Q(decider="CTN", state="draft")
        if "CTN" in deciders:
            q |= Q(decider="CTN", state="proposed")
    return decision_list_visible_to(user).filter(q)
