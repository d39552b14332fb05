"""Move the ballots stored by the old design (one `AnonymousBallot` row per ballot, written with
the cast) to the new one: an open session's ballots are sealed; a closed session's become
anonymous choices and receipts, in a random order. A conflict the old design marked inside a
ballot cannot be put back on the member's cast (nothing says whose it was); it is kept as an
anonymous "conflict" choice, which the tally counts as before."""

import secrets

from django.db import migrations

from approvals import sealing


def forwards(apps, schema_editor):
    BallotSession = apps.get_model("approvals", "BallotSession")
    AnonymousBallot = apps.get_model("approvals", "AnonymousBallot")
    SealedBallot = apps.get_model("approvals", "SealedBallot")
    AnonymousChoice = apps.get_model("approvals", "AnonymousChoice")
    BallotReceipt = apps.get_model("approvals", "BallotReceipt")
    rng = secrets.SystemRandom()
    for session in BallotSession.objects.order_by("pk"):
        old = list(AnonymousBallot.objects.filter(session=session))
        if session.state == "open":
            session.sealing_salt = sealing.new_salt()
            session.save(update_fields=["sealing_salt"])
            size = sealing.padded_size(list(session.items.values_list("pk", flat=True)))
            rng.shuffle(old)
            SealedBallot.objects.bulk_create(
                SealedBallot(
                    session=session,
                    sealed=sealing.seal(
                        session_id=session.pk, salt=session.sealing_salt,
                        payload={"r": b.receipt, "c": b.choices}, size=size,
                    ),  # fmt: skip
                )
                for b in old
            )
        else:
            receipts = [b.receipt for b in old]
            choices = [(int(i), c) for b in old for i, c in b.choices.items()]
            rng.shuffle(receipts)
            rng.shuffle(choices)
            BallotReceipt.objects.bulk_create(
                BallotReceipt(session=session, receipt=r) for r in receipts
            )
            AnonymousChoice.objects.bulk_create(
                AnonymousChoice(session=session, item_id=i, choice=c) for i, c in choices
            )
    AnonymousBallot.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("approvals", "0004_ballot_sealing")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
