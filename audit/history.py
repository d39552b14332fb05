"""simple-history, linked to the ledger: every history row carries the seq of its event."""

from typing import Any

from django.db import models
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from audit import context


class LedgerLinked(models.Model):
    ledger_seq = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        abstract = True


class History(HistoricalRecords):
    """HistoricalRecords whose rows point at the ledger event that caused them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("bases", [LedgerLinked])
        super().__init__(*args, **kwargs)


def author(instance: models.Model, user: Any, reason: str) -> None:
    """Who makes the change the next save() or delete() of `instance` writes to its history, and
    why. simple-history reads these two attributes of the instance; they are not fields."""
    instance._history_user = user  # type: ignore[attr-defined]  # read by simple-history
    instance._change_reason = reason  # type: ignore[attr-defined]  # read by simple-history


def change_reason(instance: models.Model, reason: str) -> None:
    """Why, for a change whose author simple-history takes from the request."""
    instance._change_reason = reason  # type: ignore[attr-defined]  # read by simple-history


def _stamp(sender, history_instance, **kwargs) -> None:
    if hasattr(history_instance, "ledger_seq"):
        history_instance.ledger_seq = context.current_seq.get()


def connect() -> None:
    pre_create_historical_record.connect(_stamp, dispatch_uid="audit.history.stamp")
