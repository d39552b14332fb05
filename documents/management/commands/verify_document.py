"""`manage.py verify_document FILE`: one line, integrity and trust apart; exit 0 only when the
PDF's signatures are intact and trusted."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from documents.services import document_verify


def _yes(value: bool) -> str:
    return "yes" if value else "NO"


class Command(BaseCommand):
    help = "Check a signed PDF: integrity and trust reported apart (exit 0 if both hold, else 1)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        answer = document_verify(data=data)
        line = (
            f"{file.name}: intact: {_yes(answer['intact'])}; trusted: {_yes(answer['trusted'])}; "
            f"signer: {answer['signer'] or '—'}; "
            f"signed at (the signer's claim, no timestamp authority): {answer['signed_at'] or '—'}"
        )
        if answer["problem"]:
            line += f"; {answer['problem']}"
        self.stdout.write(line)
        if not (answer["intact"] and answer["trusted"]):
            raise SystemExit(1)
