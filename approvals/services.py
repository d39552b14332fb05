"""Decision batches: prepare (board head), propose to the President (PM), sign (decider).

Each is one transaction; the decision row and every dossier in it are locked (in id order, so
two batches never deadlock), and every dossier moves on together or not at all."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.dispatch import Signal

from approvals import errors
from approvals import policy as approval_policy
from approvals.models import Decision, DecisionEntry, DecisionState
from audit import history, ledger
from dossiers import checks, levels, lifecycle, permissions
from dossiers import services as dossier_services
from dossiers.errors import Conflict, DossierError
from dossiers.models import Decider, Dossier, Nominee
from workflows import policy
from workflows.idempotency import RequestKey, remember

# Sent inside `decision_sign`'s transaction once the decision is signed (sender: Decision;
# `decision`, `actor`): the documents app produces the signed decision document there, so a
# signed decision never lacks it and a failure rolls the signature back (docs/architecture.md,
# "Upward calls": approvals imports nothing above it).
decision_signed = Signal()


def _lock_dossiers(actor: User, ids: list[int]) -> list[Dossier]:
    """The dossiers of `ids` the actor may see, locked in id order, each with `batched`: the
    unsigned batch it is already in (None when none), in one query."""
    unsigned = DecisionEntry.objects.filter(dossier_id=OuterRef("pk")).exclude(
        decision__state=DecisionState.SIGNED
    )
    return list(
        policy.visible(actor, Dossier)
        .select_for_update(of=("self",))
        .select_related("award_form__reviewing_body", "organization")
        .filter(pk__in=sorted(set(ids)))
        .annotate(batched=Subquery(unsigned.values("decision_id")[:1]))
        .order_by("pk")
    )


def _lock_decision(decision: Decision | int, actor: User | None = None) -> Decision:
    pk = decision if isinstance(decision, int) else decision.pk
    roles = permissions.roles_read_with(actor) if actor is not None else {}
    locked = Decision.objects.select_for_update().annotate(**roles).get(pk=pk)
    if actor is not None:
        permissions.roles_seeded(actor, locked)
    return locked


@transaction.atomic
def decision_create(
    *,
    actor: User,
    decider: str,
    dossier_ids: list[int],
    request_key: RequestKey | str | None = None,
) -> Decision:
    """The board head gathers dossiers awaiting decision into a draft submission. A retried
    request with the same idempotency key (a form sent twice) creates nothing more and answers
    the batch the first one created."""
    known = levels.authorities()
    if decider not in known:
        raise DossierError(errors.BAD_DECIDER, code="bad_decider", codes=", ".join(known))
    if not dossier_ids:
        raise DossierError(errors.NO_DOSSIERS, code="no_dossiers")
    first = min(dossier_ids)
    if not remember(actor, request_key, "decision_create", None, target=f"dossier:{first}"):
        return _created_for(actor, first)
    # Locked with what the actor sees and which sit in an unsigned batch, in one query: a
    # dossier the actor may not see is as unknown as one that does not exist.
    dossiers = _lock_dossiers(actor, dossier_ids)
    found = {d.pk for d in dossiers}
    missing = [i for i in dossier_ids if i not in found]
    if missing:
        raise DossierError(errors.UNKNOWN_DOSSIER, code="unknown_dossier", value=missing[0])
    for dossier in dossiers:
        if not approval_policy.may_prepare(actor, dossier):
            raise PermissionDenied
        expected = lifecycle.decider_of(dossier)
        if expected != decider:
            raise DossierError(
                errors.WRONG_DECIDER,
                code="wrong_decider",
                ref=dossier.reference,
                expected=expected,
                decider=decider,
            )
        # A batch takes dossiers awaiting a decision: the state both decision moves leave.
        if not (
            lifecycle.allows("decide", dossier.state)
            and lifecycle.allows("propose_to_president", dossier.state)
        ):
            raise Conflict(
                errors.DOSSIER_NOT_READY,
                code="invalid_state",
                ref=dossier.reference,
                state=dossier.get_state_display(),
            )
        if getattr(dossier, "batched", None) is not None:
            raise Conflict(
                errors.ALREADY_BATCHED,
                code="already_batched",
                ref=dossier.reference,
                decision=getattr(dossier, "batched", None),
            )
    decision = Decision(decider=decider, created_by=actor)
    # The batch's event, then each dossier's own (its state unchanged), all in one INSERT with
    # the batch's outbox row.
    with ledger.together() as events:
        with ledger.recording(actor=actor, action="decision.prepared", obj=decision) as event:
            history.author(decision, actor, "decision.prepared")
            decision.save()
            entries = [DecisionEntry(decision=decision, dossier=dossier) for dossier in dossiers]
            history.bulk_create(entries, actor=actor, reason="decision.dossier_added")
            event.data = {"decider": decider, "dossiers": [d.pk for d in dossiers]}
        for dossier in dossiers:
            events.add(
                ledger.Entry(
                    seq=events.reserve(),
                    actor=actor,
                    action="add_to_decision",
                    object_type="dossiers.dossier",
                    object_id=str(dossier.pk),
                    dossier_id=dossier.pk,
                    from_state=dossier.state,
                    to_state=dossier.state,
                    version=dossier.version,
                    data={"decision": decision.pk},
                )
            )
    return decision


def _created_for(actor: User, dossier_id: int) -> Decision:
    """The batch an earlier request of `actor` put this dossier into, found in the entries'
    history (kept even if the dossier has left that batch since)."""
    entry = (
        DecisionEntry.history.filter(
            dossier_id=dossier_id, history_user_id=actor.pk, history_type="+"
        )
        .order_by("-history_id")
        .first()
    )
    if entry is None:  # not expected: the key and the entries are stored in one transaction
        raise DossierError(errors.UNKNOWN_DOSSIER, code="unknown_dossier", value=dossier_id)
    return Decision.objects.get(pk=entry.decision_id)


def _lock_batch(
    decision: Decision | int, actor: User | None = None
) -> tuple[Decision, list[Dossier]]:
    """The decision and its dossiers, locked in that order (the dossiers in id order), in one
    query; a batch all of whose dossiers left it is the decision alone. `actor`: the user about
    to be asked about, whose roles are read in the same query when not read yet on that user
    object (`permissions.roles_read_with`)."""
    pk = decision if isinstance(decision, int) else decision.pk
    roles = permissions.roles_read_with(actor) if actor is not None else {}
    entries = list(
        DecisionEntry.objects.filter(decision=pk)
        .select_related("decision", "dossier__award_form__reviewing_body", "dossier__organization")
        .select_for_update(of=("decision", "dossier"))
        .annotate(**roles)
        .order_by("dossier_id")
    )
    if not entries:
        return _lock_decision(pk, actor), []
    if actor is not None:
        permissions.roles_seeded(actor, entries[0])
    return entries[0].decision, [entry.dossier for entry in entries]


@transaction.atomic(savepoint=False)
def decision_drop_dossier(*, actor: User, dossier: Dossier, **kwargs: Any) -> None:
    """A withdrawn or held dossier leaves the unsigned batch it was in; a batch the PM had
    proposed goes back to the PM, its other dossiers with it (on `dossier_withdrawn`,
    `dossier_held`)."""
    for entry in DecisionEntry.objects.filter(dossier=dossier).exclude(
        decision__state=DecisionState.SIGNED
    ):
        decision, batch = _lock_batch(entry.decision_id)
        data = {"dossier": dossier.pk}
        with ledger.recording(
            actor=actor, action="decision.dossier_removed", obj=decision, data=data
        ):
            history.author(entry, actor, "decision.dossier_removed")
            entry.delete()
        if decision.state == DecisionState.PROPOSED:
            for other in (d for d in batch if d.pk != dossier.pk):
                dossier_services.dossier_recall_proposal(
                    actor=actor, dossier=other, decision_ref=f"#{decision.pk}"
                )
            decision.state = DecisionState.DRAFT
            with ledger.recording(actor=actor, action="decision.back_to_pm", obj=decision):
                history.author(decision, actor, "decision.back_to_pm")
                decision.save(update_fields=["state"])


@transaction.atomic
def decision_propose(*, actor: User, decision: Decision, number: str = "") -> Decision:
    """The PM signs the proposal to the President for a President-form submission."""
    decision, dossiers = _lock_batch(decision, actor)
    if decision.decider != Decider.PRESIDENT:
        raise Conflict(errors.NOT_FOR_PRESIDENT, code="not_for_president")
    policy.require(actor, "propose", decision)
    if decision.state != DecisionState.DRAFT:
        raise Conflict(errors.ALREADY_SIGNED, code="invalid_state", number=decision.number or "")
    # Each dossier's move, then the proposal: their events in one INSERT at the block's end,
    # with the proposal's outbox row.
    with ledger.together():
        for dossier in dossiers:
            dossier_services.dossier_propose_to_president(
                actor=actor, dossier=dossier, decision_ref=number or f"#{decision.pk}"
            )
        decision.state, decision.proposal_number = DecisionState.PROPOSED, number.strip()
        with ledger.recording(actor=actor, action="decision.proposed", obj=decision, reason=number):
            history.author(decision, actor, "decision.proposed")
            decision.save(update_fields=["state", "proposal_number"])
    return decision


@transaction.atomic
def decision_sign(
    *,
    actor: User,
    decision: Decision,
    number: str,
    signed_on: datetime.date,
    declined: list[Mapping[str, Any]] | None = None,
    request_key: RequestKey | str | None = None,
) -> Decision:
    """The decider signs: every dossier in the batch is decided, declined nominees with reasons.
    A retried request with the same idempotency key signs once and answers the same."""
    if not remember(actor, request_key, "sign", None, target=f"decision:{decision.pk}"):
        return Decision.objects.get(pk=decision.pk)
    decision, dossiers = _lock_batch(decision, actor)
    policy.require(actor, "sign", decision)
    if decision.state == DecisionState.SIGNED:
        raise Conflict(errors.ALREADY_SIGNED, code="already_signed", number=decision.number)
    if decision.decider == Decider.PRESIDENT and decision.state != DecisionState.PROPOSED:
        raise Conflict(errors.NOT_PROPOSED, code="not_proposed")
    number = (number or "").strip()
    if not number:
        raise DossierError(errors.NUMBER_REQUIRED, code="number_required")
    year = signed_on.year  # a number already taken that year is refused when saved (below)
    nominees = checks.live_nominees(dossiers)  # read once: the checks, then the decision
    nominee_ids = (
        set(Nominee.objects.filter(dossier__in=dossiers).values_list("pk", flat=True))
        if declined
        else set()
    )
    declined_map: dict[int, str] = {}
    for item in declined or []:
        nominee_id = item.get("nominee")
        if nominee_id not in nominee_ids:
            raise DossierError(
                errors.DECLINE_UNKNOWN_NOMINEE, code="unknown_nominee", value=nominee_id
            )
        declined_map[nominee_id] = dossier_services._require_reason(item.get("reason", ""))
    # Again at the signature: a nominee awarded meanwhile, or twice in this batch, is caught.
    checks.refresh(
        dossiers,
        stage="sign",
        decider=decision.decider,
        batch={d.pk for d in dossiers},
        skip=declined_map,
        duplicates=[pk for pk, why in declined_map.items() if checks.is_duplicate_reason(why)],
        block=True,
        nominees=nominees,
    )  # the changed checks written here, before the first event locks the ledger's head
    # Each dossier decided, then the decision signed: their events in one INSERT at the end of
    # this block, with the signature's outbox row.
    with ledger.together():
        for dossier in dossiers:
            dossier_services.dossier_decide(
                actor=actor,
                dossier=dossier,
                number=number,
                year=year,
                declined=declined_map,
                signed_on=signed_on,
                nominees=[n for n in nominees if n.dossier_id == dossier.pk],
            )
        decision.state, decision.number, decision.year = DecisionState.SIGNED, number, year
        decision.signed_on, decision.signed_by = signed_on, actor
        history.author(decision, actor, f"decision.signed {number}")
        # No savepoint: a number already taken fails the whole signature (409), so the transaction
        # the IntegrityError spoilt is rolled back by this function's own atomic block.
        try:
            with ledger.recording(
                actor=actor, action="decision.signed", obj=decision, reason=number,
                data={"signed_on": signed_on.isoformat(), "declined": sorted(declined_map)},
            ):  # fmt: skip
                decision.save(update_fields=["state", "number", "year", "signed_on", "signed_by"])
        except IntegrityError as exc:
            raise Conflict(
                errors.NUMBER_TAKEN,
                code="number_taken",
                number=number,
                decider=decision.decider,
                year=year,
            ) from exc
    decision_signed.send(sender=Decision, decision=decision, actor=actor)
    return decision
