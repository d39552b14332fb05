from django.core.management.base import BaseCommand

from dossiers.catalogue import catalogue_load


class Command(BaseCommand):
    help = "Load the award-form catalogue (document kinds, bodies, award forms). Idempotent."

    def handle(self, *args, **options):
        counts = catalogue_load()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
