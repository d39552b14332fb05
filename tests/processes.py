"""Processes a test starts (gunicorn, Celery, a Redis of its own) and always stops, with their
output kept for the failure message."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_up(port: int = 6379, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_for(check: Callable[[], object], timeout: float = 60, every: float = 0.3) -> object:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # not yet
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    raise TimeoutError(f"gave up waiting after {timeout} s: {last!r}")


class Proc:
    """One child process in its own process group, its output in a file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.log = Path(tempfile.mkstemp(prefix=f"khenthuong-{name}-", suffix=".log")[1])
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)


class Procs:
    """Every process a test started, stopped at the end whatever happens."""

    def __init__(self) -> None:
        self.started: list[Proc] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Proc:
        proc = Proc(name, argv, env)
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            proc.stop()

    def report(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.output()[-4000:]}" for p in self.started)


def celery_worker(procs: Procs, env: dict[str, str], name: str = "worker") -> Proc:
    return procs.start(
        name,
        [str(BIN / "celery"), "-A", "config", "worker", "--pool", "solo", "--concurrency", "1",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO",
         "--hostname", f"{name}-{os.getpid()}@%h"],
        env,
    )  # fmt: skip


class RedisServer:
    """A Redis of the test's own on `port` (nothing kept on disk), started and stopped by it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="khenthuong-redis-")

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "yes", "--dir", self.dir,
             "--pidfile", f"{self.dir}/redis.pid", "--logfile", f"{self.dir}/redis.log"],
            check=True,
        )  # fmt: skip
        wait_for(lambda: redis_up(self.port), timeout=15)

    def stop(self) -> None:
        pidfile = Path(self.dir) / "redis.pid"
        if pidfile.exists():
            try:
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        wait_for(lambda: not redis_up(self.port), timeout=15)

    def remove(self) -> None:
        if redis_up(self.port):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
