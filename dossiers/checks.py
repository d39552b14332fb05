"""Running the eligibility rules on nominees: gather each nominee's facts from the registry, the
other dossiers and the blocs in a bounded number of queries, evaluate the pure rules
(`dossiers.eligibility`), apply the board's confirmed overrides and keep the result on the
nominee (`Nominee.checks`), which the dossier's JSON and pages show.

Checks run when the proposer saves (advice), when the unit head submits and when the board
forwards (blocking failures stop the action: `EligibilityFailed`, 409), at intake (shown), and
again when the decision is signed (a nominee awarded meanwhile is caught)."""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from dossiers import calendar, eligibility, levels
from dossiers.aggregates import JSONRows
from dossiers.compiled import Compiled, Ids
from dossiers.eligibility import Check, Claim, Entry, Facts, FlagContext, Restriction
from dossiers.errors import Conflict
from dossiers.models import (
    BlocMembership,
    CheckOverride,
    Collective,
    DocumentKind,
    Dossier,
    DossierState,
    HistoryEntry,
    Nominee,
    NomineeKind,
    NomineeOutcome,
    Person,
    TitleKind,
)
from dossiers.models import (
    Restriction as RestrictionRow,
)

FLAG_FORM = "CO-TD-CP"
# The reason a decider gives a nominee declined at the signature as the duplicate of another.
DUPLICATE_REASON = "duplicate"
LIVE_OUTCOMES = (NomineeOutcome.PENDING, NomineeOutcome.AWARDED, NomineeOutcome.ON_HOLD)
GONE_STATES = (DossierState.DRAFT, DossierState.WITHDRAWN, DossierState.NOT_APPROVED)
ELIGIBILITY_FAILED = _(
    "The eligibility rules stop this: %(problems)s. Each check names its rule and citation."
)


class EligibilityFailed(Conflict):
    code = "eligibility_failed"

    def __init__(self, failures: list[tuple[Nominee, dict]]):
        self.failures = failures
        self.checks = [{**check, "nominee": nominee.pk} for nominee, check in failures]
        problems = "; ".join(f"{nominee.name}: {check['message']}" for nominee, check in failures)
        super().__init__(ELIGIBILITY_FAILED, problems=problems)

    @property
    def extra(self) -> dict:
        return {"checks": self.checks}

    def shown_to(self, sees: Callable[[Nominee], bool]) -> EligibilityFailed:
        """The same failures as a user is told them: the history details of the nominees whose
        history `sees` says the user may not read are left out (`redacted`), not the outcome."""
        if all(sees(nominee) for nominee, _check in self.failures):
            return self
        return EligibilityFailed([(n, c if sees(n) else redacted(c)) for n, c in self.failures])


# --- what a user outside the person's organisation is told -------------------------------------

# The rules whose messages tell nothing of the nominee's history (titles and their years, other
# dossiers' references, open matters, maternity leave): shown to whoever sees the dossier.
# Every other rule's message is replaced by `HIDDEN` for a user who may not read the person's
# registry entry (workflows.registry_access.history_visible), the outcome and citation kept.
OPEN_RULES = frozenset(
    {
        "subject_type",
        "authority",
        "criterion",
        "identity",
        "hero_timing",
        "intake_window",
        "documents",
        "government_flag",
        "flag_per_leader",
        "flag_quota",
        "flag_minutes",
    }
)
HIDDEN_NOTE = _(
    "The details come from the registry's history of this person, shown only to the boards "
    "and to the person's own organisation."
)
HIDDEN = {
    eligibility.PASS: _("Met."),
    eligibility.OVERRIDDEN: _("Not met; the board's override is confirmed."),
    eligibility.WARNING: _("To be checked by the board."),
    eligibility.FAIL: _("Not met."),
}
HIDDEN_DUPLICATE = _(
    "The same person is proposed or awarded for this form and year in another dossier."
)


def redacted(check: dict) -> dict:
    """`check` as told to a user who may not read the person's history: its outcome, citation
    and blocking kept, its message reduced to what the outcome says (a duplicate still named as
    one), the board's override reason left out."""
    if check.get("rule") in OPEN_RULES:
        return check
    outcome = check.get("outcome", "")
    if check.get("rule") == "double_reward" and outcome != eligibility.PASS:
        head = HIDDEN_DUPLICATE
    else:
        head = HIDDEN.get(outcome, HIDDEN[eligibility.WARNING])
    shown = {key: value for key, value in check.items() if key != "override_reason"}
    with translation.override(settings.LANGUAGE_CODE):  # as the stored messages are
        shown["message"] = f"{head} {HIDDEN_NOTE}"
    return shown


def _holder_q(nominees: Sequence[Nominee], prefix: str = "") -> Q | None:
    people = {n.person_id for n in nominees if n.person_id}
    collectives = {n.collective_id for n in nominees if n.collective_id}
    if not people and not collectives:
        return None
    q = Q()
    if people:
        q |= Q(**{f"{prefix}person_id__in": people})
    if collectives:
        q |= Q(**{f"{prefix}collective_id__in": collectives})
    return q


def _key(row) -> tuple[str, int] | None:
    if row.person_id:
        return ("p", row.person_id)
    if row.collective_id:
        return ("c", row.collective_id)
    return None


Owned = list[tuple[int | None, Entry]]  # history entries, each with the nominee awarded it


@dataclass(frozen=True)
class Claimant:
    """A live nominee of a dossier not gone, as the rules read it: a claim on its person or
    collective (`Claim`)."""

    pk: int
    dossier_id: int
    form: str
    year: int
    reference: str
    outcome: str
    holder_id: int | None

    @classmethod
    def of(cls, row: Nominee) -> Claimant:
        """From a nominee read with its dossier and award form."""
        dossier = row.dossier
        return cls(
            row.pk, row.dossier_id, dossier.award_form.code, dossier.year, dossier.reference,
            row.outcome, dossier.holder_id,
        )  # fmt: skip


Claims = dict[tuple[str, int], list[Claimant]]
Registry = tuple[dict[tuple[str, int], Owned], dict[tuple[str, int], list[Restriction]]]

# What the rules read of a history entry, a restriction and a claim (`Claimant`), one JSON array
# a row.
_ENTRY_COLUMNS = ("kind__code", "kind__category", "year", "sudden", "nominee_id")
_ENTRY_COLUMNS += ("revoked_on", "awarded_on", "id")
_RESTRICTION_COLUMNS = ("kind", "opened_on", "closed_on", "id")
_CLAIM_COLUMNS = ("id", "dossier_id", "dossier__award_form__code", "dossier__year")
_CLAIM_COLUMNS += ("dossier__reference", "outcome", "dossier__holder_id")


def _facts_of(
    rows: QuerySet[Any], columns: tuple[str, ...], person: Any, collective: Any
) -> Subquery:
    """`rows` (history entries, restrictions or nominees) of one holder as a JSON array
    (`JSONRows`), for the holder a row of an outer query names: its person (`person`, an
    `OuterRef`) or, for a collective, the rows of no person naming it (`_key`'s grouping)."""
    if person is not None:
        rows = rows.filter(person_id=person).values("person_id")
    else:
        rows = rows.filter(person__isnull=True, collective_id=collective).values("collective_id")
    return Subquery(rows.order_by().annotate(rows=JSONRows(*columns)).values("rows"))


def _facts(person: Any = None, collective: Any = None) -> dict[str, Subquery]:
    """Annotations of an outer query whose rows name one holder, a person or a collective (an
    `OuterRef` to its id): its registry facts, history entries and restrictions, each as a JSON
    array (NULL for none)."""
    return {
        "r_entries": _facts_of(HistoryEntry.objects.all(), _ENTRY_COLUMNS, person, collective),
        "r_restrictions": _facts_of(
            RestrictionRow.objects.all(), _RESTRICTION_COLUMNS, person, collective
        ),
    }


def _claims_of(person: Any = None, collective: Any = None) -> Subquery:
    """As `_facts`: the holder's claims, the live nominees of the dossiers not gone naming it."""
    live = Nominee.objects.filter(outcome__in=LIVE_OUTCOMES).exclude(dossier__state__in=GONE_STATES)
    return _facts_of(live, _CLAIM_COLUMNS, person, collective)


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _add_facts(found: Registry, key: tuple[str, int], entries: Any, restrictions: Any) -> None:
    """Keep the facts a row read (`_facts`) under its holder's key, in each table's
    own order: entries by year, restrictions latest first."""
    histories, matters = found
    if key in histories:  # a holder named twice: read twice, kept once
        return
    owned: Owned = []
    for kind, category, year, sudden, nominee, revoked, awarded, _id in sorted(
        entries or (), key=lambda row: (row[2], row[7])
    ):
        entry = Entry(
            kind=kind, year=year, category=category, sudden=bool(sudden),
            revoked=revoked is not None, awarded_on=_date(awarded),
        )  # fmt: skip
        owned.append((nominee, entry))
    histories[key] = owned
    matters[key] = [
        Restriction(
            kind=kind, opened_on=datetime.date.fromisoformat(opened), closed_on=_date(closed)
        )
        for kind, opened, closed, _id in sorted(
            restrictions or (),
            key=lambda row: (-datetime.date.fromisoformat(row[1]).toordinal(), row[3]),
        )
    ]


def _holders(nominees: Sequence[Nominee]) -> tuple[Registry, Claims]:
    """The registry's facts of the nominees' people and collectives, by `_key`: their history
    entries (each with the nominee it was awarded to, if any) and their restrictions, and their
    claims (`Claimant`). Read with the nominees (`live_nominees`), or else in one query of the
    holders (a UNION ALL of the people and the collectives, each with its facts and claims):
    a new dossier's nominees are checked before they are saved."""
    if isinstance(nominees, LiveNominees):  # read with them
        return nominees.registry, nominees.claims
    found: Registry = (defaultdict(list), defaultdict(list))
    claims: Claims = defaultdict(list)
    people = {n.person_id for n in nominees if n.person_id}
    collectives = {n.collective_id for n in nominees if n.collective_id and not n.person_id}
    columns = ("h_person", "h_collective", "r_entries", "r_restrictions", "r_claims")
    no_id = Value(None, output_field=BigIntegerField())
    holders = []
    if people:
        person = OuterRef("pk")
        holders.append(
            Person.objects.filter(pk__in=people)
            .annotate(h_person=F("pk"), h_collective=no_id, **_facts(person=person))
            .annotate(r_claims=_claims_of(person=person))
            .order_by()
            .values_list(*columns)
        )
    if collectives:
        collective = OuterRef("pk")
        holders.append(
            Collective.objects.filter(pk__in=collectives)
            .annotate(h_person=no_id, h_collective=F("pk"), **_facts(collective=collective))
            .annotate(r_claims=_claims_of(collective=collective))
            .order_by()
            .values_list(*columns)
        )
    if not holders:
        return found, claims
    for person_id, collective_id, entries, restrictions, rows in holders[0].union(
        *holders[1:], all=True
    ):
        key = ("p", person_id) if person_id else ("c", collective_id)
        _add_facts(found, key, entries, restrictions)
        claims[key] = [Claimant(*row) for row in sorted(rows or ())]  # by id, as read
    return found, claims


def _flag_contexts(nominees: Sequence[Nominee]) -> dict[int, FlagContext]:
    """Rule 6's facts for each Government-flag nominee. A bloc has one leading collective a
    year, chosen by its vote (suy tôn): the bloc's flag proposals are counted in the order they
    were made, so a second or third flag from one bloc is refused. The quota counts the flag
    proposals from all the blocs of one organiser against the number of those blocs. By the
    nominee object's `id` (a new dossier's nominees are checked before they have a pk)."""
    wanted = [n for n in nominees if n.dossier.award_form.code == FLAG_FORM]
    if not wanted:
        return {}
    years = {n.dossier.year for n in wanted}
    flags = list(
        Nominee.objects.filter(
            dossier__award_form__code=FLAG_FORM, dossier__year__in=years, outcome__in=LIVE_OUTCOMES
        )
        .exclude(dossier__state__in=GONE_STATES)
        .values("pk", "dossier__year", "dossier__reference", "dossier__bloc_id")
        .annotate(org=Coalesce("organization_id", "dossier__organization_id"))
    )
    orgs = {f["org"] for f in flags}
    orgs |= {n.organization_id or n.dossier.organization_id for n in wanted}
    member_of = {
        (m.year, m.organization_id): m.bloc
        for m in BlocMembership.objects.filter(
            year__in=years, organization_id__in=orgs
        ).select_related("bloc__organizer")
    }
    blocs_of = {
        (row["year"], row["bloc__organizer_id"]): row["count"]
        for row in BlocMembership.objects.filter(year__in=years)
        .values("year", "bloc__organizer_id")
        .annotate(count=Count("bloc", distinct=True))
    }
    awarded = set(
        HistoryEntry.objects.filter(  # recorded from elsewhere: ours are counted as nominees
            kind__code=FLAG_FORM, year__in=years, revoked_on__isnull=True, nominee__isnull=True
        ).values_list("collective__organization_id", "year")
    )
    central_council = levels.level(levels.CENTRAL).council

    def bloc_of(year: int, org_id: int, bloc_id: int | None):
        bloc = member_of.get((year, org_id))
        return bloc.pk if bloc else bloc_id

    result = {}
    for n in wanted:
        year, org_id = n.dossier.year, n.organization_id or n.dossier.organization_id
        bloc = member_of.get((year, org_id)) or n.dossier.bloc
        same_year = [f for f in flags if f["pk"] != n.pk and f["dossier__year"] == year]
        # Proposed before this nominee (every one, for a nominee not saved yet).
        before = [f for f in same_year if n.pk is None or f["pk"] < n.pk]
        earlier_in_bloc = [
            f["dossier__reference"]
            for f in before
            if bloc is not None
            and f["org"] != org_id
            and bloc_of(year, f["org"], f["dossier__bloc_id"]) == bloc.pk
        ]
        organizer = bloc.organizer_id if bloc else None
        from_organizer = [
            f
            for f in before
            if (b := member_of.get((year, f["org"]))) is not None and b.organizer_id == organizer
        ]
        result[id(n)] = FlagContext(
            bloc=bloc.code if bloc else "",
            is_leader=bloc is not None,
            leaders_of_organizer=blocs_of.get((year, organizer), 0),
            proposals_of_organizer=len(from_organizer),
            flags_for_leader=sum(1 for f in same_year if f["org"] == org_id)
            + (1 if (org_id, year) in awarded else 0),
            minutes_present="bien_ban_khoi" in _documents(n.dossier),
            central_bloc=bloc is not None and bloc.organizer.code == central_council,
            earlier_in_bloc=tuple(earlier_in_bloc),
        )
    return result


@functools.cache
def _names() -> dict[str, str]:
    """Display names by code for the messages: title kinds (every award form is one too),
    document kinds and the deciding bodies. Catalogue data: read once, forgotten when a kind
    is saved or deleted."""
    names = dict(TitleKind.objects.values_list("code", "name"))
    names.update(DocumentKind.objects.values_list("code", "name"))
    for code in ("TTG", "CTN"):
        names[code] = levels.name_of(code)
    return names


@functools.cache
def _title_kind_ids() -> dict[str, int]:
    return dict(TitleKind.objects.values_list("code", "pk"))


def title_kind_id(code: str) -> int:
    """The id of the title kind `code` (every award form is one too): catalogue data, read
    once and forgotten with the names; a code not known yet is read again."""
    ids = _title_kind_ids()
    if code not in ids:
        _title_kind_ids.cache_clear()
        ids = _title_kind_ids()
    if code not in ids:
        raise TitleKind.DoesNotExist(code)
    return ids[code]


def forget_names(**kwargs: object) -> None:
    _names.cache_clear()
    _title_kind_ids.cache_clear()


for _model in (TitleKind, DocumentKind):
    post_save.connect(forget_names, sender=_model, dispatch_uid=f"checks.names.{_model.__name__}")
    post_delete.connect(forget_names, sender=_model, dispatch_uid=f"checks.del.{_model.__name__}")
post_migrate.connect(forget_names, dispatch_uid="checks.names.migrate")


def _documents(dossier: Dossier) -> frozenset[str]:
    if dossier.pk is None:  # a new dossier, checked before it is saved, has none yet
        return frozenset()
    cached = getattr(dossier, "_document_codes", None)
    if cached is None:
        cached = frozenset(dossier.attachments.values_list("kind__code", flat=True))
        dossier._document_codes = cached  # type: ignore[attr-defined]
    return cached


def _overrides(nominees: Sequence[Nominee]) -> dict[int, dict[str, CheckOverride]]:
    found: dict[int, dict[str, CheckOverride]] = defaultdict(dict)
    for row in CheckOverride.objects.filter(nominee__in=nominees).order_by("id"):
        found[row.nominee_id][row.rule] = row  # the latest per rule
    return found


def _uses_documents(form) -> bool:
    """The form's rules read the dossier's documents (the Government flag's minutes read them
    on their own, `_flag_contexts`)."""
    return "documents" in form.eligibility


def evaluate(
    nominees: Sequence[Nominee],
    *,
    stage: str,
    decider: str = "",
    batch: Iterable[int] = (),
    declined: Iterable[int] = (),
    today: datetime.date | None = None,
) -> list[list[dict]]:
    """The checks of each nominee, in their order, as JSON-ready dicts, overrides applied.
    Nominees in `declined` (at the signature) are no claim on anyone. The overrides are read only
    when a rule that may be overridden failed, the documents only for forms whose rules use
    them. A new dossier's nominees may be checked before they are saved (`dossier_create`)."""
    today = today or calendar.today()
    batch, declined = set(batch), set(declined)
    (histories, restrictions), claims = _holders(nominees)
    flags = _flag_contexts(nominees)
    names = _names() if nominees else {}
    documents: dict[int, frozenset[str]] = {}  # per dossier: its nominees share one query
    found: list[list[Check]] = []
    for nominee in nominees:
        dossier = nominee.dossier
        form = dossier.award_form
        if dossier.pk not in documents:
            documents[dossier.pk] = _documents(dossier) if _uses_documents(form) else frozenset()
        key = _key(nominee)
        person, collective = nominee.person, nominee.collective
        facts = Facts(
            form=form.code,
            level=form.level,
            subject=nominee.kind,
            year=dossier.year,
            today=today,
            criterion=nominee.criterion,
            identity=person.identity if person else "",
            sex=person.sex if person else "",
            female_percent=collective.female_percent if collective else None,
            history=tuple(
                entry
                for owner, entry in (histories.get(key, []) if key else [])
                if owner is None or owner != nominee.pk
            ),
            restrictions=tuple(restrictions.get(key, []) if key else []),
            claims=tuple(
                Claim(
                    form=other.form,
                    year=other.year,
                    reference=other.reference,
                    outcome=other.outcome,
                    board=levels.code_of(other.holder_id) or "",
                    same_decision=other.dossier_id in batch and dossier.pk in batch,
                )
                for other in (claims.get(key, []) if key else [])
                if other.pk != nominee.pk and other.pk not in declined
            ),
            documents=documents[dossier.pk],
            flag=flags.get(id(nominee)),
            decider=decider,
            stage=stage,
            names=names,
            level_authority=levels.authority_of(dossier.organization.code),
            form_valid_from=form.valid_from,
            form_valid_until=form.valid_until,
        )
        found.append([*_identity_checks(nominee), *eligibility.evaluate(form.eligibility, facts)])
    failed = [
        n
        for n, checks in zip(nominees, found, strict=True)
        if n.pk is not None  # one not saved yet has no override
        and any(c.outcome == eligibility.FAIL and c.overridable for c in checks)
    ]
    overrides = _overrides(failed) if failed else {}
    return [
        [_applied(c, overrides.get(n.pk, {}) if n.pk else {}) for c in checks]
        for n, checks in zip(nominees, found, strict=True)
    ]


IDENTITY_MISSING = _(
    "%(name)s is an individual without an identity number (CCCD): give `identity` so the "
    "registry can check their history."
)
IDENTITY_CITATION = "Luật Thi đua, khen thưởng 2022 Điều 5(2); Nghị định 98/2023 Điều 4"


IDENTITY_MISMATCH = _(
    "%(name)s: the birth date or sex given does not match the registry's entry for this "
    "identity number (CCCD). Check the number; if the registry's entry is wrong, the board "
    "corrects it."
)


def _contradicts(nominee: Nominee) -> bool:
    """The birth date or sex the proposer gave differs from the registry's entry."""
    person = nominee.person
    if person is None:
        return False
    born, sex = nominee.stated_birth_date, nominee.stated_sex
    return bool(
        (born and person.birth_date and born != person.birth_date)
        or (sex and person.sex and sex != person.sex)
    )


def _identity_checks(nominee: Nominee) -> list[Check]:
    if nominee.kind != NomineeKind.INDIVIDUAL:
        return []
    if nominee.person_id:
        if not _contradicts(nominee):
            return []
        return [
            Check(
                rule="identity",
                outcome=eligibility.FAIL,
                message=str(IDENTITY_MISMATCH % {"name": nominee.name}),
                citation=IDENTITY_CITATION,
                blocking=True,
                overridable=False,
            )
        ]
    return [
        Check(
            rule="identity",
            outcome=eligibility.FAIL,
            message=str(IDENTITY_MISSING % {"name": nominee.name}),
            citation=IDENTITY_CITATION,
            blocking=True,
            overridable=False,
        )
    ]


def _applied(check: Check, overrides: dict[str, CheckOverride]) -> dict:
    data = check.as_json()
    override = overrides.get(check.rule)
    if check.outcome != eligibility.FAIL or override is None or not check.overridable:
        return data
    if override.confirmed_at is None:
        return {**data, "override": "pending", "override_reason": override.reason}
    return {
        **data,
        "outcome": eligibility.OVERRIDDEN,
        "blocking": False,
        "override": "confirmed",
        "override_reason": override.reason,
    }


class LiveNominees(list[Nominee]):
    """Live nominees of some dossiers with their `claims` and the `registry` facts of their
    people and collectives (`_holders`), read in one query."""

    claims: Claims
    registry: Registry

    def but(self, skip: set[int]) -> LiveNominees:
        """The same less the nominees in `skip`, their claims and facts kept."""
        rest = LiveNominees(n for n in self if n.pk not in skip)
        rest.claims, rest.registry = self.claims, self.registry
        return rest


@functools.cache
def _nominees_facts() -> tuple[dict[str, Subquery], dict[str, Subquery]]:
    """`_facts` of a nominee's person and of its collective, built once per process: Django
    copies an expression when a query takes it, so one built expression serves every query."""
    return _facts(person=OuterRef("person_id")), _facts(collective=OuterRef("collective_id"))


def _live_nominees_query(ids: Ids) -> QuerySet[Nominee]:
    """`live_nominees`' query, for the dossiers `ids` (compiled once: `_LIVE`)."""
    mine = Nominee.objects.filter(dossier_id__in_ids=ids, outcome__in=LIVE_OUTCOMES).order_by()
    # The dossiers' nominees and those naming the same people or collectives, as a UNION of
    # three index lookups: an OR of the three would scan every live nominee of the table.
    same = Nominee.objects.filter(outcome__in=LIVE_OUTCOMES).order_by().values("id")
    wanted_ids = (
        mine.values("id")
        .union(same.filter(person_id__in=mine.filter(person__isnull=False).values("person_id")))
        .union(
            same.filter(
                collective_id__in=mine.filter(collective__isnull=False).values("collective_id")
            )
        )
    )
    # The registry's facts of the dossiers' own nominees (not of the other dossiers' claims),
    # by the nominee's person, else its collective (`_key`).
    by_person, by_collective = _nominees_facts()
    own = Q(dossier_id__in_ids=ids)
    facts = {
        name: Case(
            When(own & Q(person__isnull=False), then=by_person[name]),
            When(own & Q(collective__isnull=False), then=by_collective[name]),
            default=None,
            output_field=JSONField(),
        )
        for name in by_person
    }
    return (
        Nominee.objects.filter(pk__in=wanted_ids)
        .filter(own | ~Q(dossier__state__in=GONE_STATES))
        .select_related(
            "dossier__award_form", "dossier__bloc", "dossier__organization", "person", "collective"
        )
        .annotate(**facts)
        .order_by("dossier_id", "id")
    )


_LIVE = Compiled(_live_nominees_query)


def live_nominees(dossiers: Iterable[Dossier], skip: Iterable[int] = ()) -> LiveNominees:
    """The live nominees of `dossiers` (pending, awarded or held) with what the rules read of
    them, and in the same query their claims: the live nominees of the dossiers not gone that
    name the same people or collectives. What `refresh` takes; the services reuse the list in
    the same step. `skip`: nominees left out of the list (declined at the signature), still
    claims on the others."""
    ids = [d.pk for d in dossiers]
    skip = set(skip)
    rows = _LIVE(Nominee.objects.db, ids=ids)
    found = LiveNominees()
    found.claims = defaultdict(list)
    found.registry = (defaultdict(list), defaultdict(list))
    wanted = set(ids)
    for row in rows:
        key = _key(row)
        entries, restrictions = row.__dict__.pop("r_entries"), row.__dict__.pop("r_restrictions")
        if row.dossier_id in wanted:
            if row.pk not in skip:
                found.append(row)
            if key is not None:
                _add_facts(found.registry, key, entries, restrictions)
        if key is not None and row.dossier.state not in GONE_STATES:
            found.claims[key].append(Claimant.of(row))
    return found


def is_duplicate_reason(reason: str) -> bool:
    """A decline at the signature for the duplicate (rule 7): its reason is `duplicate`, alone
    or followed by an explanation after a separator ("duplicate: also proposed by …")."""
    text = (reason or "").strip().casefold()
    if not text.startswith(DUPLICATE_REASON):
        return False
    rest = text[len(DUPLICATE_REASON) :]
    return not rest or not rest[0].isalnum()


def refresh(
    dossiers: Iterable[Dossier],
    *,
    stage: str,
    decider: str = "",
    batch: Iterable[int] = (),
    skip: Iterable[int] = (),
    duplicates: Iterable[int] = (),
    block: bool = False,
    nominees: list[Nominee] | None = None,
    write: bool = True,
) -> list[Nominee]:
    """Run the rules on the live nominees of `dossiers` (less those in `skip`: declined at the
    signature), keep the results on them, and (with `block`) raise `EligibilityFailed` when a
    blocking failure is left. Only the declined nominees in `duplicates` (declined with the
    reason `duplicate`) stop being a claim on the others: a nominee declined for another reason
    still blocks the second award of the same form and year (issue #13).

    `nominees`: the dossiers' `live_nominees`, when the caller has read them already. Results
    equal to the ones kept are not written again: `checked_at` says when they last changed.
    `write=False`: the nominees are not saved yet (a new dossier's): the caller inserts them
    with their checks."""
    skip = set(skip)
    if nominees is None:
        nominees = live_nominees(dossiers, skip)
    elif skip:
        if isinstance(nominees, LiveNominees):
            nominees = nominees.but(skip)
        else:
            nominees = [n for n in nominees if n.pk not in skip]
    released = set(duplicates) & skip
    # Kept in the site's language (Vietnamese): the same words whoever's action ran the rules.
    with translation.override(settings.LANGUAGE_CODE):
        results = evaluate(nominees, stage=stage, decider=decider, batch=batch, declined=released)
    now = timezone.now()
    changed = []
    for nominee, result in zip(nominees, results, strict=True):
        if nominee.checks != result or nominee.checked_at is None:
            nominee.checks, nominee.checked_at = result, now
            changed.append(nominee)
    if changed and write:
        write_checks(changed)
    if block:
        failures = [
            (n, c) for n in nominees for c in n.checks if c["outcome"] == "fail" and c["blocking"]
        ]
        if failures:
            raise EligibilityFailed(failures)
    return nominees


CHECK_FIELDS = ["checks", "checked_at"]


WRITE_BATCH = 500  # nominees per UPDATE (a dossier has at most a few hundred)
_CASTS = {"postgresql": ("::bigint", "::jsonb", "::timestamptz")}


def write_checks(rows: Sequence[Nominee]) -> None:
    """The check fields (`CHECK_FIELDS`, left out of the nominee's history) of `rows`, in one
    UPDATE from a list of values per batch: `bulk_update` builds and compiles a CASE expression
    per row and field, which cost a seventh of the rules' time."""
    table, pk = connection.ops.quote_name(Nominee._meta.db_table), connection.ops.quote_name("id")
    fields = [Nominee._meta.get_field(name) for name in CHECK_FIELDS]
    columns = ", ".join(
        f"{connection.ops.quote_name(name)} = v.column{i}"
        for i, name in enumerate(CHECK_FIELDS, start=2)
    )
    one = "(" + ", ".join(f"%s{cast}" for cast in _CASTS.get(connection.vendor, ("", "", ""))) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            params: list[Any] = []
            for nominee in batch:
                params.append(nominee.pk)
                params += [
                    field.get_db_prep_save(getattr(nominee, name), connection)  # type: ignore[union-attr]
                    for field, name in zip(fields, CHECK_FIELDS, strict=True)
                ]
            cursor.execute(
                f"UPDATE {table} SET {columns} FROM (VALUES {', '.join([one] * len(batch))}) "
                f"AS v WHERE {table}.{pk} = v.column1",
                params,
            )


def refresh_claimants(dossier: Dossier, nominees: Sequence[Nominee] | None = None) -> None:
    """The other dossiers naming the same people or collectives see the duplicate too.
    `nominees`: the dossier's, when the caller has read them already (`live_nominees`: their
    claims name the other dossiers)."""
    if isinstance(nominees, LiveNominees):
        others = {n.dossier_id for found in nominees.claims.values() for n in found}
        others.discard(dossier.pk)
    else:
        q = _holder_q(list(dossier.nominees.all()) if nominees is None else nominees)
        if q is None:
            return
        others = set(
            Nominee.objects.filter(q, outcome__in=LIVE_OUTCOMES)
            .exclude(dossier=dossier)
            .exclude(dossier__state__in=GONE_STATES)
            .values_list("dossier_id", flat=True)
        )
    if others:
        refresh(Dossier.objects.filter(pk__in=others), stage="intake")
