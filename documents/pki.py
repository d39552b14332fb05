"""The signing keys: a certificate authority and the certificates it issues to each decider (a
person who signs decisions) and each issuing body (the organisation whose seal follows).

Kept in files under `settings.SIGNING_DIR`, outside the database and git, each private key
encrypted (PKCS#8, the password `settings.SIGNING_KEY_PASSWORD`). `seed_demo` makes the demo CA
and its certificates once; every later run finds and reuses them. A real deployment puts its
own CA's certificate and the issued certificates in the same places.

    SIGNING_DIR/ca/cert.pem, ca/key.pem
    SIGNING_DIR/people/<username>/cert.pem, key.pem
    SIGNING_DIR/bodies/<code>/cert.pem, key.pem
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

DEMO_CA_NAME = "Khen thưởng Demo CA (không dùng thật)"
# Fixed validity, so certificates made on any day (or under a test's frozen clock) cover the
# demo's decisions (2023 on) and today.
NOT_BEFORE = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(2045, 12, 31, tzinfo=datetime.UTC)
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,80}")


@dataclass(frozen=True)
class Issued:
    """Where one certificate and its encrypted key are."""

    cert_path: Path
    key_path: Path

    def exists(self) -> bool:
        return self.cert_path.is_file() and self.key_path.is_file()


def _safe(name: str) -> str:
    """A file name for a username or a code: itself when plainly safe, else a digest of it."""
    if _SAFE.fullmatch(name) and ".." not in name:
        return name
    return "h-" + hashlib.sha256(name.encode()).hexdigest()[:32]


def _write(path: Path, data: bytes, mode: int) -> None:
    """Written whole or not at all (a temporary file renamed), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _name(common: str, organization: str = "") -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common[:64]))
    return x509.Name(parts)


class KeyStore:
    """One folder of keys: a CA, and what it issued."""

    def __init__(self, root: Path | str, password: str) -> None:
        self.root = Path(root)
        self.password = password.encode()

    # --- paths -------------------------------------------------------------------------------

    @property
    def ca(self) -> Issued:
        return Issued(self.root / "ca" / "cert.pem", self.root / "ca" / "key.pem")

    def person(self, username: str) -> Issued:
        folder = self.root / "people" / _safe(username)
        return Issued(folder / "cert.pem", folder / "key.pem")

    def body(self, code: str) -> Issued:
        folder = self.root / "bodies" / _safe(code)
        return Issued(folder / "cert.pem", folder / "key.pem")

    # --- reading -----------------------------------------------------------------------------

    def _key(self, issued: Issued) -> ec.EllipticCurvePrivateKey:
        key = serialization.load_pem_private_key(
            issued.key_path.read_bytes(), password=self.password
        )
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key

    def certificate(self, issued: Issued) -> x509.Certificate:
        return x509.load_pem_x509_certificate(issued.cert_path.read_bytes())

    def trust_roots(self) -> list[x509.Certificate]:
        """The CA certificates a signature must chain to (none before the CA exists)."""
        return [self.certificate(self.ca)] if self.ca.cert_path.is_file() else []

    # --- making ------------------------------------------------------------------------------

    def _store(self, issued: Issued, cert: x509.Certificate, key) -> None:
        encrypted = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self.password),
        )
        _write(issued.key_path, encrypted, 0o600)
        _write(issued.cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)

    def ensure_ca(self, name: str = DEMO_CA_NAME) -> x509.Certificate:
        """The CA, made on the first call and read on every later one."""
        if self.ca.exists():
            return self.certificate(self.ca)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = _name(name, "Khen thưởng (demo)")
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )  # fmt: skip
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        self._store(self.ca, cert, key)
        return cert

    def _issue(self, issued: Issued, common: str, organization: str) -> bool:
        """A signing certificate from this store's CA; False (nothing written) if one exists."""
        if issued.exists():
            return False
        ca_cert = self.ensure_ca()
        ca_key = self._key(self.ca)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common, organization))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )  # fmt: skip
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        self._store(issued, cert, key)
        return True

    def ensure_person(self, username: str, common: str, organization: str) -> bool:
        """A decider's certificate (made if missing); True if made now."""
        return self._issue(self.person(username), common, organization)

    def ensure_body(self, code: str, name: str) -> bool:
        """An issuing body's certificate (made if missing); True if made now."""
        return self._issue(self.body(code), name, name)


def store() -> KeyStore:
    """The project's key store (settings)."""
    return KeyStore(settings.SIGNING_DIR, settings.SIGNING_KEY_PASSWORD)
