"""Who holds a role where: an event naming several units' dossiers (a ballot closed, a decision
signed) reads their people in one query, the same people as one unit at a time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers.models import Organization, Role
from notifications import selectors

pytestmark = pytest.mark.django_db


def test_the_units_people_by_organisation_in_one_query(world):
    codes = list(Organization.objects.order_by("code").values_list("code", flat=True)[:12])
    with CaptureQueriesContext(connection) as context:
        found = selectors.grants_by_org(selectors.UNIT_ROLES, [*codes, codes[0], ""])
    assert len(context.captured_queries) == 1
    one_by_one = {
        code: users
        for code in codes
        if (users := selectors.users_with_role(selectors.UNIT_ROLES, [code]))
    }
    assert found == one_by_one and found  # each list in id order, each user once
    assert "HLHPN" in found and selectors.grants_by_org([Role.UNIT_HEAD], []) == {}
