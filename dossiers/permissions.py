"""The user's roles, read once per user object: the facts the policy (workflows/policy.py)
decides from.

Roles are data (`RoleGrant`); bloc leadership is data per bloc and year (`BlocLeadership`).
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User

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


def user_roles(user: UserLike) -> frozenset[tuple[str, str | None]]:
    """(role, organisation code) pairs of the user, read once per user object."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[tuple[str, str | None]] | None = getattr(user, "_kt_roles", None)
    if cached is None:
        cached = frozenset(
            RoleGrant.objects.filter(user=user).values_list("role", "organization__code")
        )
        user.__dict__["_kt_roles"] = cached
    return cached


def orgs_with_role(user: UserLike, *roles: str) -> set[str]:
    return {org for role, org in user_roles(user) if role in roles and org}


def has_role(user: UserLike, role: str, org_code: str | None = None) -> bool:
    return any(r == role and (org_code is None or o == org_code) for r, o in user_roles(user))


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
