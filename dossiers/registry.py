"""The registry of nominees: people (by citizen identity number, CCCD) and collectives (by
organisation and name), each with a history of titles and awards. Writes live here; the
eligibility rules read the history through `dossiers.checks`.

A CCCD has 12 digits: the province of birth registration (001–096), a digit for the century of
birth and the sex (0/1: 1900s male/female, 2/3: 2000s, 4/5: 2100s…), the last two digits of the
birth year, then six digits (Circular 59/2021/TT-BCA Art. 7)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from typing import Any, TypedDict

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit import history, ledger
from dossiers import checks
from dossiers.errors import DossierError
from dossiers.models import (
    Collective,
    EntrySource,
    HistoryEntry,
    Nominee,
    NomineeKind,
    Organization,
    Person,
    Restriction,
    Sex,
)

IDENTITY_FORMAT = _("An identity number (CCCD) has exactly 12 digits.")
IDENTITY_PROVINCE = _("An identity number (CCCD) starts with a province code from 001 to 096.")
IDENTITY_BIRTH = _(
    "The identity number (CCCD) does not match the birth date or the sex given "
    "(its 4th digit says century and sex, its 5th and 6th the year of birth)."
)
IDENTITY_RE = re.compile(r"\A[0-9]{12}\Z")


def identity_problem(
    identity: str, *, birth_date: datetime.date | None = None, sex: str = ""
) -> str | None:
    """Why `identity` is not a valid CCCD (a message), or None."""
    if not IDENTITY_RE.match(identity or ""):
        return str(IDENTITY_FORMAT)
    if not 1 <= int(identity[:3]) <= 96:
        return str(IDENTITY_PROVINCE)
    digit = int(identity[3])
    if birth_date is not None:
        century = 1900 + 100 * (digit // 2)
        if birth_date.year != century + int(identity[4:6]):
            return str(IDENTITY_BIRTH)
    if sex and sex != (Sex.FEMALE if digit % 2 else Sex.MALE):
        return str(IDENTITY_BIRTH)
    return None


# Told of each existing person a CCCD names (the caller's look-up rule: workflows.registry_access
# `nominee_match` logs and counts a match the user may not see, 429 beyond the hourly limit).
OnMatch = Callable[[Person], None]


def person_for(
    *,
    actor: User | None,
    organization: Organization,
    identity: str,
    full_name: str,
    birth_date: datetime.date | None = None,
    sex: str = "",
    position: str = "",
    on_match: OnMatch | None = None,
) -> Person:
    """The registry's person with this CCCD, created (in `organization`) when new: `people_for`
    of one."""
    wanted: Wanted = {
        "organization": organization,
        "identity": identity,
        "full_name": full_name,
        "birth_date": birth_date,
        "sex": sex,
        "position": position,
    }
    return people_for(actor=actor, wanted=[wanted], on_match=on_match)[0]


class Wanted(TypedDict):
    organization: Organization
    identity: str
    full_name: str
    birth_date: datetime.date | None
    sex: str
    position: str


def people_for(
    *,
    actor: User | None,
    wanted: list[Wanted],
    on_match: OnMatch | None = None,
    later: Unrecorded | None = None,
) -> list[Person]:
    """The registry's person with each CCCD, those it does not hold created (in their
    organisation) at once, each under its own `person.created` event. An existing entry keeps
    its own data: a proposer names a person, it does not rewrite them (a birth date or sex that
    contradicts it is the `identity` check's failure, dossiers.checks); finding one is a look-up
    by CCCD, which `on_match` answers for, in order (it may refuse: 429), once the new ones are
    made (a CCCD named twice is found the second time). `later`: the new ones' history rows and
    events are left to its `record()`."""
    for want in wanted:
        problem = identity_problem(want["identity"], birth_date=want["birth_date"], sex=want["sex"])
        if problem:
            raise DossierError(problem, code="identity_invalid")
    found = {
        p.identity: p
        for p in Person.objects.filter(identity__in={want["identity"] for want in wanted})
    }
    people: list[Person] = []
    matched: list[Person] = []
    new: dict[str, Person] = {}
    for want in wanted:
        person = found.get(want["identity"]) or new.get(want["identity"])
        if person is None:
            person = new[want["identity"]] = Person(**want)
            # The organisation is a row just read: not looked up again.
            person.full_clean(exclude=["organization"], validate_unique=False)
        else:
            matched.append(person)
        people.append(person)
    _register(
        actor,
        list(new.values()),
        "person.created",
        lambda person: {"organization": person.organization.code},
        later,
    )
    if on_match is not None:
        for person in matched:
            on_match(person)
    return people


def collectives_for(
    *,
    actor: User | None,
    wanted: list[tuple[Organization, str]],
    later: Unrecorded | None = None,
) -> list[Collective]:
    """The registry's collective for each (organisation, name), those it does not hold
    created at once, each under its own `collective.created` event (`later`: as in
    `people_for`)."""
    found = {
        (c.organization_id, c.name): c
        for c in Collective.objects.filter(
            organization_id__in={org.pk for org, _ in wanted},
            name__in={name for _, name in wanted},
        )
    }
    collectives: list[Collective] = []
    new: dict[tuple[int, str], Collective] = {}
    for org, name in wanted:
        key = (org.pk, name)
        collective = found.get(key) or new.get(key)
        if collective is None:
            collective = new[key] = Collective(organization=org, name=name)
        collectives.append(collective)
    _register(
        actor,
        list(new.values()),
        "collective.created",
        lambda c: {"organization": c.organization.code, "name": c.name},
        later,
    )
    return collectives


class Unrecorded:
    """New registry rows inserted without their history rows and ledger events, which `record()`
    writes, in the same transaction, before anything else is written: a dossier's creation
    inserts the people and collectives it names first, reads and checks, and only then records
    them, so that its first event, which holds the ledger's head until the commit, comes after
    its reads (`dossiers.services.dossier_create`)."""

    def __init__(self) -> None:
        self.batches: list[tuple[User | None, list[Any], str, Callable[[Any], dict[str, str]]]] = []

    def record(self) -> None:
        batches, self.batches = self.batches, []
        for actor, rows, action, facts in batches:
            with ledger.together() as bulk:
                seqs = [bulk.reserve() for _ in rows]
                history.inserted(rows, actor=actor, reason=action, seqs=seqs)
                _events(bulk, actor, rows, seqs, action, facts)


def _register(
    actor: User | None,
    rows: list[Person] | list[Collective],
    action: str,
    facts: Callable[[Any], dict[str, str]],
    later: Unrecorded | None = None,
) -> None:
    """Insert new registry rows at once, with their history rows and one ledger event each
    (as `ledger.recording` of each would write them), the events in one INSERT, with those of
    the `ledger.together` block the caller may have opened; or (`later`) the rows alone, the
    rest left to `later.record()`."""
    if not rows:
        return
    if later is not None:
        history.bulk_create_unrecorded(rows)
        later.batches.append((actor, rows, action, facts))
        return
    with ledger.together() as bulk:
        seqs = [bulk.reserve() for _ in rows]
        history.bulk_create(rows, actor=actor, reason=action, seqs=seqs)
        _events(bulk, actor, rows, seqs, action, facts)


def _events(
    bulk: ledger.Bulk,
    actor: User | None,
    rows: list[Any],
    seqs: list[int],
    action: str,
    facts: Callable[[Any], dict[str, str]],
) -> None:
    for row, seq in zip(rows, seqs, strict=True):
        bulk.add(
            ledger.Entry(
                seq=seq,
                actor=actor,
                action=action,
                object_type=row._meta.label_lower,
                object_id=str(row.pk),
                data=facts(row),
            )
        )


@transaction.atomic(savepoint=False)
def record_awards(
    *, nominees: Iterable[Nominee], form, year: int, number: str, awarded_on: datetime.date
) -> int:
    """A signed decision adds each awarded nominee's award to their registry history, dated the
    day the decision was signed (`awarded_on`), not the day it was entered."""
    kind_id = checks.title_kind_id(form.code)
    entries = [
        HistoryEntry(
            person_id=n.person_id,
            collective_id=n.collective_id,
            kind_id=kind_id,
            year=year,
            awarded_on=awarded_on,
            decision_number=number,
            source=EntrySource.AWARDED_HERE,
            nominee=n,
        )
        for n in nominees
        if n.person_id or n.collective_id
    ]
    history.bulk_create(entries, actor=None, reason="entry.awarded")
    return len(entries)


@transaction.atomic(savepoint=False)
def revoke_awards(*, nominees: Iterable[Nominee], on: datetime.date, reason: str) -> int:
    """A revocation marks the entries its decision had added (they no longer count)."""
    count = 0
    for entry in HistoryEntry.objects.filter(nominee__in=list(nominees), revoked_on__isnull=True):
        entry.revoked_on, entry.revoked_reason = on, reason
        history.author(entry, None, "entry.revoked")
        entry.save(update_fields=["revoked_on", "revoked_reason"])
        count += 1
    return count


def holders_for(
    *,
    actor: User | None,
    organization: Organization,
    items: list[dict],
    on_match: OnMatch | None = None,
    later: Unrecorded | None = None,
) -> list[tuple[Person | None, Collective | None]]:
    """The registry entry each nominee refers to: a person by CCCD (none when not given: the
    submit then names the missing identity; an existing one told to `on_match`), a collective
    by organisation and name (`people_for`, `collectives_for`: new ones made at once, recorded
    at once or by `later`)."""
    people: list[tuple[int, Wanted]] = []
    collectives: list[tuple[int, tuple[Organization, str]]] = []
    for index, item in enumerate(items):
        org = item.get("organization") or organization
        if item["kind"] == NomineeKind.INDIVIDUAL and item.get("identity"):
            wanted: Wanted = {
                "organization": org,
                "identity": item["identity"],
                "full_name": item["name"],
                "birth_date": item.get("birth_date"),
                "sex": item.get("sex") or "",
                "position": item.get("position") or "",
            }
            people.append((index, wanted))
        elif item["kind"] == NomineeKind.COLLECTIVE:
            collectives.append((index, (org, item["name"])))
    holders: list[tuple[Person | None, Collective | None]] = [(None, None)] * len(items)
    found = people_for(actor=actor, wanted=[w for _i, w in people], on_match=on_match, later=later)
    for (index, _want), person in zip(people, found, strict=True):
        holders[index] = (person, None)
    made = collectives_for(actor=actor, wanted=[w for _i, w in collectives], later=later)
    for (index, _key), collective in zip(collectives, made, strict=True):
        holders[index] = (None, collective)
    return holders


@transaction.atomic(savepoint=False)
def restriction_open(
    *,
    actor: User | None,
    person: Person | None = None,
    collective: Collective | None = None,
    kind: str,
    opened_on: datetime.date,
    note: str = "",
) -> Restriction:
    """The board records a matter that stops an award (discipline, inspection, complaint, press
    allegation); the open dossiers naming the person or collective are checked again at once."""
    row = Restriction(
        person=person,
        collective=collective,
        kind=kind,
        opened_on=opened_on,
        note=note,
        recorded_by=actor,
    )
    row.full_clean()
    holder = person or collective
    with ledger.recording(
        actor=actor, action="restriction.opened", obj=row, data={"kind": kind}, reason=note
    ):
        history.author(row, actor, "restriction.opened")
        row.save()
    _recheck(holder)
    return row


@transaction.atomic(savepoint=False)
def restriction_close(
    *, actor: User | None, restriction: Restriction, closed_on: datetime.date, note: str = ""
) -> Restriction:
    """The matter is concluded; after a discipline, achievements count from its end."""
    restriction.closed_on = closed_on
    with ledger.recording(
        actor=actor, action="restriction.closed", obj=restriction, data={}, reason=note
    ):
        history.author(restriction, actor, "restriction.closed")
        restriction.save(update_fields=["closed_on"])
    _recheck(restriction.person or restriction.collective)
    return restriction


def _recheck(holder: Person | Collective | None) -> None:
    if holder is None:
        return
    nominations = holder.nominations.exclude(dossier__state__in=checks.GONE_STATES)
    dossiers = {n.dossier for n in nominations.select_related("dossier")}
    if dossiers:
        checks.refresh(dossiers, stage="intake")
