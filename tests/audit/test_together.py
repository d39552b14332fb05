"""Events known together inserted together (`ledger.together`), with their companions' rows
(the notification outbox) in the same statement on PostgreSQL: each event keeps its own seq and
link in the chain, the head ends at the last one, and what rolls back leaves nothing."""

import json
import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals import services as approval_services
from audit import hooks, ledger
from audit.models import GENESIS, LedgerEvent, LedgerHead
from audit.verify import verify
from demo.management.commands.bench_workflow import awaiting_decision, bench_form
from demo.world import World
from dossiers.models import Dossier
from notifications.models import OutboxMessage
from workflows import services as wf

pytestmark = pytest.mark.django_db
PG = connection.vendor == "postgresql"
TOLD = "decision.signed"  # an action the notifications have a handler for: an outbox row
QUIET = "add_to_decision"  # one they have none for


def _event(action: str, n: int = 0) -> None:
    ledger.append(actor=None, action=action, object_type="test.thing", object_id=str(n))


def _last() -> int:
    return LedgerHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0


def _inserts(context: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in context.captured_queries if "INSERT" in q["sql"].upper()]


def _chained(first: int, last: int) -> list[LedgerEvent]:
    """The events first..last, each linked to the one before and hashed over its body."""
    events = list(LedgerEvent.objects.filter(seq__gte=first - 1, seq__lte=last).order_by("seq"))
    prev = events[0].hash if first > 1 else GENESIS
    events = [e for e in events if e.seq >= first]
    assert [e.seq for e in events] == list(range(first, last + 1))
    for event in events:
        assert event.prev_hash == prev
        assert event.hash == ledger.chain_hash(prev, event.body)
        assert json.loads(event.body)["seq"] == event.seq
        prev = event.hash
    return events


def test_events_of_a_block_are_one_insert_chained_with_the_head_at_the_last():
    start = _last()
    with CaptureQueriesContext(connection) as context, transaction.atomic():
        with ledger.together():
            for n, action in enumerate((QUIET, TOLD, QUIET)):
                _event(action, n)
            assert LedgerEvent.objects.filter(seq__gt=start).count() == 0  # not before the end
    inserts = _inserts(context)
    # PostgreSQL: the events and the outbox row in one statement; SQLite: two.
    assert len(inserts) == (1 if PG else 2), inserts
    assert "audit_ledgerevent" in inserts[0] and "notifications_outboxmessage" in inserts[-1]
    events = _chained(start + 1, start + 3)
    assert [e.action for e in events] == [QUIET, TOLD, QUIET]
    head = LedgerHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    outbox = OutboxMessage.objects.filter(event_id__gt=start)
    assert list(outbox.values_list("event_id", flat=True)) == [start + 2]
    assert verify().ok


def test_an_event_without_a_companion_is_inserted_alone():
    start = _last()
    with CaptureQueriesContext(connection) as context:
        _event(QUIET)
    inserts = _inserts(context)
    assert len(inserts) == 1 and "WITH" not in inserts[0] and "outbox" not in inserts[0]
    assert _last() == start + 1 and not OutboxMessage.objects.filter(event_id=start + 1).exists()


def test_one_event_with_its_outbox_row_is_one_statement_on_postgresql():
    start = _last()
    with CaptureQueriesContext(connection) as context:
        _event(TOLD)
    assert len(_inserts(context)) == (1 if PG else 2)
    assert OutboxMessage.objects.filter(event_id=start + 1).exists() and _last() == start + 1


def test_a_block_that_raises_leaves_no_event_and_no_outbox_row():
    start, outbox = _last(), OutboxMessage.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        with ledger.together():
            _event(TOLD)
            _event(QUIET)
            raise RuntimeError("power cut")
    assert _last() == start and not LedgerEvent.objects.filter(seq__gt=start).exists()
    assert OutboxMessage.objects.count() == outbox
    _event(TOLD)  # the next event takes the next number
    assert _last() == start + 1 and verify().ok


def test_a_savepoint_rolled_back_inside_leaves_nothing_of_it():
    start = _last()
    dossier = Dossier.objects.order_by("pk").first()
    title = dossier.title
    with transaction.atomic():
        with ledger.together():
            _event(QUIET, 1)  # start + 1
            try:
                with transaction.atomic():  # a savepoint
                    with ledger.recording(actor=None, action=TOLD, obj=dossier):  # start + 2
                        Dossier.objects.filter(pk=dossier.pk).update(title="rolled back")
                    _event(QUIET, 2)  # start + 3
                    raise RuntimeError("undo")
            except RuntimeError:
                pass
            with transaction.atomic():  # a savepoint kept: its event stays
                _event(TOLD, 3)  # start + 2 again
            _event(QUIET, 4)  # start + 3
            try:
                with transaction.atomic():  # rolled back just before the block's end
                    _event(TOLD, 5)
                    raise RuntimeError("undo")
            except RuntimeError:
                pass
    events = _chained(start + 1, start + 3)
    assert [(e.action, e.object_id) for e in events] == [(QUIET, "1"), (TOLD, "3"), (QUIET, "4")]
    assert _last() == start + 3 and not LedgerEvent.objects.filter(seq__gt=start + 3).exists()
    assert list(
        OutboxMessage.objects.filter(event_id__gt=start).values_list("event_id", flat=True)
    ) == [start + 2]
    dossier.refresh_from_db()
    assert dossier.title == title and verify().ok


def test_recordings_one_after_another_take_numbers_in_order_and_carry_them():
    start = _last()
    with ledger.together() as bulk:
        with ledger.recording(actor=None, action=QUIET, object_type="t", object_id="first"):
            seq = bulk.reserve()  # a row of the block's own, numbered inside it
            bulk.add(
                ledger.Entry(seq=seq, actor=None, action=QUIET, object_type="t", object_id="x")
            )
        with ledger.recording(actor=None, action=TOLD, object_type="t", object_id="second"):
            pass
    events = _chained(start + 1, start + 3)
    assert [e.object_id for e in events] == ["first", "x", "second"] and _last() == start + 3


def test_a_recording_inside_another_is_refused_before_anything_is_written():
    """The inner event would take the higher number: the dossier's last event would be the
    inner one, not describing the state the outer one leaves (verify_audit would fail)."""
    start, dossier = _last(), Dossier.objects.order_by("pk").first()
    state, version = dossier.state, dossier.version
    with pytest.raises(RuntimeError, match="recording"), transaction.atomic():
        with ledger.recording(actor=None, action="update", obj=dossier, dossier=dossier):
            with ledger.recording(
                actor=None, action="note", obj=dossier, dossier=dossier,
                states=(state, state, version),
            ):  # fmt: skip
                pytest.fail("the inner block must not run")
    assert _last() == start and not LedgerEvent.objects.filter(seq__gt=start).exists()
    with ledger.recording(actor=None, action=QUIET, object_type="t", object_id="after"):
        pass  # the refusal left nothing open
    assert _last() == start + 1 and verify().ok


@pytest.mark.parametrize("reserved", [0, 1])
def test_an_event_of_a_number_not_reserved_is_refused(reserved: int):
    start = _last()
    with pytest.raises(ValueError, match="reserve"), transaction.atomic():
        with ledger.together() as bulk:
            for _ in range(reserved):
                seq = bulk.reserve()
                bulk.add(ledger.Entry(seq, None, QUIET, "t", "reserved"))
            bulk.add(ledger.Entry(start + 1 + reserved, None, QUIET, "t", "not reserved"))
    assert _last() == start


def test_event_times_follow_their_numbers_in_a_creation_with_a_new_collective():
    """The creation's registry event (seq n, dated when the block ends) and the dossier's
    (n + 1, whose recording ended before): each dated no earlier than the one before it."""
    world, form = World(), bench_form()
    start = _last()
    wf.dossier_start(
        actor=world.user("proposer-HCCB"), organization=world.org("HCCB"), award_form=form,
        year=2021, title="Thời điểm",
        nominees=[{"kind": "collective", "name": "Tập thể thời điểm", "organization": "HCCB"}],
    )  # fmt: skip
    events = list(LedgerEvent.objects.filter(seq__gt=start).order_by("seq"))
    assert [e.action for e in events[:2]] == ["collective.created", "create"]
    ats = [e.at for e in events]
    assert ats == sorted(ats), [(e.seq, e.action, e.at) for e in events]
    assert verify().ok


def test_a_block_rolled_back_whole_then_a_new_one_takes_the_next_number():
    start = _last()
    with transaction.atomic():
        _event(QUIET, 0)  # start + 1: the head locked and moved
        with pytest.raises(RuntimeError), transaction.atomic():
            with ledger.together():
                _event(TOLD, 1)
                _event(QUIET, 2)
            raise RuntimeError("undo")
        with ledger.together():
            _event(TOLD, 3)  # start + 2
    assert _last() == start + 2 and verify().ok
    assert [e.object_id for e in _chained(start + 1, start + 2)] == ["0", "3"]


def test_a_nested_block_rolled_back_gives_its_numbers_again():
    start = _last()
    with transaction.atomic(), ledger.together() as bulk:
        a = bulk.reserve()
        with pytest.raises(RuntimeError), transaction.atomic(), ledger.together() as inner:
            assert inner is bulk
            b = inner.reserve()
            inner.add(ledger.Entry(seq=b, actor=None, action=QUIET, object_type="t", object_id="b"))
            raise RuntimeError("undo")
        bulk.add(ledger.Entry(seq=a, actor=None, action=QUIET, object_type="t", object_id="a"))
        c = bulk.reserve()
        bulk.add(ledger.Entry(seq=c, actor=None, action=QUIET, object_type="t", object_id="c"))
    assert (a, c) == (start + 1, start + 2)
    assert [e.object_id for e in _chained(start + 1, start + 2)] == ["a", "c"] and verify().ok


def test_a_bulk_of_its_own_is_refused_inside_a_block():
    with ledger.together(), pytest.raises(RuntimeError):
        ledger.Bulk()


def test_a_companion_is_registered_once_and_told_what_it_wrote():
    written: list[list] = []
    companion = hooks.Companion(
        rows=lambda events: [OutboxMessage(event_id=e.seq) for e in events if e.object_id == "c"],
        event_field="event_id",
        written=written.append,
    )
    hooks.register(companion=companion)
    hooks.register(companion=companion)
    try:
        start = _last()
        with ledger.together():
            ledger.append(actor=None, action=QUIET, object_type="t", object_id="c")
            ledger.append(actor=None, action=QUIET, object_type="t", object_id="d")
    finally:
        hooks.companions.remove(companion)
    assert [[row.event_id for row in rows] for rows in written] == [[start + 1]]
    assert OutboxMessage.objects.filter(event_id=start + 1).count() == 1


def test_the_creation_batch_and_signature_insert_their_events_together():
    world, form = World(), bench_form()
    start = _last()
    with CaptureQueriesContext(connection) as created:
        first = awaiting_decision(world, form, 9001)
    created_events = LedgerEvent.objects.filter(seq__gt=start).order_by("seq")
    assert [e.action for e in created_events[:2]] == ["collective.created", "create"]
    event_inserts = [q for q in _inserts(created) if "audit_ledgerevent" in q]
    assert len(event_inserts) == 4  # the creation's two events in one, then one per move
    second = awaiting_decision(world, form, 9002)

    before = _last()
    with CaptureQueriesContext(connection) as batch:
        decision = approval_services.decision_create(
            actor=world.user("board-head"), decider="TTG", dossier_ids=[first.pk, second.pk]
        )
    assert len([q for q in _inserts(batch) if "audit_ledgerevent" in q]) == 1
    events = _chained(before + 1, before + 3)
    assert [e.action for e in events] == ["decision.prepared", QUIET, QUIET]
    assert list(
        OutboxMessage.objects.filter(event_id__gt=before).values_list("event_id", flat=True)
    ) == [before + 1]

    before = _last()
    with CaptureQueriesContext(connection) as signature:
        approval_services.decision_sign(
            actor=world.user("pm"), decision=decision, number="7/QĐ-TTg-cùng",
            signed_on=timezone.localdate(),
        )  # fmt: skip
    events = _chained(before + 1, before + 3)
    after = LedgerEvent.objects.filter(seq__gt=before + 3).count()  # the decision's documents'
    assert len([q for q in _inserts(signature) if "audit_ledgerevent" in q]) == 1 + after
    assert [e.action for e in events] == ["decide", "decide", TOLD]
    assert list(
        OutboxMessage.objects.filter(event_id__gt=before).values_list("event_id", flat=True)
    ) == [before + 3]
    for dossier, event in zip((first, second), events[:2], strict=True):
        assert event.dossier_id == dossier.pk
        row = Dossier.history.filter(id=dossier.pk).order_by("-history_id").first()
        assert (row.state, row.ledger_seq) == ("decided", event.seq)
    head, last = LedgerHead.objects.get(pk=1), LedgerEvent.objects.order_by("seq").last()
    assert (head.seq, head.hash) == (last.seq, last.hash) and verify().ok


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not PG, reason="row locks are a PostgreSQL matter")
def test_writers_at_once_keep_one_chain_each_block_in_one_piece():
    start = _last()
    writers, blocks = 4, 3
    barrier, errors = threading.Barrier(writers), []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for _ in range(blocks):
                with transaction.atomic(), ledger.together():
                    _event(TOLD, n)
                    _event(QUIET, n)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    events = _chained(start + 1, start + 2 * writers * blocks)
    for told, quiet in zip(events[::2], events[1::2], strict=True):  # a block's two, adjacent
        assert (told.action, quiet.action, told.object_id) == (TOLD, QUIET, quiet.object_id)
    outbox = OutboxMessage.objects.filter(event_id__gt=start).values_list("event_id", flat=True)
    assert sorted(outbox) == [e.seq for e in events[::2]]
    assert _last() == events[-1].seq and verify().ok


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not PG, reason="row locks are a PostgreSQL matter")
def test_the_head_locked_inside_a_savepoint_rolled_back_is_locked_again():
    """PostgreSQL releases the head's row lock taken inside a savepoint rolled back: the block
    locks it again at its next event, so another writer waits for the block's commit."""
    start, other_done = _last(), threading.Event()

    def other() -> None:
        try:
            _event(QUIET, 99)  # its own transaction: must wait for the block's commit
        finally:
            other_done.set()
            connections.close_all()

    thread = threading.Thread(target=other)
    with transaction.atomic(), ledger.together():
        with pytest.raises(RuntimeError), transaction.atomic():
            _event(TOLD, 1)  # the block's first event: the head locked here
            raise RuntimeError("undo")
        _event(QUIET, 2)  # start + 1 again, the head locked again
        thread.start()
        appended_meanwhile = other_done.wait(3)
    thread.join()
    assert not appended_meanwhile, "another writer appended while the block held the ledger"
    assert [e.object_id for e in _chained(start + 1, start + 2)] == ["2", "99"] and verify().ok
