"""A large history file is imported on the worker (run eagerly here, the threshold lowered): the
request answers 202 with the job's address, which answers the same report the request would
have; the job runs once however often its task does; only the uploader, inspectors and staff
read it; a task that fails for good is recorded and said so."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from rest_framework.test import APIClient

from audit.models import LedgerEvent
from dossiers import imports, registry
from dossiers.models import HistoryEntry, Person
from jobs.models import FailedTask, Job, JobStatus
from tests.registry.sheets import cccd, csv_bytes, title_kinds
from tests.test_schema import _conforms
from workflows.tasks import registry_import

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/registry/import/"
JOB = "/api/v1/registry/imports/{id}/"


@pytest.fixture
def api(api):
    def make(username: str) -> APIClient:
        client = api(username)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    with translation.override("en"):
        yield make


@pytest.fixture
def large(settings):
    """Every file of more than 200 bytes is "large"."""
    settings.REGISTRY_IMPORT_INLINE_MAX_BYTES = 200
    title_kinds()


def _sheet(serial: int = 410001) -> bytes:
    good = cccd(datetime.date(1990, 5, 5), female=False, serial=serial)
    other = cccd(datetime.date(1986, 2, 2), female=True, serial=serial + 1)
    return csv_bytes([
        [good, "Đỗ Văn Lớn", "05/05/1990", "Nam", "HLHPN", "", "LDTT", 2024, "8/QĐ",
         "10/01/2025", ""],
        [other, "Lê Thị Lớn", "02/02/1986", "Nữ", "HLHPN", "", "HTXSNV", 2023, "9/QĐ",
         "10/01/2024", ""],
        [good[:10], "Sai Số", "05/05/1990", "Nam", "HLHPN", "", "LDTT", 2024, "10/QĐ",
         "10/01/2025", ""],
    ])  # fmt: skip


def _post(client, data: bytes, committed, name: str = "lon.csv"):
    """POST the file; the job's task (eager) runs when the request's transaction commits."""
    with committed(execute=True):
        return client.post(IMPORT, {"file": SimpleUploadedFile(name, data)}, format="multipart")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_a_large_file_answers_202_and_its_job_the_report(api, large, committed, openapi):
    client = api("board-officer")
    before = LedgerEvent.objects.filter(action="registry.imported").count()
    answer = _post(client, _sheet(), committed)
    assert answer.status_code == 202, answer.content
    body = answer.json()
    job = Job.objects.get(pk=body["job"])
    url = f"/api/v1/registry/imports/{job.pk}/"
    assert (body["url"], answer["Location"], answer["Retry-After"]) == (url, url, "10")
    _conforms(openapi, IMPORT, "POST", answer)

    result = client.get(url)
    assert result.status_code == 200, result.content
    report = result.json()
    assert {k: report[k] for k in ("rows", "imported", "refused", "duplicates")} == {
        "rows": 3, "imported": 2, "refused": 1, "duplicates": 0,
    }  # fmt: skip
    assert report["report"] == [
        {"row": 4, "status": "refused", "reasons": [str(registry.IDENTITY_FORMAT)]}
    ]
    _conforms(openapi, JOB, "GET", result)
    # Audited as the import in the request is: one event, by the uploader, with the counts.
    events = LedgerEvent.objects.filter(action="registry.imported").order_by("seq")
    assert events.count() == before + 1
    event = events.last()
    assert event.actor_name == "board-officer" and json.loads(event.body)["data"]["imported"] == 2
    # The uploaded file (personal data) is gone once imported.
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 1 and not job.input


def test_the_job_answers_the_report_a_small_file_gets_in_the_request(api, settings, committed):
    title_kinds()
    data = _sheet(420001)
    small = api("board-officer").post(IMPORT, {"file": SimpleUploadedFile("a.csv", data)})
    assert small.status_code == 200
    HistoryEntry.objects.filter(person__identity__in=_identities(data)).delete()
    Person.objects.filter(identity__in=_identities(data)).delete()
    settings.REGISTRY_IMPORT_INLINE_MAX_BYTES = 200
    queued = _post(api("board-officer"), data, committed)
    assert queued.status_code == 202
    assert api("board-officer").get(queued.json()["url"]).json() == small.json()


def _identities(data: bytes) -> list[str]:
    return [line.split(",")[0].lstrip("\ufeff") for line in data.decode().splitlines()[1:]]


def test_the_task_run_twice_imports_once(api, large, committed):
    client = api("board-officer")
    job_id = _post(client, _sheet(430001), committed).json()["job"]
    entries = HistoryEntry.objects.count()
    events = LedgerEvent.objects.count()
    assert registry_import.delay(job_id).get() == JobStatus.DONE  # a message delivered again
    assert (HistoryEntry.objects.count(), LedgerEvent.objects.count()) == (entries, events)
    assert Job.objects.get(pk=job_id).attempts == 1  # the second run did not even start it
    assert registry_import.delay(10**9).get() == "missing"


def test_a_job_left_running_by_a_dead_worker_is_done_by_the_next(api, large, committed, openapi):
    client = api("board-officer")
    with committed(execute=False):  # the message is lost: nothing runs
        answer = client.post(IMPORT, {"file": SimpleUploadedFile("a.csv", _sheet(435001))})
    job = Job.objects.get(pk=answer.json()["job"])
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1)
    pending = client.get(answer.json()["url"])
    assert pending.status_code == 202 and pending.json()["status"] == "running"
    assert pending["Retry-After"] == "10"
    _conforms(openapi, JOB, "GET", pending)
    assert registry_import.delay(job.pk).get() == JobStatus.DONE
    assert client.get(answer.json()["url"]).json()["imported"] == 2


def test_only_the_uploader_inspectors_and_staff_read_the_job(
    api, large, committed, django_assert_max_num_queries
):
    job_id = _post(api("proposer-HLHPN"), _sheet(440001), committed).json()["job"]
    url = f"/api/v1/registry/imports/{job_id}/"
    got = {}
    for persona in ("proposer-HLHPN", "inspector", "admin", "board-officer", "head-HLHPN"):
        client = api(persona)
        with django_assert_max_num_queries(12):
            got[persona] = client.get(url).status_code
    assert got == {
        "proposer-HLHPN": 200, "inspector": 200, "admin": 200,
        "board-officer": 404, "head-HLHPN": 404,
    }  # fmt: skip
    assert api("proposer-HLHPN").get("/api/v1/registry/imports/999999999/").status_code == 404


def test_a_user_who_may_not_import_is_refused_before_anything_is_stored(api, large):
    answer = api("head-HLHPN").post(IMPORT, {"file": SimpleUploadedFile("a.csv", _sheet())})
    assert answer.status_code == 403
    assert not Job.objects.exists()


def test_a_file_the_import_refuses_is_the_jobs_answer(api, large, committed, openapi):
    client = api("board-officer")
    answer = _post(client, b"a,b\n" + b"1,2\n" * 100, committed, "x.csv")
    assert answer.status_code == 202
    refused = client.get(answer.json()["url"])
    assert refused.status_code == 400
    assert refused.json() == {"detail": str(imports.NO_HEADER % {
        "rows": imports.HEADER_SEARCH_ROWS,
        "columns": "organization, title, year",
    }), "code": "no_header"}  # fmt: skip
    assert not FailedTask.objects.exists()  # a refusal is an answer, not a failure
    _conforms(openapi, JOB, "GET", refused)


def test_a_job_whose_task_fails_for_good_is_recorded_and_says_so(api, large, committed):
    client = api("board-officer")
    with committed(execute=False):
        answer = client.post(IMPORT, {"file": SimpleUploadedFile("a.csv", _sheet(450001))})
    job = Job.objects.get(pk=answer.json()["job"])
    default_storage.delete(job.input.name)  # the shared storage lost the file
    registry_import.delay(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.attempts == 1 + registry_import.max_retries
    failure = FailedTask.objects.get(name="workflows.registry_import")
    assert failure.args == [job.pk] and "FileNotFoundError" in failure.exception
    told = client.get(answer.json()["url"])
    assert told.status_code == 409 and told.json()["code"] == "job_failed"
