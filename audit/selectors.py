"""Searching the ledger (inspectors only)."""

from django.db.models import QuerySet

from audit.filters import LedgerEventFilter
from audit.models import LedgerEvent


class BadFilter(ValueError):
    """A search parameter that is not valid; `errors` maps each parameter to its messages."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def ledger_events() -> QuerySet[LedgerEvent]:
    return LedgerEvent.objects.order_by("seq")


def ledger_filter(params) -> LedgerEventFilter:
    """The search form bound to `params` (a QueryDict or a dict): dossier (id or reference), actor,
    organisation, action, object type, since, until."""
    return LedgerEventFilter(params, queryset=ledger_events())


def ledger_search(params) -> QuerySet[LedgerEvent]:
    """The events matching `params`. Raises BadFilter when a parameter is not valid."""
    search = ledger_filter(params)
    if not search.is_valid():
        raise BadFilter(search.errors)
    return search.qs


EXPORT_FIELDS = [
    "seq", "at", "actor_name", "roles", "organizations", "action", "object_type", "object_id",
    "dossier_id", "from_state", "to_state", "version", "reason", "request_id", "client_ip",
    "prev_hash", "hash",
]  # fmt: skip
