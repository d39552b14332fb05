"""What the ledger needs to know of the apps above it, registered by them at start-up.

`audit` is the lowest layer and imports no app of the project. The domain registers, in its
AppConfig.ready():
- `roles_of(user)`: the (role, organisation code or None) pairs an event records of its actor;
- `is_inspector(user)`: who may read the ledger;
- live-state checks for `verify_audit`: callables returning (first bad seq, problem) or
  (None, "") when the live rows agree with the ledger.
The workflows layer registers, for the inspector's search page, the events in words:
- `describe(events)`: one row per event with its `sentence`, `roles` and `change` in words;
- `action_choices(current)`: (action, label) pairs to search by, `current` (the action searched
  for now) among them;
- `organization_choices(current)`: (code, name) pairs of the organisations to search by, the
  same way.
A layer that must write a row with some events, in their transaction (the notifications'
outbox), registers a `Companion`: the ledger writes its rows in the events' own INSERT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

RolesOf = Callable[[object], Iterable[tuple[str, str | None]]]
LiveCheck = Callable[[], tuple[int | None, str]]

_roles_of: RolesOf = lambda user: ()  # noqa: E731  (until the domain registers its own)
_is_inspector: Callable[[object], bool] = lambda user: False  # noqa: E731
live_checks: list[LiveCheck] = []
_describe: Callable[[list], list] = lambda events: list(events)  # noqa: E731
_action_choices: Callable[[str], list[tuple[str, str]]] = lambda current: []  # noqa: E731
_organization_choices: Callable[[str], list[tuple[str, str]]] = lambda current: []  # noqa: E731


@dataclass(frozen=True)
class Companion:
    """Rows an upper layer writes with some ledger events, in the same statement: `rows(events)`
    gives the unsaved rows (of one model) the events being inserted need, none if they need
    none; each row's `event_field` holds its event's seq. The ledger adds their INSERT to the
    events' own (a CTE on PostgreSQL; the next statement on SQLite), then hands the rows
    written to `written` (e.g. to act once the transaction commits)."""

    rows: Callable[[list], list]
    event_field: str
    written: Callable[[list], None] = lambda rows: None  # noqa: E731


companions: list[Companion] = []


def register(
    *,
    roles_of: RolesOf | None = None,
    is_inspector: Callable[[object], bool] | None = None,
    live_check: LiveCheck | None = None,
    describe: Callable[[list], list] | None = None,
    action_choices: Callable[[str], list[tuple[str, str]]] | None = None,
    organization_choices: Callable[[str], list[tuple[str, str]]] | None = None,
    companion: Companion | None = None,
) -> None:
    global _roles_of, _is_inspector, _describe, _action_choices, _organization_choices
    if roles_of is not None:
        _roles_of = roles_of
    if is_inspector is not None:
        _is_inspector = is_inspector
    if live_check is not None and live_check not in live_checks:
        live_checks.append(live_check)
    if describe is not None:
        _describe = describe
    if action_choices is not None:
        _action_choices = action_choices
    if organization_choices is not None:
        _organization_choices = organization_choices
    if companion is not None and companion not in companions:
        companions.append(companion)


def roles_of(user) -> list[tuple[str, str | None]]:
    return list(_roles_of(user))


def is_inspector(user) -> bool:
    return bool(user.is_authenticated and _is_inspector(user))


def describe(events) -> list:
    """The events in words (as registered), or the events themselves."""
    return _describe(list(events))


def action_choices(current: str = "") -> list[tuple[str, str]]:
    return _action_choices(current)


def organization_choices(current: str = "") -> list[tuple[str, str]]:
    return _organization_choices(current)
