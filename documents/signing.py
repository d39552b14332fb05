"""PAdES signatures with pyHanko: sign a PDF (the decider, then the issuing body, each an
incremental update), and verify one, reporting integrity and trust separately.

No timestamp authority is reachable offline, so a signature's time is the signer's own claim
(the /M entry of its signature dictionary), reported as such. Revocation is not checked (the
demo CA publishes no CRL or OCSP): `revocation_mode="soft-fail"`.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel, SignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from documents.pki import Issued, KeyStore

# pyHanko logs every failed path validation with its traceback; the verdict is in the answer.
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)

# What `signed_at` is, in every answer: there is no trusted timestamp.
SIGNED_AT_SOURCE = "signer's claim (no timestamp authority)"
DEFAULT_ISSUER = "signer"


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def signer_for(keys: KeyStore, issued: Issued) -> signers.SimpleSigner | None:
    """pyHanko's signer for a certificate of the store (its CA in the chain), None if missing."""
    if not issued.exists():
        return None
    chain = [_asn1(c) for c in keys.trust_roots()]
    return signers.SimpleSigner(
        signing_cert=_asn1(keys.certificate(issued)),
        signing_key=load_private_key_from_pemder_data(
            issued.key_path.read_bytes(), passphrase=keys.password
        ),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


@dataclass(frozen=True)
class Signature:
    field: str
    signer: signers.SimpleSigner
    reason: str
    location: str


def sign(data: bytes, signatures: list[Signature]) -> bytes:
    """`data` signed by each in turn (PAdES baseline B, invisible fields), each signature an
    incremental update covering everything before it."""
    for item in signatures:
        meta = signers.PdfSignatureMetadata(
            field_name=item.field,
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=item.reason,
            location=item.location,
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        data = signers.sign_pdf(writer, meta, signer=item.signer).getvalue()
    return data


def _subject(status: SignatureStatus) -> tuple[str, str]:
    """The signing certificate's common name and organisation."""
    names = status.signing_cert.subject.native
    return names.get("common_name", ""), names.get("organization_name", "")


async def _validate_all(reader: PdfFileReader, context_for) -> list:
    return [
        await async_validate_pdf_signature(sig, signer_validation_context=context_for())
        for sig in reader.embedded_signatures
    ]


def verify(data: bytes, trust_roots: list[x509.Certificate]) -> dict:
    """The signatures of a PDF, checked: `intact` (every signature's bytes unchanged, its
    cryptography valid, nothing but signatures added after it, the last one covering the whole
    file) and `trusted` (every signer's certificate chains to one of `trust_roots`), apart.
    `signer` and `signed_at` are the first signature's (the decider's), the time as claimed."""
    answer: dict = {
        "intact": False,
        "trusted": False,
        "signer": None,
        "signed_at": None,
        "signed_at_source": SIGNED_AT_SOURCE,
        "signatures": [],
        "problem": "",
    }
    roots = [_asn1(c) for c in trust_roots]

    def context() -> ValidationContext:
        return ValidationContext(
            trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
        )

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        statuses = asyncio.run(_validate_all(reader, context))
    except Exception as exc:  # a file pyHanko cannot read is not intact, whatever the reason
        answer["problem"] = f"not a readable signed PDF: {type(exc).__name__}"
        return answer
    if not statuses:
        answer["problem"] = "no signature"
        return answer
    rows = []
    for index, (sig, status) in enumerate(zip(reader.embedded_signatures, statuses, strict=True)):
        last = index == len(statuses) - 1
        covers_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        changed_after = status.modification_level not in (
            None,
            ModificationLevel.NONE,
            ModificationLevel.LTA_UPDATES,
            ModificationLevel.FORM_FILLING,
        )
        intact = bool(
            status.intact and status.valid and not changed_after and (covers_file or not last)
        )
        common, organization = _subject(status)
        claimed = status.signer_reported_dt
        rows.append(
            {
                "field": sig.field_name,
                "signer": common,
                "organization": organization,
                "intact": intact,
                "trusted": bool(status.trusted),
                "signed_at": claimed.isoformat() if claimed else None,
            }
        )
    answer.update(
        intact=all(r["intact"] for r in rows),
        trusted=all(r["trusted"] for r in rows),
        signer=rows[0]["signer"],
        signed_at=rows[0]["signed_at"],
        signatures=rows,
    )
    if not answer["intact"]:
        answer["problem"] = "the signed bytes were changed"
    elif not answer["trusted"]:
        answer["problem"] = "a signer's certificate is not issued by a trusted authority"
    return answer
