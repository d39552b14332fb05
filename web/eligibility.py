"""The eligibility pages: each nominee's checks on the dossier page with the board's overrides
(an officer records one with a reason, the board's head confirms it), a registry person's page
with their history, and the board's register of matters that stop an award (restrictions).

Who may do what is decided below the web layer: `workflows.policy.override_rules` for the
overrides (the service re-checks), `workflows.registry_access` for the registry's people and the
register; the writes are the services' (`workflows.services.check_override`,
`dossiers.registry.restriction_open` / `restriction_close`, which check the open dossiers naming
the person again)."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dossiers import calendar, registry
from dossiers.errors import DossierError
from dossiers.models import Nominee, NomineeOutcome, Restriction, RestrictionKind
from dossiers.services import OVERRIDE_STATES
from web.forms import DossierActionForm
from workflows import policy, registry_access, selectors
from workflows import services as wf
from workflows.idempotency import form_request_key
from workflows.inputs import ACTION_REASON_MAX_LENGTH

# The outcome of a check as the page names it (the JSON keeps the codes).
OUTCOME_LABELS = {
    "pass": pgettext_lazy("eligibility check", "Pass"),
    "fail": pgettext_lazy("eligibility check", "Fail"),
    "warning": pgettext_lazy("eligibility check", "Warning"),
    "overridden": pgettext_lazy("eligibility check", "Override confirmed"),
}
# Failures first: what the board has to act on, then what it should read, then the rest.
OUTCOME_ORDER = {"fail": 0, "warning": 1, "overridden": 2, "pass": 3}
OVERRIDE_LABELS = {
    "pending": gettext_lazy("Override awaiting the board head's confirmation"),
    "confirmed": gettext_lazy("Override confirmed by the board head"),
}
BLOCKING_LABELS = {
    True: pgettext_lazy("check blocks", "Yes"),
    False: pgettext_lazy("check blocks", "No"),
}
OVERRIDE_ACTIONS = ("override", "confirm")
OVERRIDE_DONE = {
    "override": gettext_lazy(
        "The override is recorded; it counts once the board's head confirms it."
    ),
    "confirm": gettext_lazy("The override is confirmed: the check no longer blocks."),
}
REASON_MAX = ACTION_REASON_MAX_LENGTH
NO_SUCH_PERSON = gettext_lazy("No person of the registry has this identity number (CCCD).")
ALREADY_CLOSED = gettext_lazy("This matter is already closed.")
CLOSES_BEFORE_OPENING = gettext_lazy("A matter cannot close before the day it was opened.")
RESTRICTION_OPENED = gettext_lazy(
    "The matter is recorded; the open dossiers naming %(name)s were checked again."
)
RESTRICTION_CLOSED = gettext_lazy(
    "The matter is closed; the open dossiers naming %(name)s were checked again."
)
CLOSED_PAGE_SIZE = 50


# --- the dossier page's section ---------------------------------------------------------------


def _people_shown(user, ids: set[int]) -> set[int]:
    """Of these registry people, those the user may see (one query at most)."""
    if not ids:
        return set()
    return set(
        registry_access.people_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)
    )


def _row(check: dict, nominee: Nominee, may_override: bool, may_confirm: bool) -> dict:
    outcome = check.get("outcome", "")
    state = check.get("override", "")
    failed = outcome == "fail" and nominee.outcome == NomineeOutcome.PENDING
    return {
        **check,
        "label": OUTCOME_LABELS.get(outcome, outcome),
        "blocking_label": BLOCKING_LABELS[bool(check.get("blocking"))],
        "override_label": OVERRIDE_LABELS.get(state, ""),
        # A pending override waits for the head (a new one would replace it): no second form.
        "can_override": may_override
        and failed
        and bool(check.get("overridable"))
        and state != "pending",
        "can_confirm": may_confirm and failed and state == "pending",
    }


def dossier_checks(user, dossier) -> dict:
    """Each nominee's last eligibility checks for the dossier page (failures first), with the
    override form and the confirm button where the policy lets this user use them, and the
    nominee's registry entry where the user may see it. Reads the prefetched nominees: a
    constant number of queries whatever their number."""
    rules = policy.override_rules(user, dossier)
    may_override = rules["override"] and dossier.state in OVERRIDE_STATES
    nominees = list(dossier.nominees.all())
    shown = _people_shown(user, {n.person_id for n in nominees if n.person_id})
    sees = registry_access.history_visible(user)  # a person's history: their organisation's
    rows = [
        {
            "nominee": nominee,
            "person": nominee.person_id if nominee.person_id in shown else None,
            "checks": [
                _row(check, nominee, may_override, rules["confirm"])
                for check in sorted(
                    registry_access.checks_shown(nominee, sees),
                    key=lambda c: OUTCOME_ORDER.get(c.get("outcome"), 9),
                )
            ],
        }
        for nominee in nominees
    ]
    return {
        "rows": rows,
        "request_key": uuid.uuid4().hex,
        "reason_max": REASON_MAX,
        "register": registry_access.may_see_restrictions(user),
    }


@login_required
@require_POST
def check_override(request, pk: int, nominee: int, rule: str, action: str):
    """Override a failed check (an officer of the board holding the dossier, with a reason) or
    confirm the override (the board's head): 404 unless the user sees the dossier, 403 unless
    the policy lets them; what the service refuses is shown as a message."""
    if action not in OVERRIDE_ACTIONS:
        raise Http404
    dossier = selectors.dossier_get_for_user(request.user, pk)
    if not policy.override_rules(request.user, dossier)[action]:
        raise PermissionDenied
    back = reverse("workflows:dossier", args=[pk]) + f"#checks-{nominee}"
    # The API's own validation (ActionSerializer): a NUL character or a reason too long is a
    # message, never a value handed to the database.
    form = DossierActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.first_error())
        return redirect(back)
    try:
        wf.check_override(
            actor=request.user,
            dossier=dossier,
            nominee=nominee,
            rule=rule,
            action=action,
            reason=form.cleaned_data["payload"]["reason"],
            request_key=form_request_key(request),
        )
    except DossierError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, OVERRIDE_DONE[action])
    return redirect(back)


# --- the registry's people --------------------------------------------------------------------


@never_cache
@login_required
def registry_person(request, pk: int):
    """One person of the registry with their titles and awards: 404 for a user who may not see
    them (workflows/registry_access.py)."""
    person = registry_access.person_get_for_user(request.user, pk)
    return render(request, "eligibility/registry_person.html", {"person": person})


# --- the board's register of restrictions -----------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class RestrictionOpenForm(forms.Form):
    identity = forms.RegexField(
        label=gettext_lazy("Identity number (CCCD)"),
        regex=registry.IDENTITY_RE,
        max_length=12,
        error_messages={"invalid": registry.IDENTITY_FORMAT},
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RestrictionKind.choices)
    opened_on = forms.DateField(label=gettext_lazy("Opened on"), widget=DateInput())
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 48}),
    )


class RestrictionCloseForm(forms.Form):
    closed_on = forms.DateField(label=gettext_lazy("Closed on"), widget=DateInput())
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=REASON_MAX)


def _holder(row: Restriction) -> str:
    return str(row.person or row.collective or "")


def _first_error(form: forms.Form) -> str:
    return next(str(e) for errors in form.errors.values() for e in errors)


@never_cache
@login_required
def restrictions(request):
    """The register: open matters, then the closed ones (paged); the board's officers and heads
    open a matter for a person found by their exact CCCD (a logged look-up) and close one.
    Inspectors read it; anyone else is refused (403)."""
    if not registry_access.may_see_restrictions(request.user):
        raise PermissionDenied
    may_keep = registry_access.may_keep_restrictions(request.user)
    form, status = RestrictionOpenForm(initial={"opened_on": calendar.today()}), 200
    if request.method == "POST":
        if not may_keep:
            raise PermissionDenied
        form = RestrictionOpenForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = registry_access.person_lookup(
                    actor=request.user, identity=data["identity"]
                ).first()
                if person is None:
                    form.add_error("identity", NO_SUCH_PERSON)
                else:
                    registry.restriction_open(
                        actor=request.user,
                        person=person,
                        kind=data["kind"],
                        opened_on=data["opened_on"],
                        note=data["note"],
                    )
                    messages.success(request, RESTRICTION_OPENED % {"name": person.full_name})
                    return redirect("workflows:restrictions")
            except DossierError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            except ValidationError as exc:
                form.add_error(None, "; ".join(exc.messages))
        if status == 200:
            status = 400
    today = calendar.today()
    rows = Restriction.objects.select_related(
        "person__organization", "collective__organization", "recorded_by"
    )
    still_open = Q(closed_on__isnull=True) | Q(closed_on__gt=today)
    closed = Paginator(
        rows.exclude(still_open).order_by("-closed_on", "-id"), CLOSED_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {
        "open_rows": rows.filter(still_open).order_by("-opened_on", "-id"),
        "closed": closed,
        "form": form if may_keep else None,
        "may_keep": may_keep,
        "today": today,
    }
    return render(request, "eligibility/restriction_list.html", context, status=status)


@login_required
@require_POST
def restriction_close(request, pk: int):
    """Close an open matter on a date (not before it opened): the open dossiers naming the
    person or collective are checked again by the service."""
    if not registry_access.may_keep_restrictions(request.user):
        raise PermissionDenied
    row = Restriction.objects.select_related("person", "collective").filter(pk=pk).first()
    if row is None:
        raise Http404
    form = RestrictionCloseForm(request.POST)
    if row.closed_on is not None:
        messages.error(request, ALREADY_CLOSED)
    elif not form.is_valid():
        messages.error(request, _first_error(form))
    elif form.cleaned_data["closed_on"] < row.opened_on:
        messages.error(request, CLOSES_BEFORE_OPENING)
    else:
        try:
            registry.restriction_close(
                actor=request.user,
                restriction=row,
                closed_on=form.cleaned_data["closed_on"],
                note=form.cleaned_data["note"],
            )
        except DossierError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, RESTRICTION_CLOSED % {"name": _holder(row)})
    return redirect("workflows:restrictions")


urlpatterns = [
    path(
        "dossiers/<int:pk>/nominees/<int:nominee>/checks/<slug:rule>/<slug:action>/",
        check_override,
        name="check_override",
    ),
    path("registry/people/<int:pk>/", registry_person, name="registry_person"),
    path("registry/restrictions/", restrictions, name="restrictions"),
    path("registry/restrictions/<int:pk>/close/", restriction_close, name="restriction_close"),
]
