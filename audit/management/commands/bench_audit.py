"""Benchmark: how many ledger events `verify_audit` checks per second, over N synthetic events
in a throwaway database of the configured backend."""

import datetime
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection

from audit import verify as audit_verify
from audit.ledger import body_of, chain_hash
from audit.models import GENESIS, LedgerEvent, LedgerHead

BATCH = 5_000


def fill(count: int) -> None:
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    prev, batch = GENESIS, []
    for seq in range(1, count + 1):
        event = LedgerEvent(
            seq=seq, at=start + datetime.timedelta(seconds=seq), actor_id=None,
            actor_name="board-officer", roles="board_officer@BTDKT-TW",
            organizations="BTDKT-TW", action="accept", object_type="dossiers.dossier",
            object_id=str(seq), dossier_id=None, from_state="intake", to_state="appraisal",
            version=1, reason="Hồ sơ đầy đủ", request_id=f"{seq:032x}", client_ip="127.0.0.1",
            prev_hash=prev,
        )  # fmt: skip
        event.body = body_of(event, {"n": seq})
        event.hash = prev = chain_hash(prev, event.body)
        batch.append(event)
        if len(batch) == BATCH:
            LedgerEvent.objects.bulk_create(batch)
            batch = []
    if batch:
        LedgerEvent.objects.bulk_create(batch)
    LedgerHead.objects.update_or_create(pk=1, defaults={"seq": count, "hash": prev})


class Command(BaseCommand):
    help = "Measure ledger verification speed (events per second) over N synthetic events."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=1_000_000)

    def handle(self, *args, events: int, **options):
        old_name = connection.settings_dict["NAME"]
        test = connection.settings_dict.setdefault("TEST", {})
        # SQLite: a file (WAL) as in use, so the column check can read alongside the chain walk.
        test["NAME"] = (
            f"{old_name}_bench_audit"
            if connection.vendor != "sqlite"
            else str(Path(tempfile.gettempdir()) / "khenthuong-bench-audit.sqlite3")
        )
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        try:
            started = time.perf_counter()
            fill(events)
            filled = time.perf_counter() - started
            started = time.perf_counter()
            chain = audit_verify._chain()
            chain_s = time.perf_counter() - started
            started = time.perf_counter()
            report = audit_verify.verify()  # chain, head, columns, live state
            full_s = time.perf_counter() - started
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        assert chain.ok and report.ok, report
        self.stdout.write(
            f"database: {connection.vendor}; events: {events:,} (written in {filled:.1f} s)"
        )
        self.stdout.write(
            f"chain: {chain_s:.2f} s, {events / chain_s:,.0f} events/s; "
            f"verify_audit (chain, head, columns, live state): {full_s:.2f} s, "
            f"{events / full_s:,.0f} events/s"
        )
