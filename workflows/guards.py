"""Guards the layers above add to a dossier's moves (consultation complete, public comments
handled…), registered from their AppConfig so that workflows never imports them.

A guard takes the locked dossier and raises a `Conflict` (409, with its own code) when the move
may not happen yet; `workflows.services.dossier_act` runs the guards of an action after the
policy has let the user act and before the action's service runs.
"""

from __future__ import annotations

from collections.abc import Callable

from dossiers.models import Dossier

Guard = Callable[[Dossier], None]

_guards: dict[str, dict[str, Guard]] = {}


def register(action: str, name: str, guard: Guard) -> None:
    """Add (or replace, by name) a guard on `action`."""
    _guards.setdefault(action, {})[name] = guard


def check(action: str, dossier: Dossier) -> None:
    for guard in _guards.get(action, {}).values():
        guard(dossier)


def names(action: str) -> list[str]:
    return list(_guards.get(action, {}))
