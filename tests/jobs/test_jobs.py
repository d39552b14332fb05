"""Jobs' housekeeping on the beat (eager here): a job whose message the broker lost is sent again
and done; finished jobs' files (personal data) are deleted after JOBS_KEEP_DAYS."""

import datetime

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from jobs.models import Job, JobStatus
from jobs.services import job_create
from jobs.tasks import purge, requeue
from tests.registry.sheets import cccd, csv_bytes, title_kinds
from workflows import registry_access

pytestmark = pytest.mark.django_db


def _sheet() -> bytes:
    identity = cccd(datetime.date(1979, 7, 7), female=True, serial=510001)
    return csv_bytes([[identity, "Vũ Thị Chờ", "07/07/1979", "Nữ", "HLHPN", "", "LDTT", 2024,
                       "11/QĐ", "10/01/2025", ""]])  # fmt: skip


def test_a_job_the_broker_lost_is_sent_again_by_the_scan(world, django_capture_on_commit_callbacks):
    title_kinds()
    with django_capture_on_commit_callbacks(execute=False):  # the message never reached Redis
        job = registry_access.history_import_queue(
            actor=world.user("board-officer"), data=_sheet(), name="cho.csv"
        )
    assert requeue.delay().get() == []  # not five minutes yet
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=6))
    assert requeue.delay().get() == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.result["imported"] == 1
    assert requeue.delay().get() == []  # done: not sent again


def test_finished_jobs_files_are_deleted_after_the_days_kept(world, settings):
    settings.JOBS_KEEP_DAYS = 7
    owner = world.user("inspector")
    old = job_create(kind="test.kept", task="jobs.ping", owner=owner, data=b"old")
    recent = job_create(kind="test.kept", task="jobs.ping", owner=owner, data=b"recent")
    waiting = job_create(kind="test.kept", task="jobs.ping", owner=owner, data=b"waiting")
    long_ago = timezone.now() - datetime.timedelta(days=8)
    Job.objects.filter(pk=old.pk).update(status=JobStatus.DONE, finished_at=long_ago)
    Job.objects.filter(pk=recent.pk).update(status=JobStatus.FAILED, finished_at=timezone.now())
    Job.objects.filter(pk=waiting.pk).update(created_at=long_ago)
    assert purge.delay().get() == 1
    assert not default_storage.exists(old.input.name)
    assert set(Job.objects.filter(kind="test.kept").values_list("pk", flat=True)) == {
        recent.pk, waiting.pk,
    }  # fmt: skip
    assert default_storage.exists(recent.input.name) and default_storage.exists(waiting.input.name)
