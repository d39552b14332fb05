"""The vote rule a nominee is counted by on a ballot (the arguments of `rules.tally`), and whether
a council's ballot takes written votes: read by the cast and the close (approvals.ballots), the
policy, the ballot pages and the minutes (approvals.minutes), which state them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypedDict

from approvals.models import BallotBody, BallotSession
from dossiers.models import AwardForm, Bloc


class VoteRule(TypedDict):
    quorum_percent: int
    threshold_percent: int
    denominator: str


def vote_rule(session: BallotSession, form: AwardForm) -> VoteRule:
    """The rule a nominee of `form` is counted by on this ballot (`rules.tally`'s arguments):
    a bloc votes by its own rule where it has one, a council by the form's rule. The ballot
    pages state it before anyone votes or closes."""
    own = session.bloc if session.body == BallotBody.BLOC else None
    return {
        "quorum_percent": _rule(own, "quorum_percent", form),
        "threshold_percent": _rule(own, "vote_threshold_percent", form),
        "denominator": _rule(own, "vote_denominator", form),
    }


def _rule(bloc: Bloc | None, name: str, form: AwardForm) -> Any:
    """The bloc's own value of a vote rule, or the award form's where the bloc has none."""
    value = getattr(bloc, name) if bloc is not None else None
    return value if value not in (None, "") else getattr(form, name)


def written_votes_refused_by(
    session: BallotSession, forms: Iterable[AwardForm] | None = None
) -> list[AwardForm]:
    """The award forms on a council's ballot whose rule takes no written votes from members
    absent from the council's meeting (`AwardForm.absentee_written_vote` off; domain.md §2.4).

    A written vote is one sealed ballot on every nominee of the session, so while one such form
    is on it the ballot takes no written vote at all: a member absent from the meeting does not
    vote on it, and a member present votes at the meeting. Empty on a bloc's ballot (a bloc has
    no meeting) and when every form on the ballot takes written votes. `forms`: the forms of
    the ballot's nominees where the caller holds them (the close), else read from the items
    `ballot_get_for_user` prefetches, or from the database in one query."""
    if session.body != BallotBody.COUNCIL:
        return []
    if forms is None and "items" in getattr(session, "_prefetched_objects_cache", {}):
        forms = [item.dossier.award_form for item in session.items.all()]
    elif forms is None:
        forms = AwardForm.objects.filter(dossiers__ballot_items__session=session).distinct()
    refusing = {form.pk: form for form in forms if not form.absentee_written_vote}
    return sorted(refusing.values(), key=lambda form: form.code)
