"""The one policy: what may this user do with this object now, and which objects may they see.

Dossiers, ballots and decisions are answered alike (Wagtail's `get_actions` shape). For each
kind of object three functions are registered:

    rules(user, obj)   -> {action: bool}   who may, by the user's roles (never by the state)
    now(action, obj)   -> bool             whether the object's state lets the action happen
    visible(user)      -> QuerySet         the objects the user may see, filtered in the query

`actions(user, obj)` is the actions both allow: the buttons a page shows and the API's
`available_actions`. A service asks `require` (403 when the roles never allow it), then its own
state checks and guards (409 with their own codes): viewflow.fsm's split of a transition's
permission from its availability. Lists and the inbox are querysets per user, so the cost of
a page does not grow with the number of dossiers.

Dossiers are registered here; approvals registers ballots and decisions (`register`) from its
AppConfig, so workflows never imports approvals. Dossier visibility is guardian's object
permission `view_dossier`, the one grant the services write (dossiers/access.py): read with
one EXISTS on the grants for lists (`visible_dossiers`) and `has_perm` for one dossier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dossiers import access, levels, lifecycle
from dossiers.errors import NOT_EDITABLE, Conflict
from dossiers.models import (
    Dossier,
    DossierGroupObjectPermission,
    DossierState,
    Level,
    Nominee,
    NomineeOutcome,
    OrganizationKind,
    Role,
)
from dossiers.permissions import UserLike, group_ids, has_role, orgs_with_role, user_roles

S = DossierState
VIEW = "dossiers.view_dossier"

Rules = Callable[[UserLike, Any], dict[str, bool]]
Now = Callable[[str, Any], bool]
Visible = Callable[[UserLike], QuerySet[Any]]


@dataclass(frozen=True)
class Kind:
    rules: Rules
    now: Now
    visible: Visible


_kinds: dict[type[Model], Kind] = {}


def register(model: type[Model], *, rules: Rules, now: Now, visible: Visible) -> None:
    _kinds[model] = Kind(rules=rules, now=now, visible=visible)


def _kind(model: type[Model]) -> Kind:
    try:
        return _kinds[model]
    except KeyError:
        raise LookupError(f"no policy registered for {model.__name__}") from None


def rules(user: UserLike, obj: Model) -> dict[str, bool]:
    """For each action, whether the user's roles allow it on this object, whatever its state."""
    return _kind(type(obj)).rules(user, obj)


def actions(user: UserLike, obj: Model) -> list[str]:
    """The actions this user may perform on this object now, in the kind's order."""
    kind = _kind(type(obj))
    return [a for a, allowed in kind.rules(user, obj).items() if allowed and kind.now(a, obj)]


def may(user: UserLike, action: str, obj: Model) -> bool:
    return action in actions(user, obj)


def require(user: UserLike, action: str, obj: Model) -> None:
    """403 unless the user's roles allow `action` on `obj` (its state is the service's check)."""
    if not rules(user, obj).get(action, False):
        raise PermissionDenied


def visible(user: UserLike, model: type[Model]) -> QuerySet[Any]:
    """The objects of `model` the user may see (none for a visitor)."""
    return _kind(model).visible(user)


# --- dossiers -----------------------------------------------------------------------------------


# The user's organisations per role (dossiers.permissions) and the levels' boards
# (dossiers.levels) are each worked out once, per request and per organisation tree: a row of a
# list costs a few set lookups.


def _unit(user: UserLike, dossier: Dossier, *roles: str) -> bool:
    return dossier.organization.code in orgs_with_role(user, *roles)


def _board(user: UserLike, dossier: Dossier, *roles: str) -> bool:
    """The user holds one of `roles` on the board of the level now holding the dossier."""
    board = levels.board_of(dossier.holder_id)
    return board is not None and board in orgs_with_role(user, *roles)


def _head(user: UserLike, dossier: Dossier) -> bool:
    """The head of the ministry or the province holding the dossier (it signs the submission
    to the central level; the PM and the President sign decisions, not submissions)."""
    holder = lifecycle.holder_code(dossier)
    return holder not in (None, levels.CENTRAL) and has_role(user, Role.DECIDER, holder)


def dossier_rules(user: UserLike, dossier: Dossier) -> dict[str, bool]:
    """Each dossier action a page or the API may call, by the user's roles on this dossier."""
    if not user.is_authenticated:
        return dict.fromkeys(lifecycle.DOSSIER_ACTIONS, False)
    head = _unit(user, dossier, Role.UNIT_HEAD)
    officer = _board(user, dossier, Role.BOARD_OFFICER, Role.BOARD_HEAD)
    return {
        "submit": head,
        "accept": officer,
        "return": officer,
        "close_notice": officer,
        "forward": _board(user, dossier, Role.BOARD_HEAD),
        "sign_submission": _head(user, dossier),
        "reject": officer,
        "hold": officer,
        "release": officer,
        "withdraw": head,
        "revoke": has_role(user, Role.DECIDER, lifecycle.decider_of(dossier)),
    }


def override_rules(user: UserLike, dossier: Dossier) -> dict[str, bool]:
    """Eligibility overrides: an officer of the board holding the dossier records one; the
    board's head confirms it."""
    if not user.is_authenticated:
        return {"override": False, "confirm": False}
    return {
        "override": _board(user, dossier, Role.BOARD_OFFICER, Role.BOARD_HEAD),
        "confirm": _board(user, dossier, Role.BOARD_HEAD),
    }


# Sharing the board's work (not moves of the lifecycle: the state stays as it is). "release"
# gives an assigned dossier back to the board's queue; on a dossier on hold it is the lifecycle's
# release of the hold (the API's one action name, read by `assignment_applies`).
ASSIGNMENT_ACTIONS = ["assign", "claim", "release"]
ASSIGNMENT_LABELS: dict[str, Promise] = {
    "assign": _("Assign to an officer"),
    "claim": _("Take this dossier"),
    "release": _("Give back to the board's queue"),
}
_NOT_SHARED = {S.DRAFT, S.RETURNED, S.BLOC_VOTING, *lifecycle.TERMINAL}


def assignment_applies(action: str, dossier: Dossier) -> bool:
    """Whether `action` on this dossier is about its assignment (not a lifecycle move)."""
    return action in ("assign", "claim") or (action == "release" and dossier.state != S.ON_HOLD)


def assignment_rules(user: UserLike, dossier: Dossier) -> dict[str, bool]:
    """By role: the board's head assigns; its officers claim and release (an officer only what
    is assigned to them: `may_release`)."""
    officer = _board(user, dossier, Role.BOARD_OFFICER, Role.BOARD_HEAD)
    return {"assign": _board(user, dossier, Role.BOARD_HEAD), "claim": officer, "release": officer}


def may_release(user: UserLike, dossier: Dossier) -> bool:
    """The assignee gives back their own dossier; the head any dossier of the board."""
    return dossier.assignee_id == user.pk or _board(user, dossier, Role.BOARD_HEAD)


def assignment_now(action: str, dossier: Dossier) -> bool:
    """By state: a dossier its level's board works on; claim an unassigned one, release an
    assigned one."""
    if dossier.holder_id is None or dossier.state in _NOT_SHARED:
        return False
    if action == "claim":
        return dossier.assignee_id is None
    if action == "release":
        return dossier.assignee_id is not None and dossier.state != S.ON_HOLD
    return True


def assignment_actions(user: UserLike, dossier: Dossier) -> list[str]:
    rules_ = assignment_rules(user, dossier)
    mine = may_release(user, dossier)
    return [
        a
        for a in ASSIGNMENT_ACTIONS
        if rules_[a] and assignment_now(a, dossier) and (a != "release" or mine)
    ]


def nominee_actions(
    user: UserLike, dossier: Dossier, nominees: Iterable[Nominee]
) -> list[tuple[Nominee, list[str]]]:
    """Each of the dossier's `nominees` with what the user may do to it now: hold one nominee
    (pending, the dossier at a stage a hold may leave) or release their hold (the dossier still
    open): the board of the level holding the dossier, by the same rules as a hold of the whole
    dossier (workflows.services.nominee_act), read once for all of them."""
    allowed = dossier_rules(user, dossier)
    hold = ["hold"] if allowed["hold"] and lifecycle.allows("hold", dossier.state) else []
    release = ["release"] if allowed["release"] and dossier.state not in lifecycle.TERMINAL else []
    by_outcome: dict[str, list[str]] = {
        NomineeOutcome.PENDING: hold,
        NomineeOutcome.ON_HOLD: release,
    }
    return [(nominee, list(by_outcome.get(nominee.outcome, []))) for nominee in nominees]


def is_board_officer(user: UserLike, dossier: Dossier) -> bool:
    """Whether the user is an officer (or the head) of the holding level's board."""
    return _board(user, dossier, Role.BOARD_OFFICER, Role.BOARD_HEAD)


def _dossier_now(action: str, dossier: Dossier) -> bool:
    """The declared lifecycle (workflows/lifecycle.py) lets `action` leave the dossier's state."""
    return lifecycle.allows(action, dossier.state)


def visible_dossiers(user: UserLike) -> QuerySet[Dossier]:
    """Dossiers the user holds `view_dossier` on through a role group (guardian's group object
    permissions: the only grants the services write, dossiers/access.py), or all of them with
    the model-wide permission inspectors hold.

    guardian's `get_objects_for_user` asks `id IN (by user) OR id IN (by group)`; PostgreSQL
    cannot join an OR of subqueries, so it read every dossier and tested it against both. One
    EXISTS on the group grants is a semi-join: a page in the list's order probes the grants'
    unique index (group, permission, dossier) row by row and stops at the page's end, and a
    count reads the user's grants once."""
    if not user.is_authenticated:
        return Dossier.objects.none()
    if user.is_superuser or user.has_perm(VIEW):
        return Dossier.objects.all()
    # The user's groups as values (`group_ids`): for one group, PostgreSQL reads its grants in
    # dossier order from the unique index and merges them with a list in id order, where a
    # subquery of the membership table left it guessing an average group's size.
    groups = group_ids(user)
    if not groups:
        return Dossier.objects.none()
    granted = DossierGroupObjectPermission.objects.filter(
        content_object_id=OuterRef("pk"),
        permission_id=access.view_permission_id(),
        group_id__in=groups,
    )
    return Dossier.objects.filter(Exists(granted))


register(Dossier, rules=dossier_rules, now=_dossier_now, visible=visible_dossiers)


def can_view(user: UserLike, dossier: Dossier) -> bool:
    return user.is_authenticated and (user.has_perm(VIEW) or user.has_perm(VIEW, dossier))


def can_create_for(user: UserLike, organization_code: str) -> bool:
    """A unit's officers and head propose for their own unit."""
    return bool(orgs_with_role(user, Role.UNIT_OFFICER, Role.UNIT_HEAD) & {organization_code})


def is_unit_member(user: UserLike, dossier: Dossier) -> bool:
    return _unit(user, dossier, Role.UNIT_OFFICER, Role.UNIT_HEAD)


def can_edit(user: UserLike, dossier: Dossier) -> bool:
    """Edit fields, nominees and documents: the unit, while the dossier is with the unit."""
    return is_unit_member(user, dossier) and dossier.state in (S.DRAFT, S.RETURNED)


def require_edit(user: UserLike, dossier: Dossier) -> None:
    """Only the proposing unit edits (else 403), and only while it holds the dossier (else 409)."""
    if not is_unit_member(user, dossier) or not can_view(user, dossier):
        raise PermissionDenied
    if dossier.state not in (S.DRAFT, S.RETURNED):
        raise Conflict(NOT_EDITABLE, code="not_editable")


# --- the inbox ----------------------------------------------------------------------------------

# Approvals registers the condition "the dossier is in an unsigned decision batch", which decides
# whether a dossier awaiting a decision is its board head's work or its decider's.
_in_open_batch: list[Callable[[], Q]] = []


def register_open_batch(condition: Callable[[], Q]) -> None:
    _in_open_batch[:] = [condition]


def _open_batch() -> Q:
    return _in_open_batch[0]() if _in_open_batch else Q(pk__in=[])


def _held_by(kind: str, bodies: frozenset[str] | set[str]) -> list[int | None]:
    """The ids of the levels whose board (or council) is one of `bodies`."""
    return [levels.id_of(a) for a in levels.authorities_where(kind, bodies)]


def _from(*actions: str) -> list[str]:
    """The states the declared lifecycle lets any of `actions` leave."""
    return [state for state in S.values if any(lifecycle.allows(a, state) for a in actions)]


def waiting_q(user: UserLike) -> Q:
    """Dossiers waiting for this user's work now: the states the declaration lets the user's
    roles act from (a dossier awaiting a decision is the board head's until it is in an open
    batch, then its decider's; a President's form is the PM's until the PM proposes it). An
    inspector reads everything and acts on nothing: nothing waits for the inspector."""
    roles = user_roles(user)
    unit_orgs = {o for r, o in roles if r in (Role.UNIT_OFFICER, Role.UNIT_HEAD) and o}
    board = _held_by(
        OrganizationKind.BOARD, orgs_with_role(user, Role.BOARD_OFFICER, Role.BOARD_HEAD)
    )
    heads = _held_by(OrganizationKind.BOARD, orgs_with_role(user, Role.BOARD_HEAD))
    councils = _held_by(OrganizationKind.COUNCIL, orgs_with_role(user, Role.COUNCIL_SECRETARY))
    deciders = orgs_with_role(user, Role.DECIDER)
    q = Q(pk__in=[])
    if unit_orgs:
        q |= Q(organization__code__in=unit_orgs, state__in=_from("submit"))
    if board:
        board_moves = ("accept", "return", "close_notice", "reject", "hold", "release")
        q |= Q(holder_id__in=board, state__in=_from(*board_moves))
    if heads:
        q |= Q(holder_id__in=heads, state=S.AWAITING_DECISION) & ~(_open_batch())
    if councils:
        q |= Q(holder_id__in=councils, state__in=_from("record_council_vote"))
    if deciders:
        own = [levels.id_of(code) for code in deciders]
        q |= Q(holder_id__in=own, state__in=_from("sign_submission"))
        # The PM's draft batches hold the President's forms too; the President signs only what
        # the PM has proposed (awaiting_president, below).
        forms = (set(deciders) - {"CTN"}) | ({"CTN"} if "TTG" in deciders else set())
        decided_here = Q(award_form__level=Level.CENTRAL, award_form__decider__in=forms) | (
            ~Q(award_form__level=Level.CENTRAL) & Q(holder_id__in=own)
        )
        q |= decided_here & Q(state=S.AWAITING_DECISION) & _open_batch()
        if "CTN" in deciders:
            q |= Q(award_form__decider="CTN", state=S.AWAITING_PRESIDENT)
    if orgs_with_role(user, Role.BLOC_VOTER):
        # visibility already limits it to the voter's blocs
        q |= Q(state__in=_from("record_bloc_vote"))
    return q
