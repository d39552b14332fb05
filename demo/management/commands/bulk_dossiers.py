import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from demo import bulk
from dossiers.models import Dossier


class Command(BaseCommand):
    help = (
        "Add dossiers copied from the existing ones (states, organisations, forms, view "
        "grants), each with its ledger event, for load tests (demo/bulk.py)."
    )

    def add_arguments(self, parser):
        how_many = parser.add_mutually_exclusive_group(required=True)
        how_many.add_argument("--count", type=int, help="How many to add.")
        how_many.add_argument("--total", type=int, help="Add until there are this many.")
        parser.add_argument("--seed", type=int, default=2024, help="Due-date spread's seed.")

    def handle(self, *args, count: int | None, total: int | None, seed: int, **options):
        if total is not None:
            count = total - Dossier.objects.count()
            if count <= 0:
                self.stdout.write(f"bulk_dossiers: already {total} dossiers or more")
                return
        if count is None or count < 1:
            raise CommandError("--count must be at least 1.")
        start = time.perf_counter()

        def progress(done: int) -> None:
            if done % 20_000 == 0:
                self.stdout.write(f"  {done} / {count}")
                self.stdout.flush()

        try:
            made = bulk.generate(count, seed=seed, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if connection.vendor == "postgresql":
            # Fresh statistics (and visibility map, outside a transaction), or the planner
            # guesses at a few rows and reads every grant for a page.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        seconds = time.perf_counter() - start
        self.stdout.write(f"bulk_dossiers: {made} dossiers in {seconds:.1f} s")
