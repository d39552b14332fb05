"""The vote rule a nominee is counted by on a ballot (the arguments of `rules.tally`): read by
the close (approvals.ballots), the ballot pages and the minutes (approvals.minutes), which states
it."""

from __future__ import annotations

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
