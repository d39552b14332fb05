"""The one policy answers for dossiers, ballots and decisions alike; pages show what it says.

Expectations are data (persona, object, allowed actions), not computed from the policy."""

import pytest
from django.test import Client

from approvals.models import BallotSession, Decision, DecisionState
from dossiers.models import Dossier
from tests.signin import signin
from workflows import policy

# A President-form batch (CTN) and a PM batch (TTG), each as the demo world leaves them unsigned.
DECISIONS = [
    # (decider, state, persona, actions)
    ("CTN", DecisionState.DRAFT, "pm", ["propose"]),
    ("CTN", DecisionState.DRAFT, "president", []),
    ("CTN", DecisionState.DRAFT, "board-head", []),
    ("CTN", DecisionState.PROPOSED, "president", ["sign"]),
    ("CTN", DecisionState.PROPOSED, "pm", []),
    ("TTG", DecisionState.DRAFT, "pm", ["sign"]),
    ("TTG", DecisionState.DRAFT, "board-head", []),
    ("TTG", DecisionState.DRAFT, "inspector", []),
    ("TTG", DecisionState.SIGNED, "pm", []),
]


@pytest.mark.parametrize("decider,state,persona,expected", DECISIONS)
def test_decision_actions(world, decider, state, persona, expected):
    decision = Decision(decider=decider, state=state)
    assert policy.actions(world.user(persona), decision) == expected


def test_the_board_head_is_not_shown_the_prime_ministers_sign_form(world):
    decision = Decision.objects.filter(decider="TTG", state=DecisionState.DRAFT).first()
    assert decision is not None, "the demo world leaves a PM batch unsigned"
    for persona, shown in (("board-head", False), ("pm", True)):
        client = Client()
        assert signin(client, persona)
        page = client.get(f"/decisions/{decision.pk}/").content.decode()
        assert ('name="signed_on"' in page) is shown, persona
        assert ("Waiting for" in page or "Đang chờ" in page) is not shown, persona


def test_ballot_actions_follow_the_roll_and_the_leader(world):
    session = (
        BallotSession.objects.filter(state="open", body="bloc")
        .prefetch_related("roll__organization", "casts")
        .first()
    )
    assert session is not None, "the demo world leaves a bloc ballot open"
    voted = {c.voter_id for c in session.casts.all()}
    waiting = [v for v in session.roll.all() if v.pk not in voted and v.organization]
    assert waiting, "someone on the roll has not voted"
    voter = world.user(f"voter-{waiting[0].organization.code}")
    assert "vote" in policy.actions(voter, session)
    assert policy.actions(world.user("inspector"), session) == []
    session.state = "closed"
    assert policy.actions(voter, session) == []


def test_lists_come_from_the_policy_per_kind(world):
    outsider = world.user("proposer-VUFO")
    assert not policy.visible(outsider, Decision).exists()
    seen = policy.visible(outsider, Dossier)
    assert set(seen.values_list("organization__code", flat=True)) <= {"VUFO"}
    assert policy.visible(world.user("inspector"), Dossier).count() == Dossier.objects.count()


def test_unknown_kind_is_refused_loudly(world):
    with pytest.raises(LookupError):
        policy.actions(world.user("pm"), world.user("pm"))
