"""The dashboard's figures (`GET /api/v1/reports/summary/?year=` and the dashboard page): the
dossiers by state and the level holding them, the overdue ones by state and owner, the time spent
in each state (median and 90th percentile, from the ledger's from/to-state events), the awards by
form and year, and the closed ballots' turnout.

Scoped to what the user may see (the policy's visible dossiers, the visible ballots), and
computed in a fixed number of queries whatever the data's size: each figure is one grouped query
(the durations too: the database ranks the stays and returns one row per state).
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from django.db import connection
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, ExtractYear

from accounts.names import person_name
from approvals.models import BallotCast, BallotState, BallotVoter, DecisionState
from approvals.selectors import ballot_list_visible_to
from audit.models import LedgerEvent
from dossiers import calendar, levels, lifecycle
from dossiers.models import Dossier, DossierState, Nominee, NomineeOutcome, Stage
from workflows import policy

BALLOTS_SHOWN = 20  # the latest closed ballots whose turnout is shown
STATE_LABEL = dict(DossierState.choices)
STAGE_LABEL = dict(Stage.choices)


def _state(state: str) -> dict[str, str]:
    stage = lifecycle.STATE_STAGE.get(state, "")
    return {
        "state": state,
        "state_label": str(STATE_LABEL.get(state, state)),
        "stage": stage,
        "stage_label": str(STAGE_LABEL.get(stage, "")),
    }


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (the smallest value with at least `fraction` of the values
    at or below it): an observed duration, as a report states it."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


# How long each stay lasted, in microseconds, for each state a visible dossier left: the
# state-changing events of each dossier in order (`changes`), those that entered a new state
# (`entries`: a repeated state continues the stay), each entry's next one (when it left), and
# the stays ranked by length per state (`ranked`). Only the rows the figures need come back:
# the count, the one or two middle stays (the median) and the nearest-rank 90th percentile.
STAGE_TIMES_SQL = """
WITH changes AS (
    SELECT {dossier} AS dossier, {seq} AS seq, {at} AS entered, {to_state} AS state,
           LAG({to_state}) OVER (PARTITION BY {dossier} ORDER BY {seq}) AS came_from
    FROM {events}
    WHERE {to_state} <> '' AND {dossier} IN ({dossiers})
), entries AS (
    SELECT state, entered, LEAD(entered) OVER (PARTITION BY dossier ORDER BY seq) AS left_at
    FROM changes
    WHERE came_from IS NULL OR came_from <> state
), stays AS (
    SELECT state, {micro} AS micro FROM entries WHERE left_at IS NOT NULL
), ranked AS (
    SELECT state, micro,
           ROW_NUMBER() OVER (PARTITION BY state ORDER BY micro) AS n,
           COUNT(*) OVER (PARTITION BY state) AS total
    FROM stays
)
SELECT state, total,
       MAX(CASE WHEN n = (total + 1) / 2 THEN micro END),
       MAX(CASE WHEN n = total / 2 + 1 THEN micro END),
       MAX(CASE WHEN n = (9 * total + 9) / 10 THEN micro END)
FROM ranked
GROUP BY state, total
"""
# A stay's length in microseconds, exact on both databases the project runs on.
MICROSECONDS = {
    "postgresql": "EXTRACT(EPOCH FROM (left_at - entered)) * 1000000",
    "sqlite": "django_timestamp_diff(left_at, entered)",  # Django's own SQLite function
}


def _days(micro) -> float:
    """Microseconds as days, as `timedelta.total_seconds() / 86400` gives them."""
    return int(micro) / 10**6 / 86400


def stage_times(dossier_ids: QuerySet) -> list[dict[str, Any]]:
    """How long the dossiers stayed in each state before leaving it, in days: for each dossier,
    the events that changed its state, in order; a stay runs from the event that entered the
    state to the next one that left it (the current, unfinished stay is not counted). The
    median and the nearest-rank 90th percentile (`percentile`) of the stays of each state,
    computed by the database in one query that returns one row per state, whatever the number
    of events."""
    quote = connection.ops.quote_name
    columns = {f.name: quote(f.column) for f in LedgerEvent._meta.concrete_fields}
    dossiers, params = dossier_ids.query.sql_with_params()
    sql = STAGE_TIMES_SQL.format(
        events=quote(LedgerEvent._meta.db_table),
        dossier=columns["dossier"],
        seq=columns["seq"],
        at=columns["at"],
        to_state=columns["to_state"],
        dossiers=dossiers,
        micro=MICROSECONDS[connection.vendor],
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    rows = []
    for state in DossierState.values:
        if state not in found:
            continue
        count, lower, upper, p90 = found[state]
        rows.append(
            {
                **_state(state),
                "count": count,
                "median_days": round(statistics.median([_days(lower), _days(upper)]), 1),
                "p90_days": round(_days(p90), 1),
            }
        )
    return rows


def dashboard_summary(user, *, year: int | None = None) -> dict[str, Any]:
    """Every figure of the dashboard for `user`; `year` narrows the dossiers (and so their
    awards) to that achievement year and the ballots to that year."""
    dossiers = policy.visible(user, Dossier)
    if year is not None:
        dossiers = dossiers.filter(year=year)
    ids = dossiers.values("pk")
    order = {state: i for i, state in enumerate(DossierState.values)}

    by_state = []
    for row in dossiers.values("state", "holder_id").annotate(count=Count("id")).order_by():
        holder = levels.code_of(row["holder_id"])
        by_state.append(
            {
                **_state(row["state"]),
                "level": holder or "",
                "level_name": levels.name_of(holder) if holder else "",
                "count": row["count"],
            }
        )
    by_state.sort(key=lambda r: (order.get(r["state"], 99), r["level"]))

    late = (
        dossiers.filter(due_date__lt=calendar.today())
        .exclude(state__in=lifecycle.TERMINAL)
        .values(
            "state",
            owner=F("assignee__username"),
            first=F("assignee__first_name"),
            last=F("assignee__last_name"),
        )
        .annotate(count=Count("id"))
        .order_by()
    )
    overdue = sorted(
        (
            {
                **_state(r["state"]),
                "owner": r["owner"],
                "owner_name": person_name(r["first"] or "", r["last"] or "") or r["owner"],
                "count": r["count"],
            }
            for r in late
        ),
        key=lambda r: (order.get(r["state"], 99), r["owner"] or ""),
    )

    awards = [
        {
            "award_form": r["form"],
            "award_form_name": r["form_name"],
            "year": r["year"],
            "count": r["n"],
        }
        for r in Nominee.objects.filter(
            outcome=NomineeOutcome.AWARDED,
            dossier__in=ids,
            dossier__decision_entries__decision__state=DecisionState.SIGNED,
        )
        .values(
            form=F("dossier__award_form__code"),
            form_name=F("dossier__award_form__name"),
            year=ExtractYear("dossier__decision_entries__decision__signed_on"),
        )
        .annotate(n=Count("id"))
        .order_by("year", "form")
    ]

    def _count(model) -> Subquery:
        counted = (
            model.objects.filter(session=OuterRef("pk"))
            .order_by()
            .values("session")
            .annotate(n=Count("id"))
            .values("n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    sessions = ballot_list_visible_to(user).filter(state=BallotState.CLOSED)
    if year is not None:
        sessions = sessions.filter(year=year)
    ballots = []
    for s in sessions.annotate(eligible=_count(BallotVoter), voted=_count(BallotCast)).order_by(
        "-closed_at", "-id"
    )[:BALLOTS_SHOWN]:
        ballots.append(
            {
                "id": s.pk,
                "body": s.body,
                "name": s.bloc.name if s.bloc_id else s.council.name,
                "year": s.year,
                "closed_at": s.closed_at,
                "eligible": s.eligible,
                "voted": s.voted,
                "turnout_percent": round(s.voted * 100 / s.eligible, 1) if s.eligible else 0.0,
            }
        )

    open_count = sum(r["count"] for r in by_state if r["state"] not in lifecycle.TERMINAL)
    return {
        "year": year,
        "totals": {
            "dossiers": sum(r["count"] for r in by_state),
            "open": open_count,
            "overdue": sum(r["count"] for r in overdue),
            "awarded": sum(r["count"] for r in awards),
        },
        "by_state": by_state,
        "overdue": overdue,
        "stage_times": stage_times(ids),
        "awards": awards,
        "ballots": ballots,
    }
