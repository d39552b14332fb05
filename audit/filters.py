"""The ledger search, parsed once: the inspector's page, its CSV/JSON exports and the API share it.

Every value is validated by a form field before it reaches the query: an impossible date, a NUL
byte or an over-long value is a form error (400), never an exception from the database."""

import datetime
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Concat, StrIndex
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from audit.models import LedgerEvent

NOT_A_MOMENT = _("Enter a date (YYYY-MM-DD) or a date and time (ISO 8601).")
NO_COMMA = _("Enter one organisation code, without commas.")
# A dossier given by its id: ASCII digits only (str.isdigit() also accepts "²", which int() refuses)
# and small enough for a database integer; anything else is taken as a reference.
DOSSIER_ID = re.compile(r"[0-9]{1,18}")


class MomentField(forms.CharField):
    """A date (the whole day: from its first moment, or `end` to its last) or an ISO date-time;
    a naive value is read in the site's time zone."""

    default_error_messages = {"invalid": NOT_A_MOMENT}

    def __init__(self, *, end: bool = False, **kwargs):
        self.end = end
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        try:
            moment = parse_datetime(text.upper())  # RFC 3339 allows "t" and "z"
            if moment is None:
                day = parse_date(text)
                if day is None:
                    raise ValueError(text)
                moment = datetime.datetime.combine(
                    day, datetime.time.max if self.end else datetime.time.min
                )
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        except ValueError as exc:  # well formed but impossible: 2023-02-30, 2023-13-45, 25:00
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc
        try:
            return moment.astimezone(datetime.UTC)
        except OverflowError:  # year 1 east of UTC or year 9999 west of it: the edge of time
            edge = datetime.datetime.min if moment.year == 1 else datetime.datetime.max
            return edge.replace(tzinfo=datetime.UTC)


@extend_schema_field(
    {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
)
class MomentFilter(django_filters.Filter):
    field_class = MomentField


@extend_schema_field({"type": "string", "pattern": "^[^,]*$", "maxLength": 32})
class OrganizationCodeFilter(django_filters.CharFilter):
    """One organisation code (no commas: the ledger's column is a comma-joined list)."""


def _no_comma(value: str) -> None:
    if "," in value:
        raise ValidationError(NO_COMMA, code="invalid")


class LedgerEventFilter(django_filters.FilterSet):
    dossier = django_filters.CharFilter(
        method="filter_dossier", max_length=64, label=_("Dossier (id or reference)")
    )
    actor = django_filters.CharFilter(
        method="filter_actor", max_length=150, label=_("Person (full name or sign-in name)")
    )
    organization = OrganizationCodeFilter(
        method="filter_organization",
        max_length=32,
        validators=[_no_comma],
        label=_("Organisation code"),
    )
    action = django_filters.CharFilter(max_length=60, label=_("Action"))
    object_type = django_filters.CharFilter(max_length=40, label=_("Object type"))
    since = MomentFilter(field_name="at", lookup_expr="gte", label=_("Since"))
    until = MomentFilter(field_name="at", lookup_expr="lte", end=True, label=_("Until"))

    class Meta:
        model = LedgerEvent
        fields: list[str] = []

    def filter_dossier(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if DOSSIER_ID.fullmatch(value):
            return queryset.filter(dossier_id=int(value))
        return queryset.filter(dossier__reference=value)

    def filter_actor(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """The events of a sign-in name (exactly, as the ledger records it), or of the people
        whose full name (family name first: "Nguyễn Thị Thu Hà") contains the words given."""
        words = " ".join(value.split())
        full = Concat(F("actor__last_name"), Value(" "), F("actor__first_name"))
        return queryset.alias(_actor_full=full).filter(
            Q(actor_name=value) | Q(_actor_full__icontains=words)
        )

    def filter_organization(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """`organizations` is a comma-joined list: match one item exactly and literally
        (a plain, case-sensitive substring search for ",CODE," in ",A,B,", on every database)."""
        listed = Concat(Value(","), F("organizations"), Value(","))
        return queryset.alias(_org_at=StrIndex(listed, Value(f",{value},"))).filter(_org_at__gt=0)

    @property
    def qs(self) -> QuerySet:
        return super().qs.order_by("seq")
