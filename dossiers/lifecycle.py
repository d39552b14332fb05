"""The dossier's allowed moves, in one readable place.

A dossier follows the route of stages its award form defines; `next_state` reads it.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dossiers.errors import STATE_CONFLICT, Conflict
from dossiers.models import AwardForm, DossierState, Stage

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

# action -> the states it may start from. Targets are computed from the route.
ACTION_SOURCES: dict[str, set[str]] = {
    "submit": {S.DRAFT, S.RETURNED},
    "record_bloc_vote": {S.BLOC_VOTING},
    "accept": {S.INTAKE},
    "return": {S.INTAKE},
    "close_notice": {S.PUBLIC_NOTICE},
    "record_council_vote": {S.COUNCIL_REVIEW},
    "forward": {S.APPRAISAL},
    "reject": {S.APPRAISAL},
    "hold": {S.APPRAISAL},
    "release": {S.ON_HOLD},
    "withdraw": {
        S.DRAFT,
        S.BLOC_VOTING,
        S.INTAKE,
        S.RETURNED,
        S.PUBLIC_NOTICE,
        S.COUNCIL_REVIEW,
        S.APPRAISAL,
        S.ON_HOLD,
        S.AWAITING_DECISION,
    },
    "decide": {S.AWAITING_DECISION, S.AWAITING_PRESIDENT},
    "propose_to_president": {S.AWAITING_DECISION},
    "revoke": {S.DECIDED},
}

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


def ensure_allowed(action: str, state: str) -> None:
    """The same refusal a person gets (409) when a move is not possible from `state`."""
    if state not in ACTION_SOURCES.get(action, set()):
        raise Conflict(STATE_CONFLICT, code="invalid_state", action=action, state=state)


def next_state(form: AwardForm, after: str, *, with_bloc: bool) -> str:
    """The waiting state after stage `after` ("start" for a submission) on the route."""
    route = [s for s in form.stages if s != Stage.BLOC_VOTE or with_bloc]
    position = -1 if after == "start" else route.index(after)
    return STAGE_STATE[route[position + 1]]
