"""A long dossier list is written on the worker (run eagerly here, the threshold lowered): the
request answers 202 with the job's address, which answers the same workbook the request would
have, for whoever asked (inspectors and staff too; 404 for anyone else); the task run twice
writes nothing more; a storage that fails is retried, then recorded and said so."""

import pytest
import schemathesis
from django.core.files.storage import FileSystemStorage
from drf_spectacular.generators import SchemaGenerator

from jobs.models import FailedTask, Job, JobStatus
from reports.tasks import dossier_list_export
from tests.test_schema import _conforms

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/dossiers/export.xlsx"
JOB = "/api/v1/dossiers/exports/{id}/"


def _values(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def openapi():
    return schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def _queued(client, committed, query: str = "?year=2031&ordering=reference"):
    with committed(execute=True):
        answer = client.get(EXPORT + query)
    assert answer.status_code == 202, answer.content
    return answer


def test_a_long_list_answers_202_and_its_job_the_workbook(
    api, seeded_awards, workbook, settings, committed, openapi
):
    client = api("inspector")
    inline = client.get(EXPORT + "?year=2031&ordering=reference")
    assert inline.status_code == 200  # three dossiers: under the limit
    settings.DOSSIER_EXPORT_INLINE_MAX = 2
    answer = _queued(client, committed)
    body = answer.json()
    assert body["url"] == answer["Location"] == JOB.format(id=body["job"])
    assert answer["Retry-After"] == "10"
    _conforms(openapi, EXPORT, "GET", answer)
    done = client.get(body["url"])
    assert done.status_code == 200
    assert done["Content-Type"] == inline["Content-Type"]
    assert done["Content-Disposition"].startswith('attachment; filename="ho-so-')
    got = _values(workbook(b"".join(done.streaming_content)).active)
    assert got == _values(workbook(inline.content).active)
    assert [r[0] for r in got[1:]] == ["TEST-2031-0001", "TEST-2031-0002", "TEST-2031-0003"]


def test_the_job_writes_the_list_its_owner_sees(api, seeded_awards, workbook, settings, committed):
    client = api("proposer-HLHPN")
    inline = _values(workbook(client.get(EXPORT).content).active)
    assert len(inline) > 1 and not any(str(r[0]).startswith("TEST-") for r in inline)
    settings.DOSSIER_EXPORT_INLINE_MAX = 1
    done = client.get(_queued(client, committed, "").json()["url"])
    assert _values(workbook(b"".join(done.streaming_content)).active) == inline


def test_a_bad_filter_is_refused_before_any_job(api, settings):
    settings.DOSSIER_EXPORT_INLINE_MAX = 0
    assert api("inspector").get(EXPORT + "?state=nonsense").status_code == 400
    assert not Job.objects.exists()


def test_only_the_owner_inspectors_and_staff_fetch_the_file(
    api, seeded_awards, settings, committed, django_assert_max_num_queries
):
    settings.DOSSIER_EXPORT_INLINE_MAX = 0
    url = _queued(api("board-head"), committed, "").json()["url"]
    got = {}
    for persona in ("board-head", "inspector", "admin", "board-officer", "proposer-HLHPN"):
        client = api(persona)
        with django_assert_max_num_queries(12):
            got[persona] = client.get(url).status_code
    assert got == {
        "board-head": 200, "inspector": 200, "admin": 200,
        "board-officer": 404, "proposer-HLHPN": 404,
    }  # fmt: skip
    # an import's job is not an export's
    assert (
        api("board-head").get(url.replace("dossiers/exports", "registry/imports")).status_code
        == 404
    )


def test_the_task_run_twice_writes_nothing_more(api, seeded_awards, settings, committed):
    settings.DOSSIER_EXPORT_INLINE_MAX = 0
    job = Job.objects.get(pk=_queued(api("inspector"), committed).json()["job"])
    name = job.output.name
    assert dossier_list_export.delay(job.pk).get() == JobStatus.DONE
    job.refresh_from_db()
    assert (job.output.name, job.attempts) == (name, 1)
    assert job.output.storage.exists(name)


def test_a_storage_that_fails_is_retried_then_recorded(
    api, seeded_awards, settings, committed, monkeypatch, openapi
):
    settings.DOSSIER_EXPORT_INLINE_MAX = 0

    def full(self, name, content):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", full)
    client = api("inspector")
    url = _queued(client, committed).json()["url"]
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.attempts == 1 + dossier_list_export.max_retries
    failure = FailedTask.objects.get(name="reports.dossier_list_export")
    assert failure.args == [job.pk] and "No space left" in failure.exception
    told = client.get(url)
    assert told.status_code == 409 and told.json()["code"] == "job_failed"
    _conforms(openapi, JOB, "GET", told)
    monkeypatch.undo()  # the administrator frees space and sends it again
    assert dossier_list_export.delay(job.pk).get() == JobStatus.DONE
    assert client.get(url).status_code == 200
