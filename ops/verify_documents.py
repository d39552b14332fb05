"""Every stored document against the SHA-256 its row keeps: the dossiers' attachments and the
ballots' minutes (and any other model with a `file`/`sha256` pair). Exit 0 intact, 1 otherwise.

    .venv/bin/python ops/verify_documents.py       (the settings and database of the environment;
                                                    `make restore` runs it after verify_audit)"""

import hashlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.db import models  # noqa: E402


def pairs():
    """(model, file field, hash field) for each model that stores a file with its hash."""
    for model in apps.get_models():
        fields = {f.name: f for f in model._meta.get_fields() if hasattr(f, "attname")}
        for name, field in fields.items():
            if isinstance(field, models.FileField):
                for digest in (f"{name}_sha256", "sha256"):
                    if digest in fields:
                        yield model, name, digest
                        break


def main() -> int:
    checked = bad = 0
    for model, name, digest in pairs():
        for pk, stored, expected in model.objects.values_list("pk", name, digest).iterator():
            if not stored:
                continue
            checked += 1
            field = model._meta.get_field(name)
            try:
                with field.storage.open(stored, "rb") as handle:
                    actual = hashlib.file_digest(handle, "sha256").hexdigest()
            except OSError as exc:
                bad += 1
                print(f"missing: {model._meta.label} {pk} {stored}: {exc}")
                continue
            if actual != expected:
                bad += 1
                print(f"altered: {model._meta.label} {pk} {stored}")
    print(f"documents: {checked} checked, {bad} bad")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
