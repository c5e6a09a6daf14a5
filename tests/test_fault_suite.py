"""The fault suite (issue 22): gunicorn on a PostgreSQL cluster of its own and on SQLite in a
small tmpfs of its own, hurt while a burst of submissions comes in — workers killed with
SIGKILL, the database restarted, the database frozen (SIGSTOP), the disk filled.

Whatever happens, every answer the server gives is JSON with a 2xx, 4xx or 503 status (never
500, never an HTML page), every submission the server acknowledged (201, or 200 for a replay)
is stored exactly once, and once the fault is gone the same server answers again, without a
restart. A client whose connection was cut sends the same body again (same uuid), as the PWA
does.

Needs root (pg_createcluster, mount); skipped with the reason otherwise — in CI a skip is a
failure (conftest.py). Runs in the SQLite pass only: it brings its own databases.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid as uuidlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import WORKER

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "fault-suite-9"

pytestmark = [pytest.mark.faults, pytest.mark.committed,   # its own databases; no rollback
              pytest.mark.slow]

ROOT_ONLY = "fault suite: needs root (pg_createcluster, mount -t tmpfs)"


def _skip_unless_root_and(*tools):
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the SQLite pass runs the fault suite (it starts its own databases)")
    if os.geteuid() != 0:
        pytest.skip(ROOT_ONLY)
    for tool in tools:
        if not shutil.which(tool):
            pytest.skip(f"fault suite: {tool} is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a PostgreSQL cluster and a tmpfs of the suite's own --------------------------------------

class Cluster:
    def __init__(self, version: str, name: str, port: int):
        self.version, self.name, self.port = version, name, port
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/faults"

    def ctl(self, action: str, *extra: str) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name,
                        action, *extra], check=True, capture_output=True, timeout=120)

    def pids(self) -> list[int]:
        """The postmaster and every backend and helper process under it."""
        data = f"/var/lib/postgresql/{self.version}/{self.name}/postmaster.pid"
        with open(data) as fh:
            main = int(fh.readline())
        children = subprocess.run(["pgrep", "-P", str(main)], capture_output=True, text=True).stdout
        return [main, *(int(p) for p in children.split())]

    @contextmanager
    def frozen(self):
        pids = self.pids()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass


@pytest.fixture(scope="module")
def cluster():
    _skip_unless_root_and("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "pgrep")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    name = f"faults_{WORKER or 'main'}_{os.getpid()}"
    port = _free_port()
    subprocess.run(["pg_createcluster", "--start-conf", "manual", version, name, "-p", str(port), "--",
                    "--auth-local=trust", "--auth-host=trust"],
                   check=True, capture_output=True, timeout=120)
    found = Cluster(version, name, port)
    try:
        found.ctl("start")
        admin = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE faults"))
        admin.dispose()
        _prepare(found.url)
        yield found
    finally:
        subprocess.run(["pg_dropcluster", "--stop", version, name], capture_output=True, timeout=120)


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs of the test's own (the migrated database and its WAL take a few), unmounted
    at the end."""
    _skip_unless_root_and("mount", "umount")
    where = tmp_path / "disk"
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where)], check=True,
                   capture_output=True, timeout=30)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)


def _prepare(url: str) -> None:
    """The schema by the migrations, a grid and one captain (a pbkdf2 hash: cheap to check)."""
    env = dict(os.environ, DATABASE_URL=url)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    from app import create_app
    from app.accounts.services import create_user, grant_role
    from app.extensions import db
    from app.grid.services import import_grid, node_by_code
    from tests.conftest import GRID_CSV

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        import_grid(GRID_CSV)
        grant_role(create_user("captain", PASSWORD, "楼长", ""), "captain", node_by_code("B1"))
        db.session.commit()
        db.engine.dispose()


# --- gunicorn and the burst -------------------------------------------------------------------

class Server:
    def __init__(self, url: str, workers: int = 2, **env):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environment = dict(os.environ, DATABASE_URL=url, SECRET_KEY="test-secret-key-0123456789",
                           LOGIN_FAIL_LIMIT_CLIENT="1000/minute", DB_CONNECT_TIMEOUT="2",
                           DB_STATEMENT_TIMEOUT_MS="3000")
        environment.update(env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", "4",
             "--timeout", "60", "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "wsgi:app"], cwd=ROOT, env=environment)
        try:   # a server that never answered is not left running (nothing else would stop it)
            self._wait_and_sign_in()
        except BaseException:
            self.proc.kill()
            self.proc.wait(timeout=30)
            raise

    def _wait_and_sign_in(self) -> None:
        deadline = time.monotonic() + 120   # generous: a loaded machine (tests/servers.py)
        while True:
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert self.proc.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)  # polling a starting process
        self.token = requests.post(self.base + "/api/v1/auth/login", timeout=30, json={
            "username": "captain", "password": PASSWORD}).json()["token"]

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)


@contextmanager
def gunicorn(url: str, **env):
    server = Server(url, **env)
    try:
        yield server
    finally:
        server.stop()


class Burst:
    """Submissions sent from threads; every answer checked; a cut connection resent with the
    same body (same uuid) until it is answered."""

    def __init__(self, server: Server, resend_for: float = 60):
        self.server, self.resend_for = server, resend_for
        self.answers: list[tuple[int, str, str]] = []   # (status, uuid, content type)
        self.bad: list[str] = []
        self.acknowledged: set[str] = set()

    def body(self) -> dict:
        return {"uuid": str(uuidlib.uuid4()), "form": "suggestion", "grid_code": "B1",
                "data": {"category": "repair", "content": "楼道灯坏了", "anonymous": True}}

    def send(self, body: dict) -> None:
        deadline = time.monotonic() + self.resend_for
        while time.monotonic() < deadline:
            try:
                r = requests.post(self.server.base + "/api/v1/submissions", json=body, timeout=30,
                                  headers={"Authorization": f"Bearer {self.server.token}"})
            except requests.RequestException:
                time.sleep(0.2)   # the connection was cut: resend, as the PWA's outbox does
                continue
            kind = r.headers.get("Content-Type", "")
            self.answers.append((r.status_code, body["uuid"], kind))
            if r.status_code >= 500 and r.status_code != 503 or not kind.startswith("application/json"):
                self.bad.append(f"{r.status_code} {kind}: {r.text[:200]}")
                return
            if r.status_code in (200, 201):
                self.acknowledged.add(body["uuid"])
                return
            if r.status_code != 503:
                return   # a 4xx: answered, not stored
            time.sleep(0.2)   # 503: try again later, as Retry-After says
        # still not acknowledged: it may or may not be stored; it is not counted either way

    def run(self, count: int, during=None, threads: int = 8) -> None:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [pool.submit(self.send, self.body()) for _ in range(count)]
            if during is not None:
                during()
            for future in futures:
                future.result()


def _stored(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT uuid, count(*) FROM submissions GROUP BY uuid")).all()
    finally:
        engine.dispose()
    return {str(uuid): count for uuid, count in rows}


def _assert_held(burst: Burst, url: str) -> None:
    assert not burst.bad, burst.bad[:5]
    stored = _stored(url)
    missing = [u for u in burst.acknowledged if stored.get(u) != 1]
    assert not missing, f"{len(missing)} acknowledged submissions not stored exactly once"
    assert all(count == 1 for count in stored.values())


def _recovers(server: Server) -> None:
    """The same server (not restarted) stores a new submission again."""
    burst = Burst(server, resend_for=60)
    burst.run(4, threads=2)
    assert burst.acknowledged and not burst.bad, burst.answers


# --- the faults ------------------------------------------------------------------------------

def test_workers_killed_mid_burst(cluster):
    with gunicorn(cluster.url) as server:
        burst = Burst(server)

        def kill_workers():
            for _ in range(3):
                time.sleep(0.5)   # let the burst get going (time passing is the point here)
                for pid in server.workers():
                    os.kill(pid, signal.SIGKILL)
        burst.run(60, during=kill_workers)
        _assert_held(burst, cluster.url)
        assert burst.acknowledged
        _recovers(server)


def test_database_restarted_mid_burst(cluster):
    with gunicorn(cluster.url) as server:
        burst = Burst(server)
        burst.run(60, during=lambda: (time.sleep(0.5), cluster.ctl("restart", "-m", "fast")))
        _assert_held(burst, cluster.url)
        _recovers(server)


def test_database_frozen_answers_503_then_recovers(cluster):
    # The client-side deadline (app/core/watchdog.py) is short here, so that a frozen database
    # answers 503 in seconds (by default: the statement timeout plus five seconds, 8 s here).
    with gunicorn(cluster.url, DB_STATEMENT_TIMEOUT_MS="1000", DB_CLIENT_TIMEOUT_MS="1500") as server:
        # Every worker holds a pooled connection first, so a request meets a server that
        # accepted it and then says nothing (the client-side deadline, app/core/watchdog.py),
        # not only a connect that times out.
        Burst(server).run(8, threads=8)
        burst = Burst(server, resend_for=4)   # each body sent again while the freeze lasts
        with cluster.frozen():
            started = time.monotonic()
            burst.run(8, threads=8)
            assert time.monotonic() - started < 60
        assert not burst.bad, burst.bad[:5]
        assert {status for status, _u, _k in burst.answers} <= {200, 201, 503}
        assert 503 in {status for status, _u, _k in burst.answers}
        _assert_held(burst, cluster.url)
        _recovers(server)


def test_full_disk_answers_503_then_recovers(small_disk):
    url = f"sqlite:///{small_disk}/faults.db"
    _prepare(url)
    with gunicorn(url, workers=1) as server:
        filler = small_disk / "filler"
        try:
            with open(filler, "wb") as fh:
                while True:
                    fh.write(b"\0" * 4096)
                    fh.flush()
        except OSError:
            pass   # the disk is full
        burst = Burst(server, resend_for=0.5)   # a full disk answers at once: a few tries each
        burst.run(20, threads=4)
        assert not burst.bad, burst.bad[:5]
        assert 503 in {status for status, _u, _k in burst.answers}
        filler.unlink()
        _assert_held(burst, url)
        _recovers(server)
        _assert_held(burst, url)
