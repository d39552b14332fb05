"""`manage.py bulk_dossiers` (`make load`'s data): copies of the demo's dossiers in every state,
each with its ledger event, that `verify_audit` accepts and the lists and inboxes see, at a cost
per page that does not grow with them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import LedgerEvent
from audit.verify import verify
from demo import bulk
from dossiers.models import Dossier, DossierGroupObjectPermission
from tests.signin import signin

pytestmark = pytest.mark.django_db


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as context:
        response = call()
    assert response.status_code == 200
    return len(context.captured_queries)


def test_bulk_dossiers_pass_verify_audit_and_keep_the_lists_cost(api):
    originals = bulk.templates()
    client = api("board-officer")
    call_command("bulk_dossiers", "--count", "20", stdout=StringIO())
    lists = {
        url: _queries(lambda url=url: client.get(url))
        for url in ("/api/v1/dossiers/", "/api/v1/dossiers/?state=intake&page_size=200",
                    "/api/v1/dossiers/?cursor=")
    }  # fmt: skip
    page = Client()
    signin(page, "board-officer")
    home = _queries(lambda: page.get("/"))
    listed = _queries(lambda: page.get("/dossiers/?state=intake"))

    out = StringIO()
    call_command("bulk_dossiers", "--total", str(Dossier.objects.count() + 180), stdout=out)
    assert "180 dossiers" in out.getvalue()

    report = verify()
    assert report.ok, report.as_dict()
    for url, before in lists.items():
        assert _queries(lambda url=url: client.get(url)) == before, url
    assert _queries(lambda: page.get("/")) == home
    assert _queries(lambda: page.get("/dossiers/?state=intake")) == listed

    made = Dossier.objects.filter(reference__regex=bulk.REFERENCE_RE).order_by("id")
    assert made.count() == 200
    # Round robin over the originals: every state, organisation and form they have.
    assert set(made.values_list("state", flat=True)) == {d.state for d in originals}
    assert set(made.values_list("organization", flat=True)) == {
        d.organization_id for d in originals
    }
    first, source = made.first(), originals[(bulk._next_number() - 200) % len(originals)]
    assert (first.state, first.holder_id, first.award_form_id) == (
        source.state,
        source.holder_id,
        source.award_form_id,
    )
    grants = DossierGroupObjectPermission.objects.values_list("group_id", "permission_id")
    assert set(grants.filter(content_object=first)) == set(grants.filter(content_object=source))
    assert first.nominees.count() == source.nominees.count()
    event = LedgerEvent.objects.get(dossier_id=first.pk)
    assert (event.action, event.to_state, event.version) == ("create", first.state, first.version)
    assert first.history.get().ledger_seq == event.seq


def test_a_generated_dossier_is_seen_as_its_original_is(api):
    call_command("bulk_dossiers", "--count", "60", stdout=StringIO())
    made = Dossier.objects.filter(
        reference__regex=bulk.REFERENCE_RE, state="intake", holder__code="TTG"
    ).first()
    board = api("board-officer").get(f"/api/v1/dossiers/{made.pk}/")
    assert board.status_code == 200 and board.json()["state"] == "intake"
    assert "accept" in board.json()["available_actions"]
    other_unit = "head-HCCB" if made.organization.code != "HCCB" else "head-MTTQ"
    assert api(other_unit).get(f"/api/v1/dossiers/{made.pk}/").status_code == 404
    page = Client()
    signin(page, "inspector")
    assert page.get(f"/dossiers/{made.pk}/").status_code == 200
