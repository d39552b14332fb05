"""Query parameters of the lists, parsed by django-filter FilterSets: a value that is not what
the parameter takes (a NUL byte, a digit `int()` refuses such as `²`, an unknown state) is a
form error, answered 400 `invalid` by the API and shown on the page, never sent to the database.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from dossiers.models import Bloc, Dossier, DossierState

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


class DossierFilter(filters.FilterSet):
    """`GET /api/v1/dossiers/` and the dossier list page (which offers the state)."""

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

    class Meta:
        model = Dossier
        fields = ["state", "year", "award_form", "organization", "assignee"]

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
