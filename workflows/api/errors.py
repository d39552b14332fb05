"""API errors are JSON {"detail", "code"} in the language of Accept-Language."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from dossiers.errors import DossierError


def exception_handler(exc, context):
    if isinstance(exc, DossierError):
        return Response({"detail": str(exc), "code": exc.code}, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_handler(exc, context)
    if response is None:
        return None
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
