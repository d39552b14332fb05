"""The personas' real mix for `make load` (ops/load.sh): locust users signed in as the demo
personas (shared/demo-data.md), each doing what that persona does all day, on the web pages
and the API alike, against the production stack's two app processes.

    UnitUser       a unit's proposer: home, its dossier lists with filters, its dossiers' pages
                   and JSON; now and then creates a dossier (API) that its head withdraws
    BoardUser      a board officer: home (the board's queue), lists with filters, a walk down
                   the list by cursor, dossier pages, history; takes a dossier and gives it back
    VoterUser      a bloc member or a council member: home, the ballots and their pages
    InspectorUser  reads: the overview, lists by year and state, pages, history
    HealthUser     the bare `/healthz`, the yardstick

Sign-ins are done before the measured work starts and are not counted (a persona signs in once
a working day): once every user has signed in, the mix runs LOAD_WARMUP seconds unmeasured (the
app processes, started for the run, make their first-use objects and freeze them, and
PostgreSQL reads the run's fresh copy of the database into its buffers: a served app is warm),
then the statistics start from zero and the run lasts LOAD_SECONDS more; then locust stops and
writes the summary (LOAD_SUMMARY, JSON). Every
user waits LOAD_WAIT_MIN..LOAD_WAIT_MAX seconds between tasks (think time; the same for every
run, HealthUser included). The app's addresses are LOAD_HOSTS
(comma-separated; users are spread over them in turn). Actions never collide: each user takes
the dossiers whose id falls in its own slot.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re

import gevent
import requests
from locust import HttpUser, between, events, task
from locust.clients import LocustHttpAdapter
from urllib3.util.retry import Retry

HOSTS = [h.strip() for h in os.environ.get("LOAD_HOSTS", "http://127.0.0.1:8001").split(",")]
WAIT = between(float(os.environ.get("LOAD_WAIT_MIN", "0.5")),
               float(os.environ.get("LOAD_WAIT_MAX", "1.5")))  # fmt: skip
PASSWORD = "demo"
# Personas without a second factor (the second-factor ones sign in with a code).
UNITS = ["MTTQ", "HCCB", "TLDLD", "HND", "DOAN", "HLHPN", "VHNT", "VUSTA", "VUFO",
         "T-MTTQ", "T-HND", "T-LDLD", "T-HCCB", "T-HLHPN", "T-DOAN"]  # fmt: skip
BOARD_OFFICERS = ["board-officer", "board-officer-2", "t-board-officer-2", "m-board-officer-2"]
VOTERS = [
    *("voter-MTTQ", "voter-HCCB", "voter-HLHPN", "voter-T-HND", "voter-T-MTTQ"),
    *("council-member-1", "council-member-2", "t-council-member-1", "council-secretary"),
]
SLOTS = 64  # action targets: a dossier id belongs to the user whose slot is id % SLOTS
_numbers = itertools.count()
_hosts = itertools.cycle(HOSTS)
_started = {"users": 0, "failed": 0}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in_web(base: str, username: str) -> str:
    """The session cookie of a browser sign-in (outside the measured requests). The production
    settings mark cookies Secure; over this machine's plain HTTP the client sends them itself."""
    with requests.Session() as session:
        page = session.get(f"{base}/accounts/login/", timeout=60)
        token = CSRF.search(page.text)
        csrf = page.cookies.get("csrftoken", "")
        answer = session.post(
            f"{base}/accounts/login/",
            data={"username": username, "password": PASSWORD,
                  "csrfmiddlewaretoken": token.group(1) if token else ""},
            headers={"Cookie": f"csrftoken={csrf}", "Referer": f"{base}/accounts/login/"},
            allow_redirects=False,
            timeout=60,
        )  # fmt: skip
        sessionid = answer.cookies.get("sessionid")
        if answer.status_code != 302 or not sessionid:
            raise RuntimeError(f"sign-in of {username} failed: {answer.status_code}")
        return f"sessionid={sessionid}"


def api_token(base: str, username: str) -> str:
    answer = requests.post(
        f"{base}/api/v1/auth/token/",
        json={"username": username, "password": PASSWORD},
        timeout=60,
    )
    answer.raise_for_status()
    return answer.json()["token"]


def started(user: HttpUser, *, failed: bool = False) -> None:
    """Counted when a user has signed in (or failed to): the last one starts the warm-up, and
    the clock when it is over."""
    _started["users"] += 1
    _started["failed"] += int(failed)
    runner = user.environment.runner
    if runner is not None and _started["users"] == runner.target_user_count:
        stats = user.environment.stats

        def measure() -> None:
            stats.reset_all()
            gevent.spawn_later(float(os.environ.get("LOAD_SECONDS", "60")), runner.quit)

        stats.reset_all()
        gevent.spawn_later(float(os.environ.get("LOAD_WARMUP", "15")), measure)


@events.quitting.add_listener
def summary(environment, **kwargs) -> None:
    """The run's figures as JSON for ops/load.sh: the totals and each endpoint's."""
    path = os.environ.get("LOAD_SUMMARY")
    if not path:
        return
    total = environment.stats.total

    def figures(entry) -> dict:
        return {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "rps": entry.total_rps,
            "p50": entry.get_response_time_percentile(0.50),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "avg": entry.avg_response_time,
        }

    runner = environment.runner
    data = {
        "users": runner.target_user_count if runner else 0,
        "signin_failures": _started["failed"],
        "exceptions": sum(e["count"] for e in runner.exceptions.values()) if runner else 0,
        "total": figures(total),
        "endpoints": {
            f"{e.method} {e.name}": figures(e) for e in environment.stats.entries.values()
        },
        "errors": [
            {"endpoint": f"{e.method} {e.name}", "error": str(e.error), "count": e.occurrences}
            for e in environment.stats.errors.values()
        ],
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=1)


def retry_reads(session: requests.Session) -> None:
    """A GET sent on a kept-alive connection the server has just closed is sent again once, as
    browsers and HTTP clients do; nothing else is retried (a POST never)."""
    retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods={"GET"})
    session.mount("http://", LocustHttpAdapter(pool_manager=None, max_retries=retry))


class Persona(HttpUser):
    """A signed-in persona: `web` sends the session cookie, `api` the token."""

    abstract = True
    wait_time = WAIT
    username = ""

    def on_start(self) -> None:
        retry_reads(self.client)
        self.number = next(_numbers)
        self.slot = self.number % SLOTS
        self.client.base_url = next(_hosts)
        self.host = self.client.base_url
        self.ids: list[int] = []
        try:
            self.username = self.persona()
            self.cookie = sign_in_web(self.host, self.username)
            self.token = api_token(self.host, self.username)
        except Exception:
            started(self, failed=True)
            raise
        started(self)

    def persona(self) -> str:
        raise NotImplementedError

    def web(self, path: str, name: str | None = None):
        return self.client.get(path, headers={"Cookie": self.cookie}, name=name or path)

    def api(self, method: str, path: str, name: str | None = None, token: str = "", **kwargs):
        headers = {"Authorization": f"Token {token or self.token}"}
        return self.client.request(method, path, headers=headers, name=name or path, **kwargs)

    def remember(self, answer) -> list[dict]:
        """The list's rows; their ids feed the dossier pages visited next."""
        if answer.status_code != 200:
            return []
        rows = answer.json()["results"]
        self.ids = [row["id"] for row in rows][:50] or self.ids
        return rows

    def some_id(self) -> int | None:
        if not self.ids:
            self.remember(self.api("GET", "/api/v1/dossiers/?page_size=50", "/api/v1/dossiers/"))
        return random.choice(self.ids) if self.ids else None

    def dossier_page(self) -> None:
        pk = self.some_id()
        if pk:
            self.web(f"/dossiers/{pk}/", "/dossiers/[id]/")

    def dossier_json(self) -> None:
        pk = self.some_id()
        if pk:
            self.api("GET", f"/api/v1/dossiers/{pk}/", "/api/v1/dossiers/[id]/")

    def history(self) -> None:
        pk = self.some_id()
        if pk:
            self.api("GET", f"/api/v1/dossiers/{pk}/history/", "/api/v1/dossiers/[id]/history/")


class UnitUser(Persona):
    weight = 5

    def persona(self) -> str:
        self.unit = UNITS[self.number % len(UNITS)]
        self.head_token = api_token(self.host, f"head-{self.unit}")
        return f"proposer-{self.unit}"

    @task(3)
    def home(self):
        self.web("/", "/ (home)")

    @task(2)
    def list_page(self):
        query = random.choice(["state=draft", "state=returned", "year=2023", "ordering=-due"])
        self.web(f"/dossiers/?{query}", "/dossiers/?filters")

    @task(2)
    def list_api(self):
        self.remember(
            self.api(
                "GET",
                f"/api/v1/dossiers/?organization={self.unit}&page_size=25",
                "/api/v1/dossiers/?organization=",
            )
        )

    @task(3)
    def page(self):
        self.dossier_page()

    @task(2)
    def json(self):
        self.dossier_json()

    @task(1)
    def propose_and_withdraw(self):
        """A draft created through the API, then withdrawn by the unit's head."""
        body = {
            "organization": self.unit, "award_form": "BK-TTG", "year": 2025,
            "title": f"Tải thử {self.number}",
            "nominees": [{"kind": "collective", "name": f"Tập thể tải thử {self.number}",
                          "organization": self.unit}],
        }  # fmt: skip
        created = self.api("POST", "/api/v1/dossiers/", "/api/v1/dossiers/ (create)", json=body)
        if created.status_code == 201:
            pk = created.json()["id"]
            self.api("POST", f"/api/v1/dossiers/{pk}/actions/withdraw/",
                     "/api/v1/dossiers/[id]/actions/withdraw/", token=self.head_token,
                     json={"reason": "Tải thử: rút hồ sơ"})  # fmt: skip


class BoardUser(Persona):
    weight = 6

    def persona(self) -> str:
        return BOARD_OFFICERS[self.number % len(BOARD_OFFICERS)]

    @task(3)
    def home(self):
        self.web("/", "/ (home)")

    @task(2)
    def list_page(self):
        query = random.choice(
            ["state=intake", "state=intake&overdue=true", "assignee=me", "ordering=due",
             "state=appraisal&ordering=-due"]
        )  # fmt: skip
        self.web(f"/dossiers/?{query}", "/dossiers/?filters")

    @task(2)
    def list_api(self):
        url = "/api/v1/dossiers/?state=intake&page_size=50"
        self.remember(self.api("GET", url, "/api/v1/dossiers/?state="))

    @task(1)
    def walk_by_cursor(self):
        """Three pages down the whole list, as an integration reads it."""
        cursor = ""
        for _ in range(3):
            url = f"/api/v1/dossiers/?page_size=50&cursor={cursor}"
            answer = self.api("GET", url, "/api/v1/dossiers/?cursor=")
            if answer.status_code != 200:
                return
            cursor = answer.json()["next_cursor"]
            if not cursor:
                return

    @task(3)
    def page(self):
        self.dossier_page()

    @task(1)
    def json(self):
        self.dossier_json()

    @task(1)
    def events(self):
        self.history()

    @task(1)
    def claim_and_release(self):
        """Take an unassigned dossier of the board's queue (one of this user's slot), then give
        it back: two actions, each a ledger event."""
        answer = self.api("GET", "/api/v1/dossiers/?state=intake&assignee=none&page_size=200",
                          "/api/v1/dossiers/?assignee=none")  # fmt: skip
        if answer.status_code != 200:
            return
        mine = [
            row["id"]
            for row in answer.json()["results"]
            if row["id"] % SLOTS == self.slot and "claim" in row["assignment_actions"]
        ]
        if not mine:
            return
        pk = mine[0]
        claimed = self.api("POST", f"/api/v1/dossiers/{pk}/actions/claim/",
                           "/api/v1/dossiers/[id]/actions/claim/", json={})  # fmt: skip
        if claimed.status_code == 200:
            self.api("POST", f"/api/v1/dossiers/{pk}/actions/release/",
                     "/api/v1/dossiers/[id]/actions/release/", json={})  # fmt: skip


class VoterUser(Persona):
    weight = 4

    def persona(self) -> str:
        return VOTERS[self.number % len(VOTERS)]

    def on_start(self) -> None:
        self.ballots: list[int] = []
        super().on_start()

    @task(3)
    def home(self):
        self.web("/", "/ (home)")

    @task(2)
    def ballots_api(self):
        answer = self.api("GET", "/api/v1/ballots/", "/api/v1/ballots/")
        if answer.status_code == 200:
            self.ballots = [row["id"] for row in answer.json()["results"]] or self.ballots

    @task(2)
    def ballot_page(self):
        if self.ballots:
            self.web(f"/ballots/{random.choice(self.ballots)}/", "/ballots/[id]/")

    @task(2)
    def ballot_json(self):
        if self.ballots:
            pk = random.choice(self.ballots)
            self.api("GET", f"/api/v1/ballots/{pk}/", "/api/v1/ballots/[id]/")

    @task(1)
    def list_page(self):
        query = random.choice(["state=bloc_voting", "state=council_review", ""])
        self.web(f"/dossiers/?{query}", "/dossiers/?filters")

    @task(1)
    def page(self):
        self.dossier_page()


class InspectorUser(Persona):
    weight = 2

    def persona(self) -> str:
        return "inspector"

    @task(2)
    def home(self):
        self.web("/", "/ (home)")

    @task(2)
    def list_page(self):
        query = random.choice(["year=2023&state=decided", "state=on_hold", "year=2024"])
        self.web(f"/dossiers/?{query}", "/dossiers/?filters")

    @task(2)
    def list_api(self):
        year = random.choice([2023, 2024])
        self.remember(self.api("GET", f"/api/v1/dossiers/?year={year}", "/api/v1/dossiers/?year="))

    @task(2)
    def page(self):
        self.dossier_page()

    @task(1)
    def events(self):
        self.history()


class HealthUser(HttpUser):
    """The bare endpoint: no database, no session."""

    wait_time = WAIT

    def on_start(self) -> None:
        retry_reads(self.client)
        self.client.base_url = next(_hosts)
        started(self)

    @task
    def healthz(self):
        self.client.get("/healthz")
