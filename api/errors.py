"""Errors as the client should see them.

The API's errors are JSON {"detail", "code"} in the language of Accept-Language, its own
failures included: an unexpected exception is a 500 `server_error`, logged with the request id;
a database that cannot be reached is a 503 `unavailable`. The UI shows a translated page for
those two (templates/500.html, 503.html), rendered without touching the database.
"""

import logging
import sys
import uuid

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler
from rest_framework.views import set_rollback

from audit.context import request_id
from dossiers.errors import DossierError

logger = logging.getLogger("workflows.errors")
RETRY_AFTER_SECONDS = 30


def exception_handler(exc, context):
    if isinstance(exc, DossierError):
        body = {"detail": str(exc), "code": exc.code, **getattr(exc, "extra", {})}
        return Response(body, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_handler(exc, context)
    if response is None:
        request = context.get("request")
        set_rollback()
        body, code = failure_body(getattr(request, "_request", request), exc)
        response = Response(body, status=code)
        if code == status.HTTP_503_SERVICE_UNAVAILABLE:
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": str(_first_message(data)),
            "code": "invalid",
            "errors": data,
        }
    elif isinstance(data, dict) and "detail" in data:
        code = getattr(data["detail"], "code", None) or "error"
        response.data = {"detail": str(data["detail"]), "code": code}
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response.data.setdefault("code", "not_authenticated")
    return response


def _first_message(data):
    if isinstance(data, dict):
        for key, value in data.items():
            return (
                f"{key}: {_first_message(value)}"
                if key != "non_field_errors"
                else _first_message(value)
            )
    if isinstance(data, list) and data:
        return _first_message(data[0])
    return data


def is_unavailable(exc) -> bool:
    """The database refused or lost the connection (or is locked): try again later."""
    return isinstance(exc, (OperationalError, InterfaceError))


def failure_body(request, exc) -> tuple[dict, int]:
    """Log an unexpected failure with the request id; the JSON body and status to answer."""
    rid = current_request_id(request)
    path = getattr(request, "path", "")
    if is_unavailable(exc):
        logger.error(
            "database unavailable: %s %s request_id=%s: %s", _method(request), path, rid, exc
        )
        detail = _("The service is briefly unavailable. Please try again in a moment.")
        return {"detail": detail, "code": "unavailable", "request_id": rid}, 503
    logger.error("server error: %s %s request_id=%s", _method(request), path, rid, exc_info=exc)
    detail = _("An unexpected error occurred. It has been logged as %(request_id)s.") % {
        "request_id": rid
    }
    return {"detail": detail, "code": "server_error", "request_id": rid}, 500


def current_request_id(request) -> str:
    rid = request_id.get() or getattr(request, "request_id", "")
    if not rid:
        rid = (request.headers.get("X-Request-ID") if request is not None else "") or ""
        rid = rid[:64] or uuid.uuid4().hex
    if request is not None:
        request.request_id = rid
    return rid


def _method(request) -> str:
    return getattr(request, "method", "") or ""


def _is_api(request) -> bool:
    return getattr(request, "path", "").startswith("/api/")


# Django's handlers (config/urls.py): JSON under /api/, pages elsewhere.


def server_error(request):
    """handler500: called while the exception is being handled, so it is still at hand."""
    exc = sys.exception()
    if _is_api(request):
        body, code = failure_body(request, exc)
        response = JsonResponse(body, status=code)
    elif is_unavailable(exc):
        rid = current_request_id(request)
        logger.error(
            "database unavailable: %s %s request_id=%s: %s",
            _method(request),
            request.path,
            rid,
            exc,
        )
        response = HttpResponse(_render("503.html", rid), status=503)
    else:
        rid = current_request_id(request)
        response = HttpResponse(_render("500.html", rid), status=500)
    if response.status_code == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["X-Request-ID"] = current_request_id(request)
    return response


def _render(template: str, rid: str) -> str:
    # No request context: the context processors would reach for the session and the user.
    return loader.get_template(template).render({"request_id": rid})


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            body = {"detail": _("The request body is too large."), "code": "too_large"}
            return JsonResponse(body, status=413)
        return JsonResponse({"detail": _("Bad request."), "code": "bad_request"}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        body = {
            "detail": _("You do not have permission to perform this action."),
            "code": "permission_denied",
        }
        return JsonResponse(body, status=403)
    return defaults.permission_denied(request, exception)
