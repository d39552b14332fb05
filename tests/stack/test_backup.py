"""The backup and restore drill: `make backup` of the stack's database and media, `make restore`
into a fresh database and folder, then the ledger verified (verify_audit), every document
against its hash, and a signed ledger export checked offline."""

import os
import subprocess

import pytest

from tests.processes import BIN, ROOT
from tests.stack.conftest import ONLY_POSTGRESQL, admin_sql

pytestmark = [ONLY_POSTGRESQL, pytest.mark.django_db]


def _run(argv, env):
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (argv, done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


def test_backup_restores_into_a_fresh_database_with_the_ledger_and_documents_intact(stack, tmp_dir):
    env = stack.env(BACKUP_DIR=str(tmp_dir / "backups"))
    folder = _run(["make", "--no-print-directory", "backup"], env).strip().splitlines()[-1]
    assert sorted(os.listdir(folder)) == ["SHA256SUMS", "database.dump", "media.tar.gz"]

    restored = f"{stack.name}_restored"
    media = tmp_dir / "restored-media"
    target = stack.env(
        DATABASE_URL=stack.url.rsplit("/", 1)[0] + f"/{restored}",
        DJANGO_MEDIA_ROOT=str(media),
    )
    try:
        out = _run(["make", "--no-print-directory", "restore", f"BACKUP={folder}"], target)
        assert "intact:" in out and "documents:" in out and " 0 bad" in out, out
        # The ledger's own check and a signed export, verified offline with the same key.
        export = tmp_dir / "ledger.json"
        _run([str(BIN / "python"), "manage.py", "export_audit", "-o", str(export)], target)
        checked = _run(
            ["python3", "audit/offline.py", str(export), "--key", target["AUDIT_SIGNING_KEY"]],
            target,
        )
        assert checked.strip(), checked
        # A restore refuses a database that is not fresh.
        again = subprocess.run(
            ["make", "--no-print-directory", "restore", f"BACKUP={folder}"],
            cwd=ROOT, env=target, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert again.returncode != 0
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
