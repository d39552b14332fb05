"""The declared lifecycle (workflows/lifecycle.py): its graph, written out here as data, and
the refusal it gives for a move it does not allow."""

import pytest

from dossiers import lifecycle as domain
from dossiers.errors import STATE_CONFLICT, Conflict
from dossiers.models import Dossier, DossierState
from tests.lifecycle_table import EXPECTED, ROUTE
from workflows import lifecycle

S = DossierState


def _kind(transition) -> str:
    return ROUTE if not isinstance(transition.target, str) else str(transition.target)


def test_the_declared_graph_is_the_expected_table():
    declared: dict[str, dict[str, str]] = {}
    for source, action, transition in lifecycle.transitions():
        assert action not in declared.get(source, {}), (source, action)  # one per source
        declared.setdefault(source, {})[action] = _kind(transition)
    assert declared == EXPECTED
    # The terminal states have no way out.
    assert not {S.NOT_APPROVED, S.WITHDRAWN, S.REVOKED} & set(declared)


def test_route_targets_are_waiting_states_and_votes_can_fail():
    for _, action, transition in lifecycle.transitions():
        if _kind(transition) != ROUTE:
            continue
        targets = set(transition.declared_targets())
        assert targets <= set(domain.STAGE_STATE.values()) | {S.NOT_APPROVED}, action
        assert (S.NOT_APPROVED in targets) == action.startswith("record_"), action


def test_the_dossier_layer_reads_the_declaration():
    for state in S.values:
        for action in lifecycle.ACTIONS:
            assert domain.allows(action, state) == (action in EXPECTED.get(state, {}))


def test_a_move_from_the_wrong_state_is_the_409_invalid_state():
    dossier = Dossier(state=S.DECIDED)
    with pytest.raises(Conflict) as refused:
        domain.ensure("accept", dossier)
    assert refused.value.code == "invalid_state"
    assert refused.value.status == 409
    # Named by their labels, not by their codes.
    assert str(refused.value) == str(STATE_CONFLICT) % {
        "action": domain.ACTION_LABELS["accept"],
        "state": dossier.get_state_display(),
    }
    domain.ensure("revoke", dossier)  # allowed: no refusal


def test_the_wrapper_reads_and_writes_the_dossier_state():
    dossier = Dossier(state=S.INTAKE)
    flow = lifecycle.DossierLifecycle(dossier)
    assert flow.state == S.INTAKE
    flow.return_()
    assert dossier.state == S.RETURNED


def test_firing_a_transition_sets_its_target():
    returned = Dossier(state=S.RETURNED)
    assert domain.fire("submit", returned) == S.INTAKE == returned.state
    voted = Dossier(state=S.COUNCIL_REVIEW)
    assert domain.fire("record_council_vote", voted, passed=False) == S.NOT_APPROVED
    decided = Dossier(state=S.DECIDED)
    with pytest.raises(Conflict) as refused:
        domain.fire("withdraw", decided)
    assert refused.value.code == "invalid_state" and decided.state == S.DECIDED
    assert "“withdraw”" not in str(refused.value)
    assert str(domain.ACTION_LABELS["withdraw"]) in str(refused.value)


def test_each_action_names_its_one_service():
    from dossiers import services as ds

    for action in lifecycle.ACTIONS:
        service, fields = lifecycle.service_for(action)
        assert service.__module__ == ds.__name__, action
        assert set(fields) <= {"reason", "reason_code"}, action
    assert lifecycle.service_for("return")[0] is ds.dossier_return
    assert lifecycle.service_for("record_council_vote")[0] is ds.dossier_record_vote
    assert lifecycle.service_for("hold")[1] == ("reason_code", "reason")
