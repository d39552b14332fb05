"""Who may see and do what with a dossier: the one policy the UI, views, API and services ask.

Roles are data (`RoleGrant`); bloc leadership is data per bloc and year (`BlocLeadership`).
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from dossiers import lifecycle
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


def visible_dossiers(
    user: UserLike, queryset: QuerySet[Dossier] | None = None
) -> QuerySet[Dossier]:
    """The dossiers the user may see, filtered in the query by guardian's object permissions
    (through the user's role groups) or the model-wide permission inspectors hold."""
    base = queryset if queryset is not None else Dossier.objects.all()
    if not user.is_authenticated:
        return base.none()
    return get_objects_for_user(
        user,
        "dossiers.view_dossier",
        klass=base,
        use_groups=True,
        with_superuser=True,
        accept_global_perms=True,
    )


def can_view(user: UserLike, dossier: Dossier) -> bool:
    return visible_dossiers(user).filter(pk=dossier.pk).exists()


def is_unit_member(user: UserLike, dossier: Dossier) -> bool:
    org = dossier.organization.code
    return has_role(user, Role.UNIT_OFFICER, org) or has_role(user, Role.UNIT_HEAD, org)


def can_edit(user: UserLike, dossier: Dossier) -> bool:
    """Edit fields, nominees and documents: the unit, while the dossier is with the unit."""
    return is_unit_member(user, dossier) and dossier.state in (S.DRAFT, S.RETURNED)


def _board(user: UserLike, dossier: Dossier, *roles: str) -> bool:
    body = dossier.award_form.reviewing_body.code
    return any(has_role(user, role, body) for role in roles)


def _decider(user: UserLike, dossier: Dossier) -> bool:
    return has_role(user, Role.DECIDER, dossier.award_form.decider)


def role_allows(user: UserLike, dossier: Dossier) -> dict[str, bool]:
    """For each action, whether the user's roles allow it on this dossier, whatever its state."""
    if not user.is_authenticated:
        return dict.fromkeys(lifecycle.DOSSIER_ACTIONS, False)
    org = dossier.organization.code
    head = has_role(user, Role.UNIT_HEAD, org)
    officer = _board(user, dossier, Role.BOARD_OFFICER, Role.BOARD_HEAD)
    board_head = _board(user, dossier, Role.BOARD_HEAD)
    return {
        "submit": head,
        "accept": officer,
        "return": officer,
        "close_notice": officer,
        "forward": board_head,
        "reject": officer,
        "hold": officer,
        "release": officer,
        "withdraw": head,
        "revoke": _decider(user, dossier),
    }


def dossier_actions(user: UserLike, dossier: Dossier) -> list[str]:
    """The action names this user may perform on this dossier now: the policy's roles, and the
    declared lifecycle's sources (workflows/lifecycle.py, through `lifecycle.allows`)."""
    allowed = role_allows(user, dossier)
    return [
        action
        for action in lifecycle.DOSSIER_ACTIONS
        if allowed[action] and lifecycle.allows(action, dossier.state)
    ]


def can_create_for(user: UserLike, organization_code: str) -> bool:
    return has_role(user, Role.UNIT_OFFICER, organization_code) or has_role(
        user, Role.UNIT_HEAD, organization_code
    )
