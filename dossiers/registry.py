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
    TitleKind,
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
    """The registry's person with this CCCD, created (in `organization`) when new. An existing
    entry keeps its own data: a proposer names a person, it does not rewrite them (a birth date
    or sex that contradicts it is the `identity` check's failure, dossiers.checks); finding one
    is a look-up by CCCD, which `on_match` answers for (it may refuse: 429)."""
    problem = identity_problem(identity, birth_date=birth_date, sex=sex)
    if problem:
        raise DossierError(problem, code="identity_invalid")
    person = Person.objects.filter(identity=identity).first()
    if person is not None:
        if on_match is not None:
            on_match(person)
        return person
    person = Person(
        identity=identity,
        full_name=full_name,
        birth_date=birth_date,
        sex=sex,
        position=position,
        organization=organization,
    )
    person.full_clean(validate_unique=False)
    with ledger.recording(
        actor=actor, action="person.created", obj=person, data={"organization": organization.code}
    ):
        history.author(person, actor, "person.created")
        person.save()
    return person


def collective_for(*, actor: User | None, organization: Organization, name: str) -> Collective:
    """The registry's collective named `name` in `organization`, created when new."""
    collective = Collective.objects.filter(organization=organization, name=name).first()
    if collective is not None:
        return collective
    collective = Collective(organization=organization, name=name)
    with ledger.recording(
        actor=actor,
        action="collective.created",
        obj=collective,
        data={"organization": organization.code, "name": name},
    ):
        history.author(collective, actor, "collective.created")
        collective.save()
    return collective


@transaction.atomic(savepoint=False)
def record_awards(
    *, nominees: Iterable[Nominee], form, year: int, number: str, awarded_on: datetime.date
) -> int:
    """A signed decision adds each awarded nominee's award to their registry history, dated the
    day the decision was signed (`awarded_on`), not the day it was entered."""
    kind = TitleKind.objects.get(code=form.code)
    entries = [
        HistoryEntry(
            person_id=n.person_id,
            collective_id=n.collective_id,
            kind=kind,
            year=year,
            awarded_on=awarded_on,
            decision_number=number,
            source=EntrySource.AWARDED_HERE,
            nominee=n,
        )
        for n in nominees
        if n.person_id or n.collective_id
    ]
    for entry in entries:
        history.author(entry, None, "entry.awarded")
        entry.save()
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


def holder_for(
    *, actor: User | None, organization: Organization, item: dict, on_match: OnMatch | None = None
) -> tuple[Person | None, Collective | None]:
    """The registry entry a nominee refers to: a person by CCCD (none when not given: the submit
    then names the missing identity; an existing one told to `on_match`), a collective by
    organisation and name."""
    if item["kind"] == NomineeKind.INDIVIDUAL:
        if not item.get("identity"):
            return None, None
        person = person_for(
            actor=actor,
            organization=item.get("organization") or organization,
            identity=item["identity"],
            full_name=item["name"],
            birth_date=item.get("birth_date"),
            sex=item.get("sex") or "",
            position=item.get("position") or "",
            on_match=on_match,
        )
        return person, None
    if item["kind"] == NomineeKind.COLLECTIVE:
        org = item.get("organization") or organization
        return None, collective_for(actor=actor, organization=org, name=item["name"])
    return None, None


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
