"""Reads: every list is filtered by what the user may see, in the query."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from audit.models import LedgerEvent
from dossiers import permissions
from dossiers.models import Attachment, Dossier, DossierState, Nominee

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
