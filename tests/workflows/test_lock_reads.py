"""Facts an action needs read in the query of the row it locks, never kept between requests: the
actor's roles (with the dossier's or the batch's lock, and with the groups where a list needs
them). What the lock is to order (a consultation asked while the forward waited) is read after
it: a statement waiting for a lock sees the database as it was when it started."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals import services as approval_services
from consultations import services as consultations
from consultations.models import Consultation
from dossiers import calendar, permissions
from dossiers import services as ds
from dossiers.errors import Conflict
from dossiers.models import Dossier, Role, RoleGrant
from tests.workflows.helpers import collective_draft
from workflows import policy

pytestmark = pytest.mark.django_db

# A unit's officer, a board's head (two roles), a decider, a role of no organisation (the
# inspector) and a superuser with no role at all.
PEOPLE = ["proposer-HCCB", "board-head", "t-chair", "inspector", "admin"]


def _fresh(username: str) -> User:
    """A new user object, as each request loads one."""
    return User.objects.get(username=username)


@pytest.mark.parametrize("username", PEOPLE)
def test_roles_read_with_the_dossiers_lock_are_the_roles_read_alone(world, username):
    dossier = collective_draft(world)
    alone = permissions.user_roles(_fresh(username))
    user = _fresh(username)
    with CaptureQueriesContext(connection) as context:
        ds.lock(dossier.pk, user)
    assert len(context.captured_queries) == 1
    assert '"dossiers_rolegrant"' in context.captured_queries[0]["sql"]
    with CaptureQueriesContext(connection) as context:
        assert permissions.user_roles(user) == alone
    assert not context.captured_queries


@pytest.mark.parametrize("username", ["pm", "board-head", "outsider-free"])
def test_roles_read_with_the_batchs_lock_are_the_roles_read_alone(world, username):
    if username == "outsider-free":  # a user with no role grant and no group
        username = User.objects.create(username=username).username
    dossier = collective_draft(world)
    decision = approval_services.Decision.objects.create(
        decider="TTG", created_by=world.user("board-head")
    )
    approval_services.DecisionEntry.objects.create(decision=decision, dossier=dossier)
    alone = permissions.user_roles(_fresh(username))
    user = _fresh(username)
    with CaptureQueriesContext(connection) as context:
        locked, dossiers = approval_services._lock_batch(decision.pk, user)
    assert len(context.captured_queries) == 1
    assert locked == decision and dossiers == [dossier]
    assert user.__dict__["_kt_roles"] == alone
    # A batch whose dossiers all left it: the decision's own lock reads them.
    approval_services.DecisionEntry.objects.filter(decision=decision).delete()
    user = _fresh(username)
    with CaptureQueriesContext(connection) as context:
        assert approval_services._lock_batch(decision.pk, user) == (decision, [])
    assert len(context.captured_queries) == 2  # the entries (none), then the decision
    assert user.__dict__["_kt_roles"] == alone


def test_roles_already_read_on_the_user_object_are_not_read_again_with_the_lock(world):
    dossier = collective_draft(world)
    user = _fresh("head-HCCB")
    roles = permissions.user_roles(user)
    with CaptureQueriesContext(connection) as context:
        ds.lock(dossier.pk, user)
    assert '"dossiers_rolegrant"' not in context.captured_queries[0]["sql"]
    assert permissions.user_roles(user) is roles


def test_a_role_withdrawn_between_two_requests_is_read_again(world):
    """Each request's user object reads the roles afresh: the head who could submit in one
    request cannot in the next once the role is withdrawn."""
    dossier = collective_draft(world)
    first = _fresh("head-HCCB")
    policy.require(first, "submit", ds.lock(dossier.pk, first))
    ds.role_withdraw(actor=None, grant=RoleGrant.objects.get(user=first, role=Role.UNIT_HEAD))
    second = _fresh("head-HCCB")
    with pytest.raises(PermissionDenied):
        policy.require(second, "submit", ds.lock(dossier.pk, second))
    assert (Role.UNIT_HEAD, "HCCB") in permissions.user_roles(first)  # that request's own facts
    assert permissions.user_roles(second) == frozenset()
    # And a role granted is seen by the next request.
    ds.role_grant(actor=None, user=second, role=Role.UNIT_HEAD, organization=world.org("HCCB"))
    third = _fresh("head-HCCB")
    policy.require(third, "submit", ds.lock(dossier.pk, third))


@pytest.mark.parametrize("username", [*PEOPLE, "voter-HCCB"])
def test_group_ids_are_read_with_the_roles_in_one_query(world, username):
    alone = _fresh(username)
    roles, groups = permissions.user_roles(alone), permissions.group_ids(alone)
    assert groups == sorted(alone.groups.values_list("pk", flat=True))
    user = _fresh(username)
    with CaptureQueriesContext(connection) as context:
        assert permissions.group_ids(user) == groups
        assert permissions.user_roles(user) == roles
    assert len(context.captured_queries) == (0 if not user.is_authenticated else 1)
    # Roles read again (a role changed): the groups are read again with them.
    user.__dict__.pop("_kt_roles")
    with CaptureQueriesContext(connection) as context:
        assert permissions.group_ids(user) == groups
    assert len(context.captured_queries) == 1


def test_the_forward_reads_the_consultations_after_the_lock(world):
    """A consultation asked while the forward waited for the dossier's lock is seen: the guard
    reads them in a statement of its own, after the lock (read with it, in the same statement,
    the request committed meanwhile would be missed: a reviewer's race, on PostgreSQL)."""
    dossier = collective_draft(world)
    # A form that names no body: only a pending request stops the forward.
    Dossier.objects.filter(pk=dossier.pk).update(award_form=world.form("BK-TINH"))
    with CaptureQueriesContext(connection) as context:
        locked = ds.lock(dossier.pk, world.user("board-head"))
    (lock,) = [q["sql"] for q in context.captured_queries]
    assert '"consultations_consultation"' not in lock
    Consultation.objects.create(
        dossier=dossier,
        body=world.org("HY-BHXH"),
        requested_by=world.user("board-officer"),
        requested_at=timezone.now(),
        due_date=calendar.today(),
    )
    with CaptureQueriesContext(connection) as context, pytest.raises(Conflict) as pending:
        consultations.forward_guard(locked)
    assert pending.value.code == "consultation_pending"
    assert any('"consultations_consultation"' in q["sql"] for q in context.captured_queries)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks")
def test_a_consultation_asked_while_the_forward_waits_stops_the_forward():
    """The board officer's request holds the dossier's lock and commits while the forward waits
    for it: the forward's guard sees the request (pending), as it does when they run apart."""
    import threading
    import time

    from django.db import connections, transaction

    from demo.world import World, build_organisations, build_users

    build_organisations()
    build_users()
    world = World()
    dossier = collective_draft(world)
    # A form that names no body: only the pending request stops the forward.
    Dossier.objects.filter(pk=dossier.pk).update(award_form=world.form("BK-TINH"))
    locked_by_a, seen = threading.Event(), {}

    def request() -> None:
        try:
            with transaction.atomic():
                ds.lock(dossier.pk)
                Consultation.objects.create(
                    dossier_id=dossier.pk,
                    body=world.org("HY-BHXH"),
                    requested_by=world.user("board-officer"),
                    requested_at=timezone.now(),
                    due_date=calendar.add_working_days(calendar.today(), 5),
                )
                locked_by_a.set()
                time.sleep(1.0)
        finally:
            connections.close_all()

    def forward() -> None:
        try:
            locked_by_a.wait()
            with transaction.atomic():
                started = time.monotonic()
                locked = ds.lock(dossier.pk, User.objects.get(username="board-head"))
                seen["waited"] = time.monotonic() - started
                try:
                    consultations.forward_guard(locked)
                except Conflict as error:
                    seen["guard"] = error.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request), threading.Thread(target=forward)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen["waited"] > 0.5  # the forward waited for the request's lock
    assert seen.get("guard") == "consultation_pending", seen
