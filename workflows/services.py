"""The entry points the views and the API call for a dossier: create, edit, attach, act.

Each runs in one transaction: the dossier row is locked first, the policy (workflows/policy.py)
is asked who may act (403), the declared lifecycle where it may go from here (409), then the
one service the declaration names does the work; two people acting on one dossier are
serialised and the second one gets a clear conflict; a retried request with the same
idempotency key acts once. Ballots and decisions have their entry points in approvals, which
sits above this layer and hears of a withdrawal through `dossier_withdrawn`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.db import transaction
from django.dispatch import Signal
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from dossiers import services as ds
from dossiers.checks import EligibilityFailed
from dossiers.errors import Conflict, DossierError
from dossiers.lifecycle import DOSSIER_ACTIONS
from dossiers.models import Attachment, AwardForm, CheckOverride, Dossier, Nominee, Organization
from workflows import guards, lifecycle, policy, registry_access
from workflows.idempotency import RequestKey, remember

ASSIGNMENT_REFUSED = _(
    "“%(action)s” is not possible now: the dossier is not with a board, or it is already "
    "assigned (claim), or it is not assigned (release)."
)
NOT_AN_OFFICER = _("“%(officer)s” is not an officer of the board that holds this dossier.")

# Sent inside the transaction of a withdrawal or a hold: approvals takes the dossier out of its
# unsigned decision batch (a proposed batch goes back to the PM).
dossier_withdrawn = Signal()
dossier_held = Signal()


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
    """Create a draft for the user's own unit (403 for any other). A CCCD naming a person
    the user may not see is a logged, rate-limited look-up (registry_access.nominee_match)."""
    if not policy.can_create_for(actor, organization.code):
        raise PermissionDenied
    return ds.dossier_create(
        actor=actor,
        organization=organization,
        award_form=award_form,
        year=year,
        title=title,
        nominees=nominees,
        on_match=registry_access.nominee_match(actor),
    )


@transaction.atomic
def dossier_edit(
    *,
    actor: User,
    dossier: Dossier | int,
    title: str | None = None,
    nominees: list[dict[str, Any]] | None = None,
) -> Dossier:
    """Change a draft's or a returned dossier's title or its nominees (the unit only); a CCCD
    newly naming a person the user may not see is a look-up, as in `dossier_start`."""
    locked = _editable(actor, dossier)
    return ds.dossier_update(
        actor=actor,
        dossier=locked,
        title=title,
        nominees=nominees,
        on_match=registry_access.nominee_match(actor),
    )


@transaction.atomic
def attachment_add(
    *, actor: User, dossier: Dossier | int, kind_code: str, upload: File[bytes]
) -> Attachment:
    """Add a document to a draft or a returned dossier (the unit only)."""
    return ds.attachment_add(
        actor=actor, dossier=_editable(actor, dossier), kind_code=kind_code, upload=upload
    )


@transaction.atomic
def attachment_remove(
    *,
    actor: User,
    dossier: Dossier | int,
    attachment: int,
    request_key: RequestKey | str | None = None,
) -> Dossier:
    """Take a document the unit added off a draft or a returned dossier (the unit only: 403;
    409 once the unit no longer holds it, or for a document it did not add; 404 for a document
    of another dossier). Its file is kept (dossiers.services.attachment_remove). A retried
    request with the same key acts once."""
    pk = dossier if isinstance(dossier, int) else dossier.pk
    target = f"attachment:{attachment}"
    if not remember(actor, request_key, "detach", Dossier(pk=pk), target=target):
        return Dossier.objects.get(pk=pk)
    locked = _editable(actor, pk)
    return ds.attachment_remove(
        actor=actor, dossier=locked, attachment=_attachment_of(locked, attachment)
    )


@transaction.atomic
def attachment_replace(
    *,
    actor: User,
    dossier: Dossier | int,
    attachment: int,
    upload: File[bytes],
    request_key: RequestKey | str | None = None,
) -> Attachment | None:
    """A new file of the same kind in place of a document the unit added: the old one taken off
    (`detach`, its file kept) and the new one checked and stored (`attach`), both or neither.
    Same rules as `attachment_remove`; None for a retried request (it acted once)."""
    pk = dossier if isinstance(dossier, int) else dossier.pk
    target = f"attachment:{attachment}"
    if not remember(actor, request_key, "replace", Dossier(pk=pk), target=target):
        return None
    locked = _editable(actor, pk)
    old = _attachment_of(locked, attachment)
    ds.attachment_remove(actor=actor, dossier=locked, attachment=old)
    return ds.attachment_add(actor=actor, dossier=locked, kind_code=old.kind.code, upload=upload)


def _attachment_of(dossier: Dossier, attachment: int) -> Attachment:
    row = Attachment.objects.select_related("kind").filter(dossier=dossier, pk=attachment).first()
    if row is None:
        raise Http404
    return row


def _editable(actor: User, dossier: Dossier | int) -> Dossier:
    """The dossier locked, once the policy lets the actor edit it now (403, 409 otherwise)."""
    locked = ds.lock(dossier, actor)
    policy.require_edit(actor, locked)
    return locked


def dossier_act(
    *,
    actor: User,
    dossier: Dossier | int,
    action: str,
    payload: Mapping[str, Any],
    request_key: RequestKey | str | None = None,
) -> Dossier:
    """Perform `action` as `actor`. Raises PermissionDenied, DossierError, Conflict; an
    eligibility failure (409) without the history the actor may not read, once the action's
    transaction is rolled back."""
    try:
        return _dossier_act(
            actor=actor, dossier=dossier, action=action, payload=payload, request_key=request_key
        )
    except EligibilityFailed as failed:
        raise failed.shown_to(registry_access.history_visible(actor)) from None


@transaction.atomic
def _dossier_act(
    *,
    actor: User,
    dossier: Dossier | int,
    action: str,
    payload: Mapping[str, Any],
    request_key: RequestKey | str | None = None,
) -> Dossier:
    pk = dossier if isinstance(dossier, int) else dossier.pk
    if action not in DOSSIER_ACTIONS:
        raise DossierError(f"Unknown action: {action}.", code="unknown_action")
    if not remember(actor, request_key, action, Dossier(pk=pk)):
        return Dossier.objects.get(pk=pk)
    locked = ds.lock(pk, actor)
    policy.require(actor, action, locked)
    lifecycle.ensure(action, locked)
    guards.check(action, locked)
    # The declaration names the one service; the payload is what the page or the API sent
    # (`reason`, `reason_code`), and the service checks it with the transition's guards.
    service, fields = lifecycle.service_for(action)
    args = {field: payload.get(field, "") for field in fields}
    dossier = service(actor=actor, dossier=locked, **args)
    if action == "withdraw":
        dossier_withdrawn.send(sender=Dossier, actor=actor, dossier=dossier)
    elif action == "hold":
        dossier_held.send(sender=Dossier, actor=actor, dossier=dossier)
    return dossier


NOMINEE_ACTIONS: dict[str, Callable[..., Nominee]] = {
    "hold": ds.nominee_hold,
    "release": ds.nominee_release,
}


@transaction.atomic
def nominee_act(
    *,
    actor: User,
    dossier: Dossier | int,
    nominee: int,
    action: str,
    payload: Mapping[str, Any],
    request_key: RequestKey | str | None = None,
) -> Dossier:
    """Hold one nominee, or release them, as the board of the level holding the dossier (the
    same rules as a hold of the whole dossier). Raises PermissionDenied, DossierError, Conflict."""
    pk = dossier if isinstance(dossier, int) else dossier.pk
    if action not in NOMINEE_ACTIONS:
        raise DossierError(f"Unknown action: {action}.", code="unknown_action")
    target = f"nominee:{nominee}"
    if not remember(actor, request_key, f"nominee_{action}", Dossier(pk=pk), target=target):
        return Dossier.objects.get(pk=pk)
    locked = ds.lock(pk, actor)
    policy.require(actor, action, locked)
    NOMINEE_ACTIONS[action](
        actor=actor,
        dossier=locked,
        nominee_id=nominee,
        reason_code=payload.get("reason_code", ""),
        reason=payload.get("reason", ""),
    )
    return locked


@transaction.atomic
def check_override(
    *,
    actor: User,
    dossier: Dossier | int,
    nominee: int,
    rule: str,
    action: str,
    reason: str = "",
    request_key: RequestKey | str | None = None,
) -> CheckOverride | None:
    """`override` one failed eligibility check of a nominee (an officer of the holding board,
    with a reason) or `confirm` it (the board's head). Raises PermissionDenied, DossierError,
    Conflict."""
    pk = dossier if isinstance(dossier, int) else dossier.pk
    target = f"nominee:{nominee}:{rule}"
    if not remember(actor, request_key, f"check_{action}", Dossier(pk=pk), target=target):
        return None
    locked = ds.lock(pk, actor)
    if not policy.override_rules(actor, locked).get(action):
        raise PermissionDenied
    service = ds.check_override_request if action == "override" else ds.check_override_confirm
    return service(actor=actor, dossier=locked, nominee_id=nominee, rule=rule, reason=reason)


@transaction.atomic
def dossier_assignment(
    *,
    actor: User,
    dossier: Dossier | int,
    action: str,
    officer: str = "",
    reason: str = "",
    request_key: RequestKey | str | None = None,
) -> Dossier:
    """`assign` to an officer (by username) of the holding level's board, `claim` it, or
    `release` it back to the board's queue. 403 for a user whose role does not allow it, 409
    when the dossier's state or assignment does not, 400 for an officer of another board."""
    pk = dossier if isinstance(dossier, int) else dossier.pk
    target = f"dossier:{pk}:{officer}"
    if not remember(actor, request_key, action, Dossier(pk=pk), target=target):
        return Dossier.objects.get(pk=pk)
    locked = ds.lock(pk, actor)
    if not policy.assignment_rules(actor, locked)[action]:
        raise PermissionDenied
    if not policy.assignment_now(action, locked):
        raise Conflict(ASSIGNMENT_REFUSED, code="assignment_state", action=action)
    if action == "release" and not policy.may_release(actor, locked):
        raise PermissionDenied  # another officer's dossier
    chosen: User | None = None
    if action == "assign":
        chosen = User.objects.filter(username=officer).first() if officer else None
        if chosen is None or not policy.is_board_officer(chosen, locked):
            raise DossierError(NOT_AN_OFFICER, code="not_an_officer", officer=officer[:150])
    elif action == "claim":
        chosen = actor
    return ds.dossier_set_assignee(
        actor=actor, dossier=locked, officer=chosen, action=action, reason=reason
    )


def dossier_perform(
    *,
    actor: User,
    dossier: Dossier,
    action: str,
    payload: Mapping[str, Any],
    request_key: RequestKey | str | None = None,
) -> Dossier:
    """The actions endpoint's one entry (page and API): a move of the lifecycle, or the sharing
    of the board's work (`assign`, `claim`, `release` of an assignment)."""
    if policy.assignment_applies(action, dossier):
        return dossier_assignment(
            actor=actor,
            dossier=dossier.pk,
            action=action,
            officer=payload.get("officer", ""),
            reason=payload.get("reason", ""),
            request_key=request_key,
        )
    return dossier_act(
        actor=actor, dossier=dossier.pk, action=action, payload=payload, request_key=request_key
    )
