"""Who sees a dossier: guardian's object permission `view_dossier`, granted only here, by the
services, as a dossier moves, and read by the policy (workflows/policy.py: lists with
one EXISTS on the group grants, one dossier with `has_perm`). What a user may *do* is the policy's
answer from roles and the declared lifecycle, so no other grant is written. Each role of an
organisation is a group; granting a role puts the user in its group, so a new officer sees the
dossiers its organisation already holds.

    unit:<org>      from the creation on
    voter:<org>     for dossiers at the vote of a bloc the organisation belongs to that year
    board:<body>    once its level holds the dossier (a province's or a ministry's first, the
                    central board once that level's head has signed the submission)
    council:<org>   the same, where the route has that level's council vote
    decider:<code>  a ministry's or a province's head when its level holds the dossier; the
                    PM and the President from the forward on
    inspectors      every dossier (a model-wide permission)
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from dossiers import levels, lifecycle
from dossiers.models import (
    BlocMembership,
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
    Role.CONSULTED: "consulted",
}
INSPECTORS = "inspectors"
VIEW = "view_dossier"


def group_name(role: str, org_code: str | None) -> str:
    if role == Role.INSPECTOR:
        return INSPECTORS
    return f"{ROLE_GROUP[role]}:{org_code}"


@lru_cache(maxsize=8)
def _permission_id(codename: str) -> int:
    content_type = ContentType.objects.get_for_model(Dossier)
    return Permission.objects.get(content_type=content_type, codename=codename).pk


def view_permission_id() -> int:
    """The id of `view_dossier`, the permission the lists filter by (workflows.policy)."""
    return _permission_id(VIEW)


def forget_cached_ids(**kwargs) -> None:
    """Permission ids change when a database is flushed and rebuilt (post_migrate)."""
    _permission_id.cache_clear()


def role_group(role: str, org_code: str | None) -> Group:
    group, created = Group.objects.get_or_create(name=group_name(role, org_code))
    if created and role == Role.INSPECTOR:
        group.permissions.add(_permission_id(VIEW))
    return group


def grant(dossier: Dossier, names: list[str], codename: str = VIEW) -> None:
    """Grant the groups `names` the permission `codename` on `dossier`: one INSERT … SELECT of
    the groups by name, which skips the grants given before. When it added fewer rows than
    names, the names no group has yet (no user has joined it) are made into groups and the
    same INSERT adds their grants."""
    names = sorted(set(names))
    if not names or _insert_for_groups(dossier, names, _permission_id(codename)) == len(names):
        return
    existing = set(Group.objects.filter(name__in=names).values_list("name", flat=True))
    missing = [Group(name=name) for name in names if name not in existing]
    if missing:
        Group.objects.bulk_create(missing, ignore_conflicts=True)
        _insert_for_groups(dossier, names, _permission_id(codename))


def _insert_for_groups(dossier: Dossier, names: list[str], permission_id: int) -> int:
    """The rows added: a grant to each group of `names` that exists and lacks it."""
    table = DossierGroupObjectPermission._meta.db_table
    groups = Group._meta.db_table
    marks = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" (permission_id, group_id, content_object_id) '
            f'SELECT %s, id, %s FROM "{groups}" WHERE name IN ({marks}) ON CONFLICT DO NOTHING',
            [permission_id, dossier.pk, *names],
        )
        return cursor.rowcount


def _unit(dossier: Dossier) -> list[str]:
    return [f"unit:{dossier.organization.code}"]


def on_created(dossier: Dossier) -> None:
    grant(dossier, _unit(dossier), VIEW)


def on_submitted(dossier: Dossier) -> None:
    """The bloc's members see a dossier at their vote."""
    if dossier.bloc_id:
        members = BlocMembership.objects.filter(bloc_id=dossier.bloc_id, year=dossier.year)
        codes = members.values_list("organization__code", flat=True)
        grant(dossier, [f"voter:{code}" for code in codes], VIEW)


def on_held(dossier: Dossier, authority: str) -> None:
    """A level takes the dossier: its board sees it, and its council and its head where the
    route has them act at that level (a level never sees a dossier before it holds it)."""
    body = levels.level(authority)
    stages = {stage for stage, at in lifecycle.route(dossier) if at == authority}
    names = [f"board:{body.board}"] if body.board else []
    if body.council and Stage.COUNCIL_VOTE in stages:
        names.append(f"council:{body.council}")
    if authority != levels.CENTRAL and stages & {Stage.SUBMISSION, Stage.DECISION}:
        names.append(f"decider:{authority}")
    if names:
        grant(dossier, names, VIEW)


def on_forwarded(dossier: Dossier) -> None:
    grant(dossier, [f"decider:{code}" for code in lifecycle.deciders_of(dossier)], VIEW)
