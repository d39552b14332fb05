from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo.world import seed_demo


class Command(BaseCommand):
    help = "Create the demo world of shared/demo-data.md (idempotent; needs DEBUG or --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo refuses to run unless DEBUG is on or --force is given.")
        with transaction.atomic():
            seed_demo()
        self.stdout.write("Demo world ready: every persona's password is 'demo'.")
