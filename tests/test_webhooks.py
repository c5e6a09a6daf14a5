"""Signed webhooks through the transactional outbox (issue 25, contract §6.3)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook as Verifier

from tests.conftest import suggestion
from tests.servers import outbox_worker_killed_mid_batch


class Receiver:
    """A real HTTP endpoint on 127.0.0.1: records every request, answers from a script."""

    def __init__(self, answers=(), delay=0.0):
        self.answers = list(answers)   # statuses for the next requests; then 200
        self.delay = delay             # seconds each answer takes (a slow endpoint)
        self.requests: list[tuple[dict, str, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                status = receiver.answers.pop(0) if receiver.answers else 200
                if receiver.delay:
                    time.sleep(receiver.delay)   # the endpoint's own slowness
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()},
                                          body, status))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def delivered(self):
        return [(h, json.loads(b)) for h, b, status in self.requests if status == 200]


@pytest.fixture
def allow_private(app):
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    yield
    app.config["OUTBOUND_ALLOW_PRIVATE"] = False


def _register(api, url, events=("submission.created", "submission.state_changed")):
    r = api.post("/api/v1/webhooks", json={"url": url, "events": list(events),
                                            "description": "12345 热线桥"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _work(runner, *extra):
    result = runner.invoke(args=["worker", "--once", *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_admin_registers_a_webhook_and_sees_its_secret_once(login, people, allow_private):
    admin = login("admin")
    hook = _register(admin, "http://127.0.0.1:9/hook")
    assert hook["secret"].startswith("whsec_") and hook["events"] == [
        "submission.created", "submission.state_changed"]
    listed = admin.get("/api/v1/webhooks").get_json()["items"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    assert "secret" not in admin.get(f"/api/v1/webhooks/{hook['id']}").get_json()
    assert login("committee").post("/api/v1/webhooks", json={
        "url": "http://127.0.0.1:9/", "events": ["submission.created"]}).status_code == 403
    assert login("committee").get(f"/api/v1/webhooks/{hook['id']}/deliveries").status_code == 403
    assert admin.get("/api/v1/webhooks/999/deliveries").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"url": "ftp://example.org/x", "events": ["submission.created"]}, "url"),
    ({"url": "http://exa mple.org:99999/", "events": ["submission.created"]}, "url"),
    ({"url": "http://example.org/", "events": ["submission.exploded"]}, "events"),
    ({"url": "http://example.org/", "events": []}, "events"),
    ({"url": "http://example.org/", "events": "submission.created"}, "events"),
    ({"url": ["x"], "events": ["submission.created"]}, "url"),
])
def test_bad_webhook_bodies_are_refused_with_the_reason(login, people, body, field):
    r = login("admin").post("/api/v1/webhooks", json=body)
    assert r.status_code == 422 and field in r.get_json()["error"]["fields"]


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/", "http://localhost/", "http://169.254.169.254/latest/meta-data",
    "http://10.1.2.3/", "http://192.168.0.1/", "http://[::1]/", "http://[fe80::1]/",
    "http://0.0.0.0/"])
def test_private_loopback_and_link_local_urls_are_refused(login, people, url):
    r = login("admin").post("/api/v1/webhooks", json={"url": url, "events": ["submission.created"]})
    assert r.status_code == 422
    assert "内网" in r.get_json()["error"]["fields"]["url"][0]   # the reason, in zh-CN


def test_signed_events_arrive_once_each_in_order_after_a_failed_first_attempt(
        login, anon, people, runner, clock, allow_private):
    with Receiver(answers=[500]) as receiver:
        hook = _register(login("admin"), receiver.url)
        sub = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
        r = login("captain").post(f"/api/v1/submissions/{sub['id']}/transitions",
                                  json={"action": "escalate"})
        assert r.status_code == 200
        assert "delivered 0, to retry 1" in _work(runner)
        # The second event waits behind the first: nothing more was sent.
        assert [s for _h, _b, s in receiver.requests] == [500]
        deliveries = login("admin").get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()
        first = next(d for d in deliveries["items"] if d["type"] == "submission.created")
        assert first["state"] == "pending" and first["attempts"] == 1
        assert first["last_status"] == 500
        assert _work(runner).startswith("worker: delivered 0")   # not due yet: 5 s later
        clock.advance(seconds=5)
        assert "delivered 2" in _work(runner)
        assert "delivered 0, to retry 0" in _work(runner)   # nothing twice
    verifier = Verifier(hook["secret"])
    for headers, body, _status in receiver.requests:
        verifier.verify(body, headers)   # raises on a bad signature
    ids = [h["webhook-id"] for h, _b, _s in receiver.requests]
    assert ids[0] == ids[1] != ids[2]   # a retry keeps its webhook-id
    events = [body for _h, body in receiver.delivered()]
    assert [e["type"] for e in events] == ["submission.created", "submission.state_changed"]
    created, changed = (e["data"] for e in events)
    assert created["submission_id"] == sub["id"] and created["form"] == "suggestion"
    assert created["grid_code"] == "B1" and created["state"] == "at_captain"
    assert len(created["tracking_code"]) == 8
    assert (changed["from_state"], changed["action"], changed["state"]) == (
        "at_captain", "escalate", "at_branch")
    assert events[0]["timestamp"].endswith("Z")
    items = login("admin").get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()["items"]
    assert {d["state"] for d in items} == {"delivered"} and all(
        d["last_status"] == 200 for d in items)


def test_an_endpoint_that_keeps_failing_is_retried_on_schedule_then_failed(
        login, anon, people, runner, clock, allow_private):
    from app.notifications.worker import MAX_ATTEMPTS, retry_delay

    with Receiver(answers=[503] * 50) as receiver:
        hook = _register(login("admin"), receiver.url, ["submission.created"])
        anon.post("/api/v1/submissions", json=suggestion("B1"))
        for attempt in range(1, MAX_ATTEMPTS + 1):
            _work(runner)
            assert len(receiver.requests) == attempt
            if attempt < MAX_ATTEMPTS:
                clock.advance(seconds=retry_delay(attempt).total_seconds() - 1)
                _work(runner)   # a second early: not yet
                assert len(receiver.requests) == attempt
                clock.advance(seconds=1)
        assert retry_delay(1).total_seconds() <= 10
        assert retry_delay(2) > retry_delay(1) and retry_delay(3) > retry_delay(2)
        [delivery] = login("admin").get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()["items"]
        assert delivery["state"] == "failed" and delivery["attempts"] == MAX_ATTEMPTS
        assert delivery["last_status"] == 503
        clock.advance(days=2)
        _work(runner)
        assert len(receiver.requests) == MAX_ATTEMPTS   # failed stays failed
        # Staff queue it again; it goes out with the same webhook-id.
        r = login("admin").post(f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/retry")
        assert r.status_code == 200 and r.get_json()["state"] == "pending"
        receiver.answers = []
        assert "delivered 1" in _work(runner)
        assert receiver.requests[-1][0]["webhook-id"] == receiver.requests[0][0]["webhook-id"]


def test_a_rolled_back_change_queues_nothing(app, login, people, allow_private):
    from app.extensions import db
    from app.notifications.models import Delivery, Notification
    from app.submissions.write import create_submission

    _register(login("admin"), "http://127.0.0.1:9/hook")
    with app.test_request_context():
        sub, created = create_submission(suggestion("B1"), None)
        assert created
        assert db.session.execute(select(func.count()).select_from(Delivery)).scalar_one() == 1
        assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 1
        db.session.rollback()
        assert db.session.execute(select(func.count()).select_from(Delivery)).scalar_one() == 0
        assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 0


def test_a_refused_transition_queues_nothing(app, login, anon, people, allow_private):
    from app.extensions import db
    from app.notifications.models import Delivery

    _register(login("admin"), "http://127.0.0.1:9/hook")
    sub = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
    r = login("captain").post(f"/api/v1/submissions/{sub['id']}/transitions",
                              json={"action": "resolve"})
    assert r.status_code == 422   # a comment is required
    with app.app_context():
        assert db.session.execute(select(Delivery.event_type)).scalars().all() == [
            "submission.created"]


def test_a_claim_is_a_lease_that_one_worker_holds_until_it_ends(
        app, login, anon, people, clock, allow_private):
    from app.notifications.worker import claim

    _register(login("admin"), "http://127.0.0.1:9/hook")
    anon.post("/api/v1/submissions", json=suggestion("B1"))
    anon.post("/api/v1/submissions", json=suggestion("B2"))
    with app.app_context():
        taken = claim(clock())
        assert len(taken) == 2
        assert claim(clock()) == []   # a second worker finds nothing free
        # The first worker was killed: when its lease ends, the rows are taken again.
        clock.advance(minutes=10)
        assert sorted(claim(clock())) == sorted(taken)


def test_events_from_the_sync_batch_and_other_services_are_queued(
        app, login, anon, people, allow_private):
    from app.extensions import db
    from app.notifications.models import Delivery

    _register(login("admin"), "http://127.0.0.1:9/hook", ["*"])
    ops = [{"op": "submit", **suggestion(code)} for code in ("B1", "B2", "B3")]
    r = login("captain").post("/api/v1/sync", json={"ops": ops})
    assert r.status_code == 200
    notice = login("committee").post("/api/v1/notices", json={
        "title": "停水通知", "body": "周六停水", "grid_code": "C1"})
    assert notice.status_code == 201, notice.get_json()
    with app.app_context():
        rows = db.session.execute(select(Delivery.event_type, Delivery.payload)
                                  .order_by(Delivery.id)).all()
    types = [t for t, _p in rows]
    assert types.count("submission.created") == 3 and types[-1] == "notice.published"
    assert json.loads(rows[-1][1])["data"]["title"] == "停水通知"


@pytest.mark.committed
@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(app, login, people, allow_private):
    """500 deliveries; the worker process is SIGKILLed part-way and started again: every
    delivery arrives, and a repeat (the batch the killed worker held) carries the same
    webhook-id, so the receiver drops it."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.notifications.models import Delivery
    from app.notifications.worker import BATCH

    with Receiver(delay=0.003) as receiver:
        hook = _register(login("admin"), receiver.url, ["*"])
        with app.app_context():
            now = app.config["CLOCK"]()
            db.session.execute(insert(Delivery), [
                {"target": f"webhook:{hook['id']}", "webhook_id": hook["id"],
                 "event_id": f"evt_{i}", "event_type": "timer.fired",
                 "idempotency_key": f"msg_{i:03d}", "payload": json.dumps({"n": i}),
                 "state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
                for i in range(500)])
            db.session.commit()
        outbox_worker_killed_mid_batch(app, lambda: len(receiver.requests), total=500)
    ids = [headers["webhook-id"] for headers, _body, _status in receiver.requests]
    assert set(ids) == {f"msg_{i:03d}" for i in range(500)}
    assert len(ids) - len(set(ids)) <= BATCH   # repeats: only what the killed worker held
