"""Remind consulted bodies whose answer is due within two working days: a log line for each,
and a `consultation.reminded` ledger event, once per request and day (the notifications consume
it), so running the command again the same day records nothing twice."""

import logging

from django.core.management.base import BaseCommand

from consultations.services import consultation_remind, due_soon
from dossiers import calendar

log = logging.getLogger("consultations")


class Command(BaseCommand):
    help = (
        "Log one line per consultation request due within 2 working days and record one "
        "reminder event per request and day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=2, help="working days ahead (default 2)")

    def handle(self, *args, **options):
        today = calendar.today()
        count = recorded = 0
        for row in due_soon(within=options["days"], today=today):
            count += 1
            now = consultation_remind(consultation=row.pk, today=today)
            recorded += now
            log.warning(
                "consultation %s: %s is asked about dossier %s, answer due %s%s",
                row.pk,
                row.body.code,
                row.dossier.reference,
                row.due_date.isoformat(),
                "" if now else " (already reminded today)",
            )
        self.stdout.write(
            f"{count} consultation request(s) due within {options['days']} days, "
            f"{recorded} reminder(s) recorded"
        )
