"""Vote rules as pure functions: quorum, threshold on either denominator, abstentions,
conflicts of interest and ties. No database, so they are tested in microseconds."""

from dataclasses import dataclass

YES, NO, ABSTAIN, CONFLICT = "yes", "no", "abstain", "conflict"
CHOICES = (YES, NO, ABSTAIN)
TOTAL_MEMBERS, VOTERS = "total_members", "voters"

PASSED, NO_QUORUM, BELOW_THRESHOLD, TIE = "passed", "no_quorum", "below_threshold", "tie"


def votes_needed(percent: int, of: int) -> int:
    """The fewest votes that make at least `percent` % of `of` (what `tally` checks as
    `votes * 100 >= percent * of`): the numbers a ballot page states before anyone votes."""
    return -(-percent * of // 100)


@dataclass(frozen=True)
class Tally:
    yes: int
    no: int
    abstain: int
    conflicts: int
    eligible: int  # members who may vote on this nominee (the roll less declared conflicts)
    voted: int  # ballots that counted for this nominee
    passed: bool
    outcome: str


def tally(
    choices: list[str],
    *,
    roll: int,
    quorum_percent: int,
    threshold_percent: int,
    denominator: str,
) -> Tally:
    """Count one nominee's choices from the anonymous ballots.

    A conflicted voter does not vote on the nominee: it is not among the eligible (for the
    quorum) nor the voters. Quorum: voters ≥ quorum % of the eligible. Pass: yes ≥ threshold %
    of the denominator and strictly more yes than no. "Total members" is the whole roll, the
    members who declared a conflict and the absent included ("tính trên tổng số thành viên",
    domain.md §2.4); "voters" is those who voted. An exact yes/no tie fails (outcome "tie");
    without quorum the nominee fails whatever the votes ("no_quorum"). Abstentions count as
    votes cast, never as yes."""
    yes, no, abstain = choices.count(YES), choices.count(NO), choices.count(ABSTAIN)
    conflicts = choices.count(CONFLICT)
    eligible = max(roll - conflicts, 0)
    voted = yes + no + abstain
    base = roll if denominator == TOTAL_MEMBERS else voted
    if eligible == 0 or voted * 100 < quorum_percent * eligible:
        outcome = NO_QUORUM
    elif yes == no:
        outcome = TIE
    elif base == 0 or yes * 100 < threshold_percent * base or yes < no:
        outcome = BELOW_THRESHOLD
    else:
        outcome = PASSED
    return Tally(yes, no, abstain, conflicts, eligible, voted, outcome == PASSED, outcome)
