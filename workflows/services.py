"""The entry points the views and the API call: a domain service, then the flow moves on.

Each runs in one transaction: the dossier row is locked first (the domain service does it),
then the process, so two people acting on one dossier are serialised and the second one gets
a clear conflict; a retried request with the same idempotency key acts once."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import ballots
from approvals import services as approval_services
from approvals.models import BallotSession, Decision
from dossiers import services as ds
from dossiers.errors import DossierError
from dossiers.lifecycle import DOSSIER_ACTIONS
from dossiers.models import ActionRequest, AwardForm, Dossier, Organization
from workflows import lifecycle
from workflows.flows import NODE_STATES, AwardFlow
from workflows.idempotency import KEY_REUSED, IdempotencyKeyReused, RequestKey, service_key


def open_task(dossier: Dossier) -> Task | None:
    return (
        Task.objects.select_related("process__dossierprocess")
        .filter(
            process__dossierprocess__dossier_id=dossier.pk,
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )
        .order_by("-pk")
        .first()
    )


def flow_sync(*, actor: User | None, dossier: Dossier) -> None:
    """Finish the open task if the dossier has left that stage; the process moves to the next.

    Callers hold the dossier's row lock (every way into a dossier's flow takes it first), so
    viewflow's own process lock would only repeat it. The locked, just-changed dossier is handed
    to the process so the switch reads its state without asking the database again."""
    task = open_task(dossier)
    if task is None:
        return
    if dossier.state in NODE_STATES.get(task.flow_task.name, ()):
        return  # e.g. a hold or a release stays within the appraisal task
    activation = task.flow_task.activation_class(task)
    activation.process.dossier = dossier
    if task.status == STATUS.NEW:
        task.owner, task.status = actor, STATUS.ASSIGNED  # saved once, on completion
        task.assigned = timezone.now()
    activation.start(None)
    activation.execute()


def _remember(
    actor: User,
    key: RequestKey | str | None,
    action: str,
    dossier: Dossier | None,
    target: str = "",
) -> bool:
    """Store the idempotency key; False when this very request was already made (a retry).

    The key is bound to its request (workflows/idempotency.py): used again for another
    dossier, action or body it raises IdempotencyKeyReused (422); it is never cut."""
    if not key:
        return True
    request_key = service_key(key, action, target or f"dossier:{dossier.pk if dossier else ''}")
    try:
        with transaction.atomic():
            ActionRequest.objects.create(
                user=actor,
                key=request_key.key,
                fingerprint=request_key.fingerprint,
                action=action,
                dossier=dossier,
            )
    except IntegrityError:
        first = ActionRequest.objects.filter(user=actor, key=request_key.key).first()
        if first is None or first.fingerprint != request_key.fingerprint:
            raise IdempotencyKeyReused(KEY_REUSED) from None
        return False
    return True


@transaction.atomic
def dossier_start(
    *,
    actor: User,
    organization: Organization,
    award_form: AwardForm,
    year: int,
    title: str,
    nominees: list[dict[str, Any]],
) -> Dossier:
    """Create a draft and its process; the unit's `prepare` task waits."""
    dossier = ds.dossier_create(
        actor=actor,
        organization=organization,
        award_form=award_form,
        year=year,
        title=title,
        nominees=nominees,
    )
    AwardFlow.start.run(dossier=dossier)
    return dossier


@transaction.atomic
def dossier_act(
    *,
    actor: User,
    dossier: Dossier | int,
    action: str,
    payload: Mapping[str, Any],
    request_key: RequestKey | str | None = None,
) -> Dossier:
    """Perform `action` as `actor`. Raises PermissionDenied, DossierError, Conflict."""
    pk = dossier if isinstance(dossier, int) else dossier.pk
    if action not in DOSSIER_ACTIONS:
        raise DossierError(f"Unknown action: {action}.", code="unknown_action")
    if not _remember(actor, request_key, action, Dossier(pk=pk)):
        return Dossier.objects.get(pk=pk)
    # The declaration names the one service; the payload is what the page or the API sent
    # (`reason`, `reason_code`), and the service checks it.
    service, fields = lifecycle.service_for(action)
    args = {field: payload.get(field, "") for field in fields}
    dossier = service(actor=actor, dossier=Dossier(pk=pk), **args)
    if action == "withdraw":
        approval_services.decision_drop_dossier(actor=actor, dossier=dossier)
    if action != "revoke":
        flow_sync(actor=actor, dossier=dossier)
    return dossier


@transaction.atomic
def decision_prepare(*, actor: User, decider: str, dossier_ids: list[int]) -> Decision:
    return approval_services.decision_create(actor=actor, decider=decider, dossier_ids=dossier_ids)


@transaction.atomic
def decision_propose(*, actor: User, decision: Decision, number: str = "") -> Decision:
    decision = approval_services.decision_propose(actor=actor, decision=decision, number=number)
    for dossier in decision.dossiers.all():
        flow_sync(actor=actor, dossier=dossier)
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
    if not _remember(actor, request_key, "sign", None, target=f"decision:{decision.pk}"):
        return Decision.objects.get(pk=decision.pk)
    decision = approval_services.decision_sign(
        actor=actor, decision=decision, number=number, signed_on=signed_on, declined=declined
    )
    for dossier in decision.dossiers.all():
        flow_sync(actor=actor, dossier=dossier)
    return decision


@transaction.atomic
def ballot_open(**kwargs: Any) -> BallotSession:
    return ballots.ballot_open(**kwargs)


@transaction.atomic
def ballot_cast(
    *, actor: User, session: BallotSession | int, choices: object, conflicts: object
) -> str:
    return ballots.ballot_cast(actor=actor, session=session, choices=choices, conflicts=conflicts)


@transaction.atomic
def ballot_close(*, actor: User | None, session: BallotSession | int) -> BallotSession:
    """Close the ballot; every dossier on it moves on (or ends) with its process, at once."""
    session, dossiers = ballots.ballot_close(actor=actor, session=session)
    for dossier in dossiers:
        flow_sync(actor=actor, dossier=dossier)
    return session


def ballots_close_due(now: datetime.datetime | None = None) -> list[int]:
    """Close every open ballot whose deadline has passed (run from cron: `close_ballots`)."""
    from django.utils import timezone as tz

    due = BallotSession.objects.filter(state="open", deadline__lt=now or tz.now())
    closed: list[int] = []
    for pk in due.values_list("pk", flat=True):
        ballot_close(actor=None, session=pk)
        closed.append(pk)
    return closed
