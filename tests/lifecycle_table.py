"""The dossier lifecycle written out as data: what the tests expect of the declaration in
workflows/lifecycle.py (and what the authorization matrix expects of every route), kept apart
from the declaration under test."""

from dossiers.models import DossierState

S = DossierState
ROUTE = "route"  # target chosen from the dossier's route (State.GET_STATE)

# source -> action -> target (a state, or ROUTE for one chosen from the award form's route).
HOLD = {"hold": S.ON_HOLD}
BACK = {"return": S.RETURNED}
OUT = {"withdraw": S.WITHDRAWN}
EXPECTED: dict[str, dict[str, str]] = {
    S.DRAFT: {"submit": ROUTE, **OUT},
    S.RETURNED: {"submit": ROUTE, **OUT},
    S.BLOC_VOTING: {"record_bloc_vote": ROUTE, **HOLD, **OUT},
    S.INTAKE: {"accept": ROUTE, **BACK, **HOLD, **OUT},
    S.PUBLIC_NOTICE: {"close_notice": ROUTE, **BACK, **HOLD, **OUT},
    S.COUNCIL_REVIEW: {"record_council_vote": ROUTE, **BACK, **HOLD, **OUT},
    S.APPRAISAL: {
        "forward": ROUTE,
        "reject": S.NOT_APPROVED,
        **BACK,
        **HOLD,
        **OUT,
    },
    S.AWAITING_SUBMISSION: {"sign_submission": ROUTE, **HOLD, **OUT},
    S.ON_HOLD: {"release": ROUTE, **OUT},
    S.AWAITING_DECISION: {
        "decide": S.DECIDED,
        "propose_to_president": S.AWAITING_PRESIDENT,
        **HOLD,
        **OUT,
    },
    S.AWAITING_PRESIDENT: {
        "decide": S.DECIDED,
        "recall_proposal": S.AWAITING_DECISION,
        **HOLD,
        **OUT,
    },
    S.DECIDED: {"revoke": S.REVOKED},
}
