"""Decision batches in the browser: the board head builds one (the tờ trình) from the dossiers
awaiting a decision, and the decider reviews each nominee's eligibility checks on the decision
page before signing.

Who may build a batch is the policy's: `approvals.policy.may_prepare_any` for the page, and for
each dossier listed what `decision_create` itself checks (seen by the user, awaiting a decision
in no unsigned batch: `batchable_q`, and `may_prepare`), filtered by the API's own FilterSet.
The batch is written by `approvals.services.decision_create`, which checks the decider and every
dossier again: what it refuses is shown as a form error and nothing is stored."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from approvals import services as approval_services
from approvals.models import Decision
from approvals.policy import batchable_q, may_prepare, may_prepare_any
from dossiers import calendar, lifecycle
from dossiers.errors import DossierError
from dossiers.models import Dossier, Nominee
from web.eligibility import OUTCOME_LABELS, OUTCOME_ORDER
from web.forms import IdListField
from workflows import registry_access
from workflows.filters import DossierFilter
from workflows.idempotency import form_request_key
from workflows.selectors import boards_levels, dossier_list_visible_to

BATCH_PAGE_SIZE = 50
NOMINEES_SHOWN = 3

DECIDER_REQUIRED = _("Choose who decides the submission.")
DECIDER_INVALID = _("Choose who decides from the list on this page.")
DOSSIERS_REQUIRED = _("Tick at least one dossier.")
DOSSIERS_INVALID = _("Choose the dossiers from the list on this page.")
FILTER_IGNORED = _("A filter value was not valid and has been ignored.")
BATCH_CREATED = _("Submission #%(pk)s is prepared: it waits for %(decider)s.")
DECLINE_REASON_NEEDED = _("Give the reason why %(name)s is not awarded.")
DECLINE_INVALID = _("Choose the nominees not to award from the list on this page.")
NO_DECLINE_ON_PROPOSAL = _(
    "Nominees are declined when the decision is signed, not when it is proposed."
)

# The checks a decider reads before signing: what failed or was overridden, and the warnings.
CHECKS_TO_READ = ("fail", "warning", "overridden")


def decider_label(code: str) -> str:
    """A decider by its name (the Prime Minister, a province's People's Committee), as the
    decision pages name it."""
    return Decision(decider=code).get_decider_display()


def error_text(exc: DossierError) -> str:
    """The service's message, with deciders named in words rather than by their codes."""
    params = dict(exc.params)
    for key in ("expected", "decider"):
        if key in params:
            params[key] = decider_label(str(params[key]))
    if "codes" in params:
        params["codes"] = ", ".join(decider_label(c) for c in str(params["codes"]).split(", "))
    return str(exc.message) % params if params else str(exc.message)


class DecisionCreateForm(forms.Form):
    """A new batch: the decider (its code: the service checks it is one, and that every ticked
    dossier is decided by it) and the ticked dossiers."""

    decider = forms.SlugField(
        label=_("Decider"),
        max_length=32,
        error_messages={"required": DECIDER_REQUIRED, "invalid": DECIDER_INVALID},
    )
    dossiers = IdListField(
        label=_("Dossiers"),
        error_messages={"required": DOSSIERS_REQUIRED, "invalid": DOSSIERS_INVALID},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = getattr(settings, "IDEMPOTENCY_KEY_MAX_LENGTH", 128)
        self.fields["request_key"] = forms.CharField(required=False, max_length=limit)

    def problems(self) -> list[str]:
        return [str(e) for errors in self.errors.values() for e in errors]


class DeciderFilterForm(forms.Form):
    """`?decider=`: one of the deciders of the dossiers listed."""

    decider = forms.ChoiceField(required=False)

    def __init__(self, *args, deciders: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decider"].choices = [("", ""), *deciders]


def batch_candidates(user) -> list[Dossier]:
    """The dossiers this user may put into a new batch, by due date: those `decision_create`
    accepts, but for the decider (seen by the user, `batchable_q`, `may_prepare`). One query."""
    return [d for d in _batchable(user) if may_prepare(user, d)]


def _batchable(user) -> QuerySet[Dossier]:
    """Seen by the user and open to a batch, at the levels whose board the user heads (the
    query's narrowing of `may_prepare`, which `batch_candidates` asks of each row)."""
    return (
        dossier_list_visible_to(user)
        .prefetch_related(None)
        .filter(batchable_q(), holder_id__in=boards_levels(user, heads_only=True))
        .order_by("due_date", "id")
    )


def _options(rows: list[Dossier]) -> dict[str, list[tuple]]:
    """The filters' choices, from the dossiers the user may batch (not from the catalogue)."""
    forms_ = {d.award_form.code: d.award_form.name for d in rows}
    orgs = {d.organization.code: d.organization.name for d in rows}
    deciders = {code: decider_label(code) for code in {lifecycle.decider_of(d) for d in rows}}
    return {
        "years": sorted({d.year for d in rows}, reverse=True),
        "award_forms": sorted(forms_.items(), key=lambda item: item[1]),
        "organizations": sorted(orgs.items(), key=lambda item: item[1]),
        "deciders": sorted(deciders.items(), key=lambda item: item[1]),
    }


def _checks_count(dossier: Dossier) -> dict[str, int]:
    counts = {"fail": 0, "warning": 0}
    for nominee in dossier.nominees.all():
        for check in nominee.checks:
            if check.get("outcome") in counts:
                counts[check["outcome"]] += 1
    return counts


@login_required
def decision_new(request):
    """Lập tờ trình: the board head ticks dossiers awaiting a decision (filtered by year, award
    form, organisation and decider, the filters kept in the URL) and names the decider; the
    service writes the batch and the page goes to it. 403 for anyone who heads no board."""
    user = request.user
    if not may_prepare_any(user):
        raise PermissionDenied
    problems: list[str] = []
    status = 200
    ticked: set[int] = set()
    decider = ""
    if request.method == "POST":
        form = DecisionCreateForm(request.POST)
        if form.is_valid():
            decider = form.cleaned_data["decider"]
            ticked = set(form.cleaned_data["dossiers"])
            try:
                decision = approval_services.decision_create(
                    actor=user,
                    decider=decider,
                    dossier_ids=form.cleaned_data["dossiers"],
                    request_key=form_request_key(request),  # bound to the path and the form
                )
            except DossierError as exc:
                problems, status = [error_text(exc)], exc.status
            else:
                label = decider_label(decision.decider)
                messages.success(request, BATCH_CREATED % {"pk": decision.pk, "decider": label})
                return redirect("workflows:decision", pk=decision.pk)
        else:
            problems, status = form.problems(), 400
            decider = request.POST.get("decider", "")[:32]
            ticked = {
                int(v) for v in request.POST.getlist("dossiers") if v.isascii() and v.isdigit()
            }

    everything = batch_candidates(user)
    options = _options(everything)
    chosen = DossierFilter(request.GET, queryset=_batchable(user), request=request)
    by_decider = DeciderFilterForm(request.GET, deciders=options["deciders"])
    rows = everything
    if not chosen.is_valid() or not by_decider.is_valid():
        messages.error(request, FILTER_IGNORED)
    elif any(chosen.form.cleaned_data.get(f) for f in ("year", "award_form", "organization")):
        shown = set(chosen.qs.values_list("pk", flat=True))
        rows = [d for d in rows if d.pk in shown]
    wanted = by_decider.cleaned_data.get("decider", "") if by_decider.is_valid() else ""
    if wanted:
        rows = [d for d in rows if lifecycle.decider_of(d) == wanted]

    page = Paginator(rows, BATCH_PAGE_SIZE).get_page(request.GET.get("page"))
    prefetch_related_objects(
        page.object_list, Prefetch("nominees", queryset=Nominee.objects.order_by("id"))
    )
    listed = []
    for dossier in page.object_list:
        nominees = list(dossier.nominees.all())
        code = lifecycle.decider_of(dossier)
        listed.append(
            {
                "dossier": dossier,
                "decider": code,
                "decider_label": decider_label(code),
                "nominees": nominees[:NOMINEES_SHOWN],
                "more": max(len(nominees) - NOMINEES_SHOWN, 0),
                "checks": _checks_count(dossier),
                "ticked": dossier.pk in ticked,
            }
        )
    # The decider is chosen among those of the dossiers listed (the service checks the ticked).
    offered = [
        (code, decider_label(code)) for code in sorted({lifecycle.decider_of(d) for d in rows})
    ]
    if not decider:
        decider = wanted or (offered[0][0] if len(offered) == 1 else "")
    filters = {name: request.GET.get(name, "") for name in ("year", "award_form", "organization")}
    context = {
        "rows": listed,
        "page": page,
        "total": len(everything),
        "options": options,
        "filters": {**filters, "decider": wanted},
        "filtered": any(filters.values()) or bool(wanted),
        "query": urlencode({k: v for k, v in {**filters, "decider": wanted}.items() if v}),
        "deciders": offered,
        "decider": decider,
        "problems": problems,
        "request_key": uuid.uuid4().hex,
    }
    return render(request, "decisions/decision_new.html", context, status=status)


def sign_defaults() -> dict:
    """The sign form before anything is typed: signed today."""
    return {"signed_on": calendar.today().isoformat()}


def review_rows(decision: Decision, values: dict, user=None) -> list[dict]:
    """The batch as its decider reviews it: each dossier with its nominees, each nominee with
    the checks to read (failures, warnings and confirmed overrides, with their message and
    citation; passed ones counted) and the decline box and reason as typed. Reads the dossiers
    and nominees `decision_get_for_user` prefetched: no query. A person's history details in the
    checks only for a `user` who may read them (a unit reading a signed decision sees the
    outcomes of the other units' nominees, not their history)."""
    sees = registry_access.history_visible(user) if user is not None else None
    ticked = values.get("declined_ids", set())
    groups = []
    for dossier in decision.dossiers.all():
        nominees = []
        for nominee in dossier.nominees.all():
            told = registry_access.checks_shown(nominee, sees) if sees else nominee.checks
            read = sorted(
                (c for c in told if c.get("outcome") in CHECKS_TO_READ),
                key=lambda c: OUTCOME_ORDER.get(c.get("outcome"), 9),
            )
            reason = values.get(f"decline_{nominee.pk}", "")
            nominees.append(
                {
                    "nominee": nominee,
                    "checks": [
                        {**c, "label": OUTCOME_LABELS.get(c.get("outcome"), "")} for c in read
                    ],
                    "passed": sum(1 for c in nominee.checks if c.get("outcome") == "pass"),
                    "decline": reason,
                    "declined": nominee.pk in ticked or bool(reason.strip()),
                }
            )
        groups.append({"dossier": dossier, "nominees": nominees})
    return groups


def ticked_declines(
    raw: list[str], nominees: dict[int, str], propose: bool
) -> tuple[set[int], list[str]]:
    """The nominees whose "decline" box is ticked on the sign form, and what is wrong: a value
    that names no nominee of the batch, or a box ticked on a proposal (which declines no one)."""
    ticked: set[int] = set()
    problems: list[str] = []
    for value in raw:
        text = value.strip()
        if text.isascii() and text.isdigit() and int(text) in nominees:
            ticked.add(int(text))
        else:
            problems.append(str(DECLINE_INVALID))
    if ticked and propose:
        return set(), [*problems, str(NO_DECLINE_ON_PROPOSAL)]
    return ticked, problems


def reasons_missing(ticked: set[int], declined: list[dict], nominees: dict[int, str]) -> list[str]:
    """A ticked nominee needs its reason (the decision states why each one is not awarded)."""
    given = {item["nominee"] for item in declined}
    return [str(DECLINE_REASON_NEEDED % {"name": nominees[pk]}) for pk in sorted(ticked - given)]


urlpatterns = [
    path("decisions/new/", decision_new, name="decision_new"),
]
