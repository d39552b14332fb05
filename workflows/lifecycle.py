"""The dossier lifecycle, declared once (viewflow.fsm, the cookbook's `fsm101` shape).

`DossierLifecycle` wraps a dossier; its `state` reads and writes `dossier.state`. Each
transition names its source states, its target (fixed, or chosen from the dossier's route with
`State.GET_STATE`), its permission (a predicate of the policy in workflows/policy.py; left
at viewflow's default, "protected", for the moves made by closing a ballot or signing a
decision, which their own services authorise), its guards (checked by the service, which
reports each with its own code), and the one service that performs it.

viewflow.fsm does not enforce permissions, so a service asks the policy first (403), then the
declaration (`ensure`: 409 `invalid_state` before its guards run), and when it changes the
state it fires the transition (`fire`), whose target is the state it enters
(`TransitionNotAllowed` there is the same 409). `workflows.services.dossier_act` calls the
service the declaration names. Dossiers sits below workflows and may not import it:
`WorkflowsConfig.ready()` registers `ensure`, `allows` and `fire` with `dossiers.lifecycle`
(as audit.hooks does one layer down), which is how the dossier services, approvals' state
checks, the API's `available_actions` and the page's buttons read this one declaration.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from viewflow.fsm import State, TransitionNotAllowed

from dossiers import lifecycle as domain
from dossiers import services as ds
from dossiers.models import Dossier, DossierState
from workflows import policy

S = DossierState

# Every state a dossier waits in before a decision: withdrawal is possible from each.
OPEN: list[str] = [
    S.DRAFT,
    S.BLOC_VOTING,
    S.INTAKE,
    S.RETURNED,
    S.PUBLIC_NOTICE,
    S.COUNCIL_REVIEW,
    S.APPRAISAL,
    S.AWAITING_SUBMISSION,
    S.ON_HOLD,
    S.AWAITING_DECISION,
    S.AWAITING_PRESIDENT,
]
# The states a board may hold a dossier in (and release it back to), and return it from
# after accepting it (domain.md §2.7: hold rather than reject while a matter is pending).
HOLDABLE: list[str] = [
    S.BLOC_VOTING,
    S.INTAKE,
    S.PUBLIC_NOTICE,
    S.COUNCIL_REVIEW,
    S.APPRAISAL,
    S.AWAITING_SUBMISSION,
    S.AWAITING_DECISION,
    S.AWAITING_PRESIDENT,
]
# Where a release leads: where the dossier was held, but the President's stage (see _released).
RELEASED_TO: list[str] = [s for s in HOLDABLE if s != S.AWAITING_PRESIDENT]
# The board returns a dossier for supplement at its intake, and after accepting it (domain.md
# §2.2 step 4): at its appraisal, its public notice, or while it waits for its level's council
# (a ministry's or a province's route has no appraisal of its own before the council; approvals'
# guard refuses while the council's ballot holds its nominees).
RETURNABLE: list[str] = [S.INTAKE, S.PUBLIC_NOTICE, S.COUNCIL_REVIEW, S.APPRAISAL]
# The waiting states a route can lead to next (any stage after the first).
ROUTE_STATES: list[str] = list(domain.STAGE_STATE.values())

Predicate = Callable[["DossierLifecycle", User | AnonymousUser], bool]


def _policy(action: str) -> Predicate:
    """The policy's answer for `action` on the wrapped dossier (roles only; the state is the
    declaration's business)."""

    def allowed(flow: DossierLifecycle, user: User | AnonymousUser) -> bool:
        return policy.dossier_rules(user, flow.dossier).get(action, False)

    allowed.__name__ = f"may_{action}"
    return allowed


def _after(flow: DossierLifecycle, *args: Any, **kwargs: Any) -> str:
    """The waiting state of the next step of the dossier's route."""
    return domain.next_state(flow.dossier)


def _vote(flow: DossierLifecycle, *args: Any, passed: bool = True, **kwargs: Any) -> str:
    """A closed ballot: on along the route if any nominee passed, else not approved."""
    return _after(flow) if passed else S.NOT_APPROVED


def _submitted(flow: DossierLifecycle, *args: Any, with_bloc: bool = False, **kwargs: Any) -> str:
    """A draft goes to the route's first stage; a returned dossier back to intake."""
    d = flow.dossier
    if d.state == S.RETURNED:
        return S.INTAKE
    return domain.next_state(d, with_bloc=with_bloc)


def _released(flow: DossierLifecycle, *args: Any, **kwargs: Any) -> str:
    """Back where it was held; held at the President's stage, its batch went back to the PM
    (it left it): it waits for a new batch, as a dossier forwarded by the board does."""
    held = flow.dossier.held_from or S.APPRAISAL
    return S.AWAITING_DECISION if held == S.AWAITING_PRESIDENT else held


def _svc(
    service: Callable[..., Dossier], *guards: str, payload: tuple[str, ...] = ("reason",)
) -> dict[str, Any]:
    """The one service that performs a transition, the payload fields it takes from a page or
    the API (none for the moves a ballot or a decision makes), and its guards by name."""
    return {"service": service, "payload": payload, "guards": list(guards)}


class DossierLifecycle:
    """A dossier seen as a state machine. Transition bodies are empty: the named service does
    the work (history, ledger, clocks, nominees) and writes the state it reaches."""

    state = State(DossierState, default=S.DRAFT)

    def __init__(self, dossier: Dossier) -> None:
        self.dossier = dossier

    @state.getter()
    def _get_state(self) -> str:
        return self.dossier.state

    @state.setter()
    def _set_state(self, value: str) -> None:
        self.dossier.state = value

    @state.transition(
        source=[S.DRAFT, S.RETURNED],
        target=State.GET_STATE(_submitted, states=[*ROUTE_STATES]),
        permission=_policy("submit"),
        custom=_svc(ds.dossier_submit, "form_in_force", "documents_present", "bloc_member"),
    )
    def submit(self, **kwargs: Any) -> None:
        """Sign and submit (or resubmit after a return)."""

    @state.transition(
        source=S.BLOC_VOTING,
        target=State.GET_STATE(_vote, states=[*ROUTE_STATES, S.NOT_APPROVED]),
        custom=_svc(ds.dossier_record_vote, "ballot_closed", payload=()),
    )
    def record_bloc_vote(self, **kwargs: Any) -> None:
        """The bloc's ballot closed."""

    @state.transition(
        source=S.INTAKE,
        target=State.GET_STATE(_after, states=ROUTE_STATES),
        permission=_policy("accept"),
        custom=_svc(ds.dossier_accept),
    )
    def accept(self, **kwargs: Any) -> None:
        """The board finds the dossier complete."""

    @state.transition(
        source=RETURNABLE,
        target=S.RETURNED,
        permission=_policy("return"),
        custom=_svc(ds.dossier_return, "reason", "open_ballot"),
    )
    def return_(self, **kwargs: Any) -> None:
        """Back to the unit for supplement."""

    @state.transition(
        source=S.PUBLIC_NOTICE,
        target=State.GET_STATE(_after, states=ROUTE_STATES),
        permission=_policy("close_notice"),
        custom=_svc(ds.dossier_close_notice, "notice_days_run"),
    )
    def close_notice(self, **kwargs: Any) -> None:
        """The public notice's working days have run."""

    @state.transition(
        source=S.COUNCIL_REVIEW,
        target=State.GET_STATE(_vote, states=[*ROUTE_STATES, S.NOT_APPROVED]),
        custom=_svc(ds.dossier_record_vote, "ballot_closed", payload=()),
    )
    def record_council_vote(self, **kwargs: Any) -> None:
        """The council's ballot closed."""

    @state.transition(
        source=S.APPRAISAL,
        target=State.GET_STATE(_after, states=ROUTE_STATES),
        permission=_policy("forward"),
        custom=_svc(ds.dossier_forward),
    )
    def forward(self, **kwargs: Any) -> None:
        """Appraisal passed: on to the level's head (its submission or its decision)."""

    @state.transition(
        source=S.AWAITING_SUBMISSION,
        target=State.GET_STATE(_after, states=ROUTE_STATES),
        permission=_policy("sign_submission"),
        custom=_svc(ds.dossier_sign_submission),
    )
    def sign_submission(self, **kwargs: Any) -> None:
        """The ministry's or the province's head signs the tờ trình to the central level."""

    @state.transition(
        source=S.APPRAISAL,
        target=S.NOT_APPROVED,
        permission=_policy("reject"),
        custom=_svc(ds.dossier_reject, "reason_code", "reason", payload=("reason_code", "reason")),
    )
    def reject(self, **kwargs: Any) -> None:
        """Appraisal failed."""

    @state.transition(
        source=HOLDABLE,
        target=S.ON_HOLD,
        permission=_policy("hold"),
        custom=_svc(ds.dossier_hold, "reason_code", "reason", payload=("reason_code", "reason")),
    )
    def hold(self, **kwargs: Any) -> None:
        """Pause while a complaint, inspection or discipline is pending."""

    @state.transition(
        source=S.ON_HOLD,
        target=State.GET_STATE(_released, states=RELEASED_TO),
        permission=_policy("release"),
        custom=_svc(ds.dossier_release, "reason"),
    )
    def release(self, **kwargs: Any) -> None:
        """Back to the state the dossier was held in."""

    @state.transition(
        source=OPEN,
        target=S.WITHDRAWN,
        permission=_policy("withdraw"),
        custom=_svc(ds.dossier_withdraw, "reason"),
    )
    def withdraw(self, **kwargs: Any) -> None:
        """The unit head withdraws the dossier before any decision."""

    @state.transition(
        source=[S.AWAITING_DECISION, S.AWAITING_PRESIDENT],
        target=S.DECIDED,
        custom=_svc(ds.dossier_decide, "decision_signed", payload=()),
    )
    def decide(self, **kwargs: Any) -> None:
        """A signed decision names the dossier."""

    @state.transition(
        source=S.AWAITING_DECISION,
        target=S.AWAITING_PRESIDENT,
        custom=_svc(ds.dossier_propose_to_president, "decision_proposed", payload=()),
    )
    def propose_to_president(self, **kwargs: Any) -> None:
        """The PM proposes the batch to the President."""

    @state.transition(
        source=S.AWAITING_PRESIDENT,
        target=S.AWAITING_DECISION,
        custom=_svc(ds.dossier_recall_proposal, "batch_changed", payload=()),
    )
    def recall_proposal(self, **kwargs: Any) -> None:
        """A dossier left the proposed batch: the batch goes back to the PM."""

    @state.transition(
        source=S.DECIDED,
        target=S.REVOKED,
        permission=_policy("revoke"),
        custom=_svc(ds.dossier_revoke, "reason_code", "reason", payload=("reason_code", "reason")),
    )
    def revoke(self, **kwargs: Any) -> None:
        """Annul the award."""


# Action names as the API and the ledger spell them ("return" is a Python keyword).
METHOD: dict[str, str] = {"return": "return_"}


def _descriptor(action: str) -> Any:
    method = METHOD.get(action, action)
    if method not in vars(DossierLifecycle):
        raise KeyError(action)
    return getattr(DossierLifecycle, method)


def transitions() -> list[tuple[str, str, Any]]:
    """(source, action, transition) for every declared transition, in declaration order."""
    rows = []
    for action in ACTIONS:
        for t in _descriptor(action).get_transitions():
            rows.append((str(t.source), action, t))
    return rows


@functools.cache
def _sources() -> dict[str, frozenset[str]]:
    """Each action's source states, read once from the transitions declared above."""
    by_action: dict[str, set[str]] = {action: set() for action in ACTIONS}
    for source, action, _ in transitions():
        by_action[action].add(source)
    return {action: frozenset(sources) for action, sources in by_action.items()}


def allows(action: str, state: str) -> bool:
    """Whether the declaration has `action` leave `state`."""
    return state in _sources().get(action, frozenset())


def ensure(action: str, dossier: Dossier, *, label: bool = True) -> None:
    """Refuse (409 `invalid_state`) a move the declaration does not allow from the dossier's
    state (the state by its label, or its slug), before the service checks its guards: the
    refusal `fire` turns `TransitionNotAllowed` into, asked up front."""
    bound = getattr(DossierLifecycle(dossier), METHOD.get(action, action), None)
    if bound is None or not bound.can_proceed():
        raise domain.refusal(action, dossier, label=label)


def service_for(action: str) -> tuple[Callable[..., Dossier], tuple[str, ...]]:
    """The service that performs `action` and the payload fields it takes."""
    transition = next(iter(_descriptor(action).get_transitions()))
    return transition.custom["service"], transition.custom["payload"]


def fire(action: str, dossier: Dossier, **kwargs: Any) -> str:
    """Fire the declared transition: the dossier's state becomes its target, which is returned.
    The calling service has asked the policy and checked its guards; it saves the dossier."""
    bound = getattr(DossierLifecycle(dossier), METHOD.get(action, action))
    try:
        bound(**kwargs)
    except TransitionNotAllowed:
        raise domain.refusal(action, dossier) from None
    return dossier.state


ACTIONS: list[str] = [
    "submit",
    "record_bloc_vote",
    "accept",
    "return",
    "close_notice",
    "record_council_vote",
    "forward",
    "sign_submission",
    "reject",
    "hold",
    "release",
    "withdraw",
    "decide",
    "propose_to_president",
    "recall_proposal",
    "revoke",
]


def register() -> None:
    """Hand the declaration to the layers below (called from `WorkflowsConfig.ready`)."""
    domain.register(ensure=ensure, allows=allows, fire=fire)
