"""The header's bell: the unread count, counted only if the page shows it (one query)."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, object]:
    # Lazy: a page that does not draw the bell (an error page without a database) asks nothing.
    return {"notifications_unread": SimpleLazyObject(lambda: unread_count(request.user))}
