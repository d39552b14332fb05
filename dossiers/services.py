"""Writes to dossiers: each service changes one dossier in one transaction and leaves an event
and a history row saying who, when, what and why.

The entry points in workflows/services.py lock the row (`lock`) and ask the policy
(workflows/policy.py) who may act; a transition's service then checks the declared lifecycle
(`lifecycle.ensure`: 409 from a state the action does not leave) and its own guards, and fires
the transition. They run inside the entry point's transaction (and a savepoint when nested),
so they join it without a savepoint of their own, and any error rolls the whole action back."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile, File
from django.db import models, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from audit import history, ledger
from dossiers import (
    access,
    calendar,
    checks,
    errors,
    levels,
    lifecycle,
    permissions,
    registry,
    uploads,
)
from dossiers.compiled import Compiled, Ids
from dossiers.errors import Conflict, DossierError
from dossiers.models import (
    Attachment,
    AwardForm,
    Bloc,
    BlocMembership,
    BlocVoteRule,
    CheckOverride,
    Collective,
    DocumentKind,
    Dossier,
    DossierState,
    Level,
    Nominee,
    NomineeKind,
    NomineeOutcome,
    Organization,
    Person,
    Role,
    RoleGrant,
    Stage,
)

S = DossierState
ROUTE = ["route_step", "holder"]  # the route's position and the level holding the dossier
DEFAULT_STAGE_DAYS = 10
REJECT_REASONS = ("wrong_subject", "criteria_not_met", "invalid_dossier", "legal_violation")
HOLD_REASONS = ("discipline", "inspection", "complaint", "press_allegation")
REVOKE_REASONS = (
    "false_declaration",
    "forged_dossier",
    "unlawful_procedure",
    "criteria_not_met_later",
)


class NomineeFields(TypedDict):
    """A nominee as `_validate_nominees` checked it, ready for `Nominee(dossier=..., **fields)`."""

    kind: str
    name: str
    organization: Organization | None
    achievements: str
    criterion: str
    person: Person | None
    collective: Collective | None
    stated_birth_date: datetime.date | None
    stated_sex: str


class VoteTally(TypedDict):
    """What a closed ballot tells each dossier on it (also its ledger event's data)."""

    ballot: int
    eligible: int
    voted: int
    passed: list[int]
    failed: list[int]


# --- helpers ---------------------------------------------------------------------------------


def _lock_query(pk: Ids, user: Ids | None = None) -> QuerySet[Dossier]:
    """`lock`'s query, compiled once (`_LOCK`): the dossier `pk` with the roles of `user`."""
    query = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("award_form__reviewing_body", "organization", "assignee")
        .filter(pk__in_ids=pk)
    )
    if user is not None:
        query = query.annotate(**permissions.roles_annotation(user_id__in_ids=user))
    return query


_LOCK = Compiled(_lock_query)


def lock(dossier: Dossier | int, actor: User | None = None) -> Dossier:
    """The dossier row, locked for the transaction (the entry points in workflows take it).
    `actor`: the user about to be asked about, whose roles are read in the same query when not
    read yet on that user object (`permissions.roles_read_with`): as they stood when the lock
    was asked for, as a request's roles are read when it starts. Facts the lock is to order (a
    consultation asked meanwhile…) are read after it, in statements of their own: a statement
    waiting for a lock sees the database as it was when it started."""
    pk = dossier if isinstance(dossier, int) else dossier.pk
    ids = {"pk": [pk]}
    if actor is not None and permissions.roles_unread(actor):
        ids["user"] = [actor.pk]
    found = _LOCK(Dossier.objects.db, **ids)
    if not found:
        raise Dossier.DoesNotExist("Dossier matching query does not exist.")
    locked = found[0]
    if actor is not None:
        permissions.roles_seeded(actor, locked)
    return locked


@contextmanager
def _recording(
    dossier: Dossier,
    *,
    actor: User | None,
    action: str,
    reason: str = "",
    data: Mapping[str, Any] | None = None,
) -> Iterator[ledger.Entry]:
    """Write the block's changes under one ledger event: from the state the dossier is in now
    to the state it is in when the block ends. History rows saved inside carry its seq."""
    from_state = dossier.state if dossier.pk else ""
    with ledger.recording(
        actor=actor,
        action=action,
        object_type="dossiers.dossier",
        object_id=dossier.pk or "",
        dossier=dossier if dossier.pk else None,
        reason=reason,
        data=data,
    ) as entry:
        entry.from_state = from_state
        yield entry
        entry.object_id, entry.dossier_id = str(dossier.pk), dossier.pk
        entry.to_state, entry.version = dossier.state, dossier.version


def _save(dossier: Dossier, actor: User | None, reason: str, fields: Iterable[str]) -> None:
    history.author(dossier, actor, reason)
    dossier.save(update_fields=[*fields, "updated_at"])


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DossierError(errors.REASON_REQUIRED, code="reason_required")
    return reason


def _require_code(code: str, allowed: tuple[str, ...]) -> str:
    if code not in allowed:
        raise DossierError(
            errors.REASON_CODE_INVALID, code="reason_code_invalid", codes=", ".join(allowed)
        )
    return code


def _start_clock(dossier: Dossier, *, days: int | None = None) -> None:
    stage = lifecycle.STATE_STAGE.get(dossier.state, dossier.state)
    today = calendar.today()
    if days is None:
        days = int(dossier.award_form.stage_days.get(stage, DEFAULT_STAGE_DAYS))
    dossier.stage_started_on = today
    dossier.due_date = calendar.add_working_days(today, days)


def _stop_clock(dossier: Dossier) -> None:
    dossier.stage_started_on = None
    dossier.due_date = None


def _enter(dossier: Dossier, state: str) -> None:
    dossier.state = state
    if state == S.PUBLIC_NOTICE:
        _start_clock(dossier, days=dossier.award_form.public_notice_days)
    elif state in lifecycle.TERMINAL:
        _stop_clock(dossier)
    else:
        _start_clock(dossier)


def _set_nominee_outcomes(
    dossier: Dossier,
    actor: User | None,
    outcome: str,
    reason: str,
    only: str = NomineeOutcome.PENDING,
) -> None:
    for nominee in dossier.nominees.filter(outcome=only):
        nominee.outcome, nominee.outcome_reason = outcome, reason
        history.author(nominee, actor, f"nominee.{outcome}")
        nominee.save(update_fields=["outcome", "outcome_reason"])


# --- creating and editing ----------------------------------------------------------------------


def _text(value: object, *, field: Promise, limit: int, required: bool = False) -> str:
    """A text field as given, trimmed: refused (never cut) when too long, empty where required,
    or carrying a NUL character, which PostgreSQL cannot store."""
    text = str(value if value is not None else "").strip()
    if "\x00" in text:
        raise DossierError(errors.NUL_CHARACTER, code="nul_character", field=field)
    if required and not text:
        raise DossierError(errors.TEXT_REQUIRED, code="text_required", field=field)
    if len(text) > limit:
        raise DossierError(
            errors.TEXT_TOO_LONG, code="text_too_long", field=field, length=len(text), limit=limit
        )
    return text


def _max_length(model: type[models.Model], name: str) -> int:
    field = model._meta.get_field(name)
    assert isinstance(field, models.CharField) and field.max_length is not None
    return field.max_length


def title_limit() -> int:
    return _max_length(Dossier, "title")


def nominee_name_limit() -> int:
    return _max_length(Nominee, "name")


def _units_under(organization: Organization) -> set[int]:
    """The organisation and every unit below it in the Organization.parent tree."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Organization.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, todo = set(), [organization.pk]
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, ()))
    return found


def _nominee_organizations(
    nominees: list[dict[str, Any]], proposer: Organization
) -> dict[str, Organization]:
    """The organisations named by code, in one query (codes that cannot exist are not asked,
    nor the proposing organisation's own, already read)."""
    codes = {
        item.get("organization")
        for item in nominees
        if isinstance(item.get("organization"), str)
        and item["organization"]
        and "\x00" not in item["organization"]
        and len(item["organization"]) <= 32
    }
    found = {proposer.code: proposer} if proposer.code in codes else {}
    codes.discard(proposer.code)
    if codes:
        found |= {org.code: org for org in Organization.objects.filter(code__in=codes)}
    return found


def _validate_nominees(
    form: AwardForm,
    organization: Organization,
    nominees: list[dict[str, Any]],
    actor: User | None = None,
    on_match: registry.OnMatch | None = None,
    known: Iterable[int] = (),
    later: registry.Unrecorded | None = None,
) -> list[NomineeFields]:
    """Each nominee checked against the form, the limits and the proposing organisation: a unit
    names nominees of its own or of units under it (else Forbidden, 403). A CCCD naming a person
    the registry holds is a look-up (`on_match`), unless the person is one of `known` (already
    a nominee of the dossier being edited). The registry's new people and collectives are
    recorded at once, or by `later` (`registry.Unrecorded`)."""
    known = set(known)

    def matched(person: Person) -> None:
        if on_match is not None and person.pk not in known:
            on_match(person)

    if not nominees:
        raise DossierError(errors.NO_NOMINEES, code="no_nominees")
    limit = settings.DOSSIER_MAX_NOMINEES
    if len(nominees) > limit:
        raise DossierError(
            errors.TOO_MANY_NOMINEES, code="too_many_nominees", limit=limit, count=len(nominees)
        )
    by_code = _nominee_organizations(nominees, organization)
    allowed: set[int] | None = None
    cleaned: list[NomineeFields] = []
    holders: list[dict[str, Any]] = []
    for item in nominees:
        kind = item.get("kind")
        name = _text(
            item.get("name"), field=errors.FIELD_NOMINEE_NAME, limit=nominee_name_limit(),
            required=True,
        )  # fmt: skip
        if kind not in NomineeKind.values or not form.allows(kind):
            raise DossierError(
                errors.KIND_NOT_ALLOWED,
                code="nominee_kind_not_allowed",
                form=form.name,
                kind=NomineeKind(kind).label if kind in NomineeKind.values else kind,
                name=name,
            )
        org = item.get("organization") or None
        if isinstance(org, str):
            code = org
            org = by_code.get(code)
            if org is None:
                raise DossierError(errors.UNKNOWN_ORG, code="unknown_organization", value=code)
        if org is not None and org.pk != organization.pk:
            if allowed is None:
                allowed = _units_under(organization)
            if org.pk not in allowed:
                raise errors.Forbidden(
                    errors.ORGANIZATION_FORBIDDEN,
                    code="forbidden_organization",
                    org=organization.code,
                    value=org.code,
                )
        achievements = _text(
            item.get("achievements"),
            field=errors.FIELD_ACHIEVEMENTS,
            limit=settings.DOSSIER_MAX_ACHIEVEMENTS_CHARS,
        )
        holders.append({**item, "kind": kind, "name": name, "organization": org})
        cleaned.append(
            {
                "kind": kind,
                "name": name,
                "organization": org,
                "achievements": achievements,
                "criterion": str(item.get("criterion") or "")[:40],
                "person": None,
                "collective": None,
                "stated_birth_date": None,
                "stated_sex": "",
            }
        )
    found = registry.holders_for(
        actor=actor, organization=organization, items=holders, on_match=matched, later=later
    )
    for fields, item, (person, collective) in zip(cleaned, holders, found, strict=True):
        fields["person"], fields["collective"] = person, collective
        if person is not None:
            # Kept to compare with the registry's entry (the `identity` check), never shown.
            fields["stated_birth_date"] = item.get("birth_date")
            fields["stated_sex"] = item.get("sex") or ""
    return cleaned


def _check_in_force(form: AwardForm, day: datetime.date) -> None:
    if not form.in_force_on(day):
        span = f"{form.valid_from} – {form.valid_until or '…'}"
        raise DossierError(
            errors.FORM_NOT_IN_FORCE, code="form_not_in_force", form=form.name, day=day, span=span
        )


def _next_reference(organization: Organization, year: int) -> str:
    """The next free `<org>-<year>-<nnnn>` after the organisation's dossiers of that year
    counted, in one query when it is after every reference with that prefix (the usual case),
    else the next one not taken."""
    prefix = f"{organization.code}-{year}-"
    own = Q(organization=organization, year=year)
    numbered = Q(reference__startswith=prefix)
    found = Dossier.objects.filter(own | numbered).aggregate(
        count=Count("pk", filter=own), last=Max("reference", filter=numbered)
    )
    count = found["count"]
    reference = f"{prefix}{count + 1:04d}"
    if found["last"] is None or reference > found["last"]:
        return reference  # beyond every reference with the prefix: free
    while True:
        count += 1
        reference = f"{prefix}{count:04d}"
        if not Dossier.objects.filter(reference=reference).exists():
            return reference


@transaction.atomic(savepoint=False)
@ledger.together()  # the registry's new rows' events and the dossier's, in one INSERT at the end
def dossier_create(
    *,
    actor: User,
    organization: Organization,
    award_form: AwardForm,
    year: int,
    title: str,
    nominees: list[dict[str, Any]],
    on_match: registry.OnMatch | None = None,
) -> Dossier:
    """Create a draft with its nominees. Raises DossierError (form rules). A CCCD naming a person
    the registry holds is told to `on_match` (the look-up rule of the entry point)."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise DossierError(errors.YEAR_INVALID, code="year_invalid", year=year) from None
    if not 1945 <= year <= calendar.today().year + 1:
        raise DossierError(errors.YEAR_INVALID, code="year_invalid", year=year)
    title = _text(title, field=errors.FIELD_TITLE, limit=title_limit()) or award_form.name
    _check_in_force(award_form, calendar.today())
    tier = levels.tier_of(levels.authority_of(organization.code))
    if award_form.level != Level.CENTRAL and tier != award_form.level:
        # A ministry's or a province's own form is proposed by the units under that level.
        raise DossierError(
            errors.FORM_NOT_FOR_LEVEL,
            code="form_not_for_level",
            form=award_form.name,
            org=organization.code,
        )
    # Everything read before the first event, which holds the ledger's head until the commit:
    # the registry's new people and collectives are inserted now and recorded after the checks.
    later = registry.Unrecorded()
    cleaned = _validate_nominees(award_form, organization, nominees, actor, on_match, later=later)
    # Serialise reference numbering per organisation.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    dossier = Dossier(
        reference=_next_reference(organization, year),
        organization=organization,
        award_form=award_form,
        year=year,
        title=title,
        created_by=actor,
    )
    # The fields a person typed; the foreign keys are rows just read and the reference is
    # numbered under the organisation's lock (unique in the database too).
    dossier.clean_fields(exclude=["organization", "award_form", "created_by", "reference"])
    # With their checks: advice for the proposer, never blocking; run before anything is saved.
    rows = [Nominee(dossier=dossier, **item) for item in cleaned]
    checks.refresh([dossier], stage="save", nominees=rows, write=False)
    later.record()  # the new people's and collectives' events, before the dossier's
    with _recording(dossier, actor=actor, action="create"):
        history.author(dossier, actor, "dossier.created")
        dossier.save()
        history.bulk_create(rows, actor=actor, reason="nominee.added")
        access.on_created(dossier)
    return dossier


NOMINEE_IN_USE = _(
    "%(name)s has been on a ballot or has received public comments: the nominee stays in the "
    "dossier (its details may be changed)."
)
_NOMINEE_FIELDS = (
    "kind",
    "name",
    "organization",
    "achievements",
    "criterion",
    "person",
    "collective",
    "stated_birth_date",
    "stated_sex",
)


def _nominee_key(
    kind: str,
    name: str,
    organization: Organization | None,
    person: Person | None,
    collective: Collective | None,
) -> tuple[object, ...]:
    """Who a nominee is: the registry's person or collective, else its kind, name and unit."""
    if person is not None:
        return ("person", person.pk)
    if collective is not None:
        return ("collective", collective.pk)
    return (kind, name, organization.pk if organization is not None else None)


def _set_nominees(dossier: Dossier, cleaned: list[NomineeFields], actor: User | None) -> None:
    """The dossier's nominees become `cleaned`. One already in it (`_nominee_key`) keeps its row
    with the new details, so the ballots, public comments and overrides that name it stay
    linked (a returned dossier has been through them); the others are removed and the new
    ones added. One that a ballot or a public comment names cannot be removed (Conflict)."""
    current: dict[tuple[object, ...], list[Nominee]] = {}
    for row in dossier.nominees.select_related("person", "collective", "organization"):
        key = _nominee_key(row.kind, row.name, row.organization, row.person, row.collective)
        current.setdefault(key, []).append(row)
    kept: list[tuple[Nominee, NomineeFields]] = []
    added: list[NomineeFields] = []
    for item in cleaned:
        same = current.get(
            _nominee_key(
                item["kind"],
                item["name"],
                item["organization"],
                item["person"],
                item["collective"],
            )
        )
        if same:
            kept.append((same.pop(0), item))
        else:
            added.append(item)
    for row in (row for rows in current.values() for row in rows):
        history.author(row, actor, "nominee.removed")
        try:
            row.delete()
        except models.ProtectedError:
            raise Conflict(NOMINEE_IN_USE, code="nominee_in_use", name=row.name) from None
    for row, item in kept:
        if any(getattr(row, name) != item[name] for name in _NOMINEE_FIELDS):  # type: ignore[literal-required]
            for name in _NOMINEE_FIELDS:
                setattr(row, name, item[name])  # type: ignore[literal-required]
            history.author(row, actor, "nominee.updated")
            row.save(update_fields=list(_NOMINEE_FIELDS))
    _add_nominees(dossier, added, actor)


def _add_nominees(dossier: Dossier, cleaned: list[NomineeFields], actor: User | None) -> None:
    """The new nominees of `dossier` and their history rows (`nominee.added`), in one insert
    each, under the event being recorded."""
    history.bulk_create(
        [Nominee(dossier=dossier, **item) for item in cleaned], actor=actor, reason="nominee.added"
    )


@transaction.atomic(savepoint=False)
@ledger.together()  # the registry's new rows' events and the dossier's, in one INSERT at the end
def dossier_update(
    *,
    actor: User,
    dossier: Dossier,
    title: str | None = None,
    nominees: list[dict[str, Any]] | None = None,
    on_match: registry.OnMatch | None = None,
) -> Dossier:
    """Change a draft or returned dossier's title or its whole nominee list (`_set_nominees`:
    a nominee already in it keeps its row). Raises DossierError, Conflict (a nominee that was
    on a ballot or received public comments cannot be taken off). A CCCD naming a person the
    registry holds, not already a nominee of the dossier, is told to `on_match`."""
    if title is not None:
        title = _text(title, field=errors.FIELD_TITLE, limit=title_limit(), required=True)
    cleaned = (
        _validate_nominees(
            dossier.award_form,
            dossier.organization,
            nominees,
            actor,
            on_match,
            known=dossier.nominees.filter(person__isnull=False).values_list("person_id", flat=True),
        )
        if nominees is not None
        else None
    )
    changed = [
        name for name, value in (("title", title), ("nominees", nominees)) if value is not None
    ]
    with _recording(dossier, actor=actor, action="update", data={"changed": changed}):
        if title is not None:
            dossier.title = title
        if cleaned is not None:
            _set_nominees(dossier, cleaned, actor)
        dossier.clean_fields(exclude=["organization", "award_form", "created_by", "reference"])
        _save(dossier, actor, "dossier.updated", ["title"])
    if cleaned is not None:
        checks.refresh([dossier], stage="save")
    return dossier


@transaction.atomic(savepoint=False)
def attachment_add(
    *, actor: User, dossier: Dossier, kind_code: str, upload: File[bytes]
) -> Attachment:
    """Store a document after checking its size and its real type; nothing is kept on refusal."""
    kind = DocumentKind.objects.filter(code=kind_code).first()
    if kind is None:
        raise DossierError(errors.UNKNOWN_KIND, code="unknown_kind", value=kind_code)
    size = upload.size
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise DossierError(errors.FILE_TOO_LARGE, code="file_too_large", size=size, limit=limit)
    if size == 0:
        raise DossierError(errors.FILE_EMPTY, code="file_empty")
    upload.seek(0)
    data = upload.read()
    name = uploads.safe_name(getattr(upload, "name", "") or "")
    content_type = uploads.check(data, name)  # by content, deeply; raises DossierError
    return attachment_store(
        actor=actor, dossier=dossier, kind=kind, name=name, data=data, content_type=content_type
    )


def attachment_store(
    *,
    actor: User | None,
    dossier: Dossier,
    kind: DocumentKind,
    name: str,
    data: bytes,
    content_type: str,
) -> Attachment:
    """Store a checked document on a locked dossier (also used for generated minutes)."""
    attachment = Attachment(
        dossier=dossier,
        kind=kind,
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        version=dossier.version,
        uploaded_by=actor,
    )
    attachment.file.save(name, ContentFile(data), save=False)
    stored_name = attachment.file.name
    facts = {"kind": kind.code, "name": name, "sha256": attachment.sha256, "size": len(data)}
    try:
        with _recording(dossier, actor=actor, action="attach", data=facts):
            history.author(attachment, actor, "attachment.added")
            attachment.save()
    except Exception:
        attachment.file.storage.delete(stored_name)
        raise
    return attachment


ATTACHMENT_NOT_THE_UNITS = _(
    "“%(name)s” was not added by the proposing unit (it is a ballot's minutes or a consulted "
    "body's reply): it stays with the dossier."
)


def unit_document_ids(dossier: Dossier) -> set[int]:
    """The ids of the dossier's documents its unit added (uploaded by an officer or the head of
    the proposing unit, as `attachment_add` only lets them): the ones the unit may replace or
    remove while it holds the dossier. A ballot's minutes and a consulted body's reply are not
    the unit's. One query."""
    unit = RoleGrant.objects.filter(
        organization_id=dossier.organization_id, role__in=(Role.UNIT_OFFICER, Role.UNIT_HEAD)
    ).values("user_id")
    return set(dossier.attachments.filter(uploaded_by__in=unit).values_list("pk", flat=True))


@transaction.atomic(savepoint=False)
def attachment_remove(*, actor: User, dossier: Dossier, attachment: Attachment) -> Dossier:
    """Take a document the unit added off the dossier; the entry point (workflows) has locked
    the dossier and asked the policy (the unit, while it holds the dossier: draft or returned).

    The row goes, the stored file stays: it is never deleted, so the ledger's `attach` event
    (its SHA-256) and the history row this writes (`attachment.removed`, with the stored path)
    still lead to the very file a board may have read in an earlier version. The `detach`
    event records what was taken off. Raises Conflict for a document the unit did not add."""
    if attachment.dossier_id != dossier.pk or attachment.pk not in unit_document_ids(dossier):
        raise Conflict(
            ATTACHMENT_NOT_THE_UNITS,
            code="attachment_not_removable",
            name=attachment.original_name,
        )
    facts = {
        "attachment": attachment.pk,
        "kind": attachment.kind.code,
        "name": attachment.original_name,
        "sha256": attachment.sha256,
        "size": attachment.size,
        "version": attachment.version,
        "file": attachment.file.name,
    }
    with _recording(dossier, actor=actor, action="detach", data=facts):
        history.author(attachment, actor, "attachment.removed")
        # Model.delete() leaves the file in the storage (Django never deletes files).
        attachment.delete()
    return dossier


# --- transitions -------------------------------------------------------------------------------


def _bloc_for(dossier: Dossier) -> Bloc | None:
    membership = (
        BlocMembership.objects.filter(organization=dossier.organization, year=dossier.year)
        .select_related("bloc")
        .first()
    )
    return membership.bloc if membership else None


@transaction.atomic(savepoint=False)
def dossier_submit(*, actor: User, dossier: Dossier, reason: str = "") -> Dossier:
    """The unit head signs the tờ trình: on to the bloc vote or the board's intake.

    A resubmission after a return makes a new numbered version. Raises Conflict (state),
    DossierError (missing documents, form out of force, no bloc)."""
    lifecycle.ensure("submit", dossier)
    form = dossier.award_form
    from_state = dossier.state
    reason = reason or ("dossier.submitted" if from_state == S.DRAFT else "dossier.resubmitted")
    _check_in_force(form, calendar.today())
    missing = list(
        form.required_documents.exclude(pk__in=dossier.attachments.values("kind_id")).values_list(
            "name", flat=True
        )
    )
    if missing:
        raise DossierError(
            errors.MISSING_DOCUMENTS, code="missing_documents", kinds=", ".join(missing)
        )
    nominees = checks.refresh([dossier], stage="submit", block=True)  # 409 eligibility_failed
    bloc = dossier.bloc
    if from_state == S.DRAFT:
        bloc = None
        # A bloc ranks its member organisations: a dossier of individuals only never goes to it.
        # (A draft's nominees are all live, so all of them are among those checked.)
        collectives = any(n.kind == NomineeKind.COLLECTIVE for n in nominees)
        if (
            collectives
            and form.has_stage(Stage.BLOC_VOTE)
            and form.bloc_vote_rule != BlocVoteRule.NONE
        ):
            bloc = _bloc_for(dossier)
            if bloc is None and form.bloc_vote_rule == BlocVoteRule.REQUIRED:
                raise DossierError(
                    errors.NOT_A_BLOC_MEMBER,
                    code="not_a_bloc_member",
                    form=form.name,
                    org=dossier.organization.code,
                    year=dossier.year,
                )
    with _recording(dossier, actor=actor, action="submit", reason=reason):
        if from_state == S.DRAFT:
            dossier.bloc = bloc
            _enter(dossier, lifecycle.fire("submit", dossier, with_bloc=bloc is not None))
            authority = lifecycle.step_on(dossier)
            dossier.submitted_at = timezone.now()
        else:  # resubmission after a return: back to the intake of the level that returned it
            dossier.version += 1
            _enter(dossier, lifecycle.fire("submit", dossier))
            authority = None
        _save(
            dossier,
            actor,
            reason,
            ["state", "version", "bloc", "submitted_at", "stage_started_on", "due_date", *ROUTE],
        )
        access.on_submitted(dossier)
        if authority:
            access.on_held(dossier, authority)
    checks.refresh_claimants(dossier, nominees)  # a duplicate is flagged to the other board too
    return dossier


def _advance(
    actor: User | None,
    dossier: Dossier,
    action: str,
    reason: str,
    data: Mapping[str, Any] | None = None,
) -> Dossier:
    with _recording(dossier, actor=actor, action=action, reason=reason, data=data):
        _enter(dossier, lifecycle.fire(action, dossier))  # the route's next stage
        before = dossier.holder_id
        authority = lifecycle.step_on(dossier)
        moved = dossier.holder_id != before
        if moved:
            dossier.assignee = None  # the new level's board shares it out again
        fields = ["state", "stage_started_on", "due_date", *ROUTE, "assignee"]
        _save(dossier, actor, reason or f"dossier.{action}", fields)
        if moved:
            access.on_held(dossier, authority)
    return dossier


def _end_not_approved(
    actor: User | None, dossier: Dossier, action: str, code: str, reason: str, **kwargs: Any
) -> Dossier:
    with _recording(dossier, actor=actor, action=action, reason=reason, data={"code": code}):
        _enter(dossier, lifecycle.fire(action, dossier, **kwargs))
        dossier.reason_code = code
        _set_nominee_outcomes(dossier, actor, NomineeOutcome.NOT_APPROVED, reason)
        _save(dossier, actor, reason, ["state", "reason_code", "stage_started_on", "due_date"])
    return dossier


def _fail_nominees(dossier: Dossier, failed: dict[int, str]) -> None:
    for nominee in dossier.nominees.filter(pk__in=failed, outcome=NomineeOutcome.PENDING):
        nominee.outcome, nominee.outcome_reason = NomineeOutcome.NOT_APPROVED, failed[nominee.pk]
        history.change_reason(nominee, "nominee.vote_failed")
        nominee.save(update_fields=["outcome", "outcome_reason"])


def dossier_record_vote(
    *,
    dossier: Dossier,
    stage: str,
    passed: bool,
    failed: dict[int, str],
    tally: VoteTally,
    actor: User | None = None,
) -> Dossier:
    """A closed ballot moves its dossier: on if any nominee passed, else not approved.

    Called by approvals' ballot_close inside its transaction, with the dossier locked; the
    ballot service has checked who may close. Nominees that failed get their own outcome."""
    action = "record_bloc_vote" if stage == Stage.BLOC_VOTE else "record_council_vote"
    lifecycle.ensure(action, dossier, label=False)
    if failed:
        with _recording(dossier, actor=actor, action="nominees_failed_vote", data=tally):
            _fail_nominees(dossier, failed)
    if passed:
        return _advance(actor, dossier, action, f"{action}.passed", tally)
    code = "bloc_vote_failed" if stage == Stage.BLOC_VOTE else "council_vote_failed"
    return _end_not_approved(actor, dossier, action, code, f"{action}.failed", passed=False)


@transaction.atomic(savepoint=False)
def dossier_accept(*, actor: User, dossier: Dossier, reason: str = "") -> Dossier:
    """The board finds the dossier complete; the clock of the next stage starts."""
    lifecycle.ensure("accept", dossier)
    checks.refresh([dossier], stage="intake")  # the board sees each nominee's checks
    return _advance(actor, dossier, "accept", reason)


@transaction.atomic(savepoint=False)
def dossier_return(*, actor: User, dossier: Dossier, reason: str) -> Dossier:
    """Incomplete: back to the unit for supplement, with the reason. The board's clock stops."""
    lifecycle.ensure("return", dossier)
    reason = _require_reason(reason)
    with _recording(dossier, actor=actor, action="return", reason=reason):
        _enter(dossier, lifecycle.fire("return", dossier))
        lifecycle.back_to_intake(dossier)
        _save(dossier, actor, reason, ["state", "stage_started_on", "due_date", "route_step"])
    return dossier


@transaction.atomic(savepoint=False)
def dossier_close_notice(*, actor: User, dossier: Dossier, reason: str = "") -> Dossier:
    """End the public notice once its working days have run."""
    lifecycle.ensure("close_notice", dossier)
    if dossier.due_date and calendar.today() < dossier.due_date:
        raise Conflict(errors.NOTICE_RUNNING, code="notice_running", until=dossier.due_date)
    return _advance(actor, dossier, "close_notice", reason)


@transaction.atomic(savepoint=False)
def dossier_forward(*, actor: User, dossier: Dossier, reason: str = "") -> Dossier:
    """Appraisal passed: the dossier waits for a decision batch."""
    lifecycle.ensure("forward", dossier)
    checks.refresh([dossier], stage="appraisal", block=True)  # overrides confirmed count
    dossier = _advance(actor, dossier, "forward", reason)
    access.on_forwarded(dossier)
    return dossier


@transaction.atomic(savepoint=False)
def dossier_sign_submission(*, actor: User, dossier: Dossier, reason: str = "") -> Dossier:
    """The ministry's or the province's head signs the tờ trình: on to the central board."""
    lifecycle.ensure("sign_submission", dossier)
    return _advance(actor, dossier, "sign_submission", reason)


@transaction.atomic(savepoint=False)
def dossier_reject(*, actor: User, dossier: Dossier, reason_code: str, reason: str) -> Dossier:
    """Appraisal failed: not approved, with a reason code and a notice to the proposer."""
    lifecycle.ensure("reject", dossier)
    code = _require_code(reason_code, REJECT_REASONS)
    return _end_not_approved(actor, dossier, "reject", code, _require_reason(reason))


@transaction.atomic(savepoint=False)
def dossier_hold(*, actor: User, dossier: Dossier, reason_code: str, reason: str) -> Dossier:
    """Pause while a complaint, inspection or discipline is pending (Decree 98 Art. 4)."""
    lifecycle.ensure("hold", dossier)
    code = _require_code(reason_code, HOLD_REASONS)
    reason = _require_reason(reason)
    with _recording(dossier, actor=actor, action="hold", reason=reason, data={"code": code}):
        dossier.held_from, dossier.reason_code = dossier.state, code
        lifecycle.fire("hold", dossier)
        _stop_clock(dossier)
        fields = ["state", "held_from", "reason_code", "stage_started_on", "due_date"]
        _save(dossier, actor, reason, fields)
    return dossier


@transaction.atomic(savepoint=False)
def dossier_set_assignee(
    *, actor: User, dossier: Dossier, officer: User | None, action: str, reason: str = ""
) -> Dossier:
    """Assign the dossier to an officer of the holding level's board, or take it (claim), or
    give it back to the board's unassigned queue (officer None). The caller, workflows, has
    asked the policy; the change is audited like any other (who, from whom, to whom)."""
    previous = dossier.assignee.username if dossier.assignee else None
    data = {"from": previous, "to": officer.username if officer else None}
    with _recording(dossier, actor=actor, action=action, reason=reason, data=data):
        dossier.assignee = officer
        _save(dossier, actor, reason or f"dossier.{action}", ["assignee"])
    return dossier


@transaction.atomic(savepoint=False)
def nominee_hold(
    *, actor: User, dossier: Dossier, nominee_id: int, reason_code: str, reason: str
) -> Nominee:
    """Hold one nominee while a matter about them is pending (Decree 98 Art. 4): the nominee
    is left out of ballots and decisions until released; the dossier goes on with the others."""
    lifecycle.ensure("hold", dossier)
    code = _require_code(reason_code, HOLD_REASONS)
    reason = _require_reason(reason)
    nominee = _nominee(dossier, nominee_id, NomineeOutcome.PENDING)
    data = {"nominee": nominee.pk, "code": code}
    with _recording(dossier, actor=actor, action="nominee_hold", reason=reason, data=data):
        nominee.outcome, nominee.outcome_reason = NomineeOutcome.ON_HOLD, code
        history.author(nominee, actor, reason)
        nominee.save(update_fields=["outcome", "outcome_reason"])
    return nominee


@transaction.atomic(savepoint=False)
def nominee_release(
    *, actor: User, dossier: Dossier, nominee_id: int, reason_code: str = "", reason: str
) -> Nominee:
    """The matter is concluded: the nominee is pending again, at the dossier's stage."""
    if dossier.state in lifecycle.TERMINAL:
        raise lifecycle.refusal("release", dossier)
    reason = _require_reason(reason)
    nominee = _nominee(dossier, nominee_id, NomineeOutcome.ON_HOLD)
    data = {"nominee": nominee.pk}
    with _recording(dossier, actor=actor, action="nominee_release", reason=reason, data=data):
        nominee.outcome, nominee.outcome_reason = NomineeOutcome.PENDING, ""
        history.author(nominee, actor, reason)
        nominee.save(update_fields=["outcome", "outcome_reason"])
    return nominee


OVERRIDE_STATES = (S.INTAKE, S.PUBLIC_NOTICE, S.COUNCIL_REVIEW, S.APPRAISAL)


def _failed_check(nominee: Nominee, rule: str) -> dict[str, Any]:
    check: dict[str, Any] | None = next((c for c in nominee.checks if c.get("rule") == rule), None)
    if check is None or check.get("outcome") != "fail":
        raise DossierError(errors.NO_SUCH_FAILURE, code="no_such_failure", rule=rule[:40])
    if not check.get("overridable", True):
        raise Conflict(errors.NOT_OVERRIDABLE, code="not_overridable", rule=rule)
    return check


@transaction.atomic(savepoint=False)
def check_override_request(
    *, actor: User, dossier: Dossier, nominee_id: int, rule: str, reason: str
) -> CheckOverride:
    """An appraiser overrides one failed, overridable check of a nominee, with a reason; it
    counts once the board's head confirms it (`check_override_confirm`)."""
    if dossier.state not in OVERRIDE_STATES:
        raise lifecycle.refusal(_("override a check"), dossier)
    reason = _require_reason(reason)
    nominee = _nominee(dossier, nominee_id, NomineeOutcome.PENDING)
    _failed_check(nominee, rule)
    data = {"nominee": nominee.pk, "rule": rule}
    with _recording(dossier, actor=actor, action="check_override", reason=reason, data=data):
        override = CheckOverride(nominee=nominee, rule=rule, reason=reason, requested_by=actor)
        history.author(override, actor, "check.override_requested")
        override.save()
    checks.refresh([dossier], stage="appraisal")
    return override


@transaction.atomic(savepoint=False)
def check_override_confirm(
    *, actor: User, dossier: Dossier, nominee_id: int, rule: str, reason: str = ""
) -> CheckOverride:
    """The board's head confirms an appraiser's override (not their own: four eyes)."""
    nominee = _nominee(dossier, nominee_id, NomineeOutcome.PENDING)
    override = (
        CheckOverride.objects.select_for_update()
        .filter(nominee=nominee, rule=rule)
        .order_by("-id")
        .first()
    )
    if override is None or override.confirmed_at is not None:
        raise Conflict(errors.NO_PENDING_OVERRIDE, code="no_pending_override", rule=rule[:40])
    if override.requested_by_id == actor.pk:
        raise Conflict(errors.OWN_OVERRIDE, code="own_override")
    data = {"nominee": nominee.pk, "rule": rule, "override": override.pk}
    with _recording(
        dossier, actor=actor, action="check_override_confirm", reason=reason, data=data
    ):
        override.confirmed_by, override.confirmed_at = actor, timezone.now()
        history.author(override, actor, "check.override_confirmed")
        override.save(update_fields=["confirmed_by", "confirmed_at"])
    checks.refresh([dossier], stage="appraisal")
    return override


def _nominee(dossier: Dossier, nominee_id: int, outcome: str) -> Nominee:
    nominee = dossier.nominees.filter(pk=nominee_id).first()
    if nominee is None:
        raise DossierError(errors.UNKNOWN_NOMINEE, code="unknown_nominee", value=nominee_id)
    if nominee.outcome != outcome:
        raise Conflict(
            errors.NOMINEE_NOT_THERE,
            code="nominee_state",
            name=nominee.name,
            outcome=nominee.get_outcome_display(),
        )
    return nominee


@transaction.atomic(savepoint=False)
def dossier_release(*, actor: User, dossier: Dossier, reason: str) -> Dossier:
    """The pending matter is concluded: back to the state the dossier was held in."""
    lifecycle.ensure("release", dossier)
    reason = _require_reason(reason)
    with _recording(dossier, actor=actor, action="release", reason=reason):
        _enter(dossier, lifecycle.fire("release", dossier))  # the state it was held in
        dossier.held_from, dossier.reason_code = "", ""
        fields = ["state", "held_from", "reason_code", "stage_started_on", "due_date"]
        _save(dossier, actor, reason, fields)
    return dossier


@transaction.atomic(savepoint=False)
def dossier_withdraw(*, actor: User, dossier: Dossier, reason: str) -> Dossier:
    """The unit head withdraws the dossier before any decision."""
    lifecycle.ensure("withdraw", dossier)
    reason = _require_reason(reason)
    with _recording(dossier, actor=actor, action="withdraw", reason=reason):
        _enter(dossier, lifecycle.fire("withdraw", dossier))
        _set_nominee_outcomes(dossier, actor, NomineeOutcome.WITHDRAWN, reason)
        _save(dossier, actor, reason, ["state", "stage_started_on", "due_date"])
    return dossier


@transaction.atomic(savepoint=False)
def dossier_revoke(*, actor: User, dossier: Dossier, reason_code: str, reason: str) -> Dossier:
    """Annul the award (Law Ch. VII): every awarded nominee is revoked."""
    lifecycle.ensure("revoke", dossier)
    code = _require_code(reason_code, REVOKE_REASONS)
    reason = _require_reason(reason)
    with _recording(dossier, actor=actor, action="revoke", reason=reason, data={"code": code}):
        lifecycle.fire("revoke", dossier)
        dossier.reason_code = code
        registry.revoke_awards(
            nominees=dossier.nominees.filter(outcome=NomineeOutcome.AWARDED),
            on=calendar.today(),
            reason=f"{code}: {reason}",
        )
        _set_nominee_outcomes(
            dossier, actor, NomineeOutcome.REVOKED, reason, only=NomineeOutcome.AWARDED
        )
        _save(dossier, actor, reason, ["state", "reason_code"])
    checks.refresh_claimants(dossier)  # the open dossiers naming them no longer count the award
    return dossier


def dossier_propose_to_president(*, actor: User, dossier: Dossier, decision_ref: str) -> Dossier:
    """The PM's proposal to the President: called inside the batch's transaction, row locked."""
    return _batch_move(actor, dossier, "propose_to_president", decision_ref)


def dossier_recall_proposal(*, actor: User, dossier: Dossier, decision_ref: str) -> Dossier:
    """Another dossier left a batch the PM had proposed: the batch, this dossier with it, goes
    back to the PM to be proposed again. Called inside the batch's transaction, row locked."""
    return _batch_move(actor, dossier, "recall_proposal", decision_ref)


def _batch_move(actor: User, dossier: Dossier, action: str, decision_ref: str) -> Dossier:
    lifecycle.ensure(action, dossier, label=False)
    with _recording(dossier, actor=actor, action=action, data={"decision": decision_ref}):
        _enter(dossier, lifecycle.fire(action, dossier))
        _save(dossier, actor, f"dossier.{action}", ["state", "stage_started_on", "due_date"])
    return dossier


def dossier_decide(
    *,
    actor: User,
    dossier: Dossier,
    number: str,
    year: int,
    declined: dict[int, str],
    signed_on: datetime.date | None = None,
    nominees: Iterable[Nominee] | None = None,
) -> Dossier:
    """Record the signed decision on one dossier of a batch: each nominee awarded or declined,
    the awards added to the registry dated `signed_on` (the decision's date; today if not given).
    `nominees`: the dossier's live nominees when the caller has read them (checks.live_nominees).

    Called inside the batch's transaction with the row locked."""
    lifecycle.ensure("decide", dossier, label=False)
    if nominees is None:
        nominees = dossier.nominees.filter(outcome=NomineeOutcome.PENDING)
    pending = [n for n in nominees if n.outcome == NomineeOutcome.PENDING]
    with _recording(dossier, actor=actor, action="decide", reason=number) as entry:
        awarded, refused = [], []
        for nominee in pending:
            if nominee.pk in declined:
                nominee.outcome = NomineeOutcome.DECLINED
                nominee.outcome_reason = declined[nominee.pk]
                refused.append(nominee)
            else:
                nominee.outcome, nominee.outcome_reason = NomineeOutcome.AWARDED, number
                awarded.append(nominee)
        # The awarded share one outcome and reason: one UPDATE; the declined each their own;
        # each UPDATE with its rows' history rows. (Their checks, not in the history, were
        # written by the signature's rules before the first event locked the ledger's head.)
        history.bulk_update(
            refused,
            ["outcome", "outcome_reason"],
            actor=actor,
            reason=f"nominee.{NomineeOutcome.DECLINED}",
        )
        history.update(
            awarded,
            actor=actor,
            reason=f"nominee.{NomineeOutcome.AWARDED}",
            outcome=NomineeOutcome.AWARDED,
            outcome_reason=number,
        )
        registry.record_awards(
            nominees=awarded,
            form=dossier.award_form,
            year=dossier.year,
            number=number,
            awarded_on=signed_on or calendar.today(),
        )
        _enter(dossier, lifecycle.fire("decide", dossier))
        fields = ["state", "stage_started_on", "due_date"]
        _save(dossier, actor, f"dossier.decided {number}", fields)
        entry.data = {
            "decision": number,
            "awarded": [n.pk for n in awarded],
            "declined": [n.pk for n in refused],
        }
    return dossier


# --- administration ----------------------------------------------------------------------------


@transaction.atomic
def role_grant(
    *, actor: User | None, user: User, role: str, organization: Organization | None
) -> RoleGrant:
    """Grant a role (idempotent); the grant is historied and leaves a ledger event."""
    grant = RoleGrant.objects.filter(user=user, role=role, organization=organization).first()
    if grant is not None:
        return grant
    grant = RoleGrant(user=user, role=role, organization=organization)
    grant.full_clean()
    data = {
        "user": user.get_username(),
        "role": role,
        "organization": getattr(organization, "code", None),
    }
    with ledger.recording(actor=actor, action="role.granted", obj=grant, data=data):
        history.author(grant, actor, "role.granted")
        grant.save()
        user.groups.add(access.role_group(role, getattr(organization, "code", None)))
    user.__dict__.pop("_kt_roles", None)
    return grant


@transaction.atomic
def role_withdraw(*, actor: User | None, grant: RoleGrant, reason: str = "") -> None:
    """Withdraw a role; the history keeps the grant's whole life."""
    data = {
        "user": grant.user.get_username(),
        "role": grant.role,
        "organization": grant.organization.code if grant.organization else None,
    }
    with ledger.recording(
        actor=actor, action="role.withdrawn", obj=grant, reason=reason, data=data
    ):
        history.author(grant, actor, reason or "role.withdrawn")
        grant.delete()
        org = grant.organization.code if grant.organization else None
        name = access.group_name(grant.role, org)
        still = [
            access.group_name(g.role, g.organization.code if g.organization else None)
            for g in RoleGrant.objects.filter(user=grant.user).select_related("organization")
        ]
        if name not in still:
            grant.user.groups.remove(*grant.user.groups.filter(name=name))
