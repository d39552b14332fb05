"""Who may see which registry entries, who may import history, and the look-up by identity
number (CCCD): the layer above the registry's data (dossiers/registry.py, dossiers/imports.py).

Seeing: the board's officers and heads, the council's secretaries and members, inspectors and
administrators see every person of the registry (they appraise nominees from anywhere); a
unit's officer or head sees the people of their own organisation and of the units under it;
anyone else sees no one (an empty list, 404 for one person).

Importing history: board officers and heads and administrators anywhere; a unit's officer for
their own organisation's subtree (rows naming another organisation are refused, each with its
reason); anyone else is refused (403).

Naming a person on a dossier by CCCD (typed, or a row of a nominee list) is a look-up too when
the registry already holds the number and the user may not see that person (`nominee_match`):
it counts towards the same hourly limit and leaves the same ledger event, with `via`
"nominee". The dossier's eligibility checks then tell that user the outcome of each rule, not
the person's history (`history_visible`, `dossiers.checks.redacted`).

A large history file (more than REGISTRY_IMPORT_INLINE_MAX_BYTES) is imported on the worker
(`history_import_queue`, workflows/tasks.py): the same import as the same user, its report kept
on the job for the uploader (and inspectors, staff) to read back.

Looking a person up by CCCD is an exact match, never a partial search, limited per user
(REGISTRY_LOOKUPS_PER_HOUR, 60 by default; 429 beyond) and logged: one ledger event
`person.looked_up` per look-up, naming the person found (object id) and whether the user was
shown them. The CCCD itself is not written to the ledger: for a number the registry does not
hold, the event keeps a keyed digest (HMAC-SHA256 under the site's secret key), so that an
inspector can see the same unknown number tried again and again (someone guessing numbers)
without the ledger, or an export of it, giving the number away; a plain hash would not do, as
CCCDs are few enough (12 digits, most of them fixed by province, sex and birth year) to be
hashed one by one.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied

from audit import ledger
from dossiers import checks, imports
from dossiers.errors import Conflict, DossierError
from dossiers.imports import ImportReport, organizations_under
from dossiers.models import HistoryEntry, Nominee, Organization, Person, Role
from dossiers.permissions import UserLike, orgs_with_role, user_roles
from dossiers.registry import OnMatch
from jobs.models import Job
from jobs.services import Outcome, Refused, job_create
from workflows.filters import CodeFilter

LOOKUPS_PER_HOUR_DEFAULT = 60
LOOKUP_WINDOW_SECONDS = 3600

# Roles that see the whole registry: those who appraise, vote on or inspect nominees.
REGISTRY_WIDE_ROLES = (
    Role.BOARD_OFFICER,
    Role.BOARD_HEAD,
    Role.COUNCIL_SECRETARY,
    Role.COUNCIL_MEMBER,
    Role.INSPECTOR,
)
PROPOSER_ROLES = (Role.UNIT_OFFICER, Role.UNIT_HEAD)
IMPORT_ANYWHERE_ROLES = (Role.BOARD_OFFICER, Role.BOARD_HEAD)
IMPORT_OWN_ROLES = (Role.UNIT_OFFICER,)

TOO_MANY_LOOKUPS = _(
    "Too many look-ups by identity number: at most %(limit)s an hour. Please try again later."
)


class LookupsExhausted(DossierError):
    status = 429
    code = "rate_limited"


def sees_whole_registry(user: UserLike) -> bool:
    return user.is_authenticated and (
        user.is_superuser or any(role in REGISTRY_WIDE_ROLES for role, _org in user_roles(user))
    )


def _subtree_of(codes: frozenset[str] | set[str]) -> set[int]:
    if not codes:
        return set()
    roots = Organization.objects.filter(code__in=codes).values_list("pk", flat=True)
    return organizations_under(roots)


def registry_scope(user: UserLike) -> set[int] | None:
    """The organisations whose people the user may see: None for all of them."""
    if sees_whole_registry(user):
        return None
    if not user.is_authenticated:
        return set()
    return _subtree_of(orgs_with_role(user, *PROPOSER_ROLES))


def people_visible_to(user: UserLike) -> QuerySet[Person]:
    """The registry's people the user may see, filtered in the query."""
    people = Person.objects.select_related("organization")
    scope = registry_scope(user)
    if scope is None:
        return people
    return people.filter(organization_id__in=scope) if scope else people.none()


def person_get_for_user(user: UserLike, pk: int) -> Person:
    """One person with their history (titles joined), or 404 when the user may not see them."""
    entries = HistoryEntry.objects.select_related("kind").order_by("year", "id")
    person = (
        people_visible_to(user)
        .prefetch_related(Prefetch("entries", queryset=entries))
        .filter(pk=pk)
        .first()
    )
    if person is None:
        raise Http404
    return person


def import_scope(user: UserLike) -> set[int] | None:
    """The organisations the user may import history for (None: any). Raises PermissionDenied
    for a user who may import none."""
    if user.is_authenticated and (
        user.is_superuser or orgs_with_role(user, *IMPORT_ANYWHERE_ROLES)
    ):
        return None
    own = orgs_with_role(user, *IMPORT_OWN_ROLES)
    if not own:
        raise PermissionDenied
    return _subtree_of(own)


def history_import(*, actor: User, data: bytes, name: str = "") -> ImportReport:
    """Import a history spreadsheet as this user: anywhere, or within their subtree (each row
    of another organisation refused with its reason); 403 for a user who may import none."""
    return imports.history_import(actor=actor, data=data, name=name, scope=import_scope(actor))


HISTORY_IMPORT_JOB = "registry.import"
INLINE_MAX_BYTES_DEFAULT = 128 * 1024


def import_deferred(size: int) -> bool:
    """Whether a history file of `size` bytes is imported on the worker rather than in the
    request (REGISTRY_IMPORT_INLINE_MAX_BYTES: about 2,400 rows of XLSX, 1,100 of CSV)."""
    limit = getattr(settings, "REGISTRY_IMPORT_INLINE_MAX_BYTES", INLINE_MAX_BYTES_DEFAULT)
    return size > int(limit)


def history_import_queue(*, actor: User, data: bytes, name: str = "") -> Job:
    """A job importing this file as this user on the worker (workflows/tasks.py): refused (403)
    now for a user who may import nothing; the file kept in the shared media storage until the
    import is done."""
    import_scope(actor)
    return job_create(
        kind=HISTORY_IMPORT_JOB,
        task="workflows.registry_import",
        owner=actor,
        data=data,
        name=name,
    )


def history_import_work(job: Job) -> Outcome:
    """The job's import, as `history_import` in the request would do it (the same ledger event,
    the same report): a file or a user the import refuses is the job's answer, with the status
    and code the request would have had; a concurrent import of the same people (409) is
    retried, when the people it created are found."""
    with job.input.open("rb") as handle:
        data = handle.read()
    try:
        report = history_import(actor=job.owner, data=data, name=job.input_name)
    except PermissionDenied:
        raise Refused(
            str(ApiPermissionDenied.default_detail), code="permission_denied", status=403
        ) from None
    except Conflict:
        raise
    except DossierError as error:
        raise Refused(str(error), code=error.code, status=error.status) from None
    return Outcome(result=report.body())


def lookups_per_hour() -> int:
    return int(getattr(settings, "REGISTRY_LOOKUPS_PER_HOUR", LOOKUPS_PER_HOUR_DEFAULT))


def _count_lookup(user: User) -> None:
    """One more look-up by this user this hour; 429 beyond the limit."""
    key = f"registry:lookups:{user.pk}"
    cache.add(key, 0, LOOKUP_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, LOOKUP_WINDOW_SECONDS)
        count = 1
    if count > lookups_per_hour():
        raise LookupsExhausted(TOO_MANY_LOOKUPS, limit=lookups_per_hour())


def nominee_match(actor: User) -> OnMatch:
    """What naming a person the registry holds on a dossier costs `actor`: nothing for a person
    they may see (their own organisation's subtree, or anyone for the roles that see the whole
    registry: they could list them anyway); for anyone else a look-up by CCCD, counted towards
    the hourly limit (LookupsExhausted, 429, the dossier not saved) and logged."""
    scopes: list[set[int] | None] = []  # read at the first match, once

    def matched(person: Person) -> None:
        if not scopes:
            scopes.append(registry_scope(actor))
        scope = scopes[0]
        if scope is None or person.organization_id in scope:
            return
        _count_lookup(actor)
        ledger.append(
            actor=actor,
            action="person.looked_up",
            object_type="dossiers.person",
            object_id=person.pk,
            data={"found": True, "shown": False, "via": "nominee"},
        )

    return matched


# Who reads a nominee's history in the eligibility checks: those who see the whole registry, and
# the deciders, who sign (a duplicate's references tell them which nominee to decline).
HISTORY_WIDE_ROLES = (*REGISTRY_WIDE_ROLES, Role.DECIDER)


def history_visible(user: UserLike) -> Callable[[Nominee], bool]:
    """Whether `user` may read the history details in a nominee's checks: always for a
    collective or an unidentified individual, and for a person of the user's own organisation's
    subtree; everywhere for the roles of HISTORY_WIDE_ROLES. Reads the user's scope once."""
    wide = user.is_authenticated and (
        user.is_superuser or any(role in HISTORY_WIDE_ROLES for role, _org in user_roles(user))
    )
    scope = None if wide else registry_scope(user)

    def sees(nominee: Nominee) -> bool:
        if scope is None or nominee.person_id is None:
            return True
        return nominee.person.organization_id in scope  # type: ignore[union-attr]

    return sees


def checks_shown(nominee: Nominee, sees: Callable[[Nominee], bool]) -> list[dict]:
    """A nominee's last checks as the user of `sees` (history_visible) is told them."""
    if sees(nominee):
        return list(nominee.checks)
    return [checks.redacted(check) for check in nominee.checks]


def identity_digest(identity: str) -> str:
    """A keyed digest of a CCCD: the same number gives the same digest on this site only."""
    return salted_hmac("registry.identity-lookup", identity).hexdigest()[:32]


def person_lookup(*, actor: User, identity: str) -> QuerySet[Person]:
    """The person with exactly this CCCD, if the user may see them (a queryset of at most one).

    Counts towards the user's hourly limit first (LookupsExhausted, 429, logged nowhere), then
    leaves a ledger event: the person's id when the registry holds the number, whether it was
    shown to this user, and for an unknown number its keyed digest, never the number."""
    _count_lookup(actor)
    found = Person.objects.filter(identity=identity).values_list("pk", flat=True).first()
    visible = people_visible_to(actor).filter(identity=identity)
    shown = found is not None and visible.exists()
    data: dict[str, object] = {"found": found is not None, "shown": shown}
    if found is None:
        data["identity_digest"] = identity_digest(identity)
    ledger.append(
        actor=actor,
        action="person.looked_up",
        object_type="dossiers.person",
        object_id=found or "",
        data=data,
    )
    return visible


class PersonFilter(filters.FilterSet):
    """`GET /api/v1/registry/people/`: the people of an organisation (code), or whose name
    contains the given words (any case). Never by CCCD: that is the logged look-up."""

    organization = CodeFilter(field_name="organization__code", label=_("Organisation (code)"))
    name = filters.CharFilter(
        field_name="full_name", lookup_expr="icontains", max_length=255, label=_("Name contains")
    )

    class Meta:
        model = Person
        fields = ["organization", "name"]


# The board's register of matters that stop an award (Decree 98 Art. 4: discipline, inspection,
# complaint, press allegation): kept by the boards' officers and heads, read by inspectors too.
RESTRICTION_KEEPER_ROLES = (Role.BOARD_OFFICER, Role.BOARD_HEAD)


def may_see_restrictions(user: UserLike) -> bool:
    """The register's open and closed matters: boards' officers and heads, inspectors, admins."""
    return user.is_authenticated and (
        user.is_superuser
        or bool(orgs_with_role(user, *RESTRICTION_KEEPER_ROLES))
        or any(role == Role.INSPECTOR for role, _org in user_roles(user))
    )


def may_keep_restrictions(user: UserLike) -> bool:
    """Opening and closing a matter in the register: boards' officers and heads, admins."""
    return user.is_authenticated and (
        user.is_superuser or bool(orgs_with_role(user, *RESTRICTION_KEEPER_ROLES))
    )
