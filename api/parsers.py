"""JSON bodies within limits: a body too large, nested too deep or not UTF-8 is a clear 4xx.

Python's own JSON decoder recurses once per level, so `[[[[…]]]]` a thousand levels deep ends
in a RecursionError (a 500) before any serializer runs. The limits here are checked on the raw
bytes first, by `check_json_body`, from the API middleware for every `/api/` request (the token
endpoint included, whose parsers are its own) and again by `LimitedJSONParser`.
"""

import json
from array import array
from itertools import accumulate

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser

TOO_LARGE = _("The request body is %(size)s bytes; the limit is %(limit)s bytes.")
TOO_DEEP = _("The JSON body is nested more than %(limit)s levels deep.")
NOT_UTF8 = _("The request body is not valid UTF-8 text.")
NOT_JSON = _("The request body is not valid JSON.")

_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
# Opening brackets become 1, closing ones 255 (-1 as a signed byte).
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


class BodyRefused(APIException):
    """A body refused before parsing; `code` and status say why."""

    def __init__(self, message, code: str, status_code: int = status.HTTP_400_BAD_REQUEST):
        self.status_code = status_code
        super().__init__(detail=str(message), code=code)


def json_max_bytes() -> int:
    return int(getattr(settings, "API_JSON_MAX_BYTES", 2 * 1024 * 1024))


def json_max_depth() -> int:
    return int(getattr(settings, "API_JSON_MAX_DEPTH", 32))


def is_json(content_type: str) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def check_size(size: int) -> None:
    limit = json_max_bytes()
    if size > limit:
        raise BodyRefused(
            TOO_LARGE % {"size": size, "limit": limit},
            "too_large",
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )


def nesting_depth(body: bytes) -> int:
    """How deep the brackets outside strings nest, at C speed (no Python loop per byte).

    Escapes are dropped first (`\\\\`, then `\\"`), so every remaining quote opens or closes
    a string and the text outside strings is every other piece between quotes. Its brackets
    become +1 / -1 and the deepest point is the largest running sum."""
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[::2])
    steps = array("b", outside.translate(_STEP, _NOT_BRACKET))
    return max(accumulate(steps), default=0)


def check_json_body(body: bytes) -> None:
    """Raise BodyRefused unless `body` is within the size and depth limits and is UTF-8."""
    check_size(len(body))
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRefused(NOT_UTF8, "invalid_encoding") from exc
    limit = json_max_depth()
    if nesting_depth(body) > limit:
        raise BodyRefused(TOO_DEEP % {"limit": limit}, "too_deep")


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser after the limits above; any decoding failure is a 400 `parse_error`."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read(json_max_bytes() + 1) if stream is not None else b""
        check_json_body(body)
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise BodyRefused(NOT_JSON, "parse_error") from exc


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")
