"""Words, not codes: what a person reads for the ledger's actions, the dossier's states and
reason codes, the roles an event records, the objects it names and the fields a version changed.

One mapping of each kind lives here: `ACTION_PHRASES` (a ledger action → a verb phrase about
its object), `REASON_LABELS` (the reason codes of dossiers/services.py and the ballot outcomes a
failed nominee keeps), `ROLE_PHRASES` (a role held for an organisation). `describe` turns ledger
events into sentences ("Cán bộ Ban TĐKT TƯ Nguyễn Thị Thu Hà trả lại hồ sơ VHNT-2023-0005 để bổ
sung (phiên bản 1): …") with a constant number of queries whatever the number of events; the
dossier page and the inspector's ledger search (through `audit.hooks`, audit imports no app)
both read them. Templates reach the plain labels through `{% load wording %}`.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.names import full_name, person_name
from dossiers.models import Dossier, DossierState, Nominee, Organization, Role, Stage
from dossiers.services import HOLD_REASONS, REJECT_REASONS, REVOKE_REASONS

# A ledger action → what its actor did, as a verb phrase about `%(object)s` (the dossier by its
# reference, a submission or a ballot by its number, ...). Every action the services record is
# here (tests/web/test_wording.py checks the demo's ledger against it); the catalogue's
# `<model>.created` / `<model>.updated` fall back on CREATED / UPDATED.
ACTION_PHRASES: dict[str, Promise] = {
    # the dossier's life (dossiers/services.py, the moves of workflows/lifecycle.py)
    "create": gettext_lazy("created %(object)s"),
    "update": gettext_lazy("edited %(object)s"),
    "attach": gettext_lazy("attached a document to %(object)s"),
    "detach": gettext_lazy("removed a document from %(object)s"),
    "submit": gettext_lazy("signed and submitted %(object)s"),
    "resubmit": gettext_lazy("resubmitted %(object)s after a return"),
    "record_bloc_vote": gettext_lazy("recorded the bloc's vote on %(object)s"),
    "record_council_vote": gettext_lazy("recorded the council's vote on %(object)s"),
    "nominees_failed_vote": gettext_lazy("recorded the nominees of %(object)s who failed the vote"),
    "accept": gettext_lazy("accepted %(object)s as complete"),
    "return": gettext_lazy("returned %(object)s for supplement"),
    "close_notice": gettext_lazy("closed the public notice of %(object)s"),
    "forward": gettext_lazy("forwarded %(object)s for decision"),
    "sign_submission": gettext_lazy("signed the submission of %(object)s to the next level"),
    "reject": gettext_lazy("concluded that %(object)s is not approved"),
    "hold": gettext_lazy("put %(object)s on hold"),
    "release": gettext_lazy("released the hold on %(object)s"),
    "withdraw": gettext_lazy("withdrew %(object)s"),
    "decide": gettext_lazy("recorded the signed decision on %(object)s"),
    "propose_to_president": gettext_lazy("proposed %(object)s to the President"),
    "recall_proposal": gettext_lazy("took %(object)s back from the proposal to the President"),
    "revoke": gettext_lazy("revoked the award of %(object)s"),
    "nominee_hold": gettext_lazy("put a nominee of %(object)s on hold"),
    "nominee_release": gettext_lazy("released the hold on a nominee of %(object)s"),
    "check_override": gettext_lazy("asked to override a failed check of %(object)s"),
    "check_override_confirm": gettext_lazy("confirmed the override of a check of %(object)s"),
    # sharing the board's work (workflows/services.py: dossier_assignment)
    "assign": gettext_lazy("assigned %(object)s to an officer"),
    "claim": gettext_lazy("took %(object)s to work on"),
    "unassign": gettext_lazy("gave %(object)s back to the board's queue"),
    # ballots, submissions and decisions (approvals)
    "ballot_opened": gettext_lazy("put %(object)s on a ballot"),
    "ballot.opened": gettext_lazy("opened %(object)s"),
    "ballot.cast": gettext_lazy("cast a ballot in %(object)s"),
    "ballot.attendance_recorded": gettext_lazy("recorded the meeting's attendance for %(object)s"),
    "ballot.closed": gettext_lazy("closed and counted %(object)s"),
    "add_to_decision": gettext_lazy("added %(object)s to a submission"),
    "decision.prepared": gettext_lazy("prepared %(object)s"),
    "decision.dossier_removed": gettext_lazy("took a dossier out of %(object)s"),
    "decision.back_to_pm": gettext_lazy("sent %(object)s back to the Prime Minister"),
    "decision.proposed": gettext_lazy("proposed %(object)s to the President"),
    "decision.signed": gettext_lazy("signed %(object)s"),
    "decision.document_signed": gettext_lazy("issued the signed document of %(object)s"),
    "decision.document_produced": gettext_lazy("issued the document of %(object)s (unsigned)"),
    "decision.certificates_produced": gettext_lazy("printed the certificates of %(object)s"),
    # consultation and public notice
    "consultation.requested": gettext_lazy("asked the consulted bodies about %(object)s"),
    "consultation.agreed": gettext_lazy("agreed, as a consulted body, with %(object)s"),
    "consultation.disagreed": gettext_lazy("disagreed, as a consulted body, with %(object)s"),
    "consultation.reminded": gettext_lazy("reminded a consulted body about %(object)s"),
    "notice.comment": gettext_lazy("sent a public comment on %(object)s"),
    "notice.comment_handle": gettext_lazy("handled a public comment on %(object)s"),
    # the registry, roles and the catalogue
    "person.created": gettext_lazy("added %(object)s to the registry"),
    "collective.created": gettext_lazy("added %(object)s to the registry"),
    "person.looked_up": gettext_lazy("looked up a person by identity number"),
    "registry.imported": gettext_lazy("imported award history into the registry"),
    "restriction.opened": gettext_lazy("recorded %(object)s"),
    "restriction.closed": gettext_lazy("closed %(object)s"),
    "role.granted": gettext_lazy("granted %(object)s"),
    "role.withdrawn": gettext_lazy("withdrew %(object)s"),
    "awardform.documents_set": gettext_lazy("set the required documents of %(object)s"),
    "otp.device_added": gettext_lazy("added an authenticator app for %(object)s"),
    "api_token.revoked": gettext_lazy("revoked an API token"),
}
CREATED = gettext_lazy("created %(object)s")
UPDATED = gettext_lazy("updated %(object)s")
UNKNOWN = gettext_lazy("recorded an event on %(object)s")

# The reason codes a page offers and a dossier or nominee keeps (dossiers/services.py), and the
# ballot outcomes a nominee that failed a vote keeps ("bloc_vote: below_threshold").
REASON_LABELS: dict[str, Promise] = {
    "wrong_subject": gettext_lazy("Not an eligible subject for this award"),
    "criteria_not_met": gettext_lazy("The award's criteria are not met"),
    "invalid_dossier": gettext_lazy("The dossier is not valid"),
    "legal_violation": gettext_lazy("A violation of the law"),
    "discipline": gettext_lazy("Disciplinary proceedings pending"),
    "inspection": gettext_lazy("An inspection is pending"),
    "complaint": gettext_lazy("A complaint is pending"),
    "press_allegation": gettext_lazy("Allegations in the press being verified"),
    "false_declaration": gettext_lazy("Achievements falsely declared"),
    "forged_dossier": gettext_lazy("A forged dossier"),
    "unlawful_procedure": gettext_lazy("The procedure broke the law"),
    "criteria_not_met_later": gettext_lazy("The criteria turned out not to be met"),
    "passed": gettext_lazy("Passed"),
    "no_quorum": gettext_lazy("No quorum"),
    "below_threshold": gettext_lazy("Below the threshold"),
    "tie": gettext_lazy("Tie"),
}
REASON_GROUPS = {"reject": REJECT_REASONS, "hold": HOLD_REASONS, "revoke": REVOKE_REASONS}

# The eligibility checks by what each asks (dossiers/eligibility.py `CHECK_CODES`, and the
# registry's identity check of dossiers/checks.py).
RULE_LABELS: dict[str, Promise] = {
    "subject_type": gettext_lazy("Who the award is for"),
    "authority": gettext_lazy("Authority to decide"),
    "restriction": gettext_lazy("No pending discipline, inspection or complaint"),
    "double_reward": gettext_lazy("One reward for one achievement"),
    "criterion": gettext_lazy("The criterion claimed"),
    "national_fighter": gettext_lazy("Earlier titles (national emulation fighter)"),
    "ministry_fighter": gettext_lazy("Earlier titles (ministry or provincial emulation fighter)"),
    "pm_certificate": gettext_lazy("Earlier award and years since (Prime Minister's certificate)"),
    "labour_order_3": gettext_lazy("Earlier award and years since (Third-class Labour Order)"),
    "provincial_certificate": gettext_lazy("Earlier titles or award (provincial certificate)"),
    "government_flag": gettext_lazy("Government emulation flag"),
    "flag_per_leader": gettext_lazy("One Government flag per bloc"),
    "flag_quota": gettext_lazy("Government flags within the quota"),
    "flag_minutes": gettext_lazy("Minutes of the bloc's vote"),
    "hero_timing": gettext_lazy("When the Hero title is conferred"),
    "intake_window": gettext_lazy("Within the period for dossiers"),
    "documents": gettext_lazy("Required documents"),
    "sudden_excluded": gettext_lazy("Sudden or thematic awards not counted"),
    "revoked_excluded": gettext_lazy("Revoked awards not counted"),
    "women_maternity": gettext_lazy("Maternity leave and priority for women"),
    "identity": gettext_lazy("Identity number (CCCD)"),
}

# A role held for an organisation, as the person is named by it in a sentence ("Cán bộ Ban TĐKT
# TƯ board-officer ..."); the organisation by its short name.
ROLE_PHRASES: dict[str, Promise] = {
    Role.UNIT_OFFICER: gettext_lazy("Emulation officer of %(org)s"),
    Role.UNIT_HEAD: gettext_lazy("Head of the unit %(org)s"),
    Role.BLOC_VOTER: gettext_lazy("Representative of %(org)s"),
    Role.BOARD_OFFICER: gettext_lazy("Officer of %(org)s"),
    Role.BOARD_HEAD: gettext_lazy("Head of %(org)s"),
    Role.COUNCIL_SECRETARY: gettext_lazy("Secretary of %(org)s"),
    Role.COUNCIL_MEMBER: gettext_lazy("Member of %(org)s"),
    Role.DECIDER: gettext_lazy("For %(org)s"),
    Role.CONSULTED: gettext_lazy("Consulted body %(org)s"),
    Role.INSPECTOR: gettext_lazy("Inspector"),
}
# Which role names an actor in a sentence when the event records several.
ROLE_ORDER: list[str] = [
    Role.DECIDER, Role.BOARD_HEAD, Role.BOARD_OFFICER, Role.COUNCIL_SECRETARY,
    Role.COUNCIL_MEMBER, Role.CONSULTED, Role.UNIT_HEAD, Role.UNIT_OFFICER, Role.BLOC_VOTER,
    Role.INSPECTOR,
]  # fmt: skip
SUPERUSER = "superuser"

# Objects an event names, by the model label it records: named with their reference (the
# dossier's, else the row's number), and by a plain noun in a list of actions.
OBJECTS: dict[str, tuple[Promise, Promise]] = {
    "dossiers.dossier": (gettext_lazy("dossier %(ref)s"), gettext_lazy("a dossier")),
    "approvals.decision": (gettext_lazy("submission no. %(ref)s"), gettext_lazy("a submission")),
    "approvals.ballotsession": (gettext_lazy("ballot no. %(ref)s"), gettext_lazy("a ballot")),
    "dossiers.person": (gettext_lazy("person no. %(ref)s"), gettext_lazy("a person")),
    "dossiers.collective": (gettext_lazy("collective no. %(ref)s"), gettext_lazy("a collective")),
    "dossiers.restriction": (
        gettext_lazy("restriction no. %(ref)s"),
        gettext_lazy("a restriction"),
    ),
    "dossiers.rolegrant": (gettext_lazy("role no. %(ref)s"), gettext_lazy("a role")),
    "dossiers.awardform": (gettext_lazy("award form no. %(ref)s"), gettext_lazy("an award form")),
    "auth.user": (gettext_lazy("user no. %(ref)s"), gettext_lazy("a user")),
}
# The object of an action, by the action's prefix ("ballot.cast" → a ballot); the others act
# on a dossier.
ACTION_OBJECT: dict[str, str] = {
    "ballot": "approvals.ballotsession",
    "decision": "approvals.decision",
    "person": "dossiers.person",
    "collective": "dossiers.collective",
    "restriction": "dossiers.restriction",
    "role": "dossiers.rolegrant",
    "awardform": "dossiers.awardform",
    "otp": "auth.user",
}
# Ledger actions that are words only (not recorded under this name).
PSEUDO_ACTIONS = {"unassign", "resubmit"}


def action_phrase(action: str) -> Promise:
    """The verb phrase of a ledger action (with `%(object)s`)."""
    if action in ACTION_PHRASES:
        return ACTION_PHRASES[action]
    if action.endswith(".created"):
        return CREATED
    if action.endswith(".updated"):
        return UPDATED
    return UNKNOWN


def action_label(action: str) -> str:
    """A ledger action on its own, for a list to choose from: "Trả lại hồ sơ để bổ sung"."""
    prefix = action.partition(".")[0] if "." in action else ""
    kind = ACTION_OBJECT.get(prefix, "dossiers.dossier")
    text = str(action_phrase(action)) % {"object": OBJECTS[kind][1]}
    return text[:1].upper() + text[1:]


def action_choices(current: str = "") -> list[tuple[str, str]]:
    """(action, label) of every action the ledger search offers, by label; `current`, the
    action searched for now, among them."""
    actions = (set(ACTION_PHRASES) - PSEUDO_ACTIONS) | ({current} if current else set())
    return sorted(((a, action_label(a)) for a in actions), key=lambda c: (c[1], c[0]))


def organization_choices(current: str = "") -> list[tuple[str, str]]:
    """(code, name) of every organisation, by name, for the ledger search (one query);
    `current`, the code searched for now, among them even when no organisation has it."""
    rows = list(Organization.objects.order_by("name", "code").values_list("code", "name"))
    if current and current not in {code for code, _name in rows}:
        rows.append((current, current))
    return rows


def state_label(state: str | None) -> str:
    """A dossier state by its label; "" for none; an unknown value as it is."""
    if not state:
        return ""
    try:
        return str(DossierState(state).label)
    except ValueError:
        return state


STAGE_OUTCOME = re.compile(r"^(?P<stage>[a-z_]+): (?P<outcome>[a-z_]+)$")
# A reason the services write themselves: "<noun>.<verb>" and what may follow ("dossier.decided
# 301/QĐ-TTg", "record_bloc_vote.passed"), the verb in the past for the dossier's own acts.
CODED = re.compile(r"^(?P<noun>[a-z_]+)\.(?P<verb>[a-z_]+)(?: (?P<rest>.+))?$")
PAST = {
    "created": "create",
    "updated": "update",
    "submitted": "submit",
    "resubmitted": "resubmit",
    "decided": "decide",
    "returned": "return",
    "returned_for_changes": "return",
}


def reason_label(reason: str | None, *, action: str = "") -> str:
    """A reason code by its label ("wrong_subject" → "Không đúng đối tượng…", "bloc_vote:
    below_threshold" → "Bỏ phiếu tại khối thi đua: không đạt tỷ lệ"), a reason the services
    wrote ("dossier.accept") by its action's words, a code before free text ("false_declaration:
    Kết luận…") by its label before the text, free text as it is. With `action`, the
    event's own action is not repeated: "record_bloc_vote.passed" says only "Đạt"."""
    if not reason:
        return ""
    if reason in REASON_LABELS:
        return str(REASON_LABELS[reason])
    found = STAGE_OUTCOME.match(reason)
    if found and found["outcome"] in REASON_LABELS:
        try:
            stage = str(Stage(found["stage"]).label)
        except ValueError:
            return reason
        return _("%(stage)s: %(outcome)s") % {
            "stage": stage,
            "outcome": str(REASON_LABELS[found["outcome"]]).lower(),
        }
    code, colon, text = reason.partition(": ")
    if colon and code in REASON_LABELS:  # a code and its free text, as a revocation keeps it
        return f"{REASON_LABELS[code]}: {text}"
    coded = CODED.match(reason)
    if coded is None:
        return reason
    noun, verb, rest = coded["noun"], coded["verb"], coded["rest"] or ""
    if noun == "dossier":
        said = PAST.get(verb, verb)
    elif noun in ACTION_PHRASES and verb in REASON_LABELS:
        said, rest = noun, str(REASON_LABELS[verb]) + (f" {rest}" if rest else "")
    else:
        said = f"{noun}.{verb}"
    if said not in ACTION_PHRASES:
        return reason
    if said == action:
        return rest
    return f"{action_label(said)}: {rest}" if rest else action_label(said)


def reason_choices(group: str) -> list[tuple[str, str]]:
    """(code, label) of the reasons a `reject`, `hold` or `revoke` may give."""
    return [(code, reason_label(code)) for code in REASON_GROUPS[group]]


def rule_label(rule: str | None) -> str:
    """An eligibility check by what it asks; an unknown rule as it is."""
    return str(RULE_LABELS[rule]) if rule in RULE_LABELS else rule or ""


def parse_roles(roles: str) -> list[tuple[str, str]]:
    """The event's `roles` column ("board_head@BTDKT-TW,board_officer@BTDKT-TW") as pairs."""
    pairs = []
    for item in filter(None, (roles or "").split(",")):
        role, _sep, org = item.partition("@")
        pairs.append((role, org))
    return pairs


def role_label(role: str, org_name: str = "") -> str:
    """A role with its organisation: "Cán bộ thi đua - khen thưởng đơn vị — LH các Hội VHNT"."""
    if role == SUPERUSER:
        return _("System administrator")
    try:
        label = str(Role(role).label)
    except ValueError:
        label = role
    return f"{label} — {org_name}" if org_name else label


@dataclass
class Line:
    """One ledger event in words."""

    event: Any
    sentence: str
    actor: str
    roles: list[str] = field(default_factory=list)
    change: str = ""  # "Dự thảo → Bỏ phiếu tại khối thi đua", or "" when the state stayed
    dossier_ref: str = ""  # the reference of the dossier the event belongs to

    def __getattr__(self, name: str) -> Any:  # seq, at, version, dossier_id, request_id...
        return getattr(self.__dict__["event"], name)


def _data(event) -> dict:
    try:
        return json.loads(event.body).get("data") or {}
    except (TypeError, ValueError, AttributeError):
        return {}


@dataclass
class _Names:
    """Everything a page of events names, read in one query per kind."""

    orgs: dict[str, tuple[str, str]]  # code → (short name, name)
    users: dict[int, str]  # id → full name
    officers: dict[str, str]  # an assignment's username → full name
    dossiers: dict[int, str]  # id → reference
    nominees: dict[int, str]  # id → name

    @classmethod
    def of(cls, events: list, data: list[dict], dossier: Dossier | None) -> _Names:
        codes = {o for e in events for _r, o in parse_roles(e.roles) if o}
        orgs = {
            code: (short or name, name)
            for code, short, name in Organization.objects.filter(code__in=codes).values_list(
                "code", "short_name", "name"
            )
        } if codes else {}  # fmt: skip
        actor_ids = {e.actor_id for e in events if e.actor_id}
        # An assignment's officers are recorded by their sign-in names ("from", "to").
        usernames = {d[k] for d in data for k in ("from", "to") if isinstance(d.get(k), str)}
        users: dict[int, str] = {}
        officers: dict[str, str] = {}
        if actor_ids or usernames:
            for pk, username, first, last in (
                get_user_model()
                .objects.filter(models.Q(pk__in=actor_ids) | models.Q(username__in=usernames))
                .values_list("pk", "username", "first_name", "last_name")
            ):
                full = person_name(first, last)
                if full:
                    users[pk] = full
                officers[username] = full or username
        dossier_ids = {e.dossier_id for e in events if e.dossier_id}
        known = {dossier.pk: dossier.reference} if dossier is not None else {}
        missing = dossier_ids - set(known)
        if missing:
            known |= dict(Dossier.objects.filter(pk__in=missing).values_list("pk", "reference"))
        nominee_ids = {d["nominee"] for d in data if isinstance(d.get("nominee"), int)}
        nominees = (
            dict(Nominee.objects.filter(pk__in=nominee_ids).values_list("pk", "name"))
            if nominee_ids
            else {}
        )
        return cls(orgs=orgs, users=users, officers=officers, dossiers=known, nominees=nominees)


def _object_name(event, names: _Names) -> str:
    kind, ref = event.object_type, event.object_id
    if kind == "dossiers.dossier":
        dossier_id = event.dossier_id or (int(ref) if ref.isdigit() else 0)
        ref = names.dossiers.get(dossier_id, ref)
    if kind in OBJECTS:
        return str(OBJECTS[kind][0]) % {"ref": ref}
    try:
        noun = str(apps.get_model(kind)._meta.verbose_name) if kind else ""
    except (LookupError, ValueError):
        noun = ""
    if not noun:
        return _("an object")
    return _("%(noun)s no. %(ref)s") % {"noun": noun, "ref": ref} if ref else noun


def _actor(event, names: _Names) -> str:
    if event.actor_id is None and not event.actor_name:
        if event.action == "notice.comment":
            return _("A member of the public")
        return _("The system")
    name = names.users.get(event.actor_id) or event.actor_name
    pairs = parse_roles(event.roles)
    if any(role == SUPERUSER for role, _o in pairs):
        return _("%(role)s %(name)s") % {"role": _("System administrator"), "name": name}
    ranked = sorted(
        (p for p in pairs if p[0] in ROLE_PHRASES),
        key=lambda p: ROLE_ORDER.index(p[0]) if p[0] in ROLE_ORDER else len(ROLE_ORDER),
    )
    if not ranked:
        return name
    role, org = ranked[0]
    short = names.orgs.get(org, (org, org))[0]
    phrase = str(ROLE_PHRASES[role]) % {"org": short}
    return _("%(role)s %(name)s") % {"role": phrase, "name": name}


def _action(event, data: Mapping[str, Any]) -> str:
    """The event's action as it is told: an assignment's release is not a hold's."""
    if event.action == "release" and "to" in data:
        return "unassign"
    # A resubmission's reason is the unit head's answer to the return (web/proposer.py) when
    # one was given; it leaves the returned state either way.
    if event.action == "submit" and (
        event.reason == "dossier.resubmitted" or event.from_state == "returned"
    ):
        return "resubmit"
    return event.action


def _phrase(event, action: str, data: Mapping[str, Any], names: _Names) -> str:
    what = _object_name(event, names)
    nominee_id = data.get("nominee")
    nominee = names.nominees.get(nominee_id) if isinstance(nominee_id, int) else None
    if action == "assign" and data.get("to"):
        officer = names.officers.get(data["to"], data["to"])
        text = _("assigned %(object)s to %(officer)s") % {"object": what, "officer": officer}
    elif action in ("nominee_hold", "nominee_release", "check_override") and nominee:
        text = {
            "nominee_hold": _("put the nominee %(nominee)s of %(object)s on hold"),
            "nominee_release": _("released the hold on the nominee %(nominee)s of %(object)s"),
            "check_override": _("asked to override a failed check of %(nominee)s in %(object)s"),
        }[action] % {"nominee": nominee, "object": what}
    elif action in ("attach", "detach") and isinstance(data.get("name"), str):
        text = {
            "attach": _("attached the document %(name)s to %(object)s"),
            "detach": _("removed the document %(name)s from %(object)s"),
        }[action] % {"name": data["name"], "object": what}
    elif action == "add_to_decision" and data.get("decision"):
        text = _("added %(object)s to submission no. %(decision)s") % {
            "object": what,
            "decision": data["decision"],
        }
    else:
        text = str(action_phrase(action)) % {"object": what}
    code = data.get("code")
    if isinstance(code, str) and code in REASON_LABELS:
        text = _("%(did)s (%(why)s)") % {"did": text, "why": reason_label(code)}
    return text


def describe(events: Iterable, *, dossier: Dossier | None = None) -> list[Line]:
    """The events in words, in their order. Queries: at most one each for the organisations,
    the actors' names, the dossiers' references and the nominees the events name (none for
    the dossier given), whatever the number of events."""
    events = list(events)
    data = [_data(e) for e in events]
    names = _Names.of(events, data, dossier)
    lines = []
    for event, facts in zip(events, data, strict=True):
        actor, action = _actor(event, names), _action(event, facts)
        did = _phrase(event, action, facts, names)
        sentence = _("%(actor)s %(did)s") % {"actor": actor, "did": did}
        if event.version and event.dossier_id:
            sentence = _("%(sentence)s (version %(version)s)") % {
                "sentence": sentence,
                "version": event.version,
            }
        why = reason_label(event.reason, action=action)
        if why:
            sentence = _("%(sentence)s: %(reason)s") % {"sentence": sentence, "reason": why}
        change = ""
        if event.to_state and event.from_state != event.to_state:
            change = _("%(from)s → %(to)s") % {
                "from": state_label(event.from_state) or _("(new)"),
                "to": state_label(event.to_state),
            }
        roles = [
            role_label(role, names.orgs.get(org, ("", org))[1] if org else "")
            for role, org in parse_roles(event.roles)
        ]
        lines.append(
            Line(
                event=event,
                sentence=sentence,
                actor=actor,
                roles=roles,
                change=change,
                dossier_ref=names.dossiers.get(event.dossier_id, "") if event.dossier_id else "",
            )
        )
    return lines


# --- the dossier's versions (the inspector's "changes, version by version") ----------------


def _value(model: type[models.Model], name: str, value: Any, related: dict) -> str:
    if value in (None, ""):
        return ""
    try:
        model_field: Any = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    if name in ("state", "held_from"):
        return state_label(value)
    if name == "reason_code":
        return reason_label(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation:
        return related.get((model_field.related_model, value), str(value))
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def field_label(model: type[models.Model], name: str) -> str:
    """A field by its verbose name ("due_date" → "Hạn xử lý")."""
    try:
        model_field: Any = model._meta.get_field(name)
        label = str(model_field.verbose_name)
    except FieldDoesNotExist:
        return name
    return label[:1].upper() + label[1:]


def dossier_changes(dossier: Dossier) -> list[dict]:
    """Each saved version of the dossier with the fields that changed, named and valued in
    words. Queries: the versions, then one per related model whose values changed."""
    records = list(dossier.history.select_related("history_user").order_by("history_id"))
    raw: list[tuple[Any, list[tuple[str, Any, Any]]]] = []
    previous = None
    wanted: dict[type[models.Model], set] = {}
    for record in records:
        diffs: list[tuple[str, Any, Any]] = []
        if previous is not None:
            diffs = [(c.field, c.old, c.new) for c in record.diff_against(previous).changes]
            for name, old, new in diffs:
                try:
                    model_field: Any = Dossier._meta.get_field(name)
                except FieldDoesNotExist:
                    continue
                if model_field.is_relation and model_field.related_model is not None:
                    wanted.setdefault(model_field.related_model, set()).update(
                        v for v in (old, new) if v is not None
                    )
        raw.append((record, diffs))
        previous = record
    related: dict = {}
    for model, pks in wanted.items():
        for obj in model._default_manager.filter(pk__in=pks):
            related[(model, obj.pk)] = full_name(obj) if hasattr(obj, "get_username") else str(obj)
    return [
        {
            "record": record,
            "why": reason_label(record.history_change_reason),
            "diffs": [
                (
                    field_label(Dossier, name),
                    _value(Dossier, name, old, related),
                    _value(Dossier, name, new, related),
                )
                for name, old, new in diffs
            ],
        }
        for record, diffs in raw
    ]
