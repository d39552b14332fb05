"""Remind consulted bodies whose answer is due within two working days: a log line for each,
and a `consultation.reminded` ledger event, once per request and day (the notifications consume
it), so running the command again the same day records nothing twice. Celery beat runs the same
hourly (consultations/tasks.py)."""

from django.core.management.base import BaseCommand

from consultations.tasks import remind_due_soon


class Command(BaseCommand):
    help = (
        "Log one line per consultation request due within 2 working days and record one "
        "reminder event per request and day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=2, help="working days ahead (default 2)")

    def handle(self, *args, **options):
        count, recorded = remind_due_soon(within=options["days"])
        self.stdout.write(
            f"{count} consultation request(s) due within {options['days']} days, "
            f"{recorded} reminder(s) recorded"
        )
