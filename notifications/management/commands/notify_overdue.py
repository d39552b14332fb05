"""Daily: tell whoever holds each overdue dossier, and remind voters of ballots closing soon.

Idempotent: run it as often as you like, each dossier is notified once per day while it stays
overdue and each ballot's closing reminder is sent once (notifications/reminders.py)."""

from django.core.management.base import BaseCommand

from notifications import reminders


class Command(BaseCommand):
    help = "Notify overdue work (once per dossier and day) and ballots closing within 24 hours."

    def handle(self, *args, **options):
        overdue = reminders.overdue_notify()
        closing = reminders.ballot_closing_notify()
        self.stdout.write(
            f"notify_overdue: {len(overdue)} overdue, {len(closing)} ballot closing notifications"
        )
