"""Guards the layers above add to a dossier's moves (consultation complete, public comments
handled…), registered from their AppConfig so that workflows never imports them.

A guard takes the locked dossier and raises a `Conflict` (409, with its own code) when the move
may not happen yet; `workflows.services.dossier_act` runs the guards of an action after the
policy has let the user act and before the action's service runs. A guard may name what it
reads of the dossier as annotations (`reads`), read in the query that locks the row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dossiers.models import Dossier

Guard = Callable[[Dossier], None]
Reads = Callable[[], Mapping[str, Any]]

_guards: dict[str, dict[str, Guard]] = {}
_reads: dict[str, dict[str, Reads]] = {}


def register(action: str, name: str, guard: Guard, reads: Reads | None = None) -> None:
    """Add (or replace, by name) a guard on `action`; `reads`: the annotations (name →
    expression) the guard finds on the dossier when it was locked with `reads(action)`."""
    _guards.setdefault(action, {})[name] = guard
    if reads is None:
        _reads.get(action, {}).pop(name, None)
    else:
        _reads.setdefault(action, {})[name] = reads


def reads(action: str) -> dict[str, Any]:
    """The annotations the guards of `action` read with the dossier's lock."""
    return {
        name: expression
        for read in _reads.get(action, {}).values()
        for name, expression in read().items()
    }


def check(action: str, dossier: Dossier) -> None:
    for guard in _guards.get(action, {}).values():
        guard(dossier)


def names(action: str) -> list[str]:
    return list(_guards.get(action, {}))
