"""Test fixtures: one app and schema per session, emptied between tests.

Set TEST_DATABASE_URL=postgresql+psycopg://... to run the whole suite on PostgreSQL.
"""
import os
import threading
import time
import uuid as uuidlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db, limiter

IN_CI = os.environ.get("CI", "").lower() == "true"
START = datetime(2026, 3, 2, 9, 0, 0)


class FrozenClock:
    """An injected clock: tests move time forward instead of sleeping."""

    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> datetime:
        self.now = self.now + timedelta(**kwargs)
        return self.now


def _database_url(tmp: str) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{os.path.join(tmp, 'test.db')}"


@pytest.fixture(scope="session")
def clock():
    return FrozenClock()


@pytest.fixture(scope="session")
def app(clock, tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("instance"))
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp),
        "SECRET_KEY": "test-secret-key-0123456789",
        "UPLOAD_FOLDER": os.path.join(tmp, "uploads"),
        "CLOCK": clock,
        # Cheap hashes keep fixtures fast; production uses scrypt (tested in test_app.py).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 20, "max_overflow": 40}
        if os.environ.get("TEST_DATABASE_URL") else {},
    })
    # No app context stays pushed: each request must get its own, as in production
    # (its own `g`, its own session, rolled back at teardown).
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        else:
            db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def _load_builtin_forms():
    from app.forms.builtin import builtin_forms
    from app.forms.models import Form, FormVersion

    for item in builtin_forms():
        form = Form(slug=item["slug"], kind=item["kind"], public=item["public"],
                    submit_scope=item["submit_scope"], current_version=1)
        db.session.add(form)
        db.session.flush()
        db.session.add(FormVersion(form_id=form.id, number=1, definition=item["definition"],
                                   workflow=item["workflow"]))
    db.session.commit()


def _empty_database():
    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    # Emptying submissions records its changes of the statistics' tallies: those go last.
    tables.sort(key=lambda name: name.startswith("submission_tall"))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
        db.session.execute(text("DELETE FROM sqlite_sequence")) if db.session.execute(
            text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first() else None
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean(app, clock):
    from app.forms.services import clear_schema_cache

    with app.app_context():
        _empty_database()
        clear_schema_cache()
        _load_builtin_forms()
        limiter.reset()
    clock.now = START
    app.config["PUBLIC_SUBMIT_LIMIT"] = "1000/minute"
    yield


@pytest.fixture
def in_app(app):
    """Run a function inside an app context (for direct database checks)."""

    def run(fn, *args, **kwargs):
        with app.app_context():
            result = fn(*args, **kwargs)
            db.session.commit()
            return result

    return run


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


GRID_CSV = """code,name,level,parent_code
ST,西南街道,street,
C1,北江社区,community,ST
C2,文锋东社区,community,ST
E1,时代城小区,estate,C1
E2,江景花园,estate,C1
E3,铁路新村,estate,C2
B1,时代城1栋,building,E1
B2,时代城2栋,building,E1
B3,江景花园1座,building,E2
B4,铁路新村1幢,building,E3
B5,铁路新村2幢,building,E3
"""

PASSWORD = "correct-horse-9"


@pytest.fixture
def grid(app):
    """A small grid: street ST; communities C1, C2; estates E1, E2 (C1), E3 (C2);
    buildings B1, B2 (E1), B3 (E2), B4, B5 (E3)."""
    from app.grid.services import import_grid

    with app.app_context():
        import_grid(GRID_CSV)
        db.session.commit()
    return GRID_CSV


@pytest.fixture
def make_user(app):
    """Factory: make_user("cap1", ("captain", "B1"), ("partner", None, "燃气公司"))."""
    from app.accounts.services import create_user, get_or_create_org, grant_role
    from app.grid.services import node_by_code

    def make(username, *roles, password=PASSWORD, display_name=None):
        """Returns the user's id."""
        from app.accounts.services import user_by_username
        with app.app_context():
            user = user_by_username(username) or create_user(
                username, password, display_name or username, "")
            for spec in roles:
                role, code = spec[0], spec[1] if len(spec) > 1 else None
                org = get_or_create_org(spec[2]) if len(spec) > 2 and spec[2] else None
                grant_role(user, role, node_by_code(code) if code else None, org)
            db.session.commit()
            return user.id

    return make


class Api:
    """A tiny JSON client bound to a bearer token (or none)."""

    def __init__(self, client, token=None, lang=None):
        self.client, self.token, self.lang = client, token, lang

    def _headers(self, extra=None):
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.lang:
            headers["Accept-Language"] = self.lang
        headers.update(extra or {})
        return headers

    def get(self, url, **kw):
        return self.client.get(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url, json=None, **kw):
        return self.client.post(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, url, json=None, **kw):
        return self.client.patch(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def login(client):
    """login("cap1") → an Api bound to that user's bearer token."""

    def do(username, password=PASSWORD):
        fresh = client.application.test_client()
        r = fresh.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.get_json()
        return Api(fresh, r.get_json()["token"])

    return do


@pytest.fixture
def anon(client):
    return Api(client.application.test_client())


@pytest.fixture
def people(grid, make_user):
    """One person per role on the small grid."""
    return {
        "admin": make_user("admin", ("admin",)),
        "street": make_user("street", ("committee", "ST")),
        "committee": make_user("committee", ("committee", "C1")),
        "committee2": make_user("committee2", ("committee", "C2")),
        "branch": make_user("branch", ("branch", "E1")),
        "branch2": make_user("branch2", ("branch", "E2")),
        "branch3": make_user("branch3", ("branch", "E3")),
        "captain": make_user("captain", ("captain", "B1")),
        "captain2": make_user("captain2", ("captain", "B2")),
        "captain4": make_user("captain4", ("captain", "B4")),
        "partner": make_user("partner", ("partner", None, "三水燃气公司")),
        "partner2": make_user("partner2", ("partner", None, "电信三水分公司")),
        "volunteer": make_user("volunteer", ("volunteer", "C1")),
        "resident": make_user("resident"),
    }


def new_uuid() -> str:
    return str(uuidlib.uuid4())


def suggestion(grid_code="B1", **data):
    body = {"category": "repair", "content": "楼道灯坏了", "anonymous": True}
    body.update(data)
    return {"uuid": new_uuid(), "form": "suggestion", "grid_code": grid_code, "data": body}


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


@pytest.fixture
def faults(app):
    return Faults(app.wsgi_app)


@pytest.fixture
def live_server(app, faults):
    """The real app served on a loopback port from a thread (for concurrent requests)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, faults, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    # Let requests still being handled finish before the next test empties the database.
    deadline = time.monotonic() + 10
    while faults.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting on a condition, bounded




def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL")
    return [f"database: {url}" if url else
            "database: SQLite (set TEST_DATABASE_URL=postgresql+psycopg://… for the PostgreSQL pass)"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI, a skipped PostgreSQL or browser test is a failure."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and call.when in ("setup", "call"):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        # PostgreSQL-only tests skip in the SQLite pass by design; in the PostgreSQL pass
        # (TEST_DATABASE_URL set) they must run.
        if "browser tests:" in reason or (
                "postgresql tests:" in reason and os.environ.get("TEST_DATABASE_URL")):
            report.outcome = "failed"
            report.longrepr = f"skipped in CI, which counts as a failure: {reason}"




def _gunicorn(app):
    """The real app under gunicorn (2 worker processes × 8 threads) on this test database."""
    import socket
    import subprocess
    import sys
    import time

    import requests

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY="test-secret-key-0123456789", LOGIN_FAIL_LIMIT_CLIENT="1000/minute")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "8", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"], cwd=root, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("gunicorn did not start")
        time.sleep(0.1)  # polling a starting process, not waiting for time to pass
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def gunicorn_server(app):
    yield from _gunicorn(app)


@pytest.fixture
def gunicorn_pair(app):
    """Two gunicorn instances (as on two app servers) sharing this test database."""
    first, second = _gunicorn(app), _gunicorn(app)
    urls = [next(first), next(second)]
    yield urls
    for server in (first, second):
        next(server, None)
