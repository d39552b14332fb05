"""Quorum, thresholds (both denominators), abstentions, conflicts and ties."""

import pytest

from approvals.rules import (
    BELOW_THRESHOLD,
    NO_QUORUM,
    PASSED,
    TIE,
    TOTAL_MEMBERS,
    VOTERS,
    tally,
)


def run(choices, roll=9, quorum=50, threshold=50, denominator=TOTAL_MEMBERS):
    return tally(
        choices,
        roll=roll,
        quorum_percent=quorum,
        threshold_percent=threshold,
        denominator=denominator,
    )


def test_unanimous_bloc_passes():
    result = run(["yes"] * 9)
    assert (result.yes, result.eligible, result.voted, result.passed) == (9, 9, 9, True)


def test_missing_quorum_fails_even_if_all_present_say_yes():
    result = run(["yes"] * 4, quorum=50)  # 4 of 9 voted
    assert result.outcome == NO_QUORUM and not result.passed
    assert run(["yes"] * 5, quorum=50).outcome == PASSED  # 5 of 9 is a quorum


def test_threshold_on_total_members_counts_the_absent():
    # Council rule: ≥90% of all members. 18 of 20 present say yes: 90% → passes; 17 → fails.
    assert run(["yes"] * 18, roll=20, threshold=90).passed
    assert run(["yes"] * 17 + ["no"], roll=20, threshold=90).outcome == BELOW_THRESHOLD


def test_threshold_on_voters_ignores_the_absent():
    # 10 of 20 vote, 9 yes: 45% of members but 90% of voters.
    choices = ["yes"] * 9 + ["no"]
    assert not run(choices, roll=20, threshold=80, denominator=TOTAL_MEMBERS).passed
    assert run(choices, roll=20, threshold=80, denominator=VOTERS).passed


def test_abstentions_count_as_votes_not_as_yes():
    choices = ["yes"] * 6 + ["abstain"] * 3
    assert run(choices, threshold=80, denominator=VOTERS).outcome == BELOW_THRESHOLD  # 6/9
    assert run(choices, threshold=60, denominator=VOTERS).passed  # 6/9 ≥ 60%
    assert run(["abstain"] * 9).outcome == TIE  # 0 yes, 0 no


def test_conflict_does_not_vote_but_total_members_keeps_it_in_the_count():
    # 9-member bloc, the nominee's own organisation declares a conflict; 8 yes.
    result = run(["yes"] * 8 + ["conflict"], threshold=80)
    assert (result.eligible, result.voted, result.conflicts, result.passed) == (8, 8, 1, True)
    # "Total members" counts the conflicted member: 8 of 9 is below 90%, and below 100%.
    assert not run(["yes"] * 8 + ["conflict"], threshold=90).passed
    # "Voters" leaves it out: 8 of 8 voters.
    assert run(["yes"] * 8 + ["conflict"], threshold=100, denominator=VOTERS).passed


def test_tie_fails():
    result = run(["yes"] * 4 + ["no"] * 4 + ["abstain"], threshold=40)
    assert result.outcome == TIE and not result.passed


def test_more_no_than_yes_fails_even_below_a_low_threshold():
    assert run(["yes"] * 3 + ["no"] * 6, threshold=30).outcome == BELOW_THRESHOLD


@pytest.mark.parametrize("roll", [0, 1])
def test_empty_roll_or_all_conflicted_has_no_quorum(roll):
    assert run(["conflict"] * roll, roll=roll).outcome == NO_QUORUM
