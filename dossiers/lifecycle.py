"""The dossier's route data, labels and the hook through which the dossier layer reads the
lifecycle declared in workflows/lifecycle.py (the one place for the allowed moves).

A dossier follows the route of stages its award form defines; `next_state` reads it.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dossiers.models import AwardForm, Dossier, DossierState, Stage

S = DossierState

# Which waiting state each stage of a route puts the dossier in.
STAGE_STATE: dict[str, str] = {
    Stage.BLOC_VOTE: S.BLOC_VOTING,
    Stage.INTAKE: S.INTAKE,
    Stage.PUBLIC_NOTICE: S.PUBLIC_NOTICE,
    Stage.COUNCIL_VOTE: S.COUNCIL_REVIEW,
    Stage.APPRAISAL: S.APPRAISAL,
    Stage.DECISION: S.AWAITING_DECISION,
}
STATE_STAGE: dict[str, str] = {state: stage for stage, state in STAGE_STATE.items()}

# Actions a dossier page or API may call directly. Votes come from closing a ballot session
# (approvals), decisions from signing a batch.
DOSSIER_ACTIONS: list[str] = [
    "submit",
    "accept",
    "return",
    "close_notice",
    "forward",
    "reject",
    "hold",
    "release",
    "withdraw",
    "revoke",
]

ACTION_LABELS: dict[str, Promise] = {
    "submit": _("Sign and submit"),
    "accept": _("Accept as complete"),
    "return": _("Return for supplement"),
    "close_notice": _("Close the public notice"),
    "forward": _("Forward for decision"),
    "reject": _("Not approved"),
    "hold": _("Put on hold"),
    "release": _("Release the hold"),
    "withdraw": _("Withdraw the dossier"),
    "revoke": _("Revoke the award"),
}

TERMINAL: set[str] = {S.DECIDED, S.NOT_APPROVED, S.WITHDRAWN, S.REVOKED}


class _Declaration:
    """The lifecycle declared in workflows/lifecycle.py, handed down at start-up (dossiers sits
    below workflows and may not import it): `ensure` refuses a move with 409 `invalid_state`,
    `allows` answers whether an action leaves a state, `fire` performs the transition."""

    ensure: Callable[..., None] | None = None
    allows: Callable[[str, str], bool] | None = None
    fire: Callable[..., str] | None = None


_declared = _Declaration()


def register(
    *,
    ensure: Callable[..., None],
    allows: Callable[[str, str], bool],
    fire: Callable[..., str],
) -> None:
    _declared.ensure, _declared.allows, _declared.fire = ensure, allows, fire


def ensure(action: str, dossier: Dossier, *, label: bool = True) -> None:
    """409 `invalid_state` unless the declared lifecycle lets `action` leave the dossier's state."""
    if _declared.ensure is None:
        raise ImproperlyConfigured("workflows has not registered the dossier lifecycle")
    _declared.ensure(action, dossier, label=label)


def fire(action: str, dossier: Dossier, **kwargs: Any) -> str:
    """Fire the declared transition: the dossier's state becomes its target (fixed, or chosen
    from the route), returned for the service to enter; 409 `invalid_state` if not allowed."""
    if _declared.fire is None:
        raise ImproperlyConfigured("workflows has not registered the dossier lifecycle")
    return _declared.fire(action, dossier, **kwargs)


def allows(action: str, state: str) -> bool:
    """Whether the declared lifecycle lets `action` leave `state`."""
    if _declared.allows is None:
        raise ImproperlyConfigured("workflows has not registered the dossier lifecycle")
    return _declared.allows(action, state)


def next_state(form: AwardForm, after: str, *, with_bloc: bool) -> str:
    """The waiting state after stage `after` ("start" for a submission) on the route."""
    route = [s for s in form.stages if s != Stage.BLOC_VOTE or with_bloc]
    position = -1 if after == "start" else route.index(after)
    return STAGE_STATE[route[position + 1]]
