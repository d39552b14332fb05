"""A new dossier's creation reads and checks before its first ledger event: that event locks the
ledger's head until the commit (every writer waits for it), so what comes after it is writes."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import LedgerEvent, LedgerHead
from audit.verify import verify
from dossiers.models import Collective, Person
from workflows import services as wf

pytestmark = pytest.mark.django_db

HEAD = LedgerHead._meta.db_table


def _create(world):
    return wf.dossier_start(
        actor=world.user("proposer-HCCB"),
        organization=world.org("HCCB"),
        award_form=world.form("BK-TTG"),
        year=2024,
        title="Một người mới, một tập thể mới",
        nominees=[
            {
                "kind": "individual",
                "name": "Trần Thị Mới",
                "organization": "HCCB",
                "identity": "001185000123",
                "birth_date": datetime.date(1985, 4, 2),
                "sex": "female",
                "achievements": "Hoàn thành xuất sắc nhiệm vụ",
            },
            {"kind": "collective", "name": "Phòng Mới", "organization": "HCCB"},
        ],
    )


def test_reads_before_the_head_is_locked_and_the_registry_recorded_first(world):
    first = LedgerHead.objects.values_list("seq", flat=True).first() or 0
    with CaptureQueriesContext(connection) as context:
        dossier = _create(world)
    statements = [q["sql"] for q in context.captured_queries]
    head = next(i for i, sql in enumerate(statements) if HEAD in sql and sql.startswith("SELECT"))
    after = [sql.split()[0] for sql in statements[head + 1 :]]
    assert set(after) <= {"INSERT", "UPDATE", "WITH", "SAVEPOINT", "RELEASE"}, after
    # The new person's and collective's events come first, then the dossier's; each history row
    # under its own event.
    events = list(LedgerEvent.objects.filter(seq__gt=first).order_by("seq"))
    assert [e.action for e in events] == ["person.created", "collective.created", "create"]
    person = Person.objects.get(identity="001185000123")
    collective = Collective.objects.get(name="Phòng Mới")
    assert person.history.get().ledger_seq == events[0].seq
    assert collective.history.get().ledger_seq == events[1].seq
    assert events[2].dossier_id == dossier.pk
    assert json.loads(events[0].body)["data"] == {"organization": "HCCB"}
    # The checks were kept with the nominees, and the chain is whole.
    assert all(n.checks for n in dossier.nominees.all())
    assert verify().ok
