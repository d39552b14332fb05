"""Query parameters of the lists, parsed by django-filter FilterSets: a value that is not what
the parameter takes (a NUL byte, a digit `int()` refuses such as `²`, an unknown state) is a
form error, answered 400 `invalid` by the API and shown on the page, never sent to the database.
"""

from django import forms
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES

from dossiers import calendar, lifecycle
from dossiers.models import Bloc, Dossier, DossierState, Nominee

YEAR_MIN, YEAR_MAX = 1945, 2100


class YearFilter(filters.Filter):
    """A year as a whole number in range (forms.IntegerField: `²`, `\\x00` and `2023.5` refused)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", YEAR_MIN)
        kwargs.setdefault("max_value", YEAR_MAX)
        kwargs.setdefault("label", _("Achievement year"))
        super().__init__(*args, **kwargs)


class CodeFilter(filters.CharFilter):
    """An organisation or award-form code: letters, digits and dashes, at most 32 characters."""

    field_class = forms.SlugField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)


SEARCH_MAX_LENGTH = 100
# `?ordering=` values (a leading "-" for descending) and the columns they sort by; any other
# value is refused like any invalid filter value. The page's sortable columns use these names.
ORDERING_FIELDS = {
    "reference": "reference",
    "title": "title",
    "award_form": "award_form__code",
    "organization": "organization__code",
    "year": "year",
    "state": "state",
    "due": "due_date",
}
OVERDUE_CHOICES = [("true", _("Overdue")), ("false", _("Not overdue"))]


class StableOrderingFilter(filters.OrderingFilter):
    """Whitelisted ordering, then the newest first among equals (so pages do not overlap); a
    dossier without a due date sorts last either way (SQLite and PostgreSQL alike)."""

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        name = value.lstrip("-")
        if name == "due_date":
            field = F(name)
            return (
                field.desc(nulls_last=True) if value.startswith("-") else field.asc(nulls_last=True)
            )
        return value

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(p) for p in value if p not in EMPTY_VALUES]
        return qs.order_by(*ordering, "-id")


class DossierFilter(filters.FilterSet):
    """`GET /api/v1/dossiers/` and the dossier list page (which offers every filter): each is
    optional, and an empty value is no filter."""

    q = filters.CharFilter(
        method="search",
        max_length=SEARCH_MAX_LENGTH,
        label=_("Search: reference, title or a nominee's name"),
    )
    state = filters.ChoiceFilter(choices=DossierState.choices, label=_("State"))
    year = YearFilter(field_name="year")
    award_form = CodeFilter(field_name="award_form__code", label=_("Award form (code)"))
    organization = CodeFilter(
        field_name="organization__code", label=_("Proposing organisation (code)")
    )

    assignee = filters.CharFilter(
        method="by_assignee",
        max_length=150,
        label=_("Assigned to (a username, “me” or “none”)"),
    )

    overdue = filters.ChoiceFilter(
        choices=OVERDUE_CHOICES,
        method="by_overdue",
        label=_("Overdue (past its due date and still in progress)"),
    )
    ordering = StableOrderingFilter(
        fields=[(field, name) for name, field in ORDERING_FIELDS.items()],
        field_labels={
            "award_form__code": _("Award form"),
            "organization__code": _("Proposing organisation"),
        },
        label=_("Sort by (a column; “-” before it for descending)"),
    )

    class Meta:
        model = Dossier
        fields = ["q", "state", "year", "award_form", "organization", "assignee", "overdue"]

    def search(self, queryset, name, value: str):
        """The reference, the title or a nominee's name contains the words typed (as typed,
        case aside): one condition, the nominees read in a subquery, never per dossier.

        The dossiers whose reference, title or nominee matches, as one subquery of three
        (UNION ALL), each of which PostgreSQL answers from a trigram index (dossiers migration
        0015), so a search reads the rows that match, not every dossier and nominee. An OR of
        the three would read every dossier: an index serves one column's condition, not the OR
        of another table's."""
        text = value.strip()
        if not text:
            return queryset
        matching = (
            Dossier.objects.filter(reference__icontains=text)
            .order_by()
            .values("pk")
            .union(
                Dossier.objects.filter(title__icontains=text).order_by().values("pk"),
                Nominee.objects.filter(name__icontains=text).order_by().values("dossier_id"),
                all=True,
            )
        )
        return queryset.filter(pk__in=matching)

    def by_overdue(self, queryset, name, value: str):
        late = Q(due_date__lt=calendar.today()) & ~Q(state__in=lifecycle.TERMINAL)
        return queryset.filter(late) if value == "true" else queryset.exclude(late)

    def by_assignee(self, queryset, name, value: str):
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            user = getattr(self.request, "user", None)
            return queryset.filter(assignee_id=getattr(user, "pk", None))
        return queryset.filter(assignee__username=value)


class BlocFilter(filters.FilterSet):
    """`GET /api/v1/blocs/?year=`: the year whose members and leaders are shown. It selects no
    bloc (every bloc is listed); the view reads the parsed year from `parsed_year()`."""

    year = YearFilter(method="keep_all")

    class Meta:
        model = Bloc
        fields = ["year"]

    def keep_all(self, queryset, name, value: int):
        return queryset

    def parsed_year(self) -> int | None:
        return self.form.cleaned_data.get("year")
