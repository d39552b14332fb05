import sys

from django.core.management.base import BaseCommand
from django.db import transaction

from audit.export import export_lines


class Command(BaseCommand):
    help = "Write the ledger as JSON Lines with a signed head (check it with audit/offline.py)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, output=None, **options):
        handle = open(output, "w", encoding="utf-8") if output else sys.stdout
        try:
            with transaction.atomic():
                for chunk in export_lines():
                    handle.write(chunk)
        finally:
            if output:
                handle.close()
