"""The decision's documents: produced and signed when the decision is signed, served to those
who may see the decision, verified on request; the certificates printed from it.

pyHanko takes about 1.5 s to import; `documents.signing` is imported where a signature is made
or checked, not when the app starts (every command and worker would pay for it otherwise)."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from approvals.models import Decision, DecisionState
from approvals.selectors import decision_get_for_user, decision_seen_whole
from audit import history, ledger
from documents import pki
from documents.content import (
    DecisionContent,
    decision_content,
    issuer_of,
    not_awarded_rows,
    notice_content,
    signer_name_of,
    submission_content,
)
from documents.models import CertificateBatch, DecisionDocument
from documents.render import render_certificates, render_decision, render_letters
from dossiers import levels, permissions
from dossiers.errors import Conflict
from dossiers.models import Nominee, NomineeOutcome, Role
from workflows.selectors import dossier_get_for_user

NOTICE_NOT_SIGNED = _(
    "Decision %(pk)s is not signed yet: the notice of nominees not awarded follows its signature."
)
NOT_SIGNED = _("Decision %(pk)s is not signed yet: its certificates are printed once it is.")
DOCUMENT_ALTERED = _(
    "The stored document of decision %(pk)s no longer matches its SHA-256: it is not served."
)
CERTIFICATES_PREPARING = _(
    "The certificates of decision %(number)s are being prepared: please try again in a moment."
)
CERTIFICATES_ALTERED = _(
    "The stored certificates of decision %(pk)s no longer match their SHA-256: they are not served."
)
logger = logging.getLogger("documents")
FIELD_SIGNER = "ChuKyNguoiKy"  # the decider's signature field
FIELD_BODY = "ChuKyCoQuan"  # the issuing body's (its seal)


def _signing() -> Any:
    # Imported on first use for its start-up cost (see the module's docstring), not for a cycle:
    # documents.signing imports nothing of the project but documents.pki.
    from documents import signing

    return signing


def _ascii(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in text).strip("-")


def _file_name(decision: Decision) -> str:
    """quyet-dinh-301-QD-TTg.pdf: the number in ASCII, for a file name any system accepts."""
    safe = _ascii(decision.number or str(decision.pk))
    return f"quyet-dinh-{safe or decision.pk}.pdf"


def decision_preview(*, decision: Decision) -> bytes:
    """The document the decider is about to sign: every pending nominee as awarded, number and
    date blank, "DỰ THẢO" across each page. Nothing is stored."""
    return render_decision(decision_content(decision, signer_name=""))


@transaction.atomic
def decision_document_produce(*, decision: Decision, actor) -> DecisionDocument:
    """Render the signed decision, sign it (the decider's certificate, then the issuing body's),
    store it with its SHA-256 and record `decision.document_signed` in the ledger. Idempotent:
    the document of a decision is produced once. Without the decider's certificate the PDF is
    stored unsigned (`signed` False) and the event is `decision.document_produced`."""
    existing = DecisionDocument.objects.filter(decision=decision).first()
    if existing is not None:
        return existing
    signer = decision.signed_by
    data = render_decision(decision_content(decision, signer_name=signer_name_of(signer)))
    keys = pki.store()
    person = keys.person(signer.get_username()) if signer is not None else None
    body = keys.body(decision.decider)
    made = []
    if person is not None and person.exists():
        signing = _signing()
        place = issuer_of(decision.decider)["place"]
        plan = [
            signing.Signature(
                FIELD_SIGNER, signing.signer_for(keys, person), f"Ký {decision.number}", place
            )
        ]
        if body.exists():
            plan.append(
                signing.Signature(
                    FIELD_BODY, signing.signer_for(keys, body), "Cơ quan ban hành", place
                )
            )
        data = signing.sign(data, plan)
        made = [
            {"field": FIELD_SIGNER, "certificate": "person", "subject": signer.get_username()},
            *(
                [{"field": FIELD_BODY, "certificate": "body", "subject": decision.decider}]
                if body.exists()
                else []
            ),
        ]
    digest = hashlib.sha256(data).hexdigest()
    document = DecisionDocument(
        decision=decision,
        sha256=digest,
        size=len(data),
        signed=bool(made),
        signatures=made,
        created_by=actor,
    )
    action = "decision.document_signed" if made else "decision.document_produced"
    event = {"decision": decision.pk, "number": decision.number, "sha256": digest}
    event["signed"] = bool(made)
    with ledger.recording(actor=actor, action=action, obj=document, data=event):
        history.author(document, actor, action)
        document.file.save(_file_name(decision), ContentFile(data), save=False)
        document.save()
    return document


def on_decision_signed(sender, *, decision: Decision, actor, **kwargs: Any) -> None:
    """`approvals.services.decision_signed`: produce the document in the signature's
    transaction; for a decision with more awardees than `CERTIFICATES_INLINE_MAX`, queue its
    certificates once the signature has committed (a rolled-back signature queues nothing)."""
    decision_document_produce(decision=decision, actor=actor)
    if certificates_deferred(decision):
        actor_id = actor.pk if actor is not None else None
        transaction.on_commit(partial(certificates_enqueue, decision.pk, actor_id), robust=True)


def decision_document_read(*, user, pk: int) -> tuple[DecisionDocument, bytes]:
    """The signed document of a decision `user` may see (404 otherwise, or before it exists),
    its bytes checked against the stored SHA-256 (409 `document_altered` if they differ)."""
    decision = decision_get_for_user(user, pk)
    document = DecisionDocument.objects.filter(decision=decision).first()
    if document is None:
        raise Http404
    with document.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise Conflict(DOCUMENT_ALTERED, code="document_altered", pk=decision.pk)
    return document, data


def document_file_name(document: DecisionDocument) -> str:
    return _file_name(document.decision)


def decision_certificates(*, user, pk: int, nominee: int | None = None) -> tuple[str, bytes]:
    """The certificates (Bằng khen / Giấy chứng nhận) of a signed decision `user` may see: one
    landscape page per awardee, or only `nominee`'s (404 if not an awardee of it)."""
    decision = decision_get_for_user(user, pk)
    if decision.state != DecisionState.SIGNED:
        raise Conflict(NOT_SIGNED, code="not_signed", pk=decision.pk)
    content: DecisionContent = decision_content(
        decision, signer_name=signer_name_of(decision.signed_by)
    )
    rows = content.awarded
    if nominee is not None:
        rows = [r for r in rows if r.nominee_id == nominee]
    if not rows:  # not an awardee of it, or a decision that declined every nominee
        raise Http404
    name = _file_name(decision).replace("quyet-dinh-", "bang-khen-")
    if nominee is not None:
        name = name.replace(".pdf", f"-{nominee}.pdf")
    return name, render_certificates(content, rows)


# --- the certificates of a large decision: rendered once by the worker, served from the file ---


@dataclasses.dataclass(frozen=True)
class Certificates:
    """What the certificates endpoints answer: the PDF, or (`data` None) "being prepared"."""

    name: str
    data: bytes | None
    message: str = ""
    retry_after: int = 0
    sha256: str = ""

    @property
    def ready(self) -> bool:
        return self.data is not None


def _awardee_count(decision: Decision) -> int:
    return Nominee.objects.filter(
        dossier__decision_entries__decision=decision, outcome=NomineeOutcome.AWARDED
    ).count()


def certificates_deferred(decision: Decision) -> bool:
    """Whether the batch of a signed decision is printed by the worker (more awardees than
    `CERTIFICATES_INLINE_MAX`) rather than in the request."""
    return _awardee_count(decision) > settings.CERTIFICATES_INLINE_MAX


def _content_key(content: DecisionContent) -> str:
    """The digest of what the certificates are rendered from: the same key, the same file."""
    body = ledger.canonical(dataclasses.asdict(content))
    return hashlib.sha256(body.encode()).hexdigest()


def _certificates_name(decision: Decision) -> str:
    return _file_name(decision).replace("quyet-dinh-", "bang-khen-")


def _queued_key(decision_id: int) -> str:
    return f"documents:certificates-queued:{decision_id}"


def certificates_enqueue(decision_id: int, actor_id: int | None = None) -> None:
    """Send the task that prints the certificates of `decision_id` (documents/tasks.py; in
    place without a broker). A broker that cannot be reached is only logged: the beat's scan
    (`queue_pending_certificates`) sends it again."""
    from documents.tasks import produce_certificates  # the task module imports this one

    try:
        produce_certificates.delay(decision_id, actor_id)
    except Exception as exc:  # the broker's trouble is not the signature's
        logger.warning("certificates of decision %s not queued: %s", decision_id, exc)


def certificates_produce(
    *, decision_id: int, actor_id: int | None = None
) -> tuple[CertificateBatch | None, bool]:
    """Render every awardee's certificate of signed decision `decision_id` and store the PDF
    with its SHA-256, recording `decision.certificates_produced` in the ledger; (the batch,
    whether it was produced now). Idempotent: nothing is done when the stored batch was
    rendered from the same content. Rendered outside the transaction (seconds for hundreds of
    pages); the decision's row is locked only to store it. None for a decision not signed (or
    gone) or without awardees."""
    decision = (
        Decision.objects.select_related("signed_by")
        .filter(pk=decision_id, state=DecisionState.SIGNED)
        .first()
    )
    if decision is None:
        return None, False
    content = decision_content(decision, signer_name=signer_name_of(decision.signed_by))
    if not content.awarded:
        return None, False
    key = _content_key(content)
    existing = CertificateBatch.objects.filter(decision=decision).first()
    if existing is not None and existing.content_key == key:
        return existing, False
    data = render_certificates(content, content.awarded)
    digest = hashlib.sha256(data).hexdigest()
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    with transaction.atomic():
        Decision.objects.select_for_update().filter(pk=decision.pk).first()
        batch = CertificateBatch.objects.filter(decision=decision).first()
        if batch is not None and batch.content_key == key:  # another worker was quicker
            return batch, False
        old = batch.file.name if batch is not None else ""
        batch = batch or CertificateBatch(decision=decision)
        batch.sha256, batch.size, batch.content_key = digest, len(data), key
        batch.pages = len(content.awarded)
        event = {"decision": decision.pk, "number": decision.number, "sha256": digest}
        event["pages"] = batch.pages
        with ledger.recording(
            actor=actor, action="decision.certificates_produced", obj=batch, data=event
        ):
            batch.file.save(_certificates_name(decision), ContentFile(data), save=False)
            batch.save()
        if old:
            storage = batch.file.storage
            transaction.on_commit(partial(storage.delete, old), robust=True)
    return batch, True


def certificates_pending() -> list[int]:
    """Signed decisions above the threshold without their stored certificates (the beat's
    scan: a message the broker lost, a worker that gave up)."""
    candidates = Decision.objects.filter(state=DecisionState.SIGNED, certificates__isnull=True)
    return [d.pk for d in candidates.order_by("pk") if certificates_deferred(d)]


def decision_certificates_read(*, user, pk: int, nominee: int | None = None) -> Certificates:
    """The certificates of a signed decision `user` may see (404 otherwise; 409 `not_signed`).
    One awardee's (`nominee`) and a small decision's are rendered now; a large decision's are
    served from the file the worker stored (its SHA-256 checked: 409 `document_altered`), or,
    until it exists, "being prepared" (`data` None), the task queued again (once per
    `CERTIFICATES_RETRY_AFTER` seconds)."""
    decision = decision_get_for_user(user, pk)
    if decision.state != DecisionState.SIGNED:
        raise Conflict(NOT_SIGNED, code="not_signed", pk=decision.pk)
    if nominee is not None or not certificates_deferred(decision):
        name, data = decision_certificates(user=user, pk=pk, nominee=nominee)
        return Certificates(name=name, data=data)
    name = _certificates_name(decision)
    content = decision_content(decision, signer_name=signer_name_of(decision.signed_by))
    key = _content_key(content)
    batch = CertificateBatch.objects.filter(decision=decision, content_key=key).first()
    if batch is None:
        wait = settings.CERTIFICATES_RETRY_AFTER
        if cache.add(_queued_key(decision.pk), 1, timeout=wait):
            transaction.on_commit(partial(certificates_enqueue, decision.pk, user.pk), robust=True)
        # without a broker (eager) the task has just run
        batch = CertificateBatch.objects.filter(decision=decision, content_key=key).first()
        if batch is None:
            message = CERTIFICATES_PREPARING % {"number": decision.number or decision.pk}
            return Certificates(name=name, data=None, message=str(message), retry_after=wait)
    with batch.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != batch.sha256:
        raise Conflict(CERTIFICATES_ALTERED, code="document_altered", pk=decision.pk)
    return Certificates(name=name, data=data, sha256=batch.sha256)


def document_verify(*, data: bytes) -> dict:
    """Integrity and trust of a signed PDF, apart, against this installation's CA."""
    return _signing().verify(data, pki.store().trust_roots())


def demo_keys_ensure(*, people: list[tuple[str, str, str]], bodies: list[tuple[str, str]]) -> int:
    """The demo CA and a certificate for each (username, name, organisation) and each (code,
    name), made where missing (seed_demo); the number made now."""
    keys = pki.store()
    keys.ensure_ca()
    made = sum(keys.ensure_person(*person) for person in people)
    made += sum(keys.ensure_body(*body) for body in bodies)
    return made


def documents_backfill(*, actor=None) -> int:
    """A document for every signed decision without one (decisions signed before the keys
    existed, or before this app): the number produced."""
    missing = Decision.objects.filter(state=DecisionState.SIGNED, document__isnull=True)
    count = 0
    for decision in missing.select_related("signed_by").order_by("pk"):
        decision_document_produce(decision=decision, actor=actor or decision.signed_by)
        count += 1
    return count


# --- letters: the unit's submission with its list, the notice of nominees not awarded ---------


def submission_letter(*, user, pk: int) -> tuple[str, bytes]:
    """The unit's submission (Tờ trình) of a dossier `user` may see (404 otherwise) with its list
    of nominees, generated from the dossier now: nothing stored, nothing recorded."""
    dossier = dossier_get_for_user(user, pk)
    content = submission_content(dossier)
    name = f"to-trinh-{_ascii(dossier.reference) or dossier.pk}.pdf"
    return name, render_letters([content], f"Tờ trình — {dossier.reference}")


def _notice_organizations(user, decision: Decision) -> dict[str, list]:
    """The not-awarded nominees of a signed decision by proposing organisation, narrowed to the
    user's own units unless the user sees the decision whole (its decider, its board, an
    inspector)."""
    grouped = not_awarded_rows(decision)
    if decision_seen_whole(user, decision):
        return grouped
    own = permissions.orgs_with_role(user, Role.UNIT_OFFICER, Role.UNIT_HEAD)
    return {code: rows for code, rows in grouped.items() if code in own}


def not_awarded_organizations(*, user, decision: Decision) -> list[tuple[str, str]]:
    """(code, name) of each organisation whose notice `user` may read: the decision page's
    links. None before the signature."""
    if decision.state != DecisionState.SIGNED:
        return []
    return [(code, levels.name_of(code)) for code in sorted(_notice_organizations(user, decision))]


def not_awarded_notice(*, user, pk: int, organization: str | None = None) -> tuple[str, bytes]:
    """The notice of nominees not awarded in a signed decision `user` may see, from its issuing
    board to `organization` (the proposing unit), or one notice per organisation the user may
    read: a unit reads only its own, the board, the decider and inspectors every one. 404 for a
    decision, or an organisation, the user may not read, or one with no such nominee; 409
    `not_signed` before the signature. Generated on request: nothing stored."""
    decision = decision_get_for_user(user, pk)
    if decision.state != DecisionState.SIGNED:
        raise Conflict(NOTICE_NOT_SIGNED, code="not_signed", pk=decision.pk)
    grouped = _notice_organizations(user, decision)
    if organization is not None:
        grouped = {code: rows for code, rows in grouped.items() if code == organization}
    if not grouped:
        raise Http404
    contents = [notice_content(decision, code, grouped[code]) for code in sorted(grouped)]
    suffix = f"-{_ascii(organization)}" if organization else ""
    name = _file_name(decision).replace("quyet-dinh-", "thong-bao-khong-khen-")
    return name.replace(".pdf", f"{suffix}.pdf"), render_letters(
        contents, f"Thông báo — Quyết định {decision.number}"
    )
