"""The decision's documents: produced and signed when the decision is signed, served to those
who may see the decision, verified on request; the certificates printed from it.

pyHanko takes about 1.5 s to import; `documents.signing` is imported where a signature is made
or checked, not when the app starts (every command and worker would pay for it otherwise)."""

from __future__ import annotations

import hashlib
from typing import Any

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
from documents.models import DecisionDocument
from documents.render import render_certificates, render_decision, render_letters
from dossiers import levels, permissions
from dossiers.errors import Conflict
from dossiers.models import Role
from workflows.selectors import dossier_get_for_user

NOTICE_NOT_SIGNED = _(
    "Decision %(pk)s is not signed yet: the notice of nominees not awarded follows its signature."
)
NOT_SIGNED = _("Decision %(pk)s is not signed yet: its certificates are printed once it is.")
DOCUMENT_ALTERED = _(
    "The stored document of decision %(pk)s no longer matches its SHA-256: it is not served."
)
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
    transaction."""
    decision_document_produce(decision=decision, actor=actor)


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
