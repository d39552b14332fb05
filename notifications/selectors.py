"""Reads: a user's own notifications, the unread count, who holds a role where."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from dossiers.models import Role, RoleGrant
from notifications.models import Notification, NotificationPreference

UNIT_ROLES = (Role.UNIT_OFFICER, Role.UNIT_HEAD)


def notification_list_for(user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user: User | AnonymousUser) -> int:
    """How many of the user's notifications are unread: one query (the inbox index)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def email_enabled(user: User) -> bool:
    """Whether the user gets notifications by e-mail (on unless turned off)."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference.email_enabled if preference else True


def users_with_role(roles: Iterable[str], org_codes: Iterable[str]) -> list[User]:
    """The active users holding one of `roles` for one of the organisations `org_codes`, once
    each, in id order."""
    codes = sorted({c for c in org_codes if c})
    if not codes:
        return []
    ids = RoleGrant.objects.filter(role__in=list(roles), organization__code__in=codes).values(
        "user_id"
    )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def grants_by_org(
    roles: Iterable[str], org_codes: Iterable[str] | None = None
) -> dict[str, list[User]]:
    """The active holders of `roles`, by organisation code, each list in id order: of every
    organisation (the clock's many dossiers at once) or of `org_codes` (an event's dossiers'
    units), in one query."""
    found: dict[str, list[User]] = {}
    grants = (
        RoleGrant.objects.filter(role__in=list(roles), user__is_active=True)
        .exclude(organization=None)
        .select_related("user", "organization")
        .order_by("user_id")
    )
    if org_codes is not None:
        grants = grants.filter(organization__code__in=sorted({c for c in org_codes if c}))
    for grant in grants:
        if grant.organization is None:  # excluded above
            continue
        users = found.setdefault(grant.organization.code, [])
        if grant.user not in users:
            users.append(grant.user)
    return found
