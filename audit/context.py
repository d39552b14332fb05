"""Per-request facts for the ledger (request id, client address) and the ledger seq that the
history rows being written belong to."""

import contextvars
import uuid

from axes.helpers import get_client_ip_address

request_id = contextvars.ContextVar("audit_request_id", default="")
client_ip = contextvars.ContextVar("audit_client_ip", default="")
current_seq = contextvars.ContextVar("audit_current_seq", default=None)


class AuditContextMiddleware:
    """Takes X-Request-ID (or makes one) and the client address for every event of a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = (request.headers.get("X-Request-ID") or uuid.uuid4().hex)[:64]
        tokens = (
            request_id.set(rid),
            # The same address the sign-in lockout uses: behind PROXY_COUNT reverse proxies,
            # the one the outermost proxy saw (config/settings/base.py).
            client_ip.set((get_client_ip_address(request) or "")[:64]),
        )
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(tokens[0])
            client_ip.reset(tokens[1])
        response["X-Request-ID"] = rid
        return response
