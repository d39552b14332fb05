"""Notifications are written after commit: a test runs the actions inside `committed()`, which
runs the transaction's on-commit callbacks at its end, as a real commit would."""

import pytest

from notifications.models import Notification


class Watch:
    """The notifications written since it was made, by kind and recipient."""

    def __init__(self) -> None:
        self.mark = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def new(self, kind: str | None = None):
        rows = Notification.objects.filter(pk__gt=self.mark)
        return rows.filter(kind=kind) if kind else rows

    def who(self, kind: str | None = None) -> list[str]:
        return sorted(self.new(kind).values_list("recipient__username", flat=True))

    def kinds(self) -> set[str]:
        return set(self.new().values_list("kind", flat=True))


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def watch(db):
    return Watch
