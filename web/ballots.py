"""Ballots in the browser: open a session, cast a ballot, close and count.

Every page states the session's rule before anyone acts on it: the threshold and what it is a
percentage of, the quorum, the deadline, the roll and the turnout (`approvals.ballots.vote_rule`,
the rule the count itself uses). Closing ends dossiers, so it takes a confirmation: the close
page shows the rule and the turnout (who voted, never what: choices stay sealed until the
close) and closes only on a POST with `confirm=yes`.

Who may do what is the policy's (`approvals.policy.ballot_abilities`); the sessions are read
through `approvals.selectors` (404 for a ballot the user may not see). The open page offers
only the dossiers a new ballot may take: waiting for this body's vote and on no open ballot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.names import full_name
from approvals import ballots, rules
from approvals.models import Attendance, BallotBody, BallotSession, BallotState
from approvals.policy import ballot_abilities
from approvals.selectors import ballot_get_for_user, ballot_summary, on_open_ballot_q
from approvals.voting import written_votes_refused_by
from dossiers import levels, permissions
from dossiers.errors import DossierError
from dossiers.models import AwardForm, Bloc, DossierState, Nominee, Organization
from web.forms import BallotOpenForm
from workflows import selectors

OUTCOME_LABELS = {
    "passed": gettext_lazy("Passed"),
    "no_quorum": gettext_lazy("Failed: no quorum"),
    "below_threshold": gettext_lazy("Failed: below the threshold"),
    "tie": gettext_lazy("Failed: tie"),
    "held": gettext_lazy("Left the ballot: held"),
    "withdrawn": gettext_lazy("Left the ballot: withdrawn"),
}
DENOMINATOR_LABELS = {
    rules.TOTAL_MEMBERS: gettext_lazy("of all the members on the roll, the absent included"),
    rules.VOTERS: gettext_lazy("of the members who voted"),
}
CLOSE_NOT_CONFIRMED = gettext_lazy(
    "The ballot was not closed: confirm that you close it and count the votes now."
)
DEADLINE_PAST = gettext_lazy("The deadline must be later than now.")
DEADLINE_INVALID = gettext_lazy("Enter the deadline as a date and a time.")


# --- the rule ------------------------------------------------------------------------------------


@dataclass
class RuleRow:
    """One vote rule of a ballot, in numbers for the roll it is counted on, with the award
    forms it applies to (a ballot on several forms may count them by different rules)."""

    threshold_percent: int
    denominator: str
    quorum_percent: int
    roll: int
    forms: list[str] = field(default_factory=list)

    @property
    def denominator_label(self) -> str:
        return str(DENOMINATOR_LABELS.get(self.denominator, self.denominator))

    @property
    def on_total(self) -> bool:
        return self.denominator == rules.TOTAL_MEMBERS

    @property
    def yes_needed(self) -> int:
        """On the whole roll: the yes votes a nominee needs whoever turns out."""
        return rules.votes_needed(self.threshold_percent, self.roll)

    @property
    def quorum_needed(self) -> int:
        return rules.votes_needed(self.quorum_percent, self.roll)


def rule_rows(session: BallotSession, award_forms: list[AwardForm], roll: int) -> list[RuleRow]:
    """The distinct rules the nominees of `award_forms` are counted by on `session` (a saved
    session or one about to be opened)."""
    rows: dict[tuple, RuleRow] = {}
    for form in award_forms:
        rule = ballots.vote_rule(session, form)
        key = (rule["threshold_percent"], rule["denominator"], rule["quorum_percent"])
        row = rows.setdefault(key, RuleRow(*key, roll=roll))
        if form.name not in row.forms:
            row.forms.append(form.name)
    return list(rows.values())


def named_turnout(session: BallotSession, data: dict) -> dict:
    """The summary's turnout with each member named: a bloc's members by their organisations'
    names, a council's by their full names (the summary, shared with the API, gives codes and
    sign-in names). Reads the prefetched roll: no query."""
    names = {}
    for voter in session.roll.all():
        if voter.organization_id:
            org = voter.organization
            names[("organization", org.code)] = org.short_name or org.name
        else:
            names[("user", voter.user.username)] = full_name(voter.user)

    def named(row: dict) -> dict:
        key = ("organization", row["organization"]) if "organization" in row else None
        key = key or ("user", row.get("user"))
        return {**row, "label": names.get(key, key[1])}

    turnout = data["turnout"]
    return {
        **turnout,
        "voters": [named(v) for v in turnout["voters"]],
        "not_voted": [named(v) for v in turnout["not_voted"]],
    }


def _session_facts(session: BallotSession) -> dict:
    """The rule, the roll and the turnout of a session read with `ballot_get_for_user` (its
    rows prefetched: no query here); on a council's ballot, the award forms that keep it from
    taking written votes, named ("" when it takes them)."""
    items = list(session.items.all())
    roll = len(session.roll.all())
    voted = len(session.casts.all())
    rules_ = rule_rows(session, [item.dossier.award_form for item in items], roll)
    past = session.deadline is not None and timezone.now() > session.deadline
    refused = written_votes_refused_by(session)
    return {
        "rules": rules_,
        "written_refused": ", ".join(form.name for form in refused),
        "roll": roll,
        "voted": voted,
        "turnout_percent": round(100 * voted / roll) if roll else 0,
        "quorum_short": [r for r in rules_ if voted < r.quorum_needed],
        "deadline_past": past,
    }


# --- one ballot ----------------------------------------------------------------------------------


@login_required
def ballot_detail(request, pk: int):
    """The voter casts its ballot on one page (a council member absent from the meeting, its
    written vote); the leader watches turnout; the council's secretary records the meeting's
    roll call (`op=attendance`). Closing is the close page's (`ballot_close`): a POST of
    `op=close` here closes nothing and leads there."""
    session = ballot_get_for_user(request.user, pk)
    abilities = ballot_abilities(request.user, session)
    receipt = None
    if request.method == "POST":
        if request.POST.get("op") == "close":
            return redirect("workflows:ballot_close", pk=pk)
        if request.POST.get("op") == "attendance":
            return _record_attendance(request, pk)
        try:
            choices, conflicts = {}, []
            for item in session.items.all():
                value = request.POST.get(f"choice_{item.nominee_id}", "")
                if value == "conflict":
                    conflicts.append(item.nominee_id)
                else:
                    choices[str(item.nominee_id)] = value
            receipt = ballots.ballot_cast(
                actor=request.user, session=pk, choices=choices, conflicts=conflicts,
                in_writing=request.POST.get("in_writing") == "yes",
            )  # fmt: skip
        except DossierError as exc:
            messages.error(request, str(exc))
            return redirect("workflows:ballot", pk=pk)
        session = ballot_get_for_user(request.user, pk)
        abilities = ballot_abilities(request.user, session)
    data = ballot_summary(session, **abilities)
    data["turnout"] = named_turnout(session, data)
    for row in data["nominees"]:
        row["outcome_label"] = OUTCOME_LABELS.get(row.get("outcome", ""), "")
    facts = _session_facts(session)
    my_attendance = _my_attendance(request.user, session)
    context = {
        "session": session,
        "ballot": data,
        "receipt": receipt,
        "my_attendance": my_attendance,
        # Recorded absent on a ballot that takes no written votes: the policy lets it not vote.
        "absent_refused": my_attendance == Attendance.ABSENT
        and bool(facts["written_refused"])
        and session.state == BallotState.OPEN
        and not _has_voted(request.user, session),
        "members": _council_members(session),
        **facts,
        **abilities,
    }
    return render(request, "workflows/ballot_detail.html", context)


def _record_attendance(request, pk: int):
    """The secretary's roll call: the ticked members attended the meeting, the others were
    absent (they may send a written vote until the ballot closes)."""
    try:
        ballots.ballot_attendance(
            actor=request.user, session=pk, present=request.POST.getlist("present")
        )
    except DossierError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The meeting's attendance is recorded."))
    return redirect("workflows:ballot", pk=pk)


def _my_attendance(user, session: BallotSession) -> str:
    """The user's attendance at the council's meeting ("present", "absent" or "" while not
    known), from the prefetched roll; "" on a bloc's ballot."""
    if session.body != BallotBody.COUNCIL:
        return ""
    mine = [v for v in session.roll.all() if v.user_id == user.pk]
    return mine[0].attendance if mine else ""


def _has_voted(user, session: BallotSession) -> bool:
    """Whether the user's ballot is cast (a council member's, from the prefetched casts)."""
    return any(cast.voter.user_id == user.pk for cast in session.casts.all())


def _council_members(session: BallotSession) -> list:
    """The council's members on the roll, for the secretary's roll call (prefetched rows)."""
    if session.body != BallotBody.COUNCIL:
        return []
    return [v for v in session.roll.all() if v.user_id]


class BallotCloseForm(forms.Form):
    """The close page's confirmation: `confirm=yes`, nothing else closes."""

    confirm = forms.ChoiceField(
        choices=[("yes", "yes")],
        error_messages={"required": CLOSE_NOT_CONFIRMED, "invalid_choice": CLOSE_NOT_CONFIRMED},
    )


@login_required
def ballot_close(request, pk: int):
    """The confirmation before closing: the rule, the deadline and the turnout (who voted,
    never what). GET shows it; a POST with `confirm=yes` closes and counts. 404 for a ballot
    the user may not see, 403 for one they see but may not close."""
    session = ballot_get_for_user(request.user, pk)
    if session.state != BallotState.OPEN:
        messages.info(request, _("This ballot is closed."))
        return redirect("workflows:ballot", pk=pk)
    abilities = ballot_abilities(request.user, session)
    if not abilities["can_close"]:
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = BallotCloseForm(request.POST)
        if form.is_valid():
            try:
                ballots.ballot_close(actor=request.user, session=pk)
            except DossierError as exc:
                messages.error(request, str(exc))
                status = exc.status
            else:
                messages.success(request, _("The ballot is closed and counted."))
                return redirect("workflows:ballot", pk=pk)
        else:
            messages.error(request, str(CLOSE_NOT_CONFIRMED))
            status = 400
    data = ballot_summary(session, **abilities)
    data["turnout"] = named_turnout(session, data)
    context = {"session": session, "ballot": data, **_session_facts(session)}
    return render(request, "workflows/ballot_close.html", context, status=status)


# --- opening a session ---------------------------------------------------------------------------


class BallotOpenPageForm(BallotOpenForm):
    """The open page's form: a target it offers, nominees, and an optional deadline (after which
    `manage.py close_ballots` closes the session)."""

    deadline = forms.DateTimeField(
        label=gettext_lazy("Deadline"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        error_messages={"invalid": DEADLINE_INVALID},
    )

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        if deadline is not None and deadline <= timezone.now():
            raise ValidationError(DEADLINE_PAST, code="past")
        return deadline


@dataclass
class Target:
    """A ballot the user may open: a bloc of a year they lead, or a council they are the
    secretary of; the dossiers it may take, the rules they would be counted by, the roll."""

    key: str
    name: str
    year: int | None
    dossiers: list
    rules: list[RuleRow]
    roll: int
    default_year: int
    kwargs: dict  # what `ballot_open` is given for it


def _candidates(user, *, bloc: bool = False, **where):
    """Dossiers waiting for a vote the user may see, with no nominee on an open ballot; each
    with its pending nominees only (a bloc's: its collectives only)."""
    pending = Nominee.objects.filter(ballots.waiting_nominees_q(bloc=bloc)).order_by("id")
    return list(
        selectors.dossier_list_visible_to(user)
        .filter(**where)
        .exclude(on_open_ballot_q())
        .prefetch_related(None)
        .prefetch_related(Prefetch("nominees", queryset=pending, to_attr="pending"))
        .order_by("reference")
    )


def _target(key, name, year, dossiers, session, roll, kwargs) -> Target:
    forms = list({d.award_form_id: d.award_form for d in dossiers}.values())
    years = [d.year for d in dossiers]
    return Target(
        key=key,
        name=name,
        year=year,
        dossiers=dossiers,
        rules=rule_rows(session, forms, roll),
        roll=roll,
        default_year=year or (max(years) if years else timezone.localdate().year),
        kwargs=kwargs,
    )


def ballot_targets(user) -> list[Target]:
    """The ballots the user may open, each with the dossiers it may take now."""
    targets = []
    for bloc_id, year in sorted(permissions.led_blocs(user)):
        bloc = Bloc.objects.get(pk=bloc_id)
        dossiers = _candidates(
            user, bloc=True, state=DossierState.BLOC_VOTING, bloc_id=bloc_id, year=year
        )
        session = BallotSession(body=BallotBody.BLOC, bloc=bloc, year=year)
        roll = len(ballots.ballot_roll(bloc=bloc, year=year))
        kwargs = {"bloc_code": bloc.code, "year": year}
        targets.append(
            _target(f"bloc:{bloc_id}-{year}", bloc.name, year, dossiers, session, roll, kwargs)
        )
    for code in sorted(permissions.orgs_with_role(user, "council_secretary")):
        held = [levels.id_of(a) for a in levels.authorities_where("council", {code})]
        dossiers = _candidates(user, state=DossierState.COUNCIL_REVIEW, holder_id__in=held)
        council = Organization.objects.filter(code=code).first()
        session = BallotSession(body=BallotBody.COUNCIL, council=council)
        roll = len(ballots.ballot_roll(council=council))
        name, kwargs = levels.name_of(code), {"council_code": code}
        targets.append(_target(f"council:{code}", name, None, dossiers, session, roll, kwargs))
    return targets


@login_required
def ballot_open(request):
    """The bloc leader (or the council secretary) puts waiting nominees on a new ballot: only
    those a ballot may take (none already on an open ballot), none ticked in advance."""
    targets = ballot_targets(request.user)
    if not targets:
        raise PermissionDenied
    offered = {target.key: target.kwargs for target in targets}
    form, status, ticked = None, 200, set()
    if request.method == "POST":
        form = BallotOpenPageForm(request.POST, targets=offered)
        ticked = set(request.POST.getlist("nominees"))
        if form.is_valid():
            try:
                session = ballots.ballot_open(
                    actor=request.user,
                    nominee_ids=form.cleaned_data["nominees"],
                    deadline=form.cleaned_data.get("deadline"),
                    **form.cleaned_data["ballot"],
                )
            except DossierError as exc:
                messages.error(request, str(exc))
                status = exc.status
            else:
                return redirect("workflows:ballot", pk=session.pk)
        else:
            status = 400
    context = {
        "waiting": targets,
        "form": form,
        "ticked": ticked,
        "chosen": form.data.get("target", "") if form is not None else "",
    }
    return render(request, "workflows/ballot_open.html", context, status=status)


urlpatterns = [
    path("ballots/<int:pk>/close/", ballot_close, name="ballot_close"),
]
