"""The law's eligibility rules (domain.md §6.4) as pure functions: no database, so each is
tested in microseconds. Each rule reads the facts gathered by `dossiers.checks` (a `Facts`),
its numbers from the award form's `eligibility` data (catalogue.json, with citations), and
answers `Check`s: pass, fail or warning, with the rule's message and citation.

Where the law gives alternative criteria (Art. 73(1), 44(1), 74(1)), the proposer names the one
it claims (`Facts.criterion`); only that one blocks, the others are warnings.

The `eligibility` dict of a form maps rule codes to their data. Every entry carries `citation`;
`note` where domain.md marks a number [old] or [unverified]; optionally `subjects` (the nominee
kinds it applies to), `stages` (when it runs), `overridable: false`, `advisory: true` (a failure
is only a warning, e.g. a rule or a window of a superseded regulation). The rules, in the order
they are reported:

- `subject_type` (rule 1; Law Arts. 21, 25, 26 and each form's article): the form's nominee kinds.
  Never overridable.
- `authority` (rule 17; Law Arts. 77, 80, Decree 129/2025): at signing, the signer is one of the
  form's `deciders` ("level_head" = the head of the proposer's ministry or province) and the form
  is in force that day. Never overridable.
- `restriction` (rule 9; Decree 98/2023 and 152/2025 Art. 4): an open discipline, inspection,
  complaint or press allegation holds the nominee; after a discipline, achievements count only
  from its end (entries of the year it closed or earlier are not counted).
- `double_reward` (rule 7; Law Art. 5(2)): the same form and year proposed elsewhere or awarded
  (a claim or a history entry) fails; a duplicate in the batch being signed, or one already
  awarded, is never overridable. Other forms proposed for the same year are a warning.
- `criterion` (Law Arts. 73(1), 44(1), 74(1)): which alternative criterion the proposer claims.
- `national_fighter` (rule 2; Law Art. 21): consecutive ministry/province fighter titles and a
  recognised initiative with nationwide effect. Its only criterion: it always blocks.
- `ministry_fighter` ([old] Law 2003; Law 2022 Art. 22 not retrieved): consecutive grassroots
  fighter titles; advice only.
- `pm_certificate` (rule 3; Law Art. 73(1)(b)) and `labour_order_3` (rule 4; Art. 44(1)(e)): a
  prior certificate, then consecutive years rated "hoàn thành tốt" or better containing the named
  titles. Only ratings count as ratings (a CSTĐ cơ sở year with no rating breaks the run, unless
  the data lists it among `ratings`).
- `provincial_certificate` (rule 5; Law Art. 74(1)(d)): consecutive grassroots fighter titles, or
  consecutive "hoàn thành xuất sắc" years with further grassroots initiatives. Reading of "in
  addition to those used for CSTĐ cơ sở": within the years counted, the initiatives recorded
  minus the CSTĐ cơ sở titles (one initiative each) must reach `extra_initiatives`.
- `government_flag`, `flag_per_leader`, `flag_quota`, `flag_minutes` (rule 6; Law Art. 25,
  [old] Decree 91/2017 Art. 11, MOHA letter 5007/BNV-TĐKT): the nominee leads its bloc that year,
  one flag per leading collective, the organiser's proposals within `quota_percent` of its blocs'
  leading collectives (rounded down, at least `quota_minimum`; none for a bloc organised by the
  Central Council, Art. 25(2)), and the bloc's minutes.
- `hero_timing` (rule 18): only in a Patriotic Emulation Congress year (the year the dossier is
  handled, `Facts.today`) unless the dossier is exceptional.
- `intake_window` (rule 19; [old] Decree 91/2017 Art. 48): at submission and intake, today falls
  within the form's window.
- `documents` (rule 13; Law Art. 84, Decree 152/2025 Art. 42): the documents required for the
  nominee's kind are attached.
- `sudden_excluded` (rule 8; Decree 98/2023 and 152/2025 Art. 4) and `revoked_excluded` (rule 22;
  Law ch. VII): which entries the counts left out. Every count leaves them out whether or not the
  check is listed; the check only reports them.
- `women_maternity` (rule 10; Decree 98/2023 Art. 4): maternity leave (`service` kinds) counts as
  a year of service in a rating run and does not break a run of titles; women and collectives of
  at least `priority_percent` women get priority among equals (a note). The one-third reduction of
  women leaders' tenure is not applied: no rule here has a tenure requirement.

Entries counted by every rule: not sudden, not revoked, not before a discipline's end, and of
the dossier's achievement year (`Facts.year`) or earlier.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

PASS, FAIL, WARNING, OVERRIDDEN = "pass", "fail", "warning", "overridden"


@dataclass(frozen=True)
class Entry:
    """One history entry: `kind` is a TitleKind code (e.g. "CSTD-CS", "HTXSNV", "BK-TINH")."""

    kind: str
    year: int
    category: str = ""  # TitleCategory value
    sudden: bool = False
    revoked: bool = False
    awarded_on: datetime.date | None = None


@dataclass(frozen=True)
class Restriction:
    kind: str  # RestrictionKind value: discipline | inspection | complaint | press
    opened_on: datetime.date
    closed_on: datetime.date | None = None


@dataclass(frozen=True)
class Claim:
    """The same person or collective in another dossier (pending or awarded)."""

    form: str  # award form code
    year: int
    reference: str  # the other dossier's reference
    outcome: str  # NomineeOutcome value of that nominee
    board: str = ""  # the code of the level (authority) holding the other dossier
    same_decision: bool = False  # both in the decision batch being signed


@dataclass(frozen=True)
class FlagContext:
    """For the Government flag (rule 6): the nominee's bloc that year."""

    bloc: str  # bloc code, "" when the nominee's organisation leads no bloc that year
    is_leader: bool
    leaders_of_organizer: int  # blocs (so leading collectives) the organizer runs that year
    proposals_of_organizer: int  # flag proposals already made from those blocs that year
    flags_for_leader: int  # other flag proposals/awards for this collective that year
    minutes_present: bool
    # The bloc is organised by the Central Council: its leader is proposed without the quota
    # (Law Art. 25(2)); the quota is for blocs organised by ministries and provinces (25(1)).
    central_bloc: bool = False
    # Earlier flag proposals (dossier references) of other collectives of the same bloc and
    # year: a bloc has one leading collective a year, so a second proposal fails.
    earlier_in_bloc: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    form: str  # award form code
    level: str  # award form level (central | ministry | province)
    subject: str  # NomineeKind value: individual | collective | household
    year: int  # achievement year of the dossier
    today: datetime.date
    criterion: str = ""  # the alternative criterion claimed, e.g. "73.1.b"; "" when none
    identity: str = ""  # CCCD for individuals ("" when not given)
    sex: str = ""  # "female" | "male" | ""
    female_percent: int | None = None  # for collectives
    history: tuple[Entry, ...] = ()
    restrictions: tuple[Restriction, ...] = ()
    claims: tuple[Claim, ...] = ()
    documents: frozenset[str] = frozenset()  # DocumentKind codes attached to the dossier
    flag: FlagContext | None = None
    exceptional: bool = False  # the dossier is flagged exceptional (sudden achievement)
    decider: str = ""  # when signing: the code of the authority signing
    stage: str = "submit"  # save | submit | intake | appraisal | sign
    # Display names of title kinds, award forms and document kinds by code, for the messages
    # (a code shows as itself when missing).
    names: Mapping[str, str] = field(default_factory=dict)
    # The head of the proposer's ministry or province (levels.authority_of), for forms whose
    # `deciders` name "level_head".
    level_authority: str = ""
    # The award form's effective dates (AwardForm.valid_from / valid_until), for `authority`.
    form_valid_from: datetime.date | None = None
    form_valid_until: datetime.date | None = None


@dataclass(frozen=True)
class Check:
    rule: str  # rule code, e.g. "pm_certificate"
    outcome: str  # PASS | FAIL | WARNING | OVERRIDDEN
    message: str
    citation: str
    blocking: bool = False  # a FAIL that stops the action (not a warning)
    overridable: bool = True  # a board may override it (with the head's confirmation)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "outcome": self.outcome,
            "message": str(self.message),
            "citation": self.citation,
            "blocking": self.blocking,
            "overridable": self.overridable,
        }


# --- messages ---------------------------------------------------------------------------------

NONE = _("none")
RUN = _("%(first)s–%(last)s (%(count)s years)")
ENTRY = _("%(kind)s %(year)s")
TIMES = _("%(count)s × %(kind)s (%(years)s)")

SUBJECTS = {
    "individual": _("individuals"),
    "collective": _("collectives"),
    "household": _("households"),
}
SUBJECT_OK = _("The form may be awarded to %(subject)s.")
SUBJECT_WRONG = _("The form is awarded to %(allowed)s only, not to %(subject)s.")

LEVEL_HEAD = _("the head of the proposer's ministry or province")
AUTHORITY_OK = _("%(decider)s decides this form, in force on %(date)s.")
AUTHORITY_WRONG = _("%(decider)s may not decide this form: it is decided by %(allowed)s.")
AUTHORITY_OUT_OF_FORCE = _(
    "The form is not in force on %(date)s (in force from %(valid_from)s until %(valid_until)s)."
)

RESTRICTION_KINDS = {
    "discipline": _("discipline being considered or in force"),
    "inspection": _("investigation or inspection with signs of violation"),
    "complaint": _("complaint or denunciation being verified"),
    "press": _("press-reported allegation being verified"),
}
RESTRICTION_MATTER = _("%(kind)s since %(date)s")
RESTRICTION_OPEN = _("On hold: %(matters)s. No award or proposal while such a matter is open.")
RESTRICTION_NONE = _("No open discipline, inspection, complaint or press allegation.")
RESTRICTION_AFTER_DISCIPLINE = _(
    "Discipline ended on %(date)s: achievements up to %(year)s are not counted (%(entries)s)."
)

OUTCOMES = {"pending": _("pending"), "awarded": _("awarded"), "on_hold": _("on hold")}
CLAIM = _("%(reference)s (%(outcome)s, %(board)s)")
HISTORY_CLAIM = _("already in the history for %(year)s")
DOUBLE_SAME = _(
    "Already proposed or awarded %(form)s for %(year)s: %(others)s. One achievement is "
    "rewarded once."
)
DOUBLE_FLAGGED = _(
    "Duplicate flagged to both boards: %(detail)s Only one may be signed; decline the other "
    "with the reason “duplicate”."
)
DOUBLE_OTHER_FORMS = _(
    "Also proposed for %(forms)s for %(year)s: check that it is not the same achievement."
)
DOUBLE_NONE = _("No other proposal or award of %(form)s for %(year)s.")

CRITERION_NONE = _(
    "No criterion named: name the one claimed (%(codes)s); only that one blocks, the others "
    "are shown as warnings."
)
CRITERION_CHECKED = _("Criterion %(criterion)s claimed: checked automatically.")
CRITERION_BOARD = _("Criterion %(criterion)s claimed: the board assesses it.")
CRITERION_UNKNOWN = _(
    "Criterion %(criterion)s is not one listed for this form (%(codes)s): the board assesses it."
)
NOT_MET_OTHER_CLAIMED = _(
    "Criterion %(criterion)s not met: %(detail)s The proposer claims %(claimed)s, which the "
    "board assesses."
)
NOT_MET_NONE_CLAIMED = _("Criterion %(criterion)s not met: %(detail)s No criterion is named.")
ADVISORY = _("Advice only (a rule of an earlier regulation): %(detail)s")

CHAIN_OK = _("%(count)s consecutive titles of %(titles)s: %(years)s.")
CHAIN_SHORT = _(
    "Needs %(count)s consecutive titles of %(titles)s up to %(year)s; the history has: %(found)s."
)
INITIATIVE_OK = _("Initiative recognised as %(initiative)s (%(years)s).")
INITIATIVE_MISSING = _("Needs an initiative recognised as %(initiatives)s; none in the history.")

PRIOR_MISSING = _("Needs %(prior)s first; none in the history up to %(year)s.")
RUN_SHORT = _(
    "Needs %(count)s consecutive years rated %(ratings)s after %(prior)s (%(prior_year)s); "
    "the longest run is %(run)s."
)
WITHIN_SHORT = _("Needs %(count)s × %(kind)s within those years; %(run)s has %(found)s.")
RUN_OK = _("%(prior)s (%(prior_year)s), then %(run)s rated %(ratings)s, with %(within)s.")

EXCELLENT_OK = _(
    "%(count)s consecutive years rated %(rating)s (%(years)s), with %(extra)s initiatives "
    "beyond those used for %(used)s."
)
EXCELLENT_BEST = _("%(years)s with %(extra)s further initiatives")
PROVINCIAL_SHORT = _(
    "Needs %(title_count)s consecutive titles of %(titles)s (found: %(found)s), or "
    "%(rating_count)s consecutive years rated %(ratings)s with %(extra)s initiatives beyond "
    "those used for %(used)s (best: %(best)s)."
)

FLAG_BLOC_TAKEN = _(
    "Bloc %(bloc)s has one leading collective for %(year)s, and its flag is already proposed "
    "(%(references)s)."
)
FLAG_LEADER_OK = _("Leading collective of bloc %(bloc)s for %(year)s.")
FLAG_NOT_LEADER = _(
    "Not the leading collective of an emulation bloc for %(year)s: the Government flag goes to "
    "a bloc's leading collective."
)
FLAG_ONCE_OK = _("No other flag proposal or award for this leading collective in %(year)s.")
FLAG_ONCE_FAIL = _(
    "This leading collective already has %(count)s flag proposal(s) or award(s) for %(year)s: "
    "one flag per leading collective."
)
FLAG_QUOTA_OK = _(
    "Proposal %(number)s of at most %(allowed)s (%(percent)s%% of the %(leaders)s leading "
    "collectives of the organiser's blocs)."
)
FLAG_QUOTA_FAIL = _(
    "Proposal %(number)s exceeds the quota: at most %(allowed)s (%(percent)s%% of the "
    "%(leaders)s leading collectives of the organiser's blocs)."
)
FLAG_QUOTA_CENTRAL = _(
    "A bloc organised by the Central Council: its leading collective is proposed without the quota."
)
FLAG_MINUTES_OK = _("The bloc's minutes naming the bloc are present.")
FLAG_MINUTES_MISSING = _("The bloc's minutes naming the bloc and its result are missing.")

HERO_OK = _("%(year)s is a Patriotic Emulation Congress year.")
HERO_EXCEPTIONAL = _("Exceptional achievement: conferred outside the congress years.")
HERO_WRONG = _(
    "Conferred only in a Patriotic Emulation Congress year (%(years)s) unless the achievement "
    "is exceptional; %(year)s is not one."
)

WINDOW_RANGE = _("from %(start)s to %(end)s")
WINDOW_UNTIL = _("until %(end)s")
WINDOW_OK = _("Within the intake window (%(window)s).")
WINDOW_CLOSED = _("Dossiers are received %(window)s; today is %(date)s.")
WINDOW_EXCEPTIONAL = _("Exceptional achievement: the intake window does not apply.")

DOCUMENTS_OK = _("The %(count)s documents required for %(subject)s are attached.")
DOCUMENTS_MISSING = _("Missing documents for %(subject)s: %(kinds)s.")

SUDDEN_NOT_COUNTED = _("Not counted toward prerequisites (sudden or thematic awards): %(entries)s.")
REVOKED_NOT_COUNTED = _("Not counted (revoked): %(entries)s.")

WOMEN_MATERNITY = _("Maternity leave counted as service: %(years)s.")
WOMEN_PRIORITY = _("Female nominee: priority among equals.")
WOMEN_COLLECTIVE = _("%(percent)s%% of the collective are women: priority among equals.")


def _render(message: Any, params: dict[str, Any]) -> str:
    return str(message) % {key: str(value) for key, value in params.items()}


def _render_joined(items: list[Any], sep: str) -> str:
    return sep.join(str(item) for item in items)


# Lazy: a check's message is rendered in the language active where it is shown.
_format = cast(Callable[[Any, dict[str, Any]], str], lazy(_render, str))
_joined = cast(Callable[[list[Any], str], str], lazy(_render_joined, str))


def say(message: Promise | str, **params: Any) -> str:
    """The message with its parameters, translated when rendered (lazily)."""
    return _format(message, params)


def _join(items: Iterable[Any], sep: str = ", ") -> str:
    listed = list(items)
    return _joined(listed, sep) if listed else say(NONE)


def _years(years: Iterable[int]) -> str:
    return _join(sorted(set(years)))


def _run(run: list[int]) -> str:
    if not run:
        return say(NONE)
    return say(RUN, first=run[0], last=run[-1], count=len(run))


def _date(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def _name(facts: Facts, code: str) -> str:
    return facts.names.get(code, code)


def _names(facts: Facts, codes: Iterable[str], sep: str = " / ") -> str:
    """Alternatives ("/"), or a list with `sep` ", "."""
    return _join((_name(facts, code) for code in codes), sep)


def _entries(facts: Facts, entries: Iterable[Entry]) -> str:
    return _join(say(ENTRY, kind=_name(facts, e.kind), year=e.year) for e in entries)


# --- the history as the rules count it --------------------------------------------------------


@dataclass(frozen=True)
class CountedHistory:
    """The nominee's history split into what the counts use and what they leave out."""

    counted: tuple[Entry, ...]
    sudden: tuple[Entry, ...]
    revoked: tuple[Entry, ...]
    before_discipline: tuple[Entry, ...]
    discipline_end: datetime.date | None

    def years(self, kinds: Iterable[str]) -> set[int]:
        kinds = set(kinds)
        return {e.year for e in self.counted if e.kind in kinds}

    def count(self, kinds: Iterable[str], first: int, last: int) -> int:
        kinds = set(kinds)
        return sum(1 for e in self.counted if e.kind in kinds and first <= e.year <= last)


def counted_history(facts: Facts) -> CountedHistory:
    """Sudden or thematic awards (rule 8), revoked entries (rule 22) and, after a discipline,
    entries of the year it ended or earlier (rule 9) are left out of every count; so are entries
    after the dossier's achievement year."""
    ends = [
        r.closed_on
        for r in facts.restrictions
        if r.kind == "discipline" and r.closed_on is not None and r.closed_on <= facts.today
    ]
    end = max(ends, default=None)
    counted, sudden, revoked, before = [], [], [], []
    for entry in sorted(facts.history, key=lambda e: (e.year, e.kind)):
        if entry.year > facts.year:
            continue
        if entry.revoked:
            revoked.append(entry)
        elif entry.sudden:
            sudden.append(entry)
        elif end is not None and entry.year <= end.year:
            before.append(entry)
        else:
            counted.append(entry)
    return CountedHistory(tuple(counted), tuple(sudden), tuple(revoked), tuple(before), end)


def _chains(years: set[int], bridge: set[int], max_gap: int = 1) -> list[list[int]]:
    """Runs of title years, each at most `max_gap` years after the last; `bridge` years
    (maternity leave) between two titles neither break the run nor count in it."""
    chains: list[list[int]] = []
    for year in sorted(years):
        last = chains[-1][-1] if chains else None
        gap = None if last is None else year - last - sum(1 for y in bridge if last < y < year)
        if gap is not None and gap <= max_gap:
            chains[-1].append(year)
        else:
            chains.append([year])
    return chains


def _longest(chains: list[list[int]]) -> list[int]:
    """The longest run, the latest of equal ones."""
    return max(chains, key=lambda c: (len(c), c[-1]), default=[])


# --- checks -----------------------------------------------------------------------------------

NEVER_OVERRIDABLE = {"subject_type", "authority"}
DEFAULT_STAGES = {"authority": ("sign",), "intake_window": ("submit", "intake")}
LIVE_OUTCOMES = {"pending", "awarded", "on_hold"}  # a claim still standing


def _check(
    code: str,
    params: Mapping[str, Any],
    outcome: str,
    message: str,
    *,
    overridable: bool = True,
    **extra: Any,
) -> Check:
    """A check of rule `code` with its data's citation and note. Data marked `advisory` turns
    a failure into a warning (never for subject type or authority)."""
    if params.get("note"):
        extra["note"] = params["note"]
    if outcome == FAIL and params.get("advisory") and code not in NEVER_OVERRIDABLE:
        outcome, message = WARNING, say(ADVISORY, detail=message)
    return Check(
        rule=code,
        outcome=outcome,
        message=message,
        citation=params["citation"],
        blocking=outcome == FAIL,
        overridable=overridable
        and code not in NEVER_OVERRIDABLE
        and params.get("overridable", True),
        extra=extra,
    )


def _verdict(
    code: str, params: Mapping[str, Any], facts: Facts, met: bool, message: str, **extra: Any
) -> Check:
    """A prerequisite's result. Not met: a failure when it is the form's only criterion or the
    one claimed; a warning when the proposer claims another criterion or names none."""
    if met:
        return _check(code, params, PASS, message, **extra)
    criterion = params.get("criterion", "")
    if not criterion or facts.criterion == criterion:
        return _check(code, params, FAIL, message, **extra)
    if facts.criterion:
        text = say(
            NOT_MET_OTHER_CLAIMED, criterion=criterion, detail=message, claimed=facts.criterion
        )
    else:
        text = say(NOT_MET_NONE_CLAIMED, criterion=criterion, detail=message)
    return _check(code, params, WARNING, text, **extra)


Rule = Callable[[str, Mapping[str, Any], Facts, CountedHistory], list[Check]]


def subject_type(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 1: Cờ thi đua for collectives only, Chiến sĩ thi đua for individuals only, each
    form for the nominee kinds its article names. Never overridable."""
    subject = SUBJECTS.get(facts.subject, facts.subject)
    if facts.subject in p["subjects"]:
        return [_check(code, p, PASS, say(SUBJECT_OK, subject=subject))]
    allowed = _join((SUBJECTS.get(s, s) for s in p["subjects"]), " / ")
    return [_check(code, p, FAIL, say(SUBJECT_WRONG, allowed=allowed, subject=subject))]


def authority(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 17: the signer decides this form, and the form is in force on the signing day.
    Never overridable."""
    allowed = [facts.level_authority if d == "level_head" else d for d in p["deciders"]]
    labels = [LEVEL_HEAD if d == "level_head" else _name(facts, d) for d in p["deciders"]]
    decider = _name(facts, facts.decider) if facts.decider else say(NONE)
    if not facts.decider or facts.decider not in allowed:
        message = say(AUTHORITY_WRONG, decider=decider, allowed=_join(labels, " / "))
        return [_check(code, p, FAIL, message)]
    start, end = facts.form_valid_from, facts.form_valid_until
    if (start and facts.today < start) or (end and facts.today > end):
        message = say(
            AUTHORITY_OUT_OF_FORCE,
            date=_date(facts.today),
            valid_from=_date(start) if start else "…",
            valid_until=_date(end) if end else "…",
        )
        return [_check(code, p, FAIL, message)]
    return [_check(code, p, PASS, say(AUTHORITY_OK, decider=decider, date=_date(facts.today)))]


def restriction(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 9: no award or proposal while a discipline, an inspection with signs of violation,
    a complaint or a press allegation is open; after a discipline, achievements count from its
    end (the counts leave out entries up to the year it ended)."""
    open_ = [r for r in facts.restrictions if r.closed_on is None or r.closed_on > facts.today]
    if open_:
        matters = _join(
            say(
                RESTRICTION_MATTER,
                kind=RESTRICTION_KINDS.get(r.kind, r.kind),
                date=_date(r.opened_on),
            )
            for r in sorted(open_, key=lambda r: r.opened_on)
        )
        return [_check(code, p, FAIL, say(RESTRICTION_OPEN, matters=matters))]
    message = say(RESTRICTION_NONE)
    if history.discipline_end and history.before_discipline:
        detail = say(
            RESTRICTION_AFTER_DISCIPLINE,
            date=_date(history.discipline_end),
            year=history.discipline_end.year,
            entries=_entries(facts, history.before_discipline),
        )
        message = _join([message, detail], " ")
    return [_check(code, p, PASS, message)]


def double_reward(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 7: one achievement, one reward. The same form for the same year already awarded
    (here or in the history) fails, never overridable. Proposed by another unit (under any
    board) and still pending, it is flagged to both boards (a warning) until the signature,
    where a duplicate in the batch being signed fails, never overridable: one of them is
    declined (reason `duplicate`). Another form for the same year is a warning (the board
    checks it is not the same achievement)."""
    live = [c for c in facts.claims if c.year == facts.year and c.outcome in LIVE_OUTCOMES]
    same = [c for c in live if c.form == facts.form]
    held = [
        e
        for e in facts.history
        if e.kind == facts.form and e.year == facts.year and not e.revoked and not e.sudden
    ]
    form = _name(facts, facts.form)
    if same or held:
        others = [
            say(CLAIM, reference=c.reference, outcome=OUTCOMES[c.outcome], board=c.board or "—")
            for c in same
        ] + [say(HISTORY_CLAIM, year=e.year) for e in held]
        final = bool(held) or any(c.same_decision or c.outcome == "awarded" for c in same)
        message = say(DOUBLE_SAME, form=form, year=facts.year, others=_join(others, "; "))
        references = [c.reference for c in same]
        if not final and facts.stage != "sign":
            message = say(DOUBLE_FLAGGED, detail=message)
            return [_check(code, p, WARNING, message, references=references)]
        return [_check(code, p, FAIL, message, overridable=not final, references=references)]
    other = sorted({c.form for c in live if c.form != facts.form})
    if other:
        message = say(DOUBLE_OTHER_FORMS, forms=_names(facts, other), year=facts.year)
        return [_check(code, p, WARNING, message, forms=other)]
    return [_check(code, p, PASS, say(DOUBLE_NONE, form=form, year=facts.year))]


def criterion(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """The alternative criterion claimed (Law Arts. 73(1), 44(1), 74(1)): naming none is a
    warning; one a rule checks is checked by that rule; another is for the board."""
    codes: Mapping[str, str | None] = p["codes"]
    listed = _join(codes)
    claimed = facts.criterion
    if not claimed:
        return [_check(code, p, WARNING, say(CRITERION_NONE, codes=listed))]
    if claimed not in codes:
        message = say(CRITERION_UNKNOWN, criterion=claimed, codes=listed)
        return [_check(code, p, WARNING, message)]
    text = CRITERION_CHECKED if codes[claimed] else CRITERION_BOARD
    return [_check(code, p, PASS, say(text, criterion=claimed))]


def _consecutive_titles(
    p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> tuple[bool, str]:
    last = facts.year - p.get("last_year_offset", 0)
    years = {y for y in history.years(p["titles"]) if y <= last}
    bridge = history.years(p.get("service", ()))
    chain = _longest(_chains(years, bridge - years, p.get("max_gap_years", 1)))
    titles = _names(facts, p["titles"])
    if len(chain) >= p["count"]:
        return True, say(CHAIN_OK, count=len(chain), titles=titles, years=_years(chain))
    found = _years(years)
    return False, say(CHAIN_SHORT, count=p["count"], titles=titles, year=last, found=found)


def national_fighter(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 2 (Law Art. 21): `count` consecutive ministry/province fighter titles, the later
    one of the achievement year less `last_year_offset` or earlier ([old] timing), and an
    initiative recognised with nationwide effect. The form's only criterion: it blocks."""
    met, message = _consecutive_titles(p, facts, history)
    last = facts.year - p.get("last_year_offset", 0)
    initiatives = [e for e in history.counted if e.kind in p["initiatives"] and e.year <= last]
    if initiatives:
        kinds = _names(facts, sorted({e.kind for e in initiatives}))
        note = say(INITIATIVE_OK, initiative=kinds, years=_years(e.year for e in initiatives))
    else:
        note = say(INITIATIVE_MISSING, initiatives=_names(facts, p["initiatives"]))
    message = _join([message, note], " ")
    return [_verdict(code, p, facts, met and bool(initiatives), message)]


def ministry_fighter(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """[old] Law 2003: a ministry/province fighter is chosen among those with `count`
    consecutive grassroots fighter titles (Law 2022 Art. 22 not retrieved): advice only."""
    met, message = _consecutive_titles(p, facts, history)
    return [_verdict(code, p, facts, met, message)]


def _best_run(
    p: Mapping[str, Any], history: CountedHistory, runs: list[list[int]]
) -> tuple[list[int], dict[str, list[int]], bool]:
    """The first run (latest first) meeting the length and the counts within; else the
    longest, for the message."""
    within: Mapping[str, int] = p.get("within", {})

    def counts(run: list[int]) -> dict[str, list[int]]:
        return {kind: sorted(history.years([kind]) & set(run)) for kind in within}

    for run in sorted(runs, key=lambda r: r[-1], reverse=True):
        found = counts(run)
        if len(run) >= p["years"] and all(len(found[k]) >= n for k, n in within.items()):
            return run, found, True
    run = _longest(runs)
    return run, counts(run), False


def certificate_then_years(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rules 3 and 4 (Law Arts. 73(1)(b), 44(1)(e)): a prior certificate, then at least
    `years` consecutive years rated in `ratings` (a `service` year, maternity leave, counts as a
    year of service), containing the titles `within` asks (e.g. 3 × CSTĐ cơ sở)."""
    prior = _names(facts, p["prior"])
    priors = sorted(history.years(p["prior"]))
    if not priors:
        return [_verdict(code, p, facts, False, say(PRIOR_MISSING, prior=prior, year=facts.year))]
    start = priors[0]
    good = history.years(p["ratings"]) | history.years(p.get("service", ()))
    runs = _chains({y for y in good if y > start}, set())
    run, found, met = _best_run(p, history, runs)
    ratings = _names(facts, p["ratings"])
    within: Mapping[str, int] = p.get("within", {})
    if met:
        parts = [
            say(TIMES, count=len(found[k]), kind=_name(facts, k), years=_years(found[k]))
            for k in within
        ]
        message = say(
            RUN_OK,
            prior=prior,
            prior_year=start,
            run=_run(run),
            ratings=ratings,
            within=_join(parts),
        )
        return [_verdict(code, p, facts, True, message, run=run)]
    parts = []
    if len(run) < p["years"]:
        parts.append(
            say(
                RUN_SHORT,
                count=p["years"],
                ratings=ratings,
                prior=prior,
                prior_year=start,
                run=_run(run),
            )
        )
    for kind, n in within.items():
        if len(found[kind]) < n:
            parts.append(
                say(
                    WITHIN_SHORT,
                    count=n,
                    kind=_name(facts, kind),
                    run=_run(run),
                    found=len(found[kind]),
                )
            )
    return [_verdict(code, p, facts, False, _join(parts, " "), run=run)]


def provincial_certificate(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 5 (Law Art. 74(1)(d)): `title_count` consecutive grassroots fighter titles, or
    `rating_count` consecutive "hoàn thành xuất sắc" years with `extra_initiatives` grassroots
    initiatives beyond those used for the fighter titles of those years."""
    bridge = history.years(p.get("service", ()))
    titles = history.years(p["titles"])
    chain = _longest(_chains(titles, bridge - titles))
    if len(chain) >= p["title_count"]:
        message = say(
            CHAIN_OK, count=len(chain), titles=_names(facts, p["titles"]), years=_years(chain)
        )
        return [_verdict(code, p, facts, True, message, years=chain)]
    excellent = history.years(p["ratings"])
    best: tuple[int, list[int]] | None = None
    for run in _chains(excellent, bridge - excellent):
        for i in range(len(run)):
            for j in range(i + p["rating_count"] - 1, len(run)):
                window = run[i : j + 1]
                used = len(history.years(p["used_by"]) & set(range(window[0], window[-1] + 1)))
                extra = history.count(p["initiatives"], window[0], window[-1]) - used
                if best is None or (extra, window[-1]) > (best[0], best[1][-1]):
                    best = (extra, window)
    if best is not None and best[0] >= p["extra_initiatives"]:
        extra, window = best
        message = say(
            EXCELLENT_OK,
            count=len(window),
            rating=_names(facts, p["ratings"]),
            years=_years(window),
            extra=extra,
            used=_names(facts, p["used_by"]),
        )
        return [_verdict(code, p, facts, True, message, years=window)]
    best_text = say(EXCELLENT_BEST, years=_years(best[1]), extra=best[0]) if best else NONE
    message = say(
        PROVINCIAL_SHORT,
        title_count=p["title_count"],
        titles=_names(facts, p["titles"]),
        found=_years(titles),
        rating_count=p["rating_count"],
        ratings=_names(facts, p["ratings"]),
        extra=p["extra_initiatives"],
        used=_names(facts, p["used_by"]),
        best=best_text,
    )
    return [_verdict(code, p, facts, False, message)]


def government_flag(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 6 (Law Art. 25; [old] Decree 91/2017 Art. 11; MOHA 5007/BNV-TĐKT): four checks —
    the nominee is its bloc's leading collective that year (`government_flag`); one flag per
    leading collective (`flag_per_leader`); the organiser's proposals at most `quota_percent` of
    its blocs' leading collectives, rounded down, at least `quota_minimum` (`flag_quota`); the
    bloc's minutes (`flag_minutes`)."""
    flag, year = facts.flag, facts.year
    if flag is None or not flag.is_leader or not flag.bloc:
        return [_check(code, p, FAIL, say(FLAG_NOT_LEADER, year=year))]
    if flag.earlier_in_bloc:
        refs = ", ".join(flag.earlier_in_bloc)
        message = say(FLAG_BLOC_TAKEN, bloc=flag.bloc, year=year, references=refs)
        return [_check(code, p, FAIL, message, overridable=False)]
    checks = [_check(code, p, PASS, say(FLAG_LEADER_OK, bloc=flag.bloc, year=year))]
    if flag.flags_for_leader:
        message = say(FLAG_ONCE_FAIL, count=flag.flags_for_leader, year=year)
        checks.append(_check("flag_per_leader", p, FAIL, message))
    else:
        checks.append(_check("flag_per_leader", p, PASS, say(FLAG_ONCE_OK, year=year)))
    if flag.central_bloc:
        checks.append(_check("flag_quota", p, PASS, say(FLAG_QUOTA_CENTRAL)))
    else:
        percent = p["quota_percent"]
        allowed = max(p["quota_minimum"], math.floor(flag.leaders_of_organizer * percent / 100))
        number = flag.proposals_of_organizer + 1
        outcome = PASS if number <= allowed else FAIL
        message = say(
            FLAG_QUOTA_OK if outcome == PASS else FLAG_QUOTA_FAIL,
            number=number,
            allowed=allowed,
            percent=percent,
            leaders=flag.leaders_of_organizer,
        )
        checks.append(_check("flag_quota", p, outcome, message, allowed=allowed))
    if facts.stage in ("save", "submit"):
        pass  # the bloc's vote, and so its minutes, comes after the submission
    elif flag.minutes_present:
        checks.append(_check("flag_minutes", p, PASS, say(FLAG_MINUTES_OK)))
    else:
        checks.append(_check("flag_minutes", p, FAIL, say(FLAG_MINUTES_MISSING)))
    return checks


def hero_timing(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 18: conferred once every 5 years at the Patriotic Emulation Congress (the year the
    dossier is handled), except for an exceptional sudden achievement."""
    year = facts.today.year
    if facts.exceptional:
        return [_check(code, p, PASS, say(HERO_EXCEPTIONAL))]
    if year in p["congress_years"]:
        return [_check(code, p, PASS, say(HERO_OK, year=year))]
    message = say(HERO_WRONG, years=_years(p["congress_years"]), year=year)
    return [_check(code, p, FAIL, message)]


def _day(month_day: str, year: int) -> datetime.date:
    month, day = (int(part) for part in month_day.split("-"))
    return datetime.date(year, month, day)


def intake_window(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 19 ([old] Decree 91/2017 Art. 48): dossiers are received within the form's
    window (`from`/`until` as MM-DD, inclusive)."""
    if facts.exceptional and p.get("except_exceptional"):
        return [_check(code, p, PASS, say(WINDOW_EXCEPTIONAL))]
    today = facts.today
    start = _day(p.get("from", "01-01"), today.year)
    end = _day(p["until"], today.year)
    if "from" in p:
        window = say(WINDOW_RANGE, start=start.strftime("%d/%m"), end=end.strftime("%d/%m"))
    else:
        window = say(WINDOW_UNTIL, end=end.strftime("%d/%m"))
    if start <= today <= end:
        return [_check(code, p, PASS, say(WINDOW_OK, window=window))]
    message = say(WINDOW_CLOSED, window=window, date=_date(today))
    return [_check(code, p, FAIL, message)]


def documents(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 13: the documents the form requires for the nominee's kind are attached."""
    required = p["required"].get(facts.subject, [])
    subject = SUBJECTS.get(facts.subject, facts.subject)
    missing = [kind for kind in required if kind not in facts.documents]
    if missing:
        message = say(DOCUMENTS_MISSING, subject=subject, kinds=_names(facts, missing, "; "))
        return [_check(code, p, FAIL, message, missing=missing)]
    return [_check(code, p, PASS, say(DOCUMENTS_OK, count=len(required), subject=subject))]


def sudden_excluded(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 8: sudden or thematic awards are not counted toward merit-based prerequisites (the
    counts leave them out; this reports which, when there are any)."""
    if not history.sudden:
        return []
    message = say(SUDDEN_NOT_COUNTED, entries=_entries(facts, history.sudden))
    return [_check(code, p, PASS, message)]


def revoked_excluded(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 22: a revoked award counts for nothing (reported when there is one)."""
    if not history.revoked:
        return []
    message = say(REVOKED_NOT_COUNTED, entries=_entries(facts, history.revoked))
    return [_check(code, p, PASS, message)]


def women_maternity(
    code: str, p: Mapping[str, Any], facts: Facts, history: CountedHistory
) -> list[Check]:
    """Rule 10: maternity leave counts as service (the counts take it so); female nominees and
    collectives of at least `priority_percent` women get priority among equals (a note)."""
    parts = []
    maternity = history.years(p.get("service", ()))
    if maternity:
        parts.append(say(WOMEN_MATERNITY, years=_years(maternity)))
    if facts.subject == "individual" and facts.sex == "female":
        parts.append(say(WOMEN_PRIORITY))
    percent = facts.female_percent
    if facts.subject == "collective" and percent is not None and percent >= p["priority_percent"]:
        parts.append(say(WOMEN_COLLECTIVE, percent=percent))
    if not parts:
        return []
    return [_check(code, p, PASS, _join(parts, " "))]


# The rules in the order they are reported; the key is the `eligibility` key of the form.
RULES: dict[str, Rule] = {
    "subject_type": subject_type,
    "authority": authority,
    "restriction": restriction,
    "double_reward": double_reward,
    "criterion": criterion,
    "national_fighter": national_fighter,
    "ministry_fighter": ministry_fighter,
    "pm_certificate": certificate_then_years,
    "labour_order_3": certificate_then_years,
    "provincial_certificate": provincial_certificate,
    "government_flag": government_flag,
    "hero_timing": hero_timing,
    "intake_window": intake_window,
    "documents": documents,
    "sudden_excluded": sudden_excluded,
    "revoked_excluded": revoked_excluded,
    "women_maternity": women_maternity,
}
# Every code a check may carry (the flag's rule answers four).
CHECK_CODES = [*RULES, "flag_per_leader", "flag_quota", "flag_minutes"]


def _applies(code: str, params: Mapping[str, Any], facts: Facts) -> bool:
    if "subjects" in params and code != "subject_type" and facts.subject not in params["subjects"]:
        return False
    return facts.stage in params.get("stages", DEFAULT_STAGES.get(code, (facts.stage,)))


def evaluate(rules: Mapping[str, Any], facts: Facts) -> list[Check]:
    """Every rule of the form's `eligibility` data that applies to this nominee at this stage,
    one check each (the Government flag's four), passes included. Keys that name no rule are
    ignored (the catalogue's tests check there are none)."""
    history = counted_history(facts)
    checks: list[Check] = []
    for code, rule in RULES.items():
        params = rules.get(code)
        if params is not None and _applies(code, params, facts):
            checks.extend(rule(code, params, facts, history))
    return checks


def apply_overrides(checks: Iterable[Check], confirmed: Iterable[str]) -> list[Check]:
    """The checks with each confirmed override applied: an overridable failure or warning of
    that rule becomes OVERRIDDEN and stops nothing."""
    confirmed = set(confirmed)
    return [
        replace(check, outcome=OVERRIDDEN, blocking=False)
        if check.rule in confirmed and check.overridable and check.outcome in (FAIL, WARNING)
        else check
        for check in checks
    ]


def blocking(checks: Iterable[Check]) -> list[Check]:
    """The failures that stop the action."""
    return [check for check in checks if check.outcome == FAIL and check.blocking]
