"""A long ledger's signed export is written on the worker (run eagerly here, the threshold
lowered): the export's address answers 202 with a page naming the job's address, which answers
202 while it is written, then the file, verifiable offline like the one streamed in the
request. Inspectors only; the task run twice writes one file."""

import pytest
from django.test import Client

from audit.export import signing_key
from audit.offline import verify_lines
from audit.tasks import ledger_export
from jobs.models import Job, JobStatus
from tests.signin import signin

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspector(db):
    client = Client()
    assert signin(client, "inspector")
    return client


def test_a_long_ledger_is_exported_on_the_worker(
    inspector, settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_EXPORT_INLINE_MAX = 10
    with django_capture_on_commit_callbacks(execute=False):
        page = inspector.get("/audit/export.jsonl")
    assert page.status_code == 202 and page["Retry-After"] == "10"
    job = Job.objects.get()
    url = f"/audit/exports/{job.pk}/"
    assert url in page.content.decode() and "đang xử lý" in page.content.decode()
    waiting = inspector.get(url)
    assert waiting.status_code == 202
    # it asks again by itself, as a box the reader may untick (no <meta refresh>: WCAG 2.2.1)
    assert f'data-auto-refresh="10" data-refresh-to="{url}" checked' in waiting.content.decode()

    assert ledger_export.delay(job.pk).get() == JobStatus.DONE
    done = inspector.get(url)
    assert done.status_code == 200
    assert done["Content-Disposition"].startswith('attachment; filename="ledger-')
    lines = b"".join(done.streaming_content).decode().splitlines(keepends=True)
    ok, _seq, what, events = verify_lines(lines, signing_key())
    assert ok and events > 10, what
    job.refresh_from_db()
    name = job.output.name
    assert ledger_export.delay(job.pk).get() == JobStatus.DONE  # again: nothing more
    job.refresh_from_db()
    assert (job.output.name, job.attempts) == (name, 1)


def test_only_inspectors_reach_the_export_and_its_job(inspector, settings):
    settings.AUDIT_EXPORT_INLINE_MAX = 10
    assert inspector.get("/audit/export.jsonl").status_code == 202
    url = f"/audit/exports/{Job.objects.get().pk}/"
    other = Client()
    assert signin(other, "board-head")
    assert other.get(url).status_code == 403
    assert other.get("/audit/export.jsonl").status_code == 403
    assert inspector.get("/audit/exports/999999999/").status_code == 404
