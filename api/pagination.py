"""Pagination of the long lists (dossiers, the registry's people): `?page=` with `count`, as the
contract has always had it, and `?cursor=` keyset pagination beside it.

A page number costs an OFFSET: the database reads and drops every row before the page, so page
1,000 of 100,000 dossiers is slower than page 1. A cursor names the last row handed out (the
values of the list's sort keys, the id last) and the next page starts after it in the query
(`WHERE (keys) after (values)`), read from the index like the first page, whatever the depth.

Every answer carries `next_cursor`: the cursor of the page after this one (null on the last
page). A client walks a whole list with `?cursor=` (empty: the first page), then
`?cursor=<next_cursor>` until it is null; each row comes once, in the list's order, with a
constant number of queries per page. A cursor that is not one the API gave out is a 400 with a
message. Filters and `ordering` apply as they do to pages (send the same ones with each cursor).
`count` is counted on the walk's first page and carried in the cursor, so the later pages cost
no count of the whole list: it is the list's size when the walk began.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Model, OrderBy, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

CURSOR_INVALID = _(
    "This cursor is not valid: use the next_cursor of an earlier answer, with the same "
    "filters and sort order, or leave it empty for the first page."
)
CURSOR_PATTERN = "^[A-Za-z0-9_-]*$"
CURSOR_MAX_LENGTH = 1000


@dataclass(frozen=True)
class Key:
    """One sort key of the list: a field path (`award_form__code`), its direction and, for a
    nullable column, where its nulls sort."""

    path: str
    descending: bool
    nulls_last: bool = False
    nulls_first: bool = False


def sort_keys(queryset: QuerySet) -> list[Key]:
    """The queryset's ordering as keys, made total with the primary key (descending, like the
    lists' default order) when it is not there already."""
    ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    keys = []
    for item in ordering:
        if isinstance(item, str):
            name = item.lstrip("-")
            keys.append(Key("pk" if name == "id" else name, item.startswith("-")))
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            name = item.expression.name
            keys.append(
                Key(
                    "pk" if name == "id" else name,
                    item.descending,
                    bool(item.nulls_last),
                    bool(item.nulls_first),
                )
            )
        else:  # an ordering this module does not read: no cursor for it
            raise ValueError(f"cannot page by cursor on {item!r}")
    if not any(key.path == "pk" for key in keys):
        keys.append(Key("pk", True))
    return keys[: next(i for i, key in enumerate(keys) if key.path == "pk") + 1]


def _field(model: type[Model], path: str):
    field = None
    for part in path.split("__"):
        field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        if field.related_model is not None:
            model = field.related_model
    if field is not None and field.is_relation:
        field = field.target_field
    return field


def _value_of(row: Model, path: str):
    value = row
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part)
    return value.pk if isinstance(value, Model) else value


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def encode(row: Model, keys: list[Key], count: int) -> str:
    """The cursor after `row`: the list's size when the walk began, then the row's sort keys."""
    values = [_plain(_value_of(row, k.path)) for k in keys]
    data = json.dumps([count, values], separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def decode(token: str, model: type[Model], keys: list[Key]) -> tuple[int, list]:
    """The count and the sort-key values a cursor carries, each value parsed by its model
    field (400 if the cursor is not one this list gave out)."""
    try:
        if len(token) > CURSOR_MAX_LENGTH:
            raise ValueError
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(raw, list) or len(raw) != 2:
            raise ValueError
        count, raw = raw
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError
        if not isinstance(raw, list) or len(raw) != len(keys):
            raise ValueError
        values = []
        for key, value in zip(keys, raw, strict=True):
            if value is None:
                if not (key.nulls_last or key.nulls_first):
                    raise ValueError
                values.append(None)
                continue
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise ValueError
            values.append(_field(model, key.path).to_python(value))
        return count, values
    except (
        ValueError,
        TypeError,
        binascii.Error,
        UnicodeDecodeError,
        DjangoValidationError,
        FieldDoesNotExist,
    ):
        raise ValidationError({"cursor": [str(CURSOR_INVALID)]}) from None


def _beyond(key: Key, value) -> Q:
    """Rows that sort strictly after `value` on this key."""
    nothing = Q(pk__in=[])
    if value is None:  # among the nulls: after them only when they come first
        return ~Q(**{f"{key.path}__isnull": True}) if key.nulls_first else nothing
    after = Q(**{f"{key.path}__{'lt' if key.descending else 'gt'}": value})
    if key.nulls_last:
        after |= Q(**{f"{key.path}__isnull": True})
    return after


def _same(key: Key, value) -> Q:
    return Q(**{f"{key.path}__isnull": True}) if value is None else Q(**{key.path: value})


def after(queryset: QuerySet, keys: list[Key], values: list) -> QuerySet:
    """The rows after the cursor: after on the first key, or equal on it and after on the
    next, and so on (the primary key last, so no two rows tie)."""
    condition = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= equal & _beyond(key, value)
        equal &= _same(key, value)
    return queryset.filter(condition)


class DossierPagination(PageNumberPagination):
    """`?page=` and `?page_size=` (at most API_MAX_PAGE_SIZE; a value that is not a positive
    whole number falls back to the default page size), or `?cursor=` (the module's doc)."""

    page_size_query_param = "page_size"
    cursor_query_param = "cursor"

    @property
    def max_page_size(self) -> int:
        return settings.API_MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.keys = None
        self.next_row = None
        try:
            self.keys = sort_keys(queryset)
        except ValueError:
            self.keys = None
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            self.by_cursor = False
            rows = super().paginate_queryset(queryset, request, view)
            if rows and self.page.has_next():
                self.next_row = rows[-1]
            return rows
        if self.keys is None:
            raise ValidationError({"cursor": [str(CURSOR_INVALID)]})
        self.by_cursor = True
        size = self.get_page_size(request)
        if token:
            self.count, values = decode(token, queryset.model, self.keys)
            queryset = after(queryset, self.keys, values)
        else:
            self.count = queryset.count()
        rows = list(queryset[: size + 1])
        if len(rows) > size:
            rows = rows[:size]
            self.next_row = rows[-1]
        return rows

    def _count(self) -> int:
        return self.count if getattr(self, "by_cursor", False) else self.page.paginator.count

    def next_cursor(self) -> str | None:
        if self.next_row is None or self.keys is None:
            return None
        return encode(self.next_row, self.keys, self._count())

    def get_next_link(self):
        if not getattr(self, "by_cursor", False):
            return super().get_next_link()
        cursor = self.next_cursor()
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_previous_link(self):
        if getattr(self, "by_cursor", False):
            return None  # a cursor walks forward; `?page=` goes both ways
        return super().get_previous_link()

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self._count(),
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "next_cursor": self.next_cursor(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        paged = super().get_paginated_response_schema(schema)
        paged["properties"]["next_cursor"] = {
            "type": "string",
            "nullable": True,
            "description": "The cursor of the next page (`?cursor=`), null on the last page.",
        }
        paged["required"] = [*paged.get("required", []), "next_cursor"]
        return paged

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": str(
                    _(
                        "Keyset pagination: empty for the first page, then the `next_cursor` "
                        "of the previous answer (instead of `page`)."
                    )
                ),
                "schema": {
                    "type": "string",
                    "pattern": CURSOR_PATTERN,
                    "maxLength": CURSOR_MAX_LENGTH,
                },
            }
        )
        return parameters
