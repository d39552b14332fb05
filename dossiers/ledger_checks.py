"""What `verify_audit` checks of the dossiers against the ledger (registered in apps.py)."""

from django.db import connection

from audit.models import LedgerEvent
from dossiers.models import Dossier


def live_state() -> tuple[int | None, str]:
    """Each dossier's state and version must be those its last event left."""
    events = LedgerEvent._meta.db_table
    dossiers = Dossier._meta.db_table
    sql = f"""
        SELECT d.id, d.reference, d.state, d.version, e.seq, e.to_state, e.version
        FROM "{dossiers}" d
        LEFT JOIN "{events}" e ON e.seq = (
            SELECT MAX(x.seq) FROM "{events}" x WHERE x.dossier_id = d.id
        )
        WHERE e.seq IS NULL OR e.to_state <> d.state OR e.version <> d.version
        ORDER BY e.seq LIMIT 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    if row is None:
        return None, ""
    _id, reference, state, version, seq, to_state, ev_version = row
    if seq is None:
        return 0, f"dossier {reference} has no event in the ledger"
    return seq, (
        f"dossier {reference} is {state} v{version} but its last event (seq {seq}) "
        f"left it {to_state} v{ev_version}"
    )
