"""Idempotency keys, bound to what they were first used for.

A key (the API's `Idempotency-Key` header, the UI's hidden `request_key`) is stored per user with
a fingerprint of the request it came with: method, path (so the dossier or decision and the
action) and a hash of the body. A retry with the same key and the same request acts once and
answers the same; the same key on another dossier, action or body is 422
`idempotency_key_reused`; a key longer than IDEMPOTENCY_KEY_MAX_LENGTH (or with other than
visible ASCII characters) is 400 `idempotency_key_invalid`, never cut.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from dossiers.errors import DossierError
from dossiers.models import ActionRequest, Dossier

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request

KEY_COLUMN_LENGTH = 255  # ActionRequest.key
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
# Form fields that are not part of what the request asks for.
_NOT_BODY = ("csrfmiddlewaretoken", "request_key")

KEY_INVALID = _(
    "The idempotency key must be 1 to %(limit)s visible ASCII characters (it was %(length)s)."
)
KEY_REUSED = _(
    "This idempotency key was already used for another request (another dossier, action or "
    "content). Use a new key for a new request."
)


class IdempotencyKeyInvalid(DossierError):
    status = 400
    code = "idempotency_key_invalid"


class IdempotencyKeyReused(DossierError):
    status = 422
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class RequestKey:
    key: str
    fingerprint: str  # sha256 of method, path and body

    @classmethod
    def of(cls, key: str, method: str, path: str, body: Any) -> RequestKey:
        check_key(key)
        digest = hashlib.sha256(_canonical(body)).hexdigest()
        fingerprint = hashlib.sha256(f"{method.upper()}\n{path}\n{digest}".encode()).hexdigest()
        return cls(key, fingerprint)


def max_length() -> int:
    return min(int(getattr(settings, "IDEMPOTENCY_KEY_MAX_LENGTH", 128)), KEY_COLUMN_LENGTH)


def check_key(key: str) -> None:
    limit = max_length()
    if len(key) > limit or not _VISIBLE_ASCII.fullmatch(key):
        raise IdempotencyKeyInvalid(KEY_INVALID, limit=limit, length=len(key))


def api_request_key(request: Request) -> RequestKey | None:
    """The API request's `Idempotency-Key`, bound to its method, path and parsed body."""
    key = request.headers.get("Idempotency-Key")
    if key is None or key == "":
        return None
    assert request.method is not None  # None only on an HttpRequest built by hand
    return RequestKey.of(key, request.method, request.path, request.data)


def form_request_key(request: HttpRequest) -> RequestKey | None:
    """The UI form's `request_key`, bound to the path and the other fields of the form."""
    key = request.POST.get("request_key")
    if not key:
        return None
    body = {k: v for k, v in request.POST.lists() if k not in _NOT_BODY}
    assert request.method is not None  # None only on an HttpRequest built by hand
    return RequestKey.of(key, request.method, request.path, body)


def service_key(key: RequestKey | str, action: str, target: str) -> RequestKey:
    """A key handed to a service directly (not from a request): bound to the action and target."""
    if isinstance(key, RequestKey):
        return key
    return RequestKey.of(key, "SERVICE", f"{action}:{target}", {})


def _canonical(body: Any) -> bytes:
    if hasattr(body, "lists"):  # QueryDict: every value of every field
        body = {k: v for k, v in body.lists()}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()


def remember(
    actor: User,
    key: RequestKey | str | None,
    action: str,
    dossier: Dossier | None,
    target: str = "",
) -> bool:
    """Store the idempotency key; False when this very request was already made (a retry).

    The key is bound to its request (above): used again for another
    dossier, action or body it raises IdempotencyKeyReused (422); it is never cut."""
    if not key:
        return True
    request_key = service_key(key, action, target or f"dossier:{dossier.pk if dossier else ''}")
    try:
        with transaction.atomic():
            ActionRequest.objects.create(
                user=actor,
                key=request_key.key,
                fingerprint=request_key.fingerprint,
                action=action,
                dossier=dossier,
            )
    except IntegrityError:
        first = ActionRequest.objects.filter(user=actor, key=request_key.key).first()
        if first is None or first.fingerprint != request_key.fingerprint:
            raise IdempotencyKeyReused(KEY_REUSED) from None
        return False
    return True
