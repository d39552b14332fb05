"""Facts an action needs read in the query of the row it locks, never kept between requests: the
actor's roles (with the dossier's or the batch's lock, and with the groups where a list needs
them) and whether a dossier has any consultation (the forward's guard)."""

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
from workflows import guards, policy
from workflows import services as wf

pytestmark = pytest.mark.django_db

# A unit's officer, a board's head (two roles), a decider, a role of no organisation (the
# inspector) and a superuser with no role at all.
PEOPLE = ["proposer-HCCB", "board-head", "t-chair", "inspector", "admin"]


def _fresh(username: str) -> User:
    """A new user object, as each request loads one."""
    return User.objects.get(username=username)


def _draft(world) -> Dossier:
    return wf.dossier_start(
        actor=world.user("proposer-HCCB"),
        organization=world.org("HCCB"),
        award_form=world.form("BK-TTG"),
        year=2024,
        title="Tập thể",
        nominees=[{"kind": "collective", "name": "Chi hội", "organization": "HCCB"}],
    )


@pytest.mark.parametrize("username", PEOPLE)
def test_roles_read_with_the_dossiers_lock_are_the_roles_read_alone(world, username):
    dossier = _draft(world)
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
    dossier = _draft(world)
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
    dossier = _draft(world)
    user = _fresh("head-HCCB")
    roles = permissions.user_roles(user)
    with CaptureQueriesContext(connection) as context:
        ds.lock(dossier.pk, user)
    assert '"dossiers_rolegrant"' not in context.captured_queries[0]["sql"]
    assert permissions.user_roles(user) is roles


def test_a_role_withdrawn_between_two_requests_is_read_again(world):
    """Each request's user object reads the roles afresh: the head who could submit in one
    request cannot in the next once the role is withdrawn."""
    dossier = _draft(world)
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


def test_the_forward_reads_the_consultations_only_of_a_dossier_that_has_some(world):
    """A dossier with no consultation: the guard decides as it does after reading them (this
    form names bodies never asked: `consultation_missing`), without reading them."""
    dossier = _draft(world)
    reads = guards.reads("forward")
    assert list(reads) == [consultations.CONSULTED]
    assert guards.reads("accept") == {}
    locked = ds.lock(dossier.pk, None, reads)
    assert locked.__dict__[consultations.CONSULTED] is False
    with pytest.raises(Conflict) as read_first:
        consultations.forward_guard(Dossier.objects.get(pk=dossier.pk))
    with CaptureQueriesContext(connection) as context, pytest.raises(Conflict) as known:
        consultations.forward_guard(locked)
    assert (known.value.code, str(known.value)) == (read_first.value.code, str(read_first.value))
    assert known.value.code == "consultation_missing"
    sql = [query["sql"] for query in context.captured_queries]
    assert not [s for s in sql if '"consultations_consultation"' in s], sql
    assert consultations.CONSULTED not in locked.__dict__  # it held for that lock only


def test_a_dossier_with_consultations_has_them_read_by_the_forward(world):
    dossier = _draft(world)
    Consultation.objects.create(
        dossier=dossier,
        body=world.org("HY-BHXH"),
        requested_by=world.user("board-officer"),
        requested_at=timezone.now(),
        due_date=calendar.today(),
    )
    locked = ds.lock(dossier.pk, None, guards.reads("forward"))
    assert locked.__dict__[consultations.CONSULTED] is True
    with CaptureQueriesContext(connection) as context, pytest.raises(Conflict):
        consultations.forward_guard(locked)
    assert any('"consultations_consultation"' in q["sql"] for q in context.captured_queries)
