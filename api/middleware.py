"""API middleware: the language of Accept-Language, and request bodies within limits."""

from django.http import JsonResponse
from django.utils import translation

from api.parsers import BodyRefused, check_json_body, check_size, is_json


class ApiLanguageMiddleware:
    """The API answers in the language of Accept-Language (UI URLs default to Vietnamese)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class ApiBodyLimitMiddleware:
    """An API request body is checked before any view or parser reads it: larger than
    API_JSON_MAX_BYTES (by its Content-Length, before reading; uploads excepted) → 413
    `too_large`; JSON nested deeper than API_JSON_MAX_DEPTH → 400 `too_deep`; JSON that is not
    UTF-8 → 400 `invalid_encoding`. Answers {"detail", "code"}."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        content_type = request.content_type or ""
        try:
            if not content_type.startswith("multipart/"):  # uploads: UPLOAD_MAX_BYTES
                check_size(_content_length(request))
            if is_json(content_type):
                check_json_body(request.body)  # read once; DRF parses the cached body
        except BodyRefused as exc:
            body = {"detail": str(exc.detail), "code": exc.detail.code}
            return JsonResponse(body, status=exc.status_code)
        return self.get_response(request)


def _content_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0
