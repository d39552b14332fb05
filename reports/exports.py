"""The dossier list's Excel export, in the request or, for a long list (more than
DOSSIER_EXPORT_INLINE_MAX dossiers), on the worker (reports/tasks.py): the same filters, the
same order, the same user's view of the dossiers, read again when the job runs."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db.models import QuerySet
from django.utils import timezone

from dossiers.models import Dossier
from jobs.models import Job
from jobs.services import Outcome, job_create
from reports import excel
from workflows import selectors
from workflows.filters import DossierFilter

DOSSIER_LIST_JOB = "reports.dossier_list"
INLINE_MAX_DEFAULT = 5000


def dossier_list_file_name(at: datetime.datetime | None = None) -> str:
    """The download's name, stamped with the local time it was asked for."""
    return f"ho-so-{timezone.localtime(at).strftime('%Y%m%d-%H%M')}.xlsx"


def dossier_list_deferred(dossiers: QuerySet[Dossier]) -> bool:
    """Whether these dossiers are too many to write in the request (one count, stopped at the
    limit: never a full count of a large table)."""
    limit = int(getattr(settings, "DOSSIER_EXPORT_INLINE_MAX", INLINE_MAX_DEFAULT))
    return dossiers.order_by().values("pk")[: limit + 1].count() > limit


def dossier_list_queue(*, actor: User, params: dict[str, str]) -> Job:
    """A job writing the list `actor` sees with these filter values (the FilterSet's names
    only) on the worker."""
    names = DossierFilter.base_filters
    chosen = {name: str(value) for name, value in params.items() if name in names and value}
    return job_create(
        kind=DOSSIER_LIST_JOB,
        task="reports.dossier_list_export",
        owner=actor,
        params={"filters": chosen},
    )


def dossier_list_work(job: Job) -> Outcome:
    """The job's workbook: the dossiers its owner sees now, with the filter values of the
    request (checked then), in the owner's language."""
    owner = job.owner
    visible = selectors.dossier_list_visible_to(owner)
    chosen = DossierFilter(
        job.params.get("filters", {}), queryset=visible, request=SimpleNamespace(user=owner)
    )
    data = excel.dossier_list_workbook(chosen.qs.iterator(chunk_size=2000))
    return Outcome(
        file=ContentFile(data),
        filename=dossier_list_file_name(job.created_at),
        content_type=excel.XLSX,
    )
