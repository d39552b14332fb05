"""Object permissions (django-guardian) on dossiers, granted and revoked only here, by the
services, as a dossier moves. Each role of an organisation is a group; granting a role puts the
user in its group, so a new officer sees the dossiers its organisation already holds.

    unit:<org>      view (and change while the dossier is with the unit)
    voter:<org>     view, for dossiers at the vote of a bloc the organisation belongs to that year
    board:<body>    view + review, from the submission on
    council:<org>   view, for forms that pass the council
    decider:<code>  view + decide from the forward on (the PM too, for President forms)
    inspectors      view on every dossier (a model-wide permission)
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from dossiers.models import (
    BlocMembership,
    Decider,
    Dossier,
    DossierGroupObjectPermission,
    Role,
    Stage,
)

ROLE_GROUP = {
    Role.UNIT_OFFICER: "unit",
    Role.UNIT_HEAD: "unit",
    Role.BLOC_VOTER: "voter",
    Role.BOARD_OFFICER: "board",
    Role.BOARD_HEAD: "board",
    Role.COUNCIL_SECRETARY: "council",
    Role.COUNCIL_MEMBER: "council",
    Role.DECIDER: "decider",
}
INSPECTORS = "inspectors"
VIEW, CHANGE, REVIEW, DECIDE = "view_dossier", "change_dossier", "review_dossier", "decide_dossier"


def group_name(role: str, org_code: str | None) -> str:
    if role == Role.INSPECTOR:
        return INSPECTORS
    return f"{ROLE_GROUP[role]}:{org_code}"


@lru_cache(maxsize=8)
def _permission_id(codename: str) -> int:
    content_type = ContentType.objects.get_for_model(Dossier)
    return Permission.objects.get(content_type=content_type, codename=codename).pk


def forget_cached_ids(**kwargs) -> None:
    """Permission ids change when a database is flushed and rebuilt (post_migrate)."""
    _permission_id.cache_clear()


def role_group(role: str, org_code: str | None) -> Group:
    group, created = Group.objects.get_or_create(name=group_name(role, org_code))
    if created and role == Role.INSPECTOR:
        group.permissions.add(_permission_id(VIEW))
    return group


def _groups(names: list[str]) -> list[Group]:
    existing = {g.name: g for g in Group.objects.filter(name__in=names)}
    return [existing.get(n) or Group.objects.create(name=n) for n in names]


def grant(dossier: Dossier, names: list[str], *codenames: str) -> None:
    rows = [
        DossierGroupObjectPermission(
            group=group, permission_id=_permission_id(code), content_object=dossier
        )
        for group in _groups(names)
        for code in codenames
    ]
    DossierGroupObjectPermission.objects.bulk_create(rows, ignore_conflicts=True)


def revoke(dossier: Dossier, names: list[str], *codenames: str) -> None:
    DossierGroupObjectPermission.objects.filter(
        content_object=dossier,
        group__name__in=names,
        permission_id__in=[_permission_id(c) for c in codenames],
    ).delete()


def _unit(dossier: Dossier) -> list[str]:
    return [f"unit:{dossier.organization.code}"]


def _board(dossier: Dossier) -> list[str]:
    return [f"board:{dossier.award_form.reviewing_body.code}"]


def _deciders(dossier: Dossier) -> list[str]:
    codes = {dossier.award_form.decider}
    if dossier.award_form.decider == Decider.PRESIDENT:
        codes.add(Decider.PM)  # the PM proposes President forms
    return [f"decider:{code}" for code in sorted(codes)]


def on_created(dossier: Dossier) -> None:
    grant(dossier, _unit(dossier), VIEW, CHANGE)


def on_submitted(dossier: Dossier) -> None:
    """The unit can no longer change it; the board (and the bloc, the council) now see it."""
    revoke(dossier, _unit(dossier), CHANGE)
    grant(dossier, _board(dossier), VIEW, REVIEW)
    if dossier.bloc_id:
        members = BlocMembership.objects.filter(bloc_id=dossier.bloc_id, year=dossier.year)
        codes = members.values_list("organization__code", flat=True)
        grant(dossier, [f"voter:{code}" for code in codes], VIEW)
    if dossier.award_form.has_stage(Stage.COUNCIL_VOTE):
        council = "HDTDKT-TW" if dossier.award_form.level == "central" else "T-HDTDKT"
        grant(dossier, [f"council:{council}"], VIEW)


def on_returned(dossier: Dossier) -> None:
    grant(dossier, _unit(dossier), CHANGE)


def on_forwarded(dossier: Dossier) -> None:
    grant(dossier, _deciders(dossier), VIEW, DECIDE)


def on_closed(dossier: Dossier) -> None:
    """Decided, not approved or withdrawn: nobody reviews or changes it; all still see it."""
    revoke(dossier, _unit(dossier), CHANGE)
    revoke(dossier, _board(dossier), REVIEW)
