"""The user's roles, read once per user object: the facts the policy (workflows/policy.py)
decides from.

Roles are data (`RoleGrant`); bloc leadership is data per bloc and year (`BlocLeadership`).
"""

from __future__ import annotations

from typing import Any, TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    F,
    IntegerField,
    JSONField,
    Model,
    QuerySet,
    Subquery,
    TextField,
    Value,
)

from dossiers.aggregates import JSONRows
from dossiers.models import (
    BlocLeadership,
    Dossier,
    DossierState,
    Role,
    RoleGrant,
)

S = DossierState

# Whoever the policy is asked about: a signed-in user or a visitor (`request.user`). Services act
# for a signed-in `User` (their views and endpoints require sign-in); the clock acts as None.
UserLike: TypeAlias = User | AnonymousUser


Roles: TypeAlias = frozenset[tuple[str, str | None]]


def _grants(user: User) -> QuerySet[RoleGrant]:
    return RoleGrant.objects.filter(user=user)


def user_roles(user: UserLike) -> Roles:
    """(role, organisation code) pairs of the user, read once per user object (or with the row
    an action locks: `roles_read_with`, `group_ids`)."""
    if not user.is_authenticated:
        return frozenset()
    cached: Roles | None = getattr(user, "_kt_roles", None)
    if cached is None:
        cached = frozenset(_grants(user).values_list("role", "organization__code"))
        user.__dict__["_kt_roles"] = cached
    return cached


ROLES_READ = "_kt_roles_read"  # the annotation `roles_read_with` adds to a row


def roles_unread(user: UserLike) -> bool:
    """Whether the user's roles are still to be read on this user object."""
    return user.is_authenticated and getattr(user, "_kt_roles", None) is None


def roles_read_with(user: UserLike) -> dict[str, Subquery]:
    """The annotation that reads the user's roles in the query of the row an action locks (one
    statement instead of two), for `roles_seeded`; none when they are read already on this
    user object (or there is nobody to read them for)."""
    return roles_annotation(user=user) if roles_unread(user) else {}


def roles_annotation(**grants_of: Any) -> dict[str, Subquery]:
    """`roles_read_with`'s annotation for the grants `grants_of` names: `user=…`, or
    `user_id__in_ids=` the stand-in of a compiled query (`dossiers.compiled`)."""
    pairs = (
        RoleGrant.objects.filter(**grants_of)
        .order_by()
        .values("user_id")
        .annotate(pairs=JSONRows("role", "organization__code"))
        .values("pairs")
    )
    return {ROLES_READ: Subquery(pairs, output_field=JSONField())}


def roles_seeded(user: UserLike, row: Model) -> None:
    """Keep on the user object the roles read with `row` (`roles_read_with`), the same facts
    `user_roles` reads (no row: no role); nothing when the row did not read them."""
    if ROLES_READ not in row.__dict__:
        return
    pairs = row.__dict__.pop(ROLES_READ)
    if getattr(user, "_kt_roles", None) is None:
        user.__dict__["_kt_roles"] = frozenset((role, org) for role, org in pairs or ())


def orgs_with_role(user: UserLike, *roles: str) -> frozenset[str]:
    """The organisations where the user holds one of `roles`, worked out once per user object
    and roles asked (a list's policy asks it for every row), again when the roles are read
    again."""
    roles_now = user_roles(user)
    memo: tuple[frozenset[tuple[str, str | None]], dict[tuple[str, ...], frozenset[str]]] | None
    memo = getattr(user, "_kt_orgs", None)
    if memo is None or memo[0] is not roles_now:
        memo = (roles_now, {})
        if user.is_authenticated:
            user.__dict__["_kt_orgs"] = memo
    orgs = memo[1].get(roles)
    if orgs is None:
        orgs = memo[1][roles] = frozenset(org for role, org in roles_now if role in roles and org)
    return orgs


def group_ids(user: UserLike) -> list[int]:
    """The ids of the user's groups (one per role and organisation, dossiers/access.py: the
    dossiers' grants are given to groups), read once per user object and again when the roles
    are read again; with the roles in one query (a UNION ALL) when these are not read yet. The
    lists name them to PostgreSQL as values rather than as a subquery of the membership table:
    its planner then knows how many grants each group holds (from a few hundred to a third of
    all dossiers) and joins them in the order that suits."""
    if not user.is_authenticated:
        return []
    memo: tuple[Roles, list[int]] | None
    if getattr(user, "_kt_roles", None) is None:
        memo = _roles_and_groups(user)
        user.__dict__["_kt_roles"] = memo[0]
        user.__dict__["_kt_groups"] = memo
        return memo[1]
    roles_now = user_roles(user)
    memo = getattr(user, "_kt_groups", None)
    if memo is None or memo[0] is not roles_now:
        ids = User.groups.through.objects.filter(user_id=user.pk).values_list("group_id", flat=True)
        memo = (roles_now, sorted(ids))
        user.__dict__["_kt_groups"] = memo
    return memo[1]


def _roles_and_groups(user: User) -> tuple[Roles, list[int]]:
    """The user's roles (as `user_roles`) and group ids, in one query: a UNION ALL of the
    grants (role, organisation code) and the memberships (group id)."""
    no_text, no_id = Value(None, output_field=TextField()), Value(None, output_field=IntegerField())
    grants = _grants(user).annotate(u_role=F("role"), u_org=F("organization__code"), u_group=no_id)
    groups = User.groups.through.objects.filter(user_id=user.pk).annotate(
        u_role=no_text, u_org=no_text, u_group=F("group_id")
    )
    columns = ("u_role", "u_org", "u_group")
    rows = (
        grants.order_by()
        .values_list(*columns)
        .union(groups.order_by().values_list(*columns), all=True)
    )
    roles: set[tuple[str, str | None]] = set()
    ids: list[int] = []
    for role, org, group in rows:
        if group is None:
            roles.add((role, org))
        else:
            ids.append(group)
    return frozenset(roles), sorted(ids)


def has_role(user: UserLike, role: str, org_code: str | None = None) -> bool:
    if org_code is not None:
        return org_code in orgs_with_role(user, role)
    return any(r == role for r, _o in user_roles(user))


def is_inspector(user: UserLike) -> bool:
    return user.is_superuser or has_role(user, Role.INSPECTOR)


def led_blocs(user: UserLike) -> frozenset[tuple[int, int]]:
    """(bloc id, year) pairs the user's organisations lead, read once per user object."""
    cached: frozenset[tuple[int, int]] | None = getattr(user, "_kt_led", None)
    if cached is None:
        voter_orgs = orgs_with_role(user, Role.BLOC_VOTER)
        cached = frozenset(
            BlocLeadership.objects.filter(leader__code__in=voter_orgs).values_list(
                "bloc_id", "year"
            )
            if voter_orgs
            else []
        )
        user.__dict__["_kt_led"] = cached
    return cached


def is_bloc_leader(user: UserLike, dossier: Dossier) -> bool:
    return dossier.bloc_id is not None and (dossier.bloc_id, dossier.year) in led_blocs(user)
