"""Faults lose nothing (issue 9): half-done transactions, dropped connections, shutdown."""
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select, text

from app.extensions import db
from app.submissions.models import Submission
from tests.conftest import PASSWORD, new_uuid, suggestion

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Every test here commits: half-done transactions are checked from other connections and
# gunicorn serves the rest.
pytestmark = pytest.mark.committed


def _count(in_app):
    return in_app(lambda: db.session.execute(select(func.count()).select_from(Submission)).scalar_one())


def test_failure_half_way_leaves_nothing_behind(app, login, people, in_app, monkeypatch):
    from app.submissions import write

    api = login("branch")
    post = api.post("/api/v1/posts", json={"title": "岗", "grid_code": "B1", "capacity": 2,
                                           "starts_at": "2030-01-01T00:00:00Z",
                                           "ends_at": "2030-01-01T02:00:00Z"}).get_json()

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(write, "record_event", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = login("volunteer").post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": "B1", "data": {"post": post["id"]}})
    assert r.status_code == 500 and r.get_json()["error"]["code"] == "internal_error"
    assert _count(in_app) == 0
    assert api.get(f"/api/v1/posts/{post['id']}").get_json()["claimed"] == 0


def test_dropped_database_connections_recover(app, login, people, in_app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("postgresql tests: this pass runs on SQLite; set TEST_DATABASE_URL="
                    "postgresql+psycopg://… to run it (the PostgreSQL pass of .ci/run does)")
    api = login("captain")
    assert api.post("/api/v1/submissions", json=suggestion()).status_code == 201
    in_app(lambda: db.session.execute(text(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()")))
    assert api.get("/api/v1/submissions").status_code == 200  # pre-ping reconnects
    assert api.post("/api/v1/submissions", json=suggestion()).status_code == 201


@pytest.mark.slow
def test_gunicorn_shutdown_loses_no_accepted_submission(app, people, in_app):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY="test-secret-key-0123456789")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4",
                             "--graceful-timeout", "20", "-b", f"127.0.0.1:{port}",
                             "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(base + "/healthz", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.1)  # polling a starting process
    token = requests.post(base + "/api/v1/auth/login",
                          json={"username": "captain", "password": PASSWORD}).json()["token"]
    bodies = [suggestion() for _ in range(40)]

    def send(body):
        try:
            r = requests.post(base + "/api/v1/submissions", json=body, timeout=30,
                              headers={"Authorization": f"Bearer {token}"})
            return body["uuid"], r.status_code
        except requests.RequestException:
            return body["uuid"], None

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(send, b) for b in bodies]
        futures[0].result()
        proc.send_signal(signal.SIGTERM)
        results = [f.result() for f in futures]
    proc.wait(timeout=60)
    accepted = {uuid for uuid, status in results if status == 201}
    stored = set(in_app(lambda: db.session.execute(select(Submission.uuid)).scalars().all()))
    assert accepted and accepted <= stored
    assert stored <= {b["uuid"] for b in bodies}
