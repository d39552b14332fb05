"""The dossier list: search, filters and sortable columns, all in the URL.

The filters are the API's own FilterSet (`workflows.filters.DossierFilter`): text (reference,
title, a nominee's name), year, award form, organisation, state, overdue, assignee, and a
whitelisted `ordering`. A value the FilterSet refuses (an unknown state or ordering, a NUL byte)
is dropped with a message and the other filters still apply; the valid ones are kept in the
column and pagination links. The page costs the same number of queries whatever the data size.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, Max, Min, OuterRef
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from dossiers import levels, permissions
from dossiers.models import AwardForm, Dossier, DossierState, Organization, Role, RoleGrant
from workflows import selectors
from workflows.filters import ORDERING_FIELDS, OVERDUE_CHOICES, SEARCH_MAX_LENGTH, DossierFilter

PAGE_SIZE = 25
FILTER_IGNORED = _("A filter value was not valid and has been ignored.")
COLUMNS = [
    ("reference", _("Reference")),
    ("title", _("Title")),
    ("award_form", _("Award form")),
    ("organization", _("Organisation")),
    ("year", _("Year")),
    ("state", _("State")),
    ("due", _("Due")),
]
FILTER_NAMES = list(DossierFilter.base_filters)


def chosen_filters(request, queryset) -> tuple[DossierFilter, dict[str, str], bool]:
    """The FilterSet bound to the query's valid values, those values (for the links), and
    whether any value was dropped as invalid."""
    data = {name: request.GET.get(name, "") for name in FILTER_NAMES if request.GET.get(name, "")}
    chosen = DossierFilter(data, queryset=queryset, request=request)
    dropped = not chosen.is_valid()
    if dropped:
        data = {name: value for name, value in data.items() if name not in chosen.errors}
        chosen = DossierFilter(data, queryset=queryset, request=request)
        if not chosen.is_valid():  # an error of the whole form: no filter at all
            data = {}
            chosen = DossierFilter(data, queryset=queryset, request=request)
            chosen.is_valid()
    return chosen, data, dropped


def _columns(values: dict[str, str], ordering: list[str]) -> list[dict]:
    """Each sortable column's link: ascending first, descending when it is the ascending
    order now; the other filters kept, the page reset."""
    first = ordering[0] if ordering else ""
    columns = []
    for name, label in COLUMNS:
        sorted_ = "asc" if first == name else "desc" if first == f"-{name}" else None
        wanted = f"-{name}" if sorted_ == "asc" else name
        query = urlencode({**values, "ordering": wanted})
        columns.append({"name": name, "label": label, "sorted": sorted_, "query": query})
    return columns


def _assignee_options(user) -> list[tuple[str, str]]:
    """The officers whose work the user may filter by: those of the boards the user serves on
    (every board's, for an inspector)."""
    grants = RoleGrant.objects.filter(role__in=[Role.BOARD_OFFICER, Role.BOARD_HEAD])
    if not permissions.is_inspector(user):
        boards = permissions.orgs_with_role(user, Role.BOARD_OFFICER, Role.BOARD_HEAD)
        if not boards:
            return []
        grants = grants.filter(organization__code__in=boards)
    return selectors.officer_names(grants)


def _proposers(user):
    """The organisations that have proposed dossiers, for the organisation filter: those of the
    user's own levels (the levels of the organisations the user has a role in, from the cached
    tree); of every level for an inspector and for the central level's people, to whom the
    provinces and ministries send dossiers. One probe of the organisation's index each, where
    reading the organisations of the dossiers the user sees would read all of those."""
    proposed = Dossier.objects.filter(organization=OuterRef("pk"))
    rows = Organization.objects.filter(Exists(proposed))
    if not permissions.is_inspector(user):
        own = {levels.authority_of(org) for _, org in permissions.user_roles(user) if org}
        if not any(levels.tier_of(authority) == "central" for authority in own):
            rows = rows.filter(code__in=levels.within(own))
    return rows.only("code", "name", "short_name").order_by("name")


def _years() -> list[int]:
    """The years of the year filter, newest first: from the first dossier's to the last's (two
    ends of the year index, whatever the number of dossiers)."""
    span = Dossier.objects.aggregate(first=Min("year"), last=Max("year"))
    if span["first"] is None:
        return []
    return list(range(span["last"], span["first"] - 1, -1))


@login_required
def dossier_list(request):
    """Dossiers the user may see, searched, filtered and sorted by the API's own FilterSet.
    The rows name no nominee, so none is loaded (the search reads them in a subquery)."""
    visible = selectors.dossier_rows(selectors.dossier_list_visible_to(request.user))
    chosen, values, dropped = chosen_filters(request, visible)
    if dropped:
        messages.error(request, FILTER_IGNORED)
    cleaned = chosen.form.cleaned_data
    page = Paginator(chosen.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    assignees = _assignee_options(request.user)
    known = {"me", "none", *(username for username, _name in assignees)}
    if values.get("assignee") and values["assignee"] not in known:
        assignees.append((values["assignee"], values["assignee"]))
    context = {
        "page": page,
        "query": urlencode(values),
        "values": values,
        "columns": _columns(values, cleaned.get("ordering") or []),
        "states": DossierState.choices,
        "state": cleaned.get("state") or "",
        "award_forms": AwardForm.objects.only("code", "name").order_by("name"),
        "organizations": _proposers(request.user),
        "years": _years(),
        "overdue_choices": OVERDUE_CHOICES,
        "assignees": assignees,
        "search_max": SEARCH_MAX_LENGTH,
        "filtered": any(name != "ordering" for name in values),
        "ordering_names": list(ORDERING_FIELDS),
    }
    return render(request, "workflows/dossier_list.html", context)
