"""Who may open the dashboard and the statistics: the boards (officers and heads), the deciding
heads (the PM's office, a province's chair, a minister), inspectors and administrators. What each
sees is still only the dossiers, decisions and ballots the policy lets them see."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from dossiers import permissions
from dossiers.models import Role

REPORT_ROLES = (Role.BOARD_OFFICER, Role.BOARD_HEAD, Role.DECIDER, Role.INSPECTOR)
NOT_FOR_YOU = _(
    "The dashboard and the statistics are for the boards, the deciding heads, inspectors and "
    "administrators."
)


def may_see_reports(user) -> bool:
    return bool(
        user.is_authenticated
        and (user.is_superuser or any(permissions.has_role(user, r) for r in REPORT_ROLES))
    )


def require_reports(user) -> None:
    """403 with a message for anyone else (a proposing unit, a voter, a consulted body)."""
    if not may_see_reports(user):
        raise PermissionDenied(NOT_FOR_YOU)
