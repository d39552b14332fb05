"""simple-history, linked to the ledger: every history row carries the seq of its event."""

from functools import cached_property
from typing import Any

from django.db import models
from django.utils import timezone
from simple_history.manager import HistoryDescriptor
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from audit import context


class LedgerLinked(models.Model):
    ledger_seq = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        abstract = True


class _Descriptor(HistoryDescriptor):
    """`Model.history` / `instance.history` with its manager class made once: simple-history
    builds a new class (`from_queryset`, which inspects the queryset's methods) on every access,
    and it reads the attribute once for each history row it writes."""

    @cached_property
    def _manager_class(self) -> type:
        return self.manager_class.from_queryset(self.queryset_class)

    def __get__(self, instance, owner):
        return self._manager_class(self.model, instance)


class History(HistoricalRecords):
    """HistoricalRecords whose rows point at the ledger event that caused them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("bases", [LedgerLinked])
        super().__init__(*args, **kwargs)

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        found = sender.__dict__.get(self.manager_name)
        if type(found) is HistoryDescriptor:
            descriptor = _Descriptor(found.model, found.manager_class, found.queryset_class)
            setattr(sender, self.manager_name, descriptor)


def author(instance: models.Model, user: Any, reason: str) -> None:
    """Who makes the change the next save() or delete() of `instance` writes to its history, and
    why. simple-history reads these two attributes of the instance; they are not fields."""
    instance._history_user = user  # type: ignore[attr-defined]  # read by simple-history
    instance._change_reason = reason  # type: ignore[attr-defined]  # read by simple-history


def change_reason(instance: models.Model, reason: str) -> None:
    """Why, for a change whose author simple-history takes from the request."""
    instance._change_reason = reason  # type: ignore[attr-defined]  # read by simple-history


def bulk_saved(
    rows: list[Any],
    *,
    actor: Any,
    reason: str,
    seqs: list[int] | None = None,
    created: bool = True,
) -> None:
    """The history rows of `rows` just inserted (`created`) or updated in bulk (bulk_create,
    bulk_update: no signal), as `author` and a save() of each would write them: each under its
    event's seq (`seqs`), else under the event being recorded."""
    if not rows:
        return
    model = type(rows[0]).history.model
    now = timezone.now()
    if seqs is None:
        seqs = [context.current_seq.get()] * len(rows)
    model.objects.bulk_create(
        [
            model(
                history_date=now,
                history_user=actor,
                history_change_reason=reason,
                history_type="+" if created else "~",
                ledger_seq=seq,
                **{f.attname: getattr(row, f.attname) for f in model.tracked_fields},
            )
            for row, seq in zip(rows, seqs, strict=True)
        ]
    )


def _stamp(sender, history_instance, **kwargs) -> None:
    if hasattr(history_instance, "ledger_seq"):
        history_instance.ledger_seq = context.current_seq.get()


def connect() -> None:
    pre_create_historical_record.connect(_stamp, dispatch_uid="audit.history.stamp")
