"""The header's menu: entries only for those who may open them (the audit search for
inspectors, the API's documentation for staff), so no one is offered a page that answers 403."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from dossiers import permissions
from reports import access


def menu(request: HttpRequest) -> dict[str, object]:
    user = request.user
    return {
        # Lazy: the roles are read (once per request) only when the menu is drawn.
        "menu_audit": SimpleLazyObject(
            lambda: bool(user.is_authenticated and permissions.is_inspector(user))
        ),
        "menu_reports": SimpleLazyObject(lambda: access.may_see_reports(user)),
    }
