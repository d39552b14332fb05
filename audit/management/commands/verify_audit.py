import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from audit.verify import verify


class Command(BaseCommand):
    help = (
        "Recompute the ledger's hash chain and check it against the live state. "
        "Exit 0 intact, 1 tampered (first bad seq printed), 2 cannot verify."
    )

    def handle(self, *args, **options):
        try:
            report = verify()
        except DatabaseError as exc:
            self.stderr.write(f"cannot verify: {exc}".splitlines()[0])
            sys.exit(2)
        if report.ok:
            self.stdout.write(f"intact: {report.events} events, head {report.head}")
            return
        self.stdout.write(f"tampered: first bad seq {report.seq}: {report.problem}")
        sys.exit(1)
