"""The production stack in tests (PostgreSQL only): gunicorn app processes on
config.settings.production, Celery workers, Redis, on a copy of the seeded test database
(`CREATE DATABASE … TEMPLATE`) and of its media, dropped at the end. Every process a test starts
is stopped when it ends, on failure too."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests
from django.db import connection, connections

from tests.processes import BIN, ROOT, Procs, free_port, redis_up, wait_for

SECRET = "stack-test-" + uuid.uuid4().hex + uuid.uuid4().hex


ONLY_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the production stack runs on PostgreSQL only"
)


def _admin_url() -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"


def admin_sql(sql: str, params=None) -> list:
    with psycopg.connect(_admin_url() + "/postgres", autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def db_sql(url: str, sql: str, params=None) -> list:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


@dataclass
class Stack:
    name: str
    url: str
    media: Path
    static: Path
    procs: Procs = field(default_factory=Procs)

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": SECRET,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.url,
            "DJANGO_MEDIA_ROOT": str(self.media),
            "DJANGO_STATIC_ROOT": str(self.static),
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_STATIC_COMPRESS": "false",
            "DB_CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12",
            "REDIS_CACHE_URL": "redis://127.0.0.1:6379/13",
            "CELERY_QUEUE": f"khenthuong-stack-{os.getpid()}",
            "AUDIT_SIGNING_KEY": "stack-test-audit-key",
        }
        env.pop("KHENTHUONG_BROWSER_REQUIRED", None)
        env.update(extra)
        return env

    def app(self, name: str, env: dict[str, str] | None = None) -> str:
        """Start a gunicorn app process; its base URL once /healthz answers."""
        port = free_port()
        proc = self.procs.start(
            name,
            [str(BIN / "gunicorn"), "-c", "python:config.gunicorn"],
            {**(env or self.env()), "GUNICORN_BIND": f"127.0.0.1:{port}",
             "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "2", "GUNICORN_NAME": name},
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert proc.alive(), self.procs.report()
            return requests.get(base + "/healthz", timeout=2).status_code == 200

        wait_for(up, timeout=90)
        return base


@pytest.fixture(scope="session")
def stack_base(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Stack]:
    if connection.vendor != "postgresql":
        pytest.skip("the production stack runs on PostgreSQL only")
    if not redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    from django.conf import settings

    source = connection.settings_dict["NAME"]
    name = f"khenthuong_stack_{os.getpid()}"
    with django_db_blocker.unblock():
        connections.close_all()  # a template must have no session open on it
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    # The test settings hash passwords with MD5, which production does not accept: every
    # persona's "demo" again, as production hashes it.
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    demo = PBKDF2PasswordHasher().encode("demo", "stacktestsalt")
    db_sql(f"{_admin_url()}/{name}", "UPDATE auth_user SET password = %s", [demo])
    work = tmp_path_factory.mktemp("stack")
    media = work / "media"
    shutil.copytree(settings.MEDIA_ROOT, media)
    stack = Stack(name=name, url=f"{_admin_url()}/{name}", media=media, static=work / "static")
    import subprocess

    done = subprocess.run(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT, env=stack.env(), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    # The registry history the helpers' nominee needs (tests/workflows/helpers.py `create`),
    # written where the app processes read it.
    done = subprocess.run(
        [str(BIN / "python"), "manage.py", "shell", "-c",
         "from demo.world import person; person('Nguyễn Thị Thử', 'TLDLD', year=2023)"],
        cwd=ROOT, env=stack.env(), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    try:
        yield stack
    finally:
        stack.procs.stop_all()
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def stack(stack_base: Stack) -> Iterator[Stack]:
    """The session's stack database, with this test's processes stopped at its end."""
    procs = Procs()
    stack_base.procs, saved = procs, stack_base.procs
    try:
        yield stack_base
    finally:
        procs.stop_all()
        stack_base.procs = saved


class Remote:
    """requests, shaped like the test client the helpers expect (`post(url, data, format=)`)."""

    def __init__(self, base: str, token: str = "", cookies: dict | None = None) -> None:
        self.base, self.headers, self.cookies = base, {}, dict(cookies or {})
        if token:
            self.headers["Authorization"] = f"Token {token}"

    def post(self, path: str, data=None, format: str = "json", **kwargs) -> requests.Response:
        if format == "multipart":
            files = {k: (v.name, v.read(), v.content_type) for k, v in data.items()
                     if hasattr(v, "read")}  # fmt: skip
            fields = {k: v for k, v in data.items() if k not in files}
            return requests.post(
                self.base + path,
                data=fields,
                files=files,
                headers=self.headers,
                cookies=self.cookies,
                timeout=60,
            )
        return requests.post(
            self.base + path,
            json=data or {},
            headers=self.headers,
            cookies=self.cookies,
            timeout=60,
            **kwargs,
        )

    def get(self, path: str, headers: dict | None = None, **kwargs) -> requests.Response:
        return requests.get(self.base + path, headers={**self.headers, **(headers or {})},
                            cookies=self.cookies, timeout=60, **kwargs)  # fmt: skip


def token(base: str, username: str) -> str:
    response = requests.post(
        base + "/api/v1/auth/token/", json={"username": username, "password": "demo"}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


def web_sign_in(base: str, username: str) -> dict[str, str]:
    """Sign in through the sign-in page (as behind the TLS proxy: X-Forwarded-Proto https);
    the cookies of the session."""
    https = {"X-Forwarded-Proto": "https"}
    page = requests.get(base + "/accounts/login/", headers=https, timeout=60)
    csrf = page.cookies["csrftoken"]
    form = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = requests.post(
        base + "/accounts/login/",
        data={"username": username, "password": "demo", "csrfmiddlewaretoken": form},
        headers={**https, "Referer": base.replace("http://", "https://") + "/accounts/login/"},
        cookies={"csrftoken": csrf},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text[:2000]
    return {"sessionid": response.cookies["sessionid"]}


def personas(base: str, *usernames: str):
    """api(username) → a Remote on `base` with that persona's token (tokens minted on `base`)."""
    tokens = {u: token(base, u) for u in usernames}
    return lambda base_url, username: Remote(base_url, tokens[username])


@pytest.fixture
def tmp_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="khenthuong-stack-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
