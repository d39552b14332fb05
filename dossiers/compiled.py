"""Querysets compiled once per process and run with new ids: the hot reads of every step.

Django builds and compiles a queryset each time it runs it. For the rules' read of a dossier's
nominees (`checks.live_nominees`: a UNION, subqueries, conditional annotations) that was about
two thirds of its time, at every step of every dossier. `Compiled` keeps the SQL Django wrote for
the queryset the first time, with a stand-in (`Ids`) for the ids that change from run to run
(the `in_ids` lookup); each run binds the new ids and turns the rows into model instances as
Django's own `ModelIterable` does (select_related objects and annotations included).

The SQL being the same text at each run, PostgreSQL prepares it (`prepare_threshold`,
config/settings/base.py). One id is bound as a scalar (`= %s`), several as one array: with an
array of unknown length the planner's generic plan looks dearer than a plan made for the values,
so it planned the statement again at every run (a few ms for this query); with a scalar it keeps
the generic plan."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Field, ForeignObject, Lookup, Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]
from django.db.transaction import TransactionManagementError


class Ids:
    """The stand-in for ids a `Compiled` query runs with (by `name`): one id, or several."""

    def __init__(self, name: str, single: bool):
        self.name, self.single = name, single

    def bind(self, ids: Sequence[int], vendor: str) -> Any:
        """The ids as the one parameter of `in_ids`: an id, an array, or SQLite's JSON text."""
        if self.single:
            return ids[0]
        return list(ids) if vendor == "postgresql" else json.dumps(list(ids))


class InIds(Lookup):
    """`field__in_ids=Ids(…)`: the field is one of the ids a `Compiled` query runs with, bound
    as ONE parameter (`= %s`; PostgreSQL `= ANY(%s::bigint[])`; SQLite `IN (SELECT value FROM
    json_each(%s))`), so the SQL is the same text whatever the number of ids."""

    lookup_name = "in_ids"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if not isinstance(self.rhs, Ids):
            raise TypeError("in_ids takes an Ids stand-in, run by Compiled")
        lhs, params = self.process_lhs(compiler, connection)
        if self.rhs.single:
            sql = f"{lhs} = %s"
        elif connection.vendor == "postgresql":
            sql = f"{lhs} = ANY(%s::bigint[])"
        else:
            sql = f"{lhs} IN (SELECT value FROM json_each(%s))"
        return sql, [*params, self.rhs]


Field.register_lookup(InIds)
ForeignObject.register_lookup(InIds)  # related fields keep lookups of their own


M = TypeVar("M", bound=Model)


class _Plan(Generic[M]):
    """One queryset compiled on one database: its SQL, its parameters (the stand-in among them)
    and how a row becomes a model instance (what Django's ModelIterable works out at each run)."""

    def __init__(self, queryset: QuerySet[M], alias: str):
        compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.slots = [(i, p) for i, p in enumerate(self.params) if isinstance(p, Ids)]
        self.vendor = compiler.connection.vendor
        self.for_update = queryset.query.select_for_update and (
            compiler.connection.features.has_select_for_update
        )
        self.compiler = compiler
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        self.model: type[M] = klass_info["model"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, alias)
        self.annotations = list(compiler.annotation_col_map.items())

    def run(self, alias: str, ids: dict[str, list[int]]) -> list[M]:
        connection = connections[alias]
        if self.for_update and connection.get_autocommit():  # as Django checks at each run
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(self.params)
        for i, stand_in in self.slots:
            params[i] = stand_in.bind(ids[stand_in.name], self.vendor)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        found = []
        for row in self.compiler.results_iter([rows]):
            obj = self.model.from_db(alias, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found


class Compiled(Generic[M]):
    """A queryset made by `build(**ids)` (each an `Ids` stand-in for its `in_ids` lookups),
    compiled on first use on each database and for each arity (one id or several), and run with
    lists of ids: `Compiled(build)(alias, pk=[3, 5], user=[7])`. An empty list: no rows, no
    query (each stand-in is to be a condition every row meets)."""

    def __init__(self, build: Callable[..., QuerySet[M]]):
        self.build = build
        self.plans: dict[tuple, _Plan[M]] = {}

    def __call__(self, alias: str, **ids: Sequence[int]) -> list[M]:
        if not all(ids.values()):
            return []
        arity = tuple(sorted((name, len(values) == 1) for name, values in ids.items()))
        plan = self.plans.get((alias, arity))
        if plan is None:
            stand_ins = {name: Ids(name, single) for name, single in arity}
            plan = self.plans[alias, arity] = _Plan(self.build(**stand_ins), alias)
        return plan.run(alias, {name: [int(i) for i in values] for name, values in ids.items()})
