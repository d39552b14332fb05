"""What the ledger needs to know of the apps above it, registered by them at start-up.

`audit` is the lowest layer and imports no app of the project. The domain registers, in its
AppConfig.ready():
- `roles_of(user)`: the (role, organisation code or None) pairs an event records of its actor;
- `is_inspector(user)`: who may read the ledger;
- live-state checks for `verify_audit`: callables returning (first bad seq, problem) or
  (None, "") when the live rows agree with the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

RolesOf = Callable[[object], Iterable[tuple[str, str | None]]]
LiveCheck = Callable[[], tuple[int | None, str]]

_roles_of: RolesOf = lambda user: ()  # noqa: E731  (until the domain registers its own)
_is_inspector: Callable[[object], bool] = lambda user: False  # noqa: E731
live_checks: list[LiveCheck] = []


def register(
    *,
    roles_of: RolesOf | None = None,
    is_inspector: Callable[[object], bool] | None = None,
    live_check: LiveCheck | None = None,
) -> None:
    global _roles_of, _is_inspector
    if roles_of is not None:
        _roles_of = roles_of
    if is_inspector is not None:
        _is_inspector = is_inspector
    if live_check is not None and live_check not in live_checks:
        live_checks.append(live_check)


def roles_of(user) -> list[tuple[str, str | None]]:
    return list(_roles_of(user))


def is_inspector(user) -> bool:
    return bool(user.is_authenticated and _is_inspector(user))
