"""The dossier lifecycle written out as data: what the tests expect of the declaration in
workflows/lifecycle.py (and what the authorization matrix expects of every route), kept apart
from the declaration under test."""

from dossiers.models import DossierState

S = DossierState
ROUTE = "route"  # target chosen from the dossier's route (State.GET_STATE)

# source -> action -> target (a state, or ROUTE for one chosen from the award form's route).
EXPECTED: dict[str, dict[str, str]] = {
    S.DRAFT: {"submit": ROUTE, "withdraw": S.WITHDRAWN},
    S.RETURNED: {"submit": ROUTE, "withdraw": S.WITHDRAWN},
    S.BLOC_VOTING: {"record_bloc_vote": ROUTE, "withdraw": S.WITHDRAWN},
    S.INTAKE: {"accept": ROUTE, "return": S.RETURNED, "withdraw": S.WITHDRAWN},
    S.PUBLIC_NOTICE: {"close_notice": ROUTE, "withdraw": S.WITHDRAWN},
    S.COUNCIL_REVIEW: {"record_council_vote": ROUTE, "withdraw": S.WITHDRAWN},
    S.APPRAISAL: {
        "forward": ROUTE,
        "reject": S.NOT_APPROVED,
        "hold": S.ON_HOLD,
        "withdraw": S.WITHDRAWN,
    },
    S.ON_HOLD: {"release": ROUTE, "withdraw": S.WITHDRAWN},
    S.AWAITING_DECISION: {
        "decide": S.DECIDED,
        "propose_to_president": S.AWAITING_PRESIDENT,
        "withdraw": S.WITHDRAWN,
    },
    S.AWAITING_PRESIDENT: {"decide": S.DECIDED},
    S.DECIDED: {"revoke": S.REVOKED},
}
