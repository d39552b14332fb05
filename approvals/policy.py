"""Who may do what with a ballot or a decision: approvals' part of the one policy.

`register` hands these to workflows/policy.py (from `ApprovalsConfig.ready`), so pages, the API
and the services ask `policy.actions` / `policy.require` for a ballot or a decision exactly as
they do for a dossier. Roles say who (`*_rules`), the object's state says when (`*_now`).
"""

from __future__ import annotations

from typing import TypedDict

from django.db.models import Exists, OuterRef, Q

from approvals import selectors, voting
from approvals.models import (
    BallotBody,
    BallotSession,
    BallotState,
    Decision,
    DecisionEntry,
    DecisionState,
)
from dossiers import levels, lifecycle
from dossiers.models import Decider, Dossier, DossierState, Role
from dossiers.permissions import UserLike, has_role, led_blocs, orgs_with_role
from workflows import policy

# --- decisions ----------------------------------------------------------------------------------


def decision_rules(user: UserLike, decision: Decision) -> dict[str, bool]:
    """The PM proposes a President form's batch to the President; a batch's decider signs it."""
    deciders = orgs_with_role(user, Role.DECIDER)
    return {
        "propose": decision.decider == Decider.PRESIDENT and Decider.PM in deciders,
        "sign": decision.decider in deciders,
    }


def _decision_now(action: str, decision: Decision) -> bool:
    if action == "propose":
        return decision.state == DecisionState.DRAFT
    ready = DecisionState.PROPOSED if decision.decider == Decider.PRESIDENT else DecisionState.DRAFT
    return decision.state == ready


def may_prepare(user: UserLike, dossier: Dossier) -> bool:
    """The head of the board of the level holding a dossier puts it into a decision batch."""
    holder = lifecycle.holder_code(dossier)
    board = levels.level(holder).board if holder else None
    return board is not None and has_role(user, Role.BOARD_HEAD, board)


def may_prepare_any(user: UserLike) -> bool:
    """The user heads the board of some level, so `may_prepare` that level's dossiers: the page
    that builds a batch, and the links to it, are theirs."""
    return bool(levels.authorities_where("board", orgs_with_role(user, Role.BOARD_HEAD)))


def batchable_q() -> Q:
    """Dossiers a new batch may take, as far as their state goes (what `decision_create`
    checks of each): awaiting a decision, the state both decision moves leave, and in no
    unsigned batch."""
    states = [
        state
        for state in DossierState.values
        if lifecycle.allows("decide", state) and lifecycle.allows("propose_to_president", state)
    ]
    return Q(state__in=states) & ~_in_open_batch()


# --- ballots ------------------------------------------------------------------------------------


def ballot_rules(user: UserLike, session: BallotSession) -> dict[str, bool]:
    """A member on the roll who has not voted may vote (from the prefetched roll and casts),
    unless it is a council member recorded as absent from the meeting and the ballot takes no
    written votes (`voting.written_votes_refused_by`); the bloc's leader of the year or the
    council's secretary closes; the council's secretary records who attends the council's
    meeting (a bloc's ballot has no roll call)."""
    orgs = orgs_with_role(user, Role.BLOC_VOTER)
    voted = {c.voter_id for c in session.casts.all()}
    mine = [
        v
        for v in session.roll.all()
        if v.pk not in voted
        and ((v.organization and v.organization.code in orgs) or v.user_id == user.pk)
    ]
    waiting = any(not v.in_writing for v in mine) or (
        bool(mine) and not voting.written_votes_refused_by(session)
    )
    manager = manages(user, session)
    return {
        "vote": waiting,
        "attendance": manager and session.body == BallotBody.COUNCIL,
        "close": manager,
    }


def manages(user: UserLike, session: BallotSession) -> bool:
    """The bloc's leader of the ballot's year, or the council's secretary, opens and closes."""
    if session.body == BallotBody.BLOC:
        return (session.bloc_id, session.year) in led_blocs(user)
    council = session.council.code if session.council else None
    return council is not None and has_role(user, Role.COUNCIL_SECRETARY, council)


def _ballot_now(action: str, session: BallotSession) -> bool:
    return session.state == BallotState.OPEN


class BallotAbilities(TypedDict):
    can_vote: bool
    can_close: bool
    can_record_attendance: bool


def ballot_abilities(user: UserLike, session: BallotSession) -> BallotAbilities:
    """The policy's answer for one ballot, as the API and the page show it."""
    allowed = policy.actions(user, session)
    return {
        "can_vote": "vote" in allowed,
        "can_close": "close" in allowed,
        "can_record_attendance": "attendance" in allowed,
    }


def _in_open_batch() -> Q:
    """The dossier is in a decision batch not yet signed."""
    open_batch = DecisionEntry.objects.filter(dossier=OuterRef("pk")).exclude(
        decision__state=DecisionState.SIGNED
    )
    return Q(Exists(open_batch))


def register() -> None:
    policy.register(
        Decision,
        rules=decision_rules,
        now=_decision_now,
        visible=selectors.decision_list_visible_to,
    )
    policy.register(
        BallotSession, rules=ballot_rules, now=_ballot_now, visible=selectors.ballot_list_visible_to
    )
    policy.register_open_batch(_in_open_batch)
