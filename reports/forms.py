"""Query parameters of the reports, parsed by forms: a value that is not a year in range, or a
range the wrong way round, is a 400 with a message, never sent to the database."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.filters import YEAR_MAX, YEAR_MIN

MAX_SPAN = 30  # years in one statistics workbook
YEAR_AND_RANGE = _("Give either a year or a range (from, to), not both.")
RANGE_REVERSED = _("The range's first year comes after its last.")
RANGE_TOO_LONG = _("A range covers at most %(max)s years.")


def _year(label) -> forms.IntegerField:
    return forms.IntegerField(required=False, min_value=YEAR_MIN, max_value=YEAR_MAX, label=label)


class SummaryForm(forms.Form):
    """`?year=`: the achievement year of the dossiers counted (every year when absent)."""

    year = _year(_("Year"))


class AwardsReportForm(forms.Form):
    """`?year=`, or `?from=&to=` (one of them alone is a one-year range); nothing: this year.
    `from` is a Python keyword, so the fields are named in `base_fields`."""

    year = _year(_("Year"))

    def clean(self):
        data = super().clean()
        year, first, last = data.get("year"), data.get("from"), data.get("to")
        if self.errors:
            return data
        if year is not None and (first is not None or last is not None):
            raise forms.ValidationError(YEAR_AND_RANGE, code="year_and_range")
        if year is None and first is None and last is None:
            year = timezone.localdate().year
        if year is not None:
            first = last = year
        first = first if first is not None else last
        last = last if last is not None else first
        if first > last:
            raise forms.ValidationError(RANGE_REVERSED, code="range_reversed")
        if last - first + 1 > MAX_SPAN:
            raise forms.ValidationError(RANGE_TOO_LONG % {"max": MAX_SPAN}, code="range_too_long")
        data["first"], data["last"] = first, last
        return data


AwardsReportForm.base_fields["from"] = _year(_("From year"))
AwardsReportForm.base_fields["to"] = _year(_("To year"))
