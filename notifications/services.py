"""Writes: notify users (in the app, and by e-mail where they want it), mark read, set the
e-mail preference. Each is keyword-only and runs in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification, NotificationPreference

logger = logging.getLogger(__name__)

TITLE_MAX = Notification._meta.get_field("title").max_length or 255
LINK_MAX = Notification._meta.get_field("link").max_length or 500


def _one_line(text: str) -> str:
    """A title is an e-mail subject too: no line breaks (a header injection), no long runs."""
    return " ".join(str(text).split())


@transaction.atomic
def notification_send(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    message: str = "",
    link: str = "",
    key: str,
    dossier_id: int | None = None,
    event_seq: int | None = None,
) -> list[Notification]:
    """Notify each active recipient once per `key`: a recipient who already has a notification
    with this key gets nothing new (a replayed event, a second run of the clock). Returns the
    notifications written; their e-mails leave once this transaction has committed."""
    users = {u.pk: u for u in recipients if u.is_active}
    if not users:
        return []
    had = set(
        Notification.objects.filter(recipient_id__in=users, key=key).values_list(
            "recipient_id", flat=True
        )
    )
    title = _one_line(title)[:TITLE_MAX]
    now = timezone.now()
    rows = [
        Notification(
            recipient=users[pk],
            kind=kind,
            title=title,
            message=str(message),
            link=link[:LINK_MAX],
            key=key,
            dossier_id=dossier_id,
            event_id=event_seq,
            created_at=now,
        )
        for pk in sorted(users)
        if pk not in had
    ]
    Notification.objects.bulk_create(rows)
    if rows:
        transaction.on_commit(lambda: email_send(notifications=rows), robust=True)
    return rows


def email_send(*, notifications: Sequence[Notification]) -> int:
    """E-mail each notification to its recipient, if the recipient has an address and has not
    turned e-mail off. A mail server that fails is logged, never raised: the notification is
    in the app either way. Returns the number of messages handed to the mail backend."""
    wanted = [n for n in notifications if n.recipient.email]
    if not wanted:
        return 0
    off = set(
        NotificationPreference.objects.filter(
            user_id__in={n.recipient_id for n in wanted}, email_enabled=False
        ).values_list("user_id", flat=True)
    )
    site = settings.SITE_URL.rstrip("/") + "/"
    messages = [
        EmailMessage(
            subject=n.title,
            body="\n\n".join(filter(None, [n.message, urljoin(site, n.link) if n.link else ""])),
            to=[n.recipient.email],
        )
        for n in wanted
        if n.recipient_id not in off
    ]
    if not messages:
        return 0
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:  # the mail server's trouble is not the user's action's
        logger.exception("notification e-mail failed (%d messages)", len(messages))
        return 0


@transaction.atomic
def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read (the views fetch only the actor's)."""
    if notification.recipient_id != actor.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many were."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def preference_set(*, actor: User, email_enabled: bool) -> NotificationPreference:
    """The actor turns e-mail on or off for their own notifications."""
    preference, _created = NotificationPreference.objects.get_or_create(user=actor)
    preference.email_enabled = bool(email_enabled)
    preference.full_clean()
    preference.save()
    return preference
