"""Consultation's reads for the consulted bodies: the requests made to the user's bodies, which
the API's `GET /api/v1/consultations/` and the home page both list."""

from __future__ import annotations

from django.db.models import F, QuerySet

from consultations.models import Consultation
from dossiers.models import Role
from dossiers.permissions import UserLike, orgs_with_role


def consultation_inbox(user: UserLike) -> QuerySet[Consultation]:
    """The requests made to the bodies the user answers for (Role.CONSULTED): open ones first,
    by due date, then the answered ones. Empty, without a query, for anyone else."""
    bodies = orgs_with_role(user, Role.CONSULTED)
    if not bodies:
        return Consultation.objects.none()
    return (
        Consultation.objects.filter(body__code__in=bodies)
        .select_related("body", "requested_by", "answered_by", "document")
        .order_by(F("answered_at").asc(nulls_first=True), "due_date", "id")
    )
