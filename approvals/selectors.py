"""Reads for decisions, filtered in the query by who may see them."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from approvals.models import (
    BallotBody,
    BallotItem,
    BallotState,
    Decision,
    DecisionEntry,
    DecisionState,
)
from approvals.voting import written_votes_refused_by
from dossiers import levels, permissions
from dossiers.models import Decider, Dossier, DossierState, Role

S = DossierState


def decision_list_visible_to(user) -> QuerySet[Decision]:
    queryset = Decision.objects.select_related("signed_by", "created_by").prefetch_related(
        Prefetch(
            "dossiers",
            queryset=Dossier.objects.select_related("organization").prefetch_related("nominees"),
        )
    )
    if permissions.is_inspector(user):
        return queryset
    seen = _whole_q(user)
    units = permissions.orgs_with_role(user, Role.UNIT_OFFICER, Role.UNIT_HEAD)
    if units:
        # A proposing unit reads the signed decisions that list its own dossiers.
        seen |= Q(state=DecisionState.SIGNED, pk__in=_listing_dossiers_of(units))
    return queryset.filter(seen)


def _whole_q(user) -> Q:
    """The decisions the user sees whole: its decider's (the PM's include the President's) and
    those its board prepares (the central board: the PM's and the President's)."""
    deciders = set(permissions.orgs_with_role(user, Role.DECIDER))
    if "TTG" in deciders:
        deciders.add("CTN")
    boards = permissions.orgs_with_role(user, Role.BOARD_OFFICER, Role.BOARD_HEAD)
    decided_by_board = levels.authorities_where("board", boards)
    if levels.CENTRAL in decided_by_board:
        decided_by_board.add(Decider.PRESIDENT)
    return Q(decider__in=deciders) | Q(decider__in=decided_by_board)


def decision_seen_whole(user, decision: Decision) -> bool:
    """Whether the user sees all of a decision it may see (an inspector, its decider, the board
    preparing it), not only as a proposing unit whose dossiers it lists."""
    if permissions.is_inspector(user):
        return True
    return Decision.objects.filter(_whole_q(user), pk=decision.pk).exists()


def _listing_dossiers_of(units: set[str]) -> QuerySet[DecisionEntry]:
    """The decisions (ids) that list a dossier proposed by one of `units`."""
    return DecisionEntry.objects.filter(dossier__organization__code__in=units).values("decision")


def decisions_on_own_dossiers(user) -> QuerySet[Decision]:
    """Signed decisions that list dossiers of the user's own units (as a proposer or the unit's
    head), newest first: the unit's home page shows them."""
    units = permissions.orgs_with_role(user, Role.UNIT_OFFICER, Role.UNIT_HEAD)
    if not units:
        return Decision.objects.none()
    return (
        decision_list_visible_to(user)
        .filter(state=DecisionState.SIGNED, pk__in=_listing_dossiers_of(units))
        .order_by("-signed_on", "-id")
    )


def decision_get_for_user(user, pk: int) -> Decision:
    decision = decision_list_visible_to(user).filter(pk=pk).first()
    if decision is None:
        raise Http404
    return decision


def decisions_waiting_for(user) -> QuerySet[Decision]:
    """Unsigned submissions waiting for this decider (the PM proposes President forms)."""
    deciders = permissions.orgs_with_role(user, Role.DECIDER)
    q = Q(pk__in=[])
    if deciders:
        q |= Q(decider__in=deciders - {"CTN"}, state="draft")
        if "TTG" in deciders:
            q |= Q(decider="CTN", state="draft")
        if "CTN" in deciders:
            q |= Q(decider="CTN", state="proposed")
    return decision_list_visible_to(user).filter(q)


def ballot_list_visible_to(user) -> QuerySet:
    """Ballot sessions the user may see: members on the roll, the board, the council, inspectors."""
    from approvals.models import BallotSession

    queryset = BallotSession.objects.select_related("bloc", "council", "opened_by", "closed_by")
    if permissions.is_inspector(user):
        return queryset
    voter_orgs = permissions.orgs_with_role(user, Role.BLOC_VOTER)
    boards = permissions.orgs_with_role(user, Role.BOARD_OFFICER, Role.BOARD_HEAD)
    councils = permissions.orgs_with_role(user, Role.COUNCIL_SECRETARY, Role.COUNCIL_MEMBER)
    # A board sees its own level's ballots: its council's, and its blocs' (organised by that
    # council); never another province's or ministry's.
    own_councils = {levels.level(a).council for a in levels.authorities_where("board", boards)}
    own_councils.discard(None)
    q = Q(roll__organization__code__in=voter_orgs) if voter_orgs else Q(pk__in=[])
    q |= Q(council__code__in=councils) | Q(roll__user=user)
    if own_councils:
        q |= Q(council__code__in=own_councils) | Q(bloc__organizer__code__in=own_councils)
    ids = queryset.filter(q).values("pk")
    return queryset.filter(pk__in=ids)


def ballot_get_for_user(user, pk: int, *, detail: bool = True):
    from approvals.models import BallotCast, BallotItem, BallotVoter

    queryset = ballot_list_visible_to(user)
    if detail:
        queryset = queryset.prefetch_related(
            Prefetch("roll", queryset=BallotVoter.objects.select_related("organization", "user")),
            Prefetch(
                "casts",
                queryset=BallotCast.objects.select_related("voter__organization", "voter__user"),
            ),
            Prefetch(
                "items",
                queryset=BallotItem.objects.select_related("nominee", "dossier__award_form"),
            ),
            "receipts",
        )
    session = queryset.filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def ballot_summary(
    session,
    *,
    can_vote: bool = False,
    can_close: bool = False,
    can_record_attendance: bool = False,
) -> dict:
    """A session as the ballot page and the API show it (api/schema.py's BallotSession): turnout
    (who voted, when, and on a council's ballot whether at the meeting or in writing; who
    attended the meeting), whether it takes written votes and, once closed, the tally and the
    receipts. Never choices. Reads the rows `ballot_get_for_user` prefetches; the `can_*` flags
    are `ballot_abilities`."""
    closed = session.state == "closed"
    roll = list(session.roll.all())
    casts = list(session.casts.all())
    voted_ids = {c.voter_id for c in casts}

    def who(voter):
        if voter.organization_id:
            return {"organization": voter.organization.code}
        return {"user": voter.user.username, "attendance": voter.attendance}

    nominees = []
    for item in session.items.all():
        row = {
            "nominee": item.nominee_id,
            "name": item.nominee.name,
            "dossier": item.dossier_id,
            "reference": item.dossier.reference,
        }
        if closed:
            row.update(
                yes=item.yes, no=item.no, abstain=item.abstain, conflicts=item.conflicts,
                eligible=item.eligible, voted=item.voted, passed=item.passed,
                outcome=item.outcome,
            )  # fmt: skip
        nominees.append(row)
    data = {
        "id": session.pk,
        "body": session.body,
        "bloc": session.bloc.code if session.bloc_id else None,
        "council": session.council.code if session.council_id else None,
        "year": session.year,
        "state": session.state,
        "opened_by": session.opened_by.username,
        "opened_at": session.opened_at,
        "deadline": session.deadline,
        "closed_at": session.closed_at,
        "turnout": {
            "eligible": len(roll),
            "voted": len(casts),
            "voters": [
                {**who(c.voter), "cast_at": c.cast_at, "in_writing": c.voter.in_writing}
                for c in casts
            ],
            "not_voted": [who(v) for v in roll if v.pk not in voted_ids],
            "in_writing": sum(1 for c in casts if c.voter.in_writing),
        },
        "nominees": nominees,
        "written_votes": session.body == BallotBody.COUNCIL
        and not written_votes_refused_by(session),
        "can_vote": not closed and can_vote,
        "can_close": not closed and can_close,
        "can_record_attendance": not closed and can_record_attendance,
    }
    if closed:
        data["receipts"] = sorted(r.receipt for r in session.receipts.all())
        data["minutes_sha256"] = session.minutes_sha256
    return data


def ballots_waiting_for(user) -> list:
    """Open sessions where the user's organisation (or the user) has not voted yet, and open
    sessions the user manages (the bloc leader, the council secretary)."""
    from approvals.models import BallotState

    open_sessions = ballot_list_visible_to(user).filter(state=BallotState.OPEN)
    voter_orgs = permissions.orgs_with_role(user, Role.BLOC_VOTER)
    to_vote = open_sessions.filter(
        Q(roll__organization__code__in=voter_orgs, roll__cast__isnull=True)
        | Q(roll__user=user, roll__cast__isnull=True)
    )
    led = permissions.led_blocs(user)
    secretary = permissions.orgs_with_role(user, Role.COUNCIL_SECRETARY)
    manage = Q(council__code__in=secretary)
    for bloc_id, year in led:
        manage |= Q(bloc_id=bloc_id, year=year)
    return list(open_sessions.filter(Q(pk__in=to_vote.values("pk")) | manage).order_by("id"))


def on_open_ballot_q() -> Q:
    """The dossier has a nominee on a ballot still open: it may not be put on another one
    (`ballot_open` refuses a nominee already on an open ballot, and wants a dossier's nominees
    together)."""
    busy = BallotItem.objects.filter(dossier=OuterRef("pk"), session__state=BallotState.OPEN)
    return Q(Exists(busy))
