"""Searching the ledger (inspectors only)."""

import datetime

from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime

from audit.models import LedgerEvent


class BadFilter(ValueError):
    pass


def _moment(value: str, *, end: bool) -> datetime.datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise BadFilter(f"Not a date or time: {value}")
        moment = datetime.datetime.combine(day, datetime.time.max if end else datetime.time.min)
    if moment.tzinfo is None:
        from django.utils import timezone

        moment = timezone.make_aware(moment)
    return moment


def ledger_search(params) -> QuerySet[LedgerEvent]:
    """Filter by dossier (id or reference), actor, organisation, action, object, date range."""
    queryset = LedgerEvent.objects.order_by("seq")
    if value := params.get("dossier"):
        if str(value).isdigit():
            queryset = queryset.filter(dossier_id=int(value))
        else:
            from dossiers.models import Dossier

            queryset = queryset.filter(
                dossier_id__in=Dossier.objects.filter(reference=value).values("pk")
            )
    if value := params.get("actor"):
        queryset = queryset.filter(actor_name=value)
    if value := params.get("organization"):
        queryset = queryset.filter(organizations__regex=rf"(^|,){value}(,|$)")
    if value := params.get("action"):
        queryset = queryset.filter(action=value)
    if value := params.get("object_type"):
        queryset = queryset.filter(object_type=value)
    if value := params.get("since"):
        queryset = queryset.filter(at__gte=_moment(value, end=False))
    if value := params.get("until"):
        queryset = queryset.filter(at__lte=_moment(value, end=True))
    return queryset


EXPORT_FIELDS = [
    "seq", "at", "actor_name", "roles", "organizations", "action", "object_type", "object_id",
    "dossier_id", "from_state", "to_state", "version", "reason", "request_id", "client_ip",
    "prev_hash", "hash",
]  # fmt: skip
