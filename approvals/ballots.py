"""Secret ballots of a bloc or the council: open (leader / secretary), cast (one per member),
close (tally, minutes, and every dossier on the ballot moves on in the same transaction).

`BallotCast` says who voted and when, and `BallotConflict` which nominees the member declared a
conflict of interest on. While the session is open, what the member chose is only in a
`SealedBallot`, encrypted with the session's key, which is not in the database
(approvals.sealing). The close opens every sealed ballot, writes its choices as `AnonymousChoice`
rows (one per nominee) and its receipt as a `BallotReceipt`, all in a random order, with random
keys and no time, in the closing transaction, and deletes the sealed ballots: nothing written
by the member's own transaction remains next to a choice. Nothing here logs a choice.
docs/ballot-secrecy.md gives the threat model."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections import Counter, defaultdict

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals import policy, rules, sealing
from approvals.minutes import render_minutes
from approvals.models import (
    AnonymousChoice,
    Attendance,
    BallotBody,
    BallotCast,
    BallotConflict,
    BallotItem,
    BallotReceipt,
    BallotSession,
    BallotState,
    BallotVoter,
    SealedBallot,
)
from approvals.voting import vote_rule, written_votes_refused_by
from audit import history, ledger
from dossiers import levels, lifecycle, permissions
from dossiers import services as dossier_services
from dossiers.errors import Conflict, DossierError
from dossiers.models import (
    Bloc,
    BlocMembership,
    DocumentKind,
    Dossier,
    Nominee,
    NomineeKind,
    NomineeOutcome,
    Organization,
    Role,
    RoleGrant,
    Stage,
)

HELD = "held"  # a ballot item whose nominee was held while the ballot was open
WITHDRAWN = "withdrawn"  # … or withdrawn with its dossier
LEFT: dict[str, str] = {NomineeOutcome.ON_HOLD: HELD, NomineeOutcome.WITHDRAWN: WITHDRAWN}
WRONG_COUNCIL = _(
    "Dossier %(ref)s is not at %(council)s: a council votes only on the dossiers its own level "
    "holds."
)
NOT_LEADER = _("Only the leader of %(bloc)s in %(year)s opens and closes its ballots.")
NOT_SECRETARY = _("Only the council secretary opens and closes council ballots.")
ONE_BODY = _("Name either a bloc or a council.")
NO_NOMINEES = _("A ballot needs at least one nominee.")
NOT_WAITING = _("Nominee %(value)s is not waiting for this vote (dossier %(ref)s is “%(state)s”).")
WRONG_BLOC = _("Dossier %(ref)s is voted by %(bloc)s in %(year)s, not by this ballot.")
WHOLE_DOSSIER = _("Put every nominee of dossier %(ref)s on the ballot (missing: %(names)s).")
INDIVIDUAL_IN_BLOC = _(
    "%(name)s is an individual: a bloc ranks its member organisations' collectives, individuals "
    "never go to a bloc vote."
)
ON_OTHER_BALLOT = _("Nominee %(value)s is already on open ballot %(session)s.")
EMPTY_ROLL = _("Nobody may vote on this ballot: the roll is empty.")
CLOSED = _("This ballot is closed.")
PAST_DEADLINE = _("The ballot's deadline has passed.")
NOT_ON_ROLL = _("You are not a member entitled to vote on this ballot.")
ALREADY_VOTED = _("Your organisation has already voted on this ballot.")
BAD_CHOICE = _("Choose yes, no or abstain for every nominee on the ballot (problem: %(value)s).")
UNKNOWN_NOMINEE = _("Nominee %(value)s is not on this ballot.")
NOT_DUE = _("The ballot is still open until %(deadline)s.")
UNKNOWN_BLOC = _("Unknown bloc: %(value)s.")
UNKNOWN_COUNCIL = _("Unknown council: %(value)s.")
UNSEALABLE = _(
    "The sealed ballots of this session cannot be opened: the ballot sealing key has changed "
    "since the session opened. Restore the previous key, then close the ballot again."
)
COUNCIL_ONLY = _(
    "Attendance and written votes belong to a council's meeting; a bloc's ballot has neither."
)
NOT_A_MEMBER = _("%(value)s is not a member on this ballot's roll.")
VOTED_AT_MEETING = _(
    "%(name)s voted at the meeting: the roll call cannot record the member as absent."
)
VOTED_IN_WRITING = _(
    "%(name)s sent a written vote as a member absent from the meeting: the roll call cannot "
    "record the member as present."
)
PRESENT_IN_WRITING = _(
    "You are recorded as present at the council's meeting: vote at the meeting, not in writing."
)
WRITTEN_VOTES_REFUSED = _(
    "This ballot takes no written votes: for %(forms)s only the members present at the "
    "council's meeting vote. Vote at the meeting; if you are there but recorded as absent, ask "
    "the council's secretary to record you as present."
)
RETURN_ON_BALLOT = _(
    "Dossier %(ref)s has nominees on open ballot %(session)s, which would count them while the "
    "unit supplements it: put the dossier or its nominees on hold instead."
)
TAMPERED = _(
    "The sealed ballots of this session do not match its casts (%(sealed)s sealed ballots, "
    "%(casts)s casts): they were altered in the database, so the ballot cannot be counted."
)


# A bloc ranks its member organisations: its ballot takes their collectives only, individuals
# (and households) never go to a bloc vote (domain.md §2.2).
BLOC_KINDS = frozenset({NomineeKind.COLLECTIVE})


def waiting_nominees_q(*, bloc: bool) -> Q:
    """The nominees a new ballot of a bloc (or a council) takes from a dossier waiting for its
    vote: those still pending, and on a bloc's ballot its members' collectives only. The one
    rule `ballot_open` checks and the page that opens a ballot offers."""
    pending = Q(outcome=NomineeOutcome.PENDING)
    return pending & Q(kind__in=BLOC_KINDS) if bloc else pending


def _lock_session(session: BallotSession | int) -> BallotSession:
    pk = session if isinstance(session, int) else session.pk
    return (
        BallotSession.objects.select_for_update(of=("self",))
        .select_related("bloc", "council")
        .get(pk=pk)
    )


def _bloc(session: BallotSession) -> Bloc:
    assert session.bloc is not None, "ballot_open names the bloc of a bloc ballot"
    return session.bloc


def _council(session: BallotSession) -> Organization:
    assert session.council is not None, "ballot_open names the council of a council ballot"
    return session.council


def _check_manager(actor: User, session: BallotSession) -> None:
    """403, saying who may, unless the policy lets the actor open and close this ballot."""
    if policy.manages(actor, session):
        return
    if session.body == BallotBody.BLOC:
        bloc = _bloc(session)
        raise PermissionDenied(str(NOT_LEADER % {"bloc": bloc.code, "year": session.year}))
    raise PermissionDenied(str(NOT_SECRETARY))


@transaction.atomic
def ballot_open(
    *,
    actor: User,
    year: int,
    nominee_ids: list[int],
    bloc_code: str | None = None,
    council_code: str | None = None,
    deadline: datetime.datetime | None = None,
) -> BallotSession:
    """Open a session on nominees of dossiers waiting at this bloc's (or the council's) vote."""
    if bool(bloc_code) == bool(council_code):
        raise DossierError(ONE_BODY, code="invalid")
    if not nominee_ids:
        raise DossierError(NO_NOMINEES, code="no_nominees")
    bloc = council = None
    if bloc_code:
        bloc = Bloc.objects.filter(code=bloc_code).first()
        if bloc is None:
            raise DossierError(UNKNOWN_BLOC, code="unknown_bloc", value=bloc_code)
        session = BallotSession(body=BallotBody.BLOC, bloc=bloc, year=year, opened_by=actor)
        move, stage = "record_bloc_vote", Stage.BLOC_VOTE
    else:
        council = Organization.objects.filter(code=council_code, kind="council").first()
        if council is None:
            raise DossierError(UNKNOWN_COUNCIL, code="unknown_council", value=council_code)
        session = BallotSession(
            body=BallotBody.COUNCIL, council=council, year=year, opened_by=actor
        )
        move, stage = "record_council_vote", Stage.COUNCIL_VOTE
    _check_manager(actor, session)
    nominees = list(Nominee.objects.filter(pk__in=set(nominee_ids)).select_related("dossier"))
    missing = set(nominee_ids) - {n.pk for n in nominees}
    if missing:
        raise DossierError(UNKNOWN_NOMINEE, code="unknown_nominee", value=min(missing))
    dossiers = {
        d.pk: d
        for d in Dossier.objects.select_for_update(of=("self",))
        .select_related("award_form", "bloc")
        .filter(pk__in=sorted({n.dossier_id for n in nominees}))
        .order_by("pk")
    }
    chosen = {n.pk for n in nominees}
    for nominee in nominees:
        dossier = dossiers[nominee.dossier_id]
        # The dossier must be in a state the vote's move leaves (the declared lifecycle).
        if not lifecycle.allows(move, dossier.state) or nominee.outcome != NomineeOutcome.PENDING:
            raise Conflict(
                NOT_WAITING, code="not_waiting", value=nominee.pk, ref=dossier.reference,
                state=dossier.get_state_display(),
            )  # fmt: skip
        if council and levels.level(lifecycle.holder_code(dossier) or "").council != council.code:
            raise DossierError(
                WRONG_COUNCIL, code="wrong_council", ref=dossier.reference, council=council.code
            )
        if bloc and nominee.kind not in BLOC_KINDS:
            raise DossierError(INDIVIDUAL_IN_BLOC, code="individual_in_bloc", name=nominee.name)
        if bloc and (dossier.bloc_id != bloc.pk or dossier.year != year):
            raise DossierError(
                WRONG_BLOC, code="wrong_bloc", ref=dossier.reference,
                bloc=dossier.bloc.code if dossier.bloc else "—", year=dossier.year,
            )  # fmt: skip
    for dossier in dossiers.values():
        # A bloc votes on the collectives only; the individuals wait for the board.
        left = dossier.nominees.filter(waiting_nominees_q(bloc=bool(bloc))).exclude(pk__in=chosen)
        if left.exists():
            raise DossierError(
                WHOLE_DOSSIER, code="whole_dossier", ref=dossier.reference,
                names=", ".join(n.name for n in left),
            )  # fmt: skip
    busy = BallotItem.objects.filter(nominee__in=chosen, session__state=BallotState.OPEN).first()
    if busy:
        raise Conflict(
            ON_OTHER_BALLOT, code="on_other_ballot", value=busy.nominee_id, session=busy.session_id
        )
    roll = ballot_roll(bloc=bloc, council=council, year=year)
    if not roll:
        raise DossierError(EMPTY_ROLL, code="empty_roll")
    session.deadline = deadline
    session.sealing_salt = sealing.new_salt()
    with ledger.recording(actor=actor, action="ballot.opened", obj=session) as event:
        history.author(session, actor, "ballot.opened")
        session.save()
        for voter in roll:
            voter.session = session
        BallotVoter.objects.bulk_create(roll)  # the roll has no history; the event lists it
        items = [
            BallotItem(session=session, nominee=nominee, dossier_id=nominee.dossier_id)
            for nominee in sorted(nominees, key=lambda n: n.pk)
        ]
        history.bulk_create(items, actor=actor, reason="ballot.nominee_added")
        event.data = {
            "stage": stage,
            "year": year,
            "nominees": sorted(chosen),
            "roll": sorted(v.organization.code if v.organization else str(v.user_id) for v in roll),
        }
    for dossier in dossiers.values():
        ledger.append(
            actor=actor, action="ballot_opened", object_type="dossiers.dossier",
            object_id=dossier.pk, dossier=dossier, data={"ballot": session.pk, "stage": stage},
            states=(dossier.state, dossier.state, dossier.version),
        )  # fmt: skip
    return session


def ballot_roll(
    *, bloc: Bloc | None = None, council: Organization | None = None, year: int | None = None
) -> list[BallotVoter]:
    """Who may vote on a new ballot (unsaved rows of its roll): the bloc's member organisations
    of the year, or the council's members."""
    if bloc is not None:
        assert year is not None, "a bloc's roll is of one year"
        members = BlocMembership.objects.filter(bloc=bloc, year=year).select_related("organization")
        return [BallotVoter(organization=m.organization) for m in members]
    grants = RoleGrant.objects.filter(role=Role.COUNCIL_MEMBER, organization=council)
    return [BallotVoter(user_id=g.user_id) for g in grants]


def _voter_for(actor: User, session: BallotSession) -> BallotVoter:
    roll = session.roll.all()
    if session.body == BallotBody.BLOC:
        orgs = permissions.orgs_with_role(actor, Role.BLOC_VOTER)
        voter = roll.filter(organization__code__in=orgs).first()
    else:
        voter = roll.filter(user=actor).first()
    if voter is None:
        raise PermissionDenied(str(NOT_ON_ROLL))
    return voter


@transaction.atomic
def ballot_cast(
    *,
    actor: User,
    session: BallotSession | int,
    choices: object,
    conflicts: object,
    in_writing: bool = False,
) -> str:
    """Cast the member's one ballot; returns its receipt. A second ballot is refused (409),
    by a unique constraint on the member's row of the roll, whatever the timing. `choices`
    ({nominee id: choice}) and `conflicts` ([nominee id]) come as sent, and are checked here.

    The declared conflicts are recorded on the cast; the choices are sealed with the session's
    key, together with a random receipt, and stored with nothing else (no time, a random key).

    On a council's ballot a member absent from the meeting sends its written vote (phiếu bằng
    văn bản) the same way, until the ballot closes: `in_writing`, or its absence recorded by
    the roll call. It is sealed and counted like any ballot (domain.md §2.4: the threshold is of
    all the members, so an absent member's written vote counts and its silence does not); the
    member's attendance (present, or absent with a written vote) is recorded with the cast, and
    is public like the cast. A member the roll call recorded as present votes at the meeting.
    Where an award form on the ballot takes no written votes (`written_votes_refused_by`), a
    written vote, or any ballot of a member recorded as absent, is refused (409) before anything
    is written."""
    session = _lock_session(session)
    if session.state != BallotState.OPEN:
        raise Conflict(CLOSED, code="ballot_closed")
    if session.deadline and timezone.now() > session.deadline:
        raise Conflict(PAST_DEADLINE, code="ballot_closed")
    voter = _voter_for(actor, session)
    council = session.body == BallotBody.COUNCIL
    if in_writing and not council:
        raise DossierError(COUNCIL_ONLY, code="council_only")
    if in_writing and voter.attendance == Attendance.PRESENT:
        raise Conflict(PRESENT_IN_WRITING, code="present_in_writing")
    written = council and (in_writing or voter.attendance == Attendance.ABSENT)
    refusing = written_votes_refused_by(session) if written else []
    if refusing:
        raise Conflict(
            WRITTEN_VOTES_REFUSED, code="written_votes_refused",
            forms=", ".join(form.name for form in refusing),
        )  # fmt: skip
    items = {str(i.nominee_id): i.pk for i in session.items.all()}
    if not isinstance(choices, dict) or not isinstance(conflicts, list):
        raise DossierError(BAD_CHOICE, code="invalid_choice", value="choices/conflicts")
    conflicted: set[int] = set()
    for nominee_id in conflicts:
        key = str(nominee_id)
        if key not in items:
            raise DossierError(UNKNOWN_NOMINEE, code="unknown_nominee", value=nominee_id)
        conflicted.add(items[key])
    marked: dict[str, str] = {}
    for nominee_id, choice in choices.items():
        key = str(nominee_id)
        if key not in items:
            raise DossierError(UNKNOWN_NOMINEE, code="unknown_nominee", value=nominee_id)
        if choice not in rules.CHOICES or items[key] in conflicted:
            raise DossierError(BAD_CHOICE, code="invalid_choice", value=f"{nominee_id}: {choice}")
        marked[str(items[key])] = choice
    if len(marked) + len(conflicted) != len(items):
        missing = [n for n, i in items.items() if str(i) not in marked and i not in conflicted]
        raise DossierError(BAD_CHOICE, code="invalid_choice", value=", ".join(missing))
    who = voter.organization.code if voter.organization else actor.get_username()
    try:
        with transaction.atomic():
            cast = BallotCast.objects.create(session=session, voter=voter, cast_by=actor)
    except IntegrityError as exc:
        raise Conflict(ALREADY_VOTED, code="already_voted") from exc
    if council:
        voter.attendance = Attendance.ABSENT if written else Attendance.PRESENT
        voter.save(update_fields=["attendance"])
    BallotConflict.objects.bulk_create(
        BallotConflict(cast=cast, item_id=item_id) for item_id in sorted(conflicted)
    )
    # Who voted, when, how (at the meeting or in writing) and which nominees it may not vote
    # on — never what.
    nominee_of = {i: int(n) for n, i in items.items()}
    facts: dict[str, object] = {
        "voter": who, "conflicts": sorted(nominee_of[i] for i in conflicted)
    }  # fmt: skip
    if council:
        facts["in_writing"] = written
    ledger.append(actor=actor, action="ballot.cast", obj=session, data=facts)
    receipt = secrets.token_hex(32)
    SealedBallot.objects.create(
        session=session,
        sealed=sealing.seal(
            session_id=session.pk,
            salt=session.sealing_salt,
            payload={"r": receipt, "c": marked},
            size=sealing.padded_size(sorted(nominee_of)),
        ),  # fmt: skip
    )
    return receipt


@transaction.atomic
def ballot_attendance(
    *, actor: User, session: BallotSession | int, present: list[str]
) -> BallotSession:
    """The council's secretary records the roll call of the council's meeting: the members
    named in `present` (usernames) attended, every other member on the roll was absent and may
    send a written vote until the ballot closes (domain.md §2.4), unless an award form on the
    ballot takes none (`written_votes_refused_by`). A member who has voted keeps
    the attendance its ballot recorded: the roll call cannot make a member who voted at the
    meeting absent, nor one who sent a written vote present (409). May be recorded again while
    the ballot is open (a late arrival); each roll call is a ledger event."""
    session = _lock_session(session)
    _check_manager(actor, session)
    if session.body != BallotBody.COUNCIL:
        raise DossierError(COUNCIL_ONLY, code="council_only")
    if session.state != BallotState.OPEN:
        raise Conflict(CLOSED, code="ballot_closed")
    roll = list(session.roll.select_related("user").order_by("id"))
    members = {v.user.get_username(): v for v in roll if v.user is not None}
    unknown = sorted(set(present) - set(members))
    if unknown:
        raise DossierError(NOT_A_MEMBER, code="not_a_member", value=unknown[0])
    voted = set(BallotCast.objects.filter(session=session).values_list("voter_id", flat=True))
    changed = []
    for name, voter in members.items():
        attendance = Attendance.PRESENT if name in present else Attendance.ABSENT
        if voter.pk in voted and voter.attendance != attendance:
            message = VOTED_IN_WRITING if voter.in_writing else VOTED_AT_MEETING
            raise Conflict(message, code="attendance_voted", name=name)
        if voter.attendance != attendance:
            voter.attendance = attendance
            changed.append(voter)
    BallotVoter.objects.bulk_update(changed, ["attendance"])  # the event below records it
    ledger.append(
        actor=actor, action="ballot.attendance_recorded", obj=session,
        data={
            "present": sorted(n for n, v in members.items() if v.attendance == Attendance.PRESENT),
            "absent": sorted(n for n, v in members.items() if v.attendance == Attendance.ABSENT),
        },
    )  # fmt: skip
    return session


def return_guard(dossier: Dossier) -> None:
    """A board returns a dossier waiting for its council only while none of its nominees is on
    an open ballot (409): the ballot would count them while the unit supplements the dossier
    (a hold takes them off the ballot instead). Registered on `return` from
    `ApprovalsConfig.ready`."""
    busy = BallotItem.objects.filter(dossier=dossier, session__state=BallotState.OPEN).first()
    if busy is not None:
        raise Conflict(
            RETURN_ON_BALLOT, code="on_open_ballot", ref=dossier.reference, session=busy.session_id
        )


def _unseal_and_shuffle(session: BallotSession) -> int:
    """Open every sealed ballot of the session, write its receipt and its choices (one row per
    nominee) in a random order, delete the sealed ballots and forget the session's salt.

    Runs inside the closing transaction: every anonymous row shares that transaction, none the
    member's. Returns the number of ballots opened."""
    sealed = list(session.sealed_ballots.values_list("sealed", flat=True))
    try:
        opened = [
            sealing.unseal(session_id=session.pk, salt=session.sealing_salt, blob=blob)
            for blob in sealed
        ]
    except sealing.Unsealable as exc:
        raise Conflict(UNSEALABLE, code="ballot_unsealable") from exc
    # A database writer cannot forge a sealed ballot (no key), but could delete or copy one:
    # one ballot per cast, each receipt once, and per nominee one choice per cast that did not
    # declare a conflict on it.
    casts = session.casts.count()
    items = set(session.items.values_list("pk", flat=True))
    declared = Counter(
        BallotConflict.objects.filter(cast__session=session).values_list("item_id", flat=True)
    )
    per_item = Counter(int(item) for ballot in opened for item in ballot["c"])
    if (
        len(opened) != casts
        or len({ballot["r"] for ballot in opened}) != casts
        or set(per_item) - items
        or any(per_item[i] + declared[i] != casts for i in items)
    ):
        raise Conflict(TAMPERED, code="ballot_tampered", sealed=len(opened), casts=casts)
    shuffle = secrets.SystemRandom().shuffle
    receipts = [ballot["r"] for ballot in opened]
    choices = [(int(item), choice) for ballot in opened for item, choice in ballot["c"].items()]
    shuffle(receipts)
    shuffle(choices)
    BallotReceipt.objects.bulk_create(BallotReceipt(session=session, receipt=r) for r in receipts)
    AnonymousChoice.objects.bulk_create(
        AnonymousChoice(session=session, item_id=item, choice=choice) for item, choice in choices
    )
    SealedBallot.objects.filter(session=session).delete()
    session.sealing_salt = b""
    return len(opened)


def ballot_tally(session: BallotSession) -> list[BallotItem]:
    """Recompute every nominee's tally from the stored anonymous choices and the conflicts the
    members declared on their casts (a conflicted member counts as the rules say: neither
    eligible nor voting for that nominee)."""
    roll = session.roll.count()
    chosen: dict[int, list[str]] = defaultdict(list)
    for item_id, choice in session.anonymous_choices.values_list("item_id", "choice"):
        chosen[item_id].append(choice)
    declared = Counter(
        BallotConflict.objects.filter(cast__session=session).values_list("item_id", flat=True)
    )
    items = list(session.items.select_related("dossier__award_form", "nominee"))
    for item in items:
        if item.nominee.outcome in LEFT:
            # Held or withdrawn since the ballot opened: it left the ballot, neither passed nor
            # failed.
            item.passed, item.outcome = None, LEFT[item.nominee.outcome]
            continue
        result = rules.tally(
            chosen[item.pk] + [rules.CONFLICT] * declared[item.pk],
            roll=roll,
            **vote_rule(session, item.dossier.award_form),
        )
        item.yes, item.no, item.abstain = result.yes, result.no, result.abstain
        item.conflicts, item.eligible, item.voted = result.conflicts, result.eligible, result.voted
        item.passed, item.outcome = result.passed, result.outcome
    return items


TALLY_FIELDS = ("yes", "no", "abstain", "conflicts", "eligible", "voted", "passed", "outcome")


def _save_tallies(items: list[BallotItem], actor: User | None) -> None:
    """Each item's tally and outcome with its history row (`ballot.tallied <outcome>`): one
    UPDATE per distinct tally (on a large ballot most nominees have the same), with its rows'
    history rows (`history.update`)."""
    same: dict[tuple[object, ...], list[BallotItem]] = defaultdict(list)
    for item in items:
        same[tuple(getattr(item, name) for name in TALLY_FIELDS)].append(item)
    for values, rows in same.items():
        tally = dict(zip(TALLY_FIELDS, values, strict=True))
        history.update(rows, actor=actor, reason=f"ballot.tallied {tally['outcome']}", **tally)


@transaction.atomic
def ballot_close(*, actor: User | None, session: BallotSession | int) -> BallotSession:
    """Close: open the sealed ballots and store them anonymously, tally, minutes PDF on every
    dossier, each dossier moves on or ends, all at once.

    `actor=None` is the clock closing a session whose deadline has passed."""
    session = _lock_session(session)
    if session.state != BallotState.OPEN:
        raise Conflict(CLOSED, code="ballot_closed")
    if actor is None:
        if not session.deadline or timezone.now() <= session.deadline:
            raise Conflict(NOT_DUE, code="not_due", deadline=session.deadline)
    else:
        _check_manager(actor, session)
    _unseal_and_shuffle(session)
    items = ballot_tally(session)
    session.state, session.closed_by, session.closed_at = BallotState.CLOSED, actor, timezone.now()
    roll = list(session.roll.select_related("organization", "user").order_by("id"))
    casts = list(session.casts.prefetch_related("conflicts__item__nominee"))
    pdf = render_minutes(session, roll, casts, items)
    name = f"bien-ban-kiem-phieu-{session.pk}.pdf"
    session.minutes.save(name, ContentFile(pdf), save=False)
    session.minutes_sha256 = hashlib.sha256(pdf).hexdigest()
    tallies = {
        str(i.nominee_id): [i.yes, i.no, i.abstain, i.conflicts, i.eligible, i.voted, i.outcome]
        for i in items
    }
    facts = {"tallies": tallies, "minutes_sha256": session.minutes_sha256, "ballots": len(casts)}
    with ledger.recording(actor=actor, action="ballot.closed", obj=session, data=facts):
        _save_tallies(items, actor)
        history.author(session, actor, "ballot.closed")
        session.save()
    is_bloc = session.body == BallotBody.BLOC
    kind = DocumentKind.objects.get(code="bien_ban_khoi" if is_bloc else "bien_ban_hoi_dong")
    stage = Stage.BLOC_VOTE if is_bloc else Stage.COUNCIL_VOTE
    move = "record_bloc_vote" if is_bloc else "record_council_vote"
    dossiers = list(
        Dossier.objects.select_for_update(of=("self",))
        .select_related("award_form__reviewing_body", "organization")
        .filter(pk__in=sorted({i.dossier_id for i in items}))
        .order_by("pk")
    )
    for dossier in dossiers:
        mine = [i for i in items if i.dossier_id == dossier.pk and i.outcome not in LEFT.values()]
        if not mine or not lifecycle.allows(move, dossier.state):
            # Every nominee of it left the ballot (held: it waits for a ballot after the release),
            # or the dossier itself did (withdrawn, held as a whole).
            continue
        tally: dossier_services.VoteTally = {
            "ballot": session.pk,
            "eligible": len(roll),
            "voted": len(casts),
            "passed": [i.nominee_id for i in mine if i.passed],
            "failed": [i.nominee_id for i in mine if not i.passed],
        }
        dossier_services.attachment_store(
            actor=actor, dossier=dossier, kind=kind, name=name, data=pdf,
            content_type="application/pdf",
        )  # fmt: skip
        dossier_services.dossier_record_vote(
            actor=actor,
            dossier=dossier,
            stage=stage,
            passed=any(i.passed for i in mine) or (is_bloc and _individuals_wait(dossier)),
            failed={i.nominee_id: f"{stage}: {i.outcome}" for i in mine if not i.passed},
            tally=tally,
        )
    return session


def _individuals_wait(dossier: Dossier) -> bool:
    """A bloc votes on the collectives: the dossier's individuals go on to the board whatever
    the bloc decided about its collectives."""
    pending = dossier.nominees.filter(outcome=NomineeOutcome.PENDING)
    return pending.exclude(waiting_nominees_q(bloc=True)).exists()


def ballots_close_due(now: datetime.datetime | None = None) -> list[int]:
    """Close every open ballot whose deadline has passed (`manage.py close_ballots`, from
    cron), each in its own transaction."""
    due = BallotSession.objects.filter(state=BallotState.OPEN, deadline__lt=now or timezone.now())
    closed: list[int] = []
    for pk in due.values_list("pk", flat=True):
        ballot_close(actor=None, session=pk)
        closed.append(pk)
    return closed
