from django.core.management.base import BaseCommand

from approvals.ballots import ballots_close_due


class Command(BaseCommand):
    help = "Close every open ballot session whose deadline has passed (run it from cron)."

    def handle(self, *args, **options):
        closed = ballots_close_due()
        self.stdout.write(f"closed {len(closed)} ballot session(s): {closed}")
