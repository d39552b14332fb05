"""Remind consulted bodies whose answer is due within two working days (a log line for now)."""

import logging

from django.core.management.base import BaseCommand

from consultations.services import due_soon

log = logging.getLogger("consultations")


class Command(BaseCommand):
    help = "Log one line per consultation request due within 2 working days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=2, help="working days ahead (default 2)")

    def handle(self, *args, **options):
        count = 0
        for row in due_soon(within=options["days"]):
            count += 1
            log.warning(
                "consultation %s: %s is asked about dossier %s, answer due %s",
                row.pk,
                row.body.code,
                row.dossier.reference,
                row.due_date.isoformat(),
            )
        self.stdout.write(f"{count} consultation request(s) due within {options['days']} days")
