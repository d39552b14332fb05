"""The bell and /notifications/: a user sees and marks only their own; the count is one query."""

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from notifications import selectors, services
from notifications.context_processors import notifications
from notifications.models import Notification, NotificationKind, NotificationPreference
from tests.signin import signin

pytestmark = pytest.mark.django_db


def _notify(user, n: int, prefix: str = "Tin") -> None:
    for i in range(n):
        services.notification_send(
            recipients=[user],
            kind=NotificationKind.ASSIGNED,
            title=f"{prefix} {i} cho {user.username}",
            message="Nội dung",
            link="/dossiers/",
            key=f"test:{prefix}:{i}",
        )


def _client(username: str) -> Client:
    client = Client()
    assert signin(client, username)
    return client


def test_the_page_shows_only_my_notifications_and_marks_them_read(world):
    me, other = world.user("proposer-VHNT"), world.user("proposer-VUFO")
    Notification.objects.filter(recipient__in=[me, other]).delete()
    _notify(me, 3, "Của tôi")
    _notify(other, 2, "Của người khác")
    client = _client("proposer-VHNT")

    page = client.get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Của tôi 0 cho proposer-VHNT" in html and "Của tôi 2 cho proposer-VHNT" in html
    assert "Của người khác" not in html
    assert html.count('class="unread"') == 3
    # The bell shows the unread count on every page.
    assert "<strong>3</strong>" in client.get("/").content.decode()

    # Opening one marks it read and follows its link; another user's is a 404.
    mine = Notification.objects.filter(recipient=me).first()
    opened = client.get(f"/notifications/{mine.pk}/")
    assert opened.status_code == 302 and opened["Location"] == "/dossiers/"
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    theirs = Notification.objects.filter(recipient=other).first()
    assert client.get(f"/notifications/{theirs.pk}/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None

    assert client.get("/notifications/read-all/").status_code == 405  # POST only
    assert client.post("/notifications/read-all/").status_code == 302
    assert selectors.unread_count(me) == 0
    assert selectors.unread_count(other) == 2
    assert 'class="unread"' not in client.get("/notifications/").content.decode()


def test_the_email_preference_is_mine_to_turn_off_and_on(world):
    client = _client("proposer-VHNT")
    me = world.user("proposer-VHNT")
    assert selectors.email_enabled(me)
    assert client.post("/notifications/preferences/", {}).status_code == 302
    assert NotificationPreference.objects.get(user=me).email_enabled is False
    assert (
        'name="email_enabled" id="email_enabled">' in client.get("/notifications/").content.decode()
    )
    client.post("/notifications/preferences/", {"email_enabled": "on"})
    assert NotificationPreference.objects.get(user=me).email_enabled is True
    assert not NotificationPreference.objects.filter(user=world.user("proposer-VUFO")).exists()


def test_the_pages_need_a_signed_in_user(db):
    client = Client()
    for url in ("/notifications/", "/notifications/1/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post("/notifications/read-all/").status_code == 302
    assert client.post("/notifications/preferences/").status_code == 302


def test_the_unread_count_is_one_query_whatever_the_number(world, django_assert_num_queries):
    me = world.user("proposer-VHNT")
    request = RequestFactory().get("/")
    request.user = me
    _notify(me, 2)
    with django_assert_num_queries(0):
        context = notifications(request)  # nothing is asked until the page shows the count
    with django_assert_num_queries(1):
        before = int(str(context["notifications_unread"]))
        assert context["notifications_unread"]  # asked once per page
    _notify(me, 30, "Thêm")
    context = notifications(request)
    with django_assert_num_queries(1):
        after = int(str(context["notifications_unread"]))
    assert after == before + 30


@pytest.mark.parametrize("url", ["/", "/notifications/"])
def test_pages_with_the_bell_cost_the_same_whatever_the_number(world, url):
    me = world.user("proposer-VHNT")
    client = _client("proposer-VHNT")
    _notify(me, 2)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    before = queries()
    _notify(me, 40, "Thêm")
    assert queries() == before
