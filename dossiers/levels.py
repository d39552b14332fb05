"""Levels: which ministry, province or the central level an organisation belongs to, and the
board, council and head that act for that level — read from the organisation tree (data).

A level is headed by its authority, an organisation of kind "decider" (TTG for the central
level, T-UBND for a province, BTP for a ministry); its board and council are the authority's
children of those kinds, and its units sit under it. An organisation with no authority above it
belongs to the central level. The tree is read once and kept until an organisation changes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db.models.signals import post_delete, post_migrate, post_save

from dossiers.models import Organization, OrganizationKind

CENTRAL = "TTG"  # the central level's authority: the Prime Minister


@dataclass(frozen=True)
class Level:
    """One level's authority and the bodies that act for it (codes)."""

    authority: str
    board: str | None
    council: str | None


@dataclass(frozen=True)
class _Tree:
    parent: dict[str, str | None]
    kind: dict[str, str]
    ids: dict[str, int]
    codes: dict[int, str]
    names: dict[str, str]
    tiers: dict[str, str]
    levels: dict[str, Level]
    authorities: dict[str, str]


@functools.cache
def _tree() -> _Tree:
    rows = list(Organization.objects.values_list("pk", "code", "kind", "parent__code"))
    names = dict(Organization.objects.values_list("code", "name"))
    tiers = dict(Organization.objects.values_list("code", "level"))
    parent = {code: parent_code for _, code, _, parent_code in rows}
    kind = {code: k for _, code, k, _ in rows}
    children: dict[str, dict[str, str]] = {}
    for _, code, k, parent_code in rows:
        if parent_code and k in (OrganizationKind.BOARD, OrganizationKind.COUNCIL):
            children.setdefault(parent_code, {})[k] = code
    levels = {
        code: Level(
            authority=code,
            board=children.get(code, {}).get(OrganizationKind.BOARD),
            council=children.get(code, {}).get(OrganizationKind.COUNCIL),
        )
        for code, k in kind.items()
        if k == OrganizationKind.DECIDER
    }
    return _Tree(
        parent=parent,
        kind=kind,
        ids={code: pk for pk, code, _, _ in rows},
        codes={pk: code for pk, code, _, _ in rows},
        names=names,
        tiers=tiers,
        levels=levels,
        authorities={code: _climb(code, parent, kind) for code in kind},
    )


def _climb(code: str, parent: dict[str, str | None], kind: dict[str, str]) -> str:
    """The first authority at or above `code` in the tree; the central level's if none."""
    seen: set[str] = set()
    current: str | None = code
    while current and current not in seen:
        if kind.get(current) == OrganizationKind.DECIDER:
            return current
        seen.add(current)
        current = parent.get(current)
    return CENTRAL


def forget(**kwargs: object) -> None:
    _tree.cache_clear()


post_save.connect(forget, sender=Organization, dispatch_uid="dossiers.levels.saved")
post_delete.connect(forget, sender=Organization, dispatch_uid="dossiers.levels.deleted")
post_migrate.connect(forget, dispatch_uid="dossiers.levels.migrated")


def authorities() -> list[str]:
    """Every level's authority (the organisations of kind "decider": the PM, the President,
    each province's People's Committee, each ministry), by code."""
    return sorted(_tree().levels)


def authority_of(code: str) -> str:
    """The authority of the level `code` belongs to (the organisation itself if it is one)."""
    return _tree().authorities.get(code, CENTRAL)


def level(authority: str) -> Level:
    return _tree().levels.get(authority) or Level(authority=authority, board=None, council=None)


def board_of(pk: int | None) -> str | None:
    """The board of the level whose authority has the id `pk` (a dossier's `holder`)."""
    authority = code_of(pk)
    return level(authority).board if authority else None


def tier_of(authority: str) -> str:
    """The kind of level an authority heads: "central", "ministry" or "province"."""
    return "central" if authority == CENTRAL else _tree().tiers.get(authority, "")


def name_of(code: str) -> str:
    return _tree().names.get(code, code)


def code_of(pk: int | None) -> str | None:
    return _tree().codes.get(pk) if pk is not None else None


def id_of(code: str) -> int | None:
    return _tree().ids.get(code)


def within(authorities: set[str]) -> set[str]:
    """The codes of the organisations that belong to the levels `authorities` head (read from the
    cached tree: no query)."""
    return {code for code, authority in _tree().authorities.items() if authority in authorities}


def authorities_where(kind: str, codes: frozenset[str] | set[str]) -> set[str]:
    """The authorities whose board (kind "board") or council ("council") is one of `codes`."""
    pick = (lambda lv: lv.board) if kind == OrganizationKind.BOARD else (lambda lv: lv.council)
    return {a for a, lv in _tree().levels.items() if pick(lv) in codes}
