"""Sealed ballots: what a member chose, unreadable in the database while its session is open.

A ballot is sealed with AES-256-GCM under a key of its session derived (HKDF-SHA256) from the
application's `BALLOT_SEALING_KEY` (by default derived from `SECRET_KEY`), the session's id and
a random salt kept on the session row. The key itself is never stored: every app process derives
it, a database reader alone cannot. The salt is wiped when the session closes, so after the
close even the key's holder cannot open a copy of a sealed ballot taken from the database.

Every sealed ballot of a session has the same length (the plaintext is padded to a size that
depends only on the session's nominees), so neither its length nor its place says what it holds.
See docs/ballot-secrecy.md for the threat model."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = b"\x01"
SALT_BYTES = 32
NONCE_BYTES = 12
LONGEST_CHOICE = "conflict"  # the longest value a ballot may hold for one nominee
BLOCK = 256


class Unsealable(Exception):
    """A sealed ballot that cannot be opened: another key, another session, or tampered with."""


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def master_key() -> bytes:
    """The application's sealing key: the setting, or one derived from SECRET_KEY."""
    configured = getattr(settings, "BALLOT_SEALING_KEY", "")
    if configured:
        return configured.encode()
    return hmac.new(
        settings.SECRET_KEY.encode(), b"khenthuong ballot sealing key", hashlib.sha256
    ).digest()


def _context(session_id: int) -> bytes:
    return f"khenthuong.ballot-seal.v1|session={session_id}".encode()


def session_key(session_id: int, salt: bytes) -> bytes:
    if not salt:
        raise Unsealable("the session has no sealing salt (closed, or never opened)")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=bytes(salt), info=_context(session_id))
    return hkdf.derive(master_key())


def _encode(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def padded_size(item_ids: list[int]) -> int:
    """One size for every ballot of a session: the longest ballot it could hold, in blocks."""
    longest = _encode({"c": {str(i): LONGEST_CHOICE for i in item_ids}, "r": "0" * 64})
    return (len(longest) // BLOCK + 1) * BLOCK


def seal(*, session_id: int, salt: bytes, payload: dict, size: int) -> bytes:
    """VERSION ‖ nonce ‖ AES-GCM(payload padded with spaces to `size`), bound to the session."""
    plain = _encode(payload)
    if len(plain) > size:
        raise ValueError("ballot larger than its session's sealed size")
    plain += b" " * (size - len(plain))
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(session_key(session_id, salt)).encrypt(nonce, plain, _context(session_id))
    return VERSION + nonce + sealed


def unseal(*, session_id: int, salt: bytes, blob: bytes) -> dict:
    blob = bytes(blob)
    if blob[:1] != VERSION:
        raise Unsealable("unknown sealed-ballot version")
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        plain = AESGCM(session_key(session_id, salt)).decrypt(nonce, sealed, _context(session_id))
    except InvalidTag as exc:
        raise Unsealable("wrong key or tampered ballot") from exc
    return json.loads(plain)
