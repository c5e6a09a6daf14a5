"""Web Push to the PWA (issue 25, contract §6.3): the test plays the push service with a
local HTTP endpoint as the subscription's endpoint, decrypts the RFC 8291 payload with the
subscription's own keys, and answers 410 to see the subscription removed; quiet hours hold
a non-urgent push until 07:00 community time."""
import base64
import json
import os
from datetime import datetime

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from tests.conftest import submit_need, suggestion
from tests.test_webhooks import Receiver


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """What a browser keeps for one push subscription: its P-256 key pair and auth secret."""

    def __init__(self, endpoint: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        self.json = {"endpoint": endpoint, "expirationTime": None,
                     "keys": {"p256dh": _b64(public), "auth": _b64(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                 version="aes128gcm")
        return json.loads(plain)


class PushService(Receiver):
    """The Receiver of test_webhooks, keeping the raw (encrypted) bodies too."""

    def __init__(self, answers=()):
        super().__init__(answers)
        self.raw: list[bytes] = []
        handler = self.server.RequestHandlerClass
        service = self

        def do_POST(h):
            body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
            status = service.answers.pop(0) if service.answers else 201
            service.raw.append(body)
            service.requests.append(({k.lower(): v for k, v in h.headers.items()}, "", status))
            h.send_response(status)
            h.end_headers()

        handler.do_POST = do_POST


@pytest.fixture
def allow_private(app):
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    yield
    app.config["OUTBOUND_ALLOW_PRIVATE"] = False


def _subscribe(api, browser):
    r = api.post("/api/v1/push/subscriptions", json=browser.json)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _work(runner, *extra):
    result = runner.invoke(args=["worker", "--once", *extra])
    assert result.exit_code == 0, result.output
    return result.output


def _count(app, model):
    from app.extensions import db

    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_key_is_the_public_vapid_key_and_the_private_one_never_shows(app, login, people):
    r = login("captain").get("/api/v1/push/key")
    assert r.status_code == 200
    key = r.get_json()["public_key"]
    assert key == app.config["VAPID_PUBLIC_KEY"] and "=" not in key
    assert len(base64.urlsafe_b64decode(key + "==")) == 65   # an uncompressed P-256 point
    assert app.config["VAPID_PRIVATE_KEY"] not in r.get_data(as_text=True)
    spec = login("admin").get("/api/v1/openapi.json").get_data(as_text=True)
    assert app.config["VAPID_PRIVATE_KEY"] not in spec


def test_a_letter_reaches_the_captains_phone_as_an_encrypted_push(
        app, login, anon, people, runner, allow_private):
    with PushService() as service:
        browser = Browser(service.url)
        captain = login("captain")
        _subscribe(captain, browser)
        sub = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
        assert "delivered 1" in _work(runner)
        assert "delivered 0, to retry 0" in _work(runner)   # once
    [(headers, _body, status)] = service.requests
    assert status == 201
    assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0
    assert headers["authorization"].startswith("vapid t=")
    assert f"k={app.config['VAPID_PUBLIC_KEY']}" in headers["authorization"]
    message = browser.decrypt(service.raw[0])
    assert "楼长信箱" in message["title"] and sub["tracking_code"] in message["title"]
    assert "时代城1栋" in message["body"]
    assert message["url"] == f"/app/item/{sub['id']}"


def test_a_410_removes_the_subscription(app, login, anon, people, runner, allow_private):
    from app.notifications.models import Delivery, PushSubscription

    with PushService(answers=[410]) as service:
        _subscribe(login("captain"), Browser(service.url))
        assert _count(app, PushSubscription) == 1
        anon.post("/api/v1/submissions", json=suggestion("B1"))
        _work(runner)
        assert len(service.requests) == 1
        assert _count(app, PushSubscription) == 0
        anon.post("/api/v1/submissions", json=suggestion("B1"))
        _work(runner)
        assert len(service.requests) == 1   # nobody to push to any more
    from app.extensions import db
    with app.app_context():
        [(state, last)] = db.session.execute(select(Delivery.state, Delivery.last_status)
                                             .where(Delivery.target.like("push:%"))).all()
    assert (state, last) == ("failed", 410)


def test_quiet_hours_hold_a_non_urgent_push_until_seven(
        app, login, anon, people, runner, clock, allow_private):
    clock.now = datetime(2026, 3, 2, 15, 30)   # 23:30 in Asia/Shanghai
    with PushService() as service:
        _subscribe(login("captain"), Browser(service.url))
        anon.post("/api/v1/submissions", json=suggestion("B1"))
        # In the app at once: only the phone is not woken.
        assert login("captain").get("/api/v1/notifications").get_json()["unread"] == 1
        assert "delivered 0" in _work(runner)
        clock.now = datetime(2026, 3, 2, 22, 59, 59)   # 06:59:59
        assert "delivered 0" in _work(runner)
        assert service.requests == []
        clock.now = datetime(2026, 3, 2, 23, 0)        # 07:00
        assert "delivered 1" in _work(runner)
        assert len(service.requests) == 1


def test_an_urgent_need_is_pushed_at_night(app, login, anon, people, runner, clock,
                                           allow_private):
    clock.now = datetime(2026, 3, 2, 17, 0)   # 01:00 in Asia/Shanghai
    with PushService() as service:
        browser = Browser(service.url)
        _subscribe(login("captain"), browser)
        need = submit_need(login("branch"), "B1")
        out = _work(runner)
        if "delivered 1" not in out:
            pytest.fail(f"the urgent need was held: {out}")
    message = browser.decrypt(service.raw[0])
    assert need["tracking_code"] in message["title"]
    assert service.requests[0][0]["urgency"] == "high"


def test_quiet_hours_are_configurable_and_can_be_off(app):
    from app.notifications import quiet

    with app.app_context():
        assert quiet.parse("off") is None
        with pytest.raises(ValueError):
            quiet.parse("late")
        night = datetime(2026, 3, 2, 15, 30)
        assert quiet.hold_until(night) == datetime(2026, 3, 2, 23, 0)
        assert quiet.hold_until(night, urgent=True) == night
        assert quiet.hold_until(datetime(2026, 3, 2, 16, 30)) == datetime(2026, 3, 2, 23, 0)
        day = datetime(2026, 3, 2, 3, 0)   # 11:00
        assert quiet.hold_until(day) == day
        previous = app.config["QUIET_HOURS"]
        app.config["QUIET_HOURS"] = None
        try:
            assert quiet.hold_until(night) == night
        finally:
            app.config["QUIET_HOURS"] = previous


@pytest.mark.parametrize("body", [
    {}, {"endpoint": "https://push.example/x"}, {"endpoint": 5, "keys": {}},
    {"endpoint": "https://push.example/x", "keys": {"p256dh": "short", "auth": "x"}},
    {"endpoint": "ftp://push.example/x", "keys": {"p256dh": "A" * 87, "auth": "A" * 22}},
    [1]])
def test_bad_subscriptions_are_422(login, people, body):
    r = login("captain").post("/api/v1/push/subscriptions", json=body)
    assert r.status_code == 422


def test_subscriptions_to_private_addresses_are_refused_and_sign_in_is_needed(
        login, anon, people):
    browser = Browser("http://127.0.0.1:9/push")
    r = login("captain").post("/api/v1/push/subscriptions", json=browser.json)
    assert r.status_code == 422 and r.get_json()["error"]["fields"]["endpoint"]
    assert anon.post("/api/v1/push/subscriptions", json=browser.json).status_code == 401


def test_unsubscribing_only_removes_ones_own(app, login, people, allow_private):
    from app.notifications.models import PushSubscription

    browser = Browser("http://127.0.0.1:9/push/abc")
    captain, other = login("captain"), login("captain2")
    _subscribe(captain, browser)
    _subscribe(captain, browser)   # again: still one
    assert _count(app, PushSubscription) == 1

    def delete(api, body):
        return api.client.delete("/api/v1/push/subscriptions", json=body,
                                 headers=api._headers())
    assert delete(other, {"endpoint": browser.json["endpoint"]}).status_code == 404
    assert delete(captain, {}).status_code == 422
    r = delete(captain, {"endpoint": browser.json["endpoint"]})
    assert r.status_code == 200 and r.get_json() == {"removed": 1}
    assert _count(app, PushSubscription) == 0


def test_keys_come_from_the_environment_and_production_has_none_without(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from app.notifications import push

    public, private = push.new_keys()
    monkeypatch.setenv("VAPID_PRIVATE_KEY", private)
    monkeypatch.delenv("VAPID_PUBLIC_KEY", raising=False)
    app = SimpleNamespace(config={"ENV_NAME": "production"}, instance_path=str(tmp_path))
    push.configure(app)
    assert app.config["VAPID_PUBLIC_KEY"] == public   # derived from the private key
    monkeypatch.delenv("VAPID_PRIVATE_KEY")
    app = SimpleNamespace(config={"ENV_NAME": "production"}, instance_path=str(tmp_path))
    push.configure(app)
    assert app.config["VAPID_PRIVATE_KEY"] is None and app.config["VAPID_PUBLIC_KEY"] is None
    dev = [SimpleNamespace(config={"ENV_NAME": "development"}, instance_path=str(tmp_path))
           for _ in range(2)]
    for one in dev:
        push.configure(one)
    assert dev[0].config["VAPID_PRIVATE_KEY"] == dev[1].config["VAPID_PRIVATE_KEY"]
    assert oct((tmp_path / "vapid.json").stat().st_mode)[-3:] == "600"


def test_without_keys_the_key_route_says_so(app, login, people):
    keep = app.config["VAPID_PUBLIC_KEY"]
    app.config["VAPID_PUBLIC_KEY"] = None
    try:
        r = login("captain").get("/api/v1/push/key")
        assert r.status_code == 503 and "VAPID" in r.get_json()["error"]["message"]
    finally:
        app.config["VAPID_PUBLIC_KEY"] = keep
