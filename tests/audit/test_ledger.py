"""The audit ledger: intact after real work, every tampering detected (in the database and in
an export, offline), append-only for the application, and all-or-nothing with its change."""

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit import triggers
from audit.export import export_lines, signing_key
from audit.models import LedgerEvent, LedgerHead
from audit.offline import verify_lines
from audit.verify import verify
from demo.world import World
from dossiers import checks
from dossiers.models import Dossier, DossierState, Nominee
from tests.signin import signin
from workflows import services as wf

pytestmark = pytest.mark.django_db
TABLE = LedgerEvent._meta.db_table
ROOT = Path(__file__).resolve().parents[2]


def tamper(*statements: str) -> None:
    """Do what only someone with the database owner's rights could: bypass the triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute(f'DROP TRIGGER IF EXISTS "{TABLE}_no_update"')
            cursor.execute(f'DROP TRIGGER IF EXISTS "{TABLE}_no_delete"')
        for statement in statements:
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        else:
            triggers.install()


def _verify_command() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def _export() -> list[str]:
    return "".join(export_lines()).splitlines(keepends=True)


def _offline(lines: list[str]):
    return verify_lines(lines, signing_key())


def test_the_demo_ledger_is_intact():
    report = verify()
    assert report.ok and report.events == LedgerEvent.objects.count() > 100
    assert report.head == LedgerHead.objects.get().hash
    code, out = _verify_command()
    assert code == 0 and out.startswith("intact:")
    ok, seq, what, events = _offline(_export())
    assert ok and events == report.events, what


def _middle() -> int:
    return LedgerEvent.objects.count() // 2


def test_one_changed_byte_is_detected():
    seq = _middle()
    body = LedgerEvent.objects.get(seq=seq).body
    changed = body.replace('"version":', '"version": ', 1) if '"version":' in body else body + " "
    lines = _export()
    record = json.loads(lines[seq - 1])
    record["body"] = record["body"][:-2] + ("X" if record["body"][-2] != "X" else "Y") + "}"
    lines[seq - 1] = json.dumps(record) + "\n"
    assert _offline(lines)[:2] == (False, seq)
    tamper(
        f"UPDATE \"{TABLE}\" SET body = '{changed.replace(chr(39), chr(39) * 2)}' WHERE seq = {seq}"
    )
    report = verify()
    assert (report.ok, report.seq) == (False, seq) and "hash" in report.problem
    code, out = _verify_command()
    assert code == 1 and f"first bad seq {seq}" in out


def test_a_changed_column_is_detected():
    seq = _middle()
    tamper(f"UPDATE \"{TABLE}\" SET reason = 'rewritten' WHERE seq = {seq}")
    report = verify()
    assert (report.ok, report.seq) == (False, seq) and "columns" in report.problem


def test_a_deleted_event_is_detected():
    seq = _middle()
    lines = _export()
    del lines[seq - 1]
    assert _offline(lines)[:2] == (False, seq)
    tamper(f'DELETE FROM "{TABLE}" WHERE seq = {seq}')
    report = verify()
    assert (report.ok, report.seq) == (False, seq) and "missing" in report.problem


def test_two_swapped_events_are_detected():
    seq = _middle()
    lines = _export()
    lines[seq - 1], lines[seq] = lines[seq], lines[seq - 1]
    assert _offline(lines)[:2] == (False, seq)
    tamper(
        f'UPDATE "{TABLE}" SET seq = -1 WHERE seq = {seq}',
        f'UPDATE "{TABLE}" SET seq = {seq} WHERE seq = {seq + 1}',
        f'UPDATE "{TABLE}" SET seq = {seq + 1} WHERE seq = -1',
    )
    report = verify()
    assert (report.ok, report.seq) == (False, seq)


def test_a_cut_tail_is_detected():
    last = LedgerEvent.objects.count()
    lines = _export()
    cut = lines[: last - 3] + lines[-1:]  # three events gone, the signed head kept
    assert _offline(cut)[:2] == (False, last - 2)
    assert _offline(lines[: last - 3])[:2] == (False, last - 2)  # head gone too
    tamper(f'DELETE FROM "{TABLE}" WHERE seq > {last - 3}')
    report = verify()
    assert (report.ok, report.seq) == (False, last - 2) and "missing" in report.problem


def test_a_forged_head_is_detected():
    lines = _export()
    forged = json.loads(lines[-1])
    forged["head"]["seq"] -= 1
    ok, _seq, what, _n = _offline([*lines[:-2], json.dumps(forged) + "\n"])
    assert not ok and "signature" in what
    LedgerHead.objects.filter(pk=1).update(hash="f" * 64)  # the head row itself is not protected
    report = verify()
    assert not report.ok and report.seq == LedgerEvent.objects.count() + 1


def test_ledger_must_agree_with_live_state():
    dossier = Dossier.objects.filter(state=DossierState.APPRAISAL).first()
    Dossier.objects.filter(pk=dossier.pk).update(state=DossierState.AWAITING_DECISION)
    report = verify()
    assert not report.ok and dossier.reference in report.problem
    assert report.seq == LedgerEvent.objects.filter(dossier_id=dossier.pk).last().seq


def test_cannot_verify_exits_two(monkeypatch):
    def broken():
        raise DatabaseError("relation audit_ledgerevent does not exist")

    monkeypatch.setattr("audit.management.commands.verify_audit.verify", broken)
    code, out = _verify_command()
    assert code == 2 and "cannot verify" in out


def test_offline_verifier_runs_with_the_standard_library_only(tmp_path):
    export = tmp_path / "ledger.jsonl"
    export.write_text("".join(_export()), encoding="utf-8")
    script = ROOT / "audit" / "offline.py"
    run = [sys.executable, "-I", str(script), str(export), "--key", signing_key()]
    assert subprocess.run(run, capture_output=True, text=True).returncode == 0
    text = export.read_text(encoding="utf-8").replace(
        '\\"to_state\\":\\"decided\\"', '\\"to_state\\":\\"revoked\\"', 1
    )
    export.write_text(text, encoding="utf-8")
    result = subprocess.run(run, capture_output=True, text=True)
    assert result.returncode == 1 and re.search(r"first bad seq \d+", result.stdout)
    assert subprocess.run(run[:-2], capture_output=True, text=True, env={}).returncode == 2


def test_the_application_cannot_change_or_delete_the_ledger():
    for statement in (f"UPDATE \"{TABLE}\" SET reason = 'x'", f'DELETE FROM "{TABLE}"'):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
    history = Dossier.history.model._meta.db_table
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE \"{history}\" SET title = 'x'")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_truncate_too():
    for table in (TABLE, Dossier.history.model._meta.db_table):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f'TRUNCATE "{table}"')
    assert LedgerEvent.objects.exists()


def test_a_failed_action_leaves_neither_change_nor_event(monkeypatch):
    world = World()
    dossier = Dossier.objects.filter(state=DossierState.INTAKE, award_form__level="central").first()
    events, history = LedgerEvent.objects.count(), dossier.history.count()

    def crash(**kwargs):
        raise RuntimeError("power cut after the state change")

    monkeypatch.setattr(wf.dossier_withdrawn, "send", crash)
    with pytest.raises(RuntimeError):
        wf.dossier_act(
            actor=world.user(f"head-{dossier.organization.code}"),
            dossier=dossier,
            action="withdraw",
            payload={"reason": "Đơn vị rút đề nghị"},
        )
    dossier.refresh_from_db()
    assert dossier.state == DossierState.INTAKE
    assert LedgerEvent.objects.count() == events and dossier.history.count() == history
    assert verify().ok


def test_history_rows_point_at_their_event():
    world = World()
    dossier = Dossier.objects.filter(state=DossierState.INTAKE, award_form__level="central").first()
    wf.dossier_act(actor=world.user("board-officer"), dossier=dossier, action="accept", payload={})
    event = LedgerEvent.objects.filter(dossier_id=dossier.pk).last()
    row = dossier.history.order_by("-history_id").first()
    assert event.action == "accept" and row.ledger_seq == event.seq
    body = json.loads(event.body)
    assert body["actor"] == "board-officer" and "board_officer@BTDKT-TW" in body["roles"]
    assert (body["from_state"], body["to_state"]) == ("intake", row.state)


def test_project_code_never_bypasses_history():
    """`.update(` and `bulk_*` skip simple-history's signals: every use in the project's code is
    listed here, and none touches a historied model."""
    allowed = {
        ("audit/ledger.py", "LedgerHead.objects.bulk_create"),
        ("approvals/ballots.py", "BallotVoter.objects.bulk_create"),
        # the roll call's attendance: the roll has no history; its ledger event lists it
        ("approvals/ballots.py", "BallotVoter.objects.bulk_update"),
        # a ballot's anonymous rows carry no history by design (docs/ballot-secrecy.md); the
        # cast's and the close's ledger events cover them
        ("approvals/ballots.py", "AnonymousChoice.objects.bulk_create"),
        ("approvals/ballots.py", "BallotConflict.objects.bulk_create"),
        ("approvals/ballots.py", "BallotReceipt.objects.bulk_create"),
        ("approvals/selectors.py", "row.update"),  # a dict (ballot_summary)
        # the groups a view grant names that no user has joined yet: groups carry no history
        ("dossiers/access.py", "Group.objects.bulk_create"),
        # fills a throwaway database with synthetic events to time verification
        ("audit/management/commands/bench_audit.py", "LedgerEvent.objects.bulk_create"),
        # how many events one of the ledger's INSERTs takes (a size, not a write)
        ("audit/ledger.py", "connection.ops.bulk_batch_size"),
        # the load test's bulk generator (demo/bulk.py, `bulk_dossiers`): each copied dossier
        # gets its `create` event through the ledger's own `Bulk` chain and, explicitly, its
        # history rows carrying that event's seq (tests/test_bulk_dossiers.py verifies the chain)
        ("demo/bulk.py", "model.objects.bulk_create"),
        ("dossiers/checks.py", "names.update"),  # a dict (display names)
        ("documents/signing.py", "answer.update"),  # a dict (the verification's answer)
        ("documents/content.py", "chosen.update"),  # a dict (the decision's template)
        # notifications carry no history: they tell of ledger events, they are not the record
        ("notifications/services.py", "Notification.objects.bulk_create"),
        ("notifications/services.py", "Notification.objects.filter.update"),
    }
    # The eligibility snapshot: only fields the history leaves out (derived, re-run at each
    # step), written by `checks.write_checks` in its own UPDATE … FROM (VALUES …).
    snapshot: set[tuple[str, str]] = set()
    historied_nominee = {f.name for f in Nominee.history.model._meta.fields}
    assert not set(checks.CHECK_FIELDS) & historied_nominee
    # Historied rows written in bulk (a dossier's nominees, new registry entries, a ballot's
    # items and tallies, a decision's outcomes and awards) only through `audit.history`'s
    # bulk_create / bulk_update / update, which write their history rows under their ledger
    # event (in the same statement on PostgreSQL).
    with_history = {
        ("audit/history.py", "model._default_manager.bulk_create"),
        ("audit/history.py", "model._default_manager.bulk_update"),
        ("audit/history.py", "model._default_manager.filter.update"),
        ("audit/history.py", "model.objects.bulk_create"),  # the history rows (SQLite)
        ("audit/history.py", "queryset.bulk_create"),
        ("audit/history.py", "queryset.bulk_update"),
        ("audit/history.py", "queryset.filter.update"),
        ("dossiers/services.py", "history.bulk_create"),
        ("dossiers/services.py", "history.bulk_update"),
        ("dossiers/services.py", "history.update"),
        ("dossiers/registry.py", "history.bulk_create"),
        # a new dossier's new people and collectives: their history rows follow under their
        # events (`history.inserted`), after the creation's checks (registry.Unrecorded)
        ("dossiers/registry.py", "history.bulk_create_unrecorded"),
        ("approvals/ballots.py", "history.bulk_create"),
        ("approvals/ballots.py", "history.update"),
        ("approvals/services.py", "history.bulk_create"),
        # the registry import, under the import's one ledger event (tests/registry)
        ("dossiers/imports.py", "history.bulk_create"),
    }
    allowed |= snapshot | with_history
    found = set()
    for path in ROOT.glob("*/**/*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv", "tests/")) or "/migrations/" in rel:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            for match in re.finditer(r"([\w.]+?)(?:\([^()]*\))*\.(update|bulk_\w+)\(", line):
                found.add((rel, f"{match.group(1)}.{match.group(2)}"))
    assert found == allowed
    historied = {m.instance_type.__name__ for m in _history_models()}
    bulk_written = {
        m.split(".")[0] for _path, m in allowed - snapshot - with_history if ".objects." in m
    }
    assert bulk_written and not bulk_written & historied


def _history_models():
    from django.apps import apps

    return [m for m in apps.get_models() if m.__name__.startswith("Historical")]


def test_audit_api_is_for_inspectors(api):
    body = api("inspector").get("/api/v1/audit/verify/").json()
    assert body["ok"] is True and body["events"] == LedgerEvent.objects.count()
    assert api("pm").get("/api/v1/audit/verify/").status_code == 403
    assert api("pm").get("/api/v1/audit/events/").status_code == 403
    dossier = Dossier.objects.filter(state=DossierState.REVOKED).first()
    page = api("inspector").get(f"/api/v1/audit/events/?dossier={dossier.pk}&action=revoke").json()
    assert page["count"] == 1 and page["results"][0]["actor"] == "pm"
    by_actor = api("inspector").get("/api/v1/audit/events/?actor=voter-MTTQ&action=ballot.opened")
    assert by_actor.json()["count"] >= 2
    assert api("inspector").get("/api/v1/audit/events/?since=yesterday").status_code == 400


def test_inspector_pages_and_exports(client):
    signin(client, "inspector")
    assert "submit" in client.get("/audit/?action=submit").content.decode()
    csv_rows = client.get("/audit/?organization=HLHPN&format=csv").content.decode().splitlines()
    assert csv_rows[0].startswith("seq,at,actor_name") and len(csv_rows) > 2
    data = json.loads(client.get("/audit/?action=decide&format=json").content)
    assert data and all(row["action"] == "decide" for row in data)
    download = b"".join(client.get("/audit/export.jsonl").streaming_content).decode()
    assert verify_lines(download.splitlines(keepends=True), signing_key())[0]
    client.logout()
    signin(client, "board-head")
    assert client.get("/audit/").status_code == 403
