"""Two gunicorn app processes on one database, one media folder and one Redis (production
settings): what one does, the other sees; nothing is kept in a process."""

import hashlib
import json

import pytest
import requests

from tests.processes import wait_for
from tests.stack.conftest import ONLY_POSTGRESQL, Remote, token, web_sign_in
from tests.workflows.helpers import create, upload_required

pytestmark = [ONLY_POSTGRESQL, pytest.mark.django_db]


def test_two_app_processes_serve_one_database(stack):
    a = stack.app("app-a")
    b = stack.app("app-b")
    try:
        _check(stack, a, b)
    except BaseException:
        print(stack.procs.report())
        raise


def _check(stack, a, b):
    # A token minted by one process authenticates on the other.
    tokens = {u: token(a, u) for u in ("proposer-TLDLD", "head-TLDLD")}
    tokens["board-officer"] = token(b, "board-officer")

    def on(base):
        return lambda username: Remote(base, tokens[username])

    # A dossier created through A, its documents uploaded through A, acted on through B.
    dossier = create(on(a), "TLDLD", "HCLD-3")
    upload_required(on(a), "TLDLD", dossier, ["to_trinh", "bao_cao_thanh_tich"])
    submitted = on(b)("head-TLDLD").post(f"/api/v1/dossiers/{dossier['id']}/actions/submit/")
    assert submitted.status_code == 200, submitted.text
    accepted = on(a)("board-officer").post(f"/api/v1/dossiers/{dossier['id']}/actions/accept/")
    assert accepted.status_code == 200, accepted.text
    seen = on(b)("proposer-TLDLD").get(f"/api/v1/dossiers/{dossier['id']}/").json()
    assert seen["state"] == accepted.json()["state"] != "draft"

    # A document uploaded through A downloads through B, byte for byte, with a session signed
    # in on A.
    attachment = seen["attachments"][0]
    session = web_sign_in(a, "proposer-TLDLD")
    download = Remote(b, cookies=session).get(
        f"/dossiers/{dossier['id']}/attachments/{attachment['id']}/",
        headers={"X-Forwarded-Proto": "https"},
    )
    assert download.status_code == 200, download.text[:500]
    assert hashlib.sha256(download.content).hexdigest() == attachment["sha256"]
    home = Remote(b, cookies=session).get("/", headers={"X-Forwarded-Proto": "https"})
    assert home.status_code == 200 and "/accounts/login/" not in home.url

    # A rate limit counted on one holds on the other (the shared cache in Redis): the public's
    # comments on a nominee under notice, 5 an hour per address.
    notices = requests.get(a + "/api/v1/public/notices/", timeout=30).json()
    rows = notices.get("results", notices) if isinstance(notices, dict) else notices
    nominee = rows[0]["nominee"]
    statuses = [
        requests.post(
            f"{base}/api/v1/public/notices/{nominee}/comments/",
            json={"text": f"Góp ý {i}"},
            timeout=30,
        ).status_code
        for i, base in enumerate([a, b, a, b, a, b])
    ]
    assert statuses[:5] == [201] * 5 and statuses[5] == 429, statuses

    # Static files from WhiteNoise under hashed names; the health endpoints.
    page = requests.get(a + "/accounts/login/", headers={"X-Forwarded-Proto": "https"}).text
    css = next(part.split('"')[0] for part in page.split('href="/static/')[1:] if ".css" in part)
    assert css.count(".") >= 2, css  # site.<hash>.css
    static = requests.get(f"{b}/static/{css}", timeout=30)
    assert static.status_code == 200 and "max-age=315360000" in static.headers["Cache-Control"]
    ready = requests.get(b + "/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["broker"]["status"] == "ok"
    assert ready.json()["checks"]["cache"]["status"] == "ok"

    # JSON logs: the access line carries the request's id (X-Request-ID, the ledger's too).
    marked = on(a)("head-TLDLD").get(
        "/api/v1/award-forms/", headers={"X-Request-ID": "two-processes-1"}
    )
    assert marked.headers["X-Request-ID"] == "two-processes-1"
    proc_a = stack.procs.started[0]

    def logged():
        lines = [json.loads(line) for line in proc_a.output().splitlines() if line[:1] == "{"]
        return [line for line in lines if line.get("request_id") == "two-processes-1"]

    access = wait_for(logged, timeout=10)
    assert access and access[0]["path"] == "/api/v1/award-forms/" and access[0]["status"] == 200
