"""On PostgreSQL a tracked model's save writes its history row in the statement that writes the
row (`audit.history`), and that row is the one simple-history writes on its own path (two
statements: SQLite, or the mechanism switched off here): same values, user, reason, date, type
and ledger seq; no row when the row is not written, none twice. The bulk writes
(`history.bulk_create`, `bulk_update`, `update`) likewise."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Max
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from simple_history.models import HistoricalRecords

from audit import context, history
from audit.history import History
from audit.models import LedgerEvent
from audit.verify import verify
from demo.management.commands.bench_workflow import bench_form, lifecycle, measure
from demo.world import World
from dossiers.models import AwardForm, Collective, Dossier, Nominee, Organization

pytestmark = pytest.mark.django_db

INLINE = connection.vendor == "postgresql"
ONE_OR_TWO = 1 if INLINE else 2  # statements for a row and its history row
SEQ = 987_654


@pytest.fixture
def actor(db):
    return get_user_model().objects.get(username="board-officer")


@pytest.fixture
def seq():
    token = context.current_seq.set(SEQ)
    yield SEQ
    context.current_seq.reset(token)


@pytest.fixture
def organization(db):
    return Organization.objects.order_by("pk").first()


def _switch_off(monkeypatch):
    """simple-history's own path: the row's statement, then post_save's history row."""
    monkeypatch.setattr(History, "_inline", lambda self, instance, using, forced: False)
    monkeypatch.setattr(history, "_recorded", lambda model, bulk: None)


def _values(row, tag: str) -> dict:
    """A history row's values but its own id and date and the row's pk (which differ between
    two runs), its name without the run's `tag`."""
    skip = {"history_id", "history_date", "id"}
    values = {
        f.attname: getattr(row, f.attname)
        for f in type(row)._meta.concrete_fields
        if f.attname not in skip
    }
    values["name"] = values["name"].removesuffix(tag)
    return values


def _create_and_update(organization, actor, tag) -> tuple[list[dict], list[int]]:
    """A collective created then renamed, as services do: its history rows' values (its name
    without `tag`) and the statements each save took."""
    collective = Collective(name=f"Tổ kiểm thử{tag}", organization=organization, female_percent=40)
    history.author(collective, actor, "collective.created")
    counts = []
    with CaptureQueriesContext(connection) as created:
        collective.save()
    counts.append(len(created))
    assert collective.pk is not None
    collective.name = f"Tổ kiểm thử (đổi tên){tag}"
    history.author(collective, actor, "collective.renamed")
    with CaptureQueriesContext(connection) as updated:
        collective.save(update_fields=["name"])
    counts.append(len(updated))
    rows = list(collective.history.order_by("history_id"))
    assert [r.id for r in rows] == [collective.pk, collective.pk]
    return [_values(r, tag) for r in rows], counts


def test_a_save_writes_the_row_simple_history_writes(organization, actor, seq, monkeypatch):
    inline, counts = _create_and_update(organization, actor, "")
    assert counts == [ONE_OR_TWO, ONE_OR_TWO]
    assert [(r["history_type"], r["history_change_reason"]) for r in inline] == [
        ("+", "collective.created"),
        ("~", "collective.renamed"),
    ]
    assert all(r["history_user_id"] == actor.pk and r["ledger_seq"] == seq for r in inline)
    assert inline[1]["name"] == "Tổ kiểm thử (đổi tên)" and inline[1]["female_percent"] == 40

    _switch_off(monkeypatch)
    normal, counts = _create_and_update(organization, actor, " #2")
    assert counts == [2, 2]
    assert normal == inline


def test_the_history_date_and_the_request_user_are_simple_historys(organization, actor, seq):
    collective = Collective(name="Tổ có ngày", organization=organization)
    collective._history_date = datetime.datetime(2020, 5, 4, 3, 2, 1, tzinfo=datetime.UTC)
    history.change_reason(collective, "collective.created")
    request = RequestFactory().get("/")
    request.user = actor
    HistoricalRecords.context.request = request  # as its middleware sets it
    try:
        collective.save()
    finally:
        del HistoricalRecords.context.request
    row = collective.history.get()
    assert row.history_date == collective._history_date
    assert (row.history_user_id, row.history_change_reason) == (actor.pk, "collective.created")


def test_a_create_returns_the_pk_its_history_row_copies(organization, actor):
    collective = Collective.objects.create(name="Tổ mới", organization=organization)
    assert collective.pk == Collective.objects.get(name="Tổ mới").pk
    assert list(collective.history.values_list("id", "history_type")) == [(collective.pk, "+")]


def test_an_update_that_matches_no_row_writes_no_history_row(organization):
    missing = (Collective.objects.aggregate(m=Max("pk"))["m"] or 0) + 1000
    collective = Collective(pk=missing, name="Tổ không có", organization=organization)
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            collective.save(force_update=True)
    assert len(queries) == 1 and not Collective.history.filter(id=missing).exists()
    # A save with a pk the table lacks: the UPDATE writes nothing, the INSERT its '+' row.
    collective.save()
    assert list(Collective.history.filter(id=missing).values_list("history_type")) == [("+",)]


def test_a_rolled_back_savepoint_leaves_neither_the_row_nor_its_history(organization):
    collective = Collective.objects.create(name="Tổ cũ", organization=organization)
    with pytest.raises(RuntimeError), transaction.atomic():
        collective.name = "Tổ đổi rồi bỏ"
        collective.save()
        raise RuntimeError("rolled back")
    collective.refresh_from_db()
    assert collective.name == "Tổ cũ" and collective.history.count() == 1
    collective.save()  # nothing left over from the rolled-back save: one row, not none
    assert collective.history.count() == 2


def test_a_failed_insert_leaves_no_history_row(organization):
    before = Organization.history.filter(code=organization.code).count()
    copy = Organization(code=organization.code, name="Trùng mã", level=organization.level)
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    assert Organization.history.filter(code=organization.code).count() == before


def test_skipped_raw_and_disabled_saves_write_no_history_row(organization, settings):
    collective = Collective.objects.create(name="Tổ bỏ qua", organization=organization)
    collective.name = "Tổ bỏ qua 1"
    collective.save_without_historical_record()
    collective.name = "Tổ bỏ qua 2"
    collective.save_base(raw=True)  # as loaddata saves: simple-history records none
    settings.SIMPLE_HISTORY_ENABLED = False
    collective.name = "Tổ bỏ qua 3"
    collective.save()
    settings.SIMPLE_HISTORY_ENABLED = True
    collective.refresh_from_db()
    assert collective.name == "Tổ bỏ qua 3"
    assert list(collective.history.values_list("name", flat=True)) == ["Tổ bỏ qua"]
    collective.save()
    assert collective.history.count() == 2


def test_m2m_history_rows_follow_the_inline_row(actor, monkeypatch):
    form = AwardForm.objects.filter(required_documents__isnull=False).first()
    kinds = sorted(form.required_documents.values_list("pk", flat=True))

    def save() -> list:
        history.author(form, actor, "award_form.updated")
        form.save()
        row = form.history.order_by("-history_id").first()
        return sorted(r.documentkind_id for r in row.required_documents.all())

    assert save() == kinds
    _switch_off(monkeypatch)
    assert save() == kinds


def _bulk(organization, actor, tag) -> tuple[list[dict], list[int]]:
    """Registry rows inserted, then updated, then given a value, in bulk with their history."""
    rows = [Collective(name=f"Tổ loạt {i}", organization=organization) for i in range(3)]
    for row in rows:
        row.name += tag
    counts = []
    with CaptureQueriesContext(connection) as queries:
        history.bulk_create(rows, actor=actor, reason="collective.created", seqs=[7, 8, 9])
    counts.append(len(queries))
    assert all(row.pk for row in rows) and len({row.pk for row in rows}) == 3
    for row in rows[:2]:
        row.name = row.name.removesuffix(tag) + " (sửa)" + tag
    with CaptureQueriesContext(connection) as queries:
        history.bulk_update(rows[:2], ["name"], actor=actor, reason="collective.renamed")
    counts.append(len(queries))
    for row in rows:
        row.female_percent = 50
    with CaptureQueriesContext(connection) as queries:
        history.update(rows, actor=actor, reason="collective.counted", female_percent=50)
    counts.append(len(queries))
    found = []
    for row in rows:
        assert row.female_percent == Collective.objects.get(pk=row.pk).female_percent
        found += [_values(r, tag) for r in row.history.order_by("history_id")]
    return found, counts


def test_bulk_writes_write_the_history_rows_of_their_rows(organization, actor, seq, monkeypatch):
    inline, counts = _bulk(organization, actor, "")
    assert counts == [ONE_OR_TWO] * 3
    assert [(r["name"], r["history_type"], r["ledger_seq"]) for r in inline] == [
        ("Tổ loạt 0", "+", 7),
        ("Tổ loạt 0 (sửa)", "~", seq),
        ("Tổ loạt 0 (sửa)", "~", seq),
        ("Tổ loạt 1", "+", 8),
        ("Tổ loạt 1 (sửa)", "~", seq),
        ("Tổ loạt 1 (sửa)", "~", seq),
        ("Tổ loạt 2", "+", 9),
        ("Tổ loạt 2", "~", seq),
    ]
    assert {r["history_user_id"] for r in inline} == {actor.pk}
    assert [r["female_percent"] for r in inline] == [None, None, 50, None, None, 50, None, 50]
    _switch_off(monkeypatch)
    normal, counts = _bulk(organization, actor, " #2")
    assert counts == [2, 2, 2]
    assert normal == inline


def test_the_ledger_verifies_after_a_lifecycle():
    """The benchmark's lifecycle (create … signature): the ledger verifies and every history
    row it wrote points at one of its events."""
    last = LedgerEvent.objects.aggregate(m=Max("seq"))["m"] or 0
    measure(lifecycle, World(), bench_form(), 2, 0)
    assert verify().ok
    seqs = set(LedgerEvent.objects.filter(seq__gt=last).values_list("seq", flat=True))
    for model in (Dossier, Nominee, Collective):
        written = model.history.filter(history_id__gt=0, ledger_seq__gt=last)
        assert written.exists()
        assert set(written.values_list("ledger_seq", flat=True)) <= seqs
    dossiers = Dossier.objects.filter(
        pk__in=Dossier.history.filter(ledger_seq__gt=last).values("id")
    )
    for dossier in dossiers:
        states = list(dossier.history.order_by("history_id").values_list("state", flat=True))
        assert states[-1] == dossier.state == "decided"


def test_only_the_ledger_seq_listens_to_the_history_signals():
    """On PostgreSQL simple-history's two signals are sent before the row's statement runs (and
    on an UPDATE that matches no row, for a history row never written): a receiver that reads
    the written row would be misled, so none may be connected but the one stamping the seq."""
    from simple_history.signals import post_create_historical_record, pre_create_historical_record

    uids = [entry[0][0] for entry in pre_create_historical_record.receivers]
    assert uids == ["audit.history.stamp"]
    assert post_create_historical_record.receivers == []
