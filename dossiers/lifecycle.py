"""The dossier's route data, labels and the hook through which the dossier layer reads the
lifecycle declared in workflows/lifecycle.py (the one place for the allowed moves).

A dossier follows its route: the stages its award form defines, each held by a level (the
central level, or the proposer's ministry or province, dossiers/levels.py). `route` computes it
from the form and the proposer's place in the organisation tree; the dossier keeps its position
(`route_step`) and the level now holding it (`holder`).
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dossiers import levels
from dossiers.errors import STATE_CONFLICT, Conflict
from dossiers.models import Decider, Dossier, DossierState, Level, Stage

S = DossierState

# Which waiting state each stage of a route puts the dossier in.
STAGE_STATE: dict[str, str] = {
    Stage.BLOC_VOTE: S.BLOC_VOTING,
    Stage.INTAKE: S.INTAKE,
    Stage.PUBLIC_NOTICE: S.PUBLIC_NOTICE,
    Stage.COUNCIL_VOTE: S.COUNCIL_REVIEW,
    Stage.APPRAISAL: S.APPRAISAL,
    Stage.SUBMISSION: S.AWAITING_SUBMISSION,
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
    "sign_submission",
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
    "sign_submission": _("Sign the submission to the next level"),
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


def refusal(action: str | Promise, dossier: Dossier, *, label: bool = True) -> Conflict:
    """The 409 `invalid_state` of a move the dossier's state does not allow: the action (a code
    of ACTION_LABELS, or a label) and the state by their labels, as people read them; with
    `label=False` by their codes (an internal move that has no label)."""
    named = ACTION_LABELS.get(action, action) if label and isinstance(action, str) else action
    return Conflict(
        STATE_CONFLICT,
        code="invalid_state",
        action=named,
        state=dossier.get_state_display() if label else dossier.state,
    )


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


Step = tuple[str, str]  # (stage, the authority of the level that holds it)


def route(dossier: Dossier, *, with_bloc: bool | None = None) -> list[Step]:
    """The dossier's stages in the law's order (domain.md §2.2), each with the level holding it.

    The bloc votes first, where the form calls for it; a state-level form proposed under a
    ministry or a province passes that level's own stages (`lower_stages`, ending with its head's
    submission) before the central ones; the public notice is held once, at the first level that
    holds it (heroes and national fighters again on the central board's portal: `central_notice`);
    a ministry's or a province's own form stays at the proposer's level."""
    form = dossier.award_form
    own = levels.authority_of(dossier.organization.code)
    bloc = bool(dossier.bloc_id) if with_bloc is None else with_bloc
    steps: list[Step] = [(Stage.BLOC_VOTE, own)] if bloc and form.has_stage(Stage.BLOC_VOTE) else []
    rest = [stage for stage in form.stages if stage != Stage.BLOC_VOTE]
    if form.level != Level.CENTRAL:
        return steps + [(stage, own) for stage in rest]
    if own != levels.CENTRAL and form.lower_stages:
        steps += [(stage, own) for stage in form.lower_stages]
        if Stage.PUBLIC_NOTICE in form.lower_stages and not form.central_notice:
            rest = [stage for stage in rest if stage != Stage.PUBLIC_NOTICE]
    return steps + [(stage, levels.CENTRAL) for stage in rest]


def next_state(dossier: Dossier, *, with_bloc: bool | None = None) -> str:
    """The waiting state of the route's next step (its first, for a draft)."""
    steps = route(dossier, with_bloc=with_bloc)
    position = -1 if dossier.route_step is None else dossier.route_step
    return STAGE_STATE[steps[position + 1][0]]


def step_on(dossier: Dossier) -> str:
    """Move the dossier to its route's next step: its position and the level now holding it
    (returned). Called by the service that fired the transition into that step's state."""
    steps = route(dossier)
    dossier.route_step = 0 if dossier.route_step is None else dossier.route_step + 1
    authority = steps[dossier.route_step][1]
    dossier.holder_id = levels.id_of(authority)
    return authority


def back_to_intake(dossier: Dossier) -> None:
    """A dossier returned for supplement resubmits to the intake of the level that returned it."""
    steps = route(dossier)
    here = dossier.route_step or 0
    dossier.route_step = max(
        (i for i, (stage, _) in enumerate(steps[: here + 1]) if stage == Stage.INTAKE), default=here
    )


def holder_code(dossier: Dossier) -> str | None:
    """The authority of the level holding the dossier now (None for a draft)."""
    return levels.code_of(dossier.holder_id)


def decider_of(dossier: Dossier) -> str:
    """Who decides: the PM or the President for a state-level form; for a ministry's or a
    province's own form, the head of the proposer's level."""
    form = dossier.award_form
    if form.level == Level.CENTRAL:
        return form.decider
    return levels.authority_of(dossier.organization.code)


def deciders_of(dossier: Dossier) -> list[str]:
    """The decider and, for a President's form, the PM who proposes it."""
    decider = decider_of(dossier)
    return [decider, Decider.PM] if decider == Decider.PRESIDENT else [decider]
