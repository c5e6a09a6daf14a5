"""Real servers for the tests that need one (a pytest plugin, loaded by conftest.py).

A test that uses any of these fixtures runs on committed data (see conftest.py, "Isolation"):
the servers answer from other threads and processes, on their own connections.
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_SECRET_KEY = "test-secret-key-0123456789"
SERVER_FIXTURES = {"live_server", "gunicorn_server", "gunicorn_pair"}


class Faults:
    """WSGI wrapper for browser tests: the server "down" (a proxy answering 503) or a
    response lost after the app processed the request (a proxy answering 502)."""

    def __init__(self, app):
        self.app = app
        self.in_flight = 0
        self.lock = threading.Lock()
        self.down = False
        self.lose = {}  # path → how many more responses to lose
        self.lost = []
        self.refused = []  # paths answered 503 while "down"

    def __call__(self, environ, start_response):
        with self.lock:
            self.in_flight += 1
        try:
            return list(self._serve(environ, start_response))
        finally:
            with self.lock:
                self.in_flight -= 1

    def _serve(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if self.down and (path.startswith("/api/") or path == "/healthz"):
            self.refused.append(path)
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down"]
        if self.lose.get(path):
            self.lose[path] -= 1
            captured = {}

            def keep(status, headers, exc_info=None):
                captured["status"] = status
                return lambda data: None
            body = b"".join(self.app(environ, keep))
            self.lost.append((path, captured.get("status"), body))
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
            return [b"lost"]
        return self.app(environ, start_response)


def _committed_only(request) -> None:
    """A server reads with its own connections: the test must commit (conftest.py)."""
    from tests.conftest import needs_committed_data

    if not needs_committed_data(request.node):
        raise RuntimeError(f"{request.node.nodeid} asks for a server through getfixturevalue: "
                           "mark it @pytest.mark.committed (the server cannot see a rolled-back "
                           "test's data)")


@pytest.fixture
def faults(app):
    return Faults(app.wsgi_app)


@pytest.fixture
def live_server(app, faults, request):
    """The real app served on a loopback port from a thread (for concurrent requests)."""
    _committed_only(request)
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, faults, threaded=True)
    # A short poll: shutdown() waits for the loop's next look (0.5 s by default, every test).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    # Let requests still being handled finish before the next test empties the database.
    deadline = time.monotonic() + 10
    while faults.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting on a condition, bounded


def _start_gunicorn(app):
    """The real app under gunicorn (2 worker processes × 8 threads) on this test database:
    (process, url), not yet answering."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The rushes serialize 200 claims on one post's row: with parallel test workers on a busy
    # machine the last ones waited past the 10 s statement timeout and got a (correct) 503.
    # These servers test what is stored, not latency: they wait longer than production.
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY=TEST_SECRET_KEY, LOGIN_FAIL_LIMIT_CLIENT="1000/minute",
               DB_STATEMENT_TIMEOUT_MS="60000", DB_CONNECT_TIMEOUT="30")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--preload", "-w", "2", "--threads", "8",
         "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env, start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


def _gunicorns(app, count: int):
    """`count` gunicorn instances sharing this test database, started side by side: their
    urls once every one answers."""
    servers = [_start_gunicorn(app) for _ in range(count)]
    try:
        for proc, url in servers:
            _wait_until_answering(proc, url)
        yield [url for _proc, url in servers]
    finally:
        # The test is over: the whole process group goes at once (a graceful or even a quick
        # shutdown costs about 1.5 s of gthread polling; test_faults times a graceful one
        # with its own server).
        for proc, _url in servers:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for proc, _url in servers:
            proc.wait(timeout=30)


def _wait_until_answering(proc, url) -> None:
    # Generous: under parallel workers on a busy 2-core machine, four gunicorn processes each
    # importing the app took over 30 s to answer.
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("gunicorn did not start")
        time.sleep(0.1)  # polling a starting process, not waiting for time to pass


@pytest.fixture
def gunicorn_server(app, request):
    _committed_only(request)
    for urls in _gunicorns(app, 1):
        yield urls[0]


@pytest.fixture
def gunicorn_pair(app, request):
    """Two gunicorn instances (as on two app servers) sharing this test database."""
    _committed_only(request)
    yield from _gunicorns(app, 2)


def wait_for(condition, seconds: float, every: float = 0.02) -> None:
    """Until `condition()` is true; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)   # waiting on a condition, bounded


def outbox_worker_killed_mid_batch(app, received, total: int, kill_after: int = 150,
                                   **env) -> None:
    """The outbox worker (`flask worker`, a process of its own on this test's database) killed
    with SIGKILL once `received()` reaches `kill_after` of the `total` pending deliveries, then
    started again until every delivery is delivered. `env`: more of the worker's settings."""
    from sqlalchemy import select

    from app.extensions import db
    from app.notifications.models import Delivery

    environment = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                       OUTBOUND_ALLOW_PRIVATE="true", OUTBOX_LEASE_SECONDS="1",
                       SECRET_KEY=TEST_SECRET_KEY, **env)
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]

    def start():
        return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def all_delivered():
        with app.app_context():
            states = db.session.execute(select(Delivery.state)).scalars().all()
            db.session.remove()
        return set(states) == {"delivered"}

    first = start()
    try:
        wait_for(lambda: received() >= kill_after, 180)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert received() < total   # killed mid-batch, not after the end
    second = start()
    try:
        wait_for(all_delivered, 240, every=0.1)
    finally:
        second.terminate()
        second.wait(timeout=30)
