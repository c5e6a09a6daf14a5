"""Hardening (issue 22): who the client is, sign-in locks that never lock the owner out,
public intake per client and per building."""
import logging

from tests.conftest import PASSWORD, suggestion

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


def _sign_in(client, username, password, env):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       environ_base=env)


def test_lock_applies_to_the_failing_client_not_the_owner(app, client, people):
    app.config["LOGIN_FAIL_LIMIT_USER"] = "3/15 minutes"
    try:
        codes = [_sign_in(client, "captain", f"wrong-{i}", ATTACKER).status_code for i in range(4)]
        assert codes == [401, 401, 401, 429]
        # The right password from the attacker's address is refused too …
        locked = _sign_in(client, "captain", PASSWORD, ATTACKER)
        assert locked.status_code == 429
        # … but the captain's own phone gets in.
        assert _sign_in(client, "captain", PASSWORD, OWNER).status_code == 200
    finally:
        app.config["LOGIN_FAIL_LIMIT_USER"] = "10/15 minutes"


def test_a_locked_out_person_is_told_how_long_in_chinese_and_english(app, client, people):
    app.config["LOGIN_FAIL_LIMIT_USER"] = "2/15 minutes"
    try:
        for i in range(2):
            _sign_in(client, "captain", f"wrong-{i}", ATTACKER)
        r = _sign_in(client, "captain", PASSWORD, ATTACKER)
        body = r.get_json()["error"]
        assert r.status_code == 429 and body["locked"] is True
        assert body["retry_after"] == 60 and int(r.headers["Retry-After"]) >= 60
        assert "1 分钟后再试" in body["message"]
        r = client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD},
                        environ_base=ATTACKER, headers={"Accept-Language": "en"})
        assert "Try again in 1 minutes" in r.get_json()["error"]["message"]
    finally:
        app.config["LOGIN_FAIL_LIMIT_USER"] = "10/15 minutes"


def test_the_lock_grows_and_then_ends(app, client, people, clock):
    app.config["LOGIN_FAIL_LIMIT_USER"] = "2/15 minutes"
    try:
        for i in range(2):
            _sign_in(client, "captain", f"wrong-{i}", ATTACKER)
        clock.advance(seconds=61)
        assert _sign_in(client, "captain", "wrong-again", ATTACKER).status_code == 401
        r = _sign_in(client, "captain", PASSWORD, ATTACKER)
        assert r.get_json()["error"]["retry_after"] == 120   # doubled
        clock.advance(seconds=121)
        assert _sign_in(client, "captain", PASSWORD, ATTACKER).status_code == 200
    finally:
        app.config["LOGIN_FAIL_LIMIT_USER"] = "10/15 minutes"


def test_staff_unlock_is_audited(app, client, people, login):
    app.config["LOGIN_FAIL_LIMIT_USER"] = "2/15 minutes"
    try:
        for i in range(3):
            _sign_in(client, "captain", f"wrong-{i}", ATTACKER)
        assert _sign_in(client, "captain", PASSWORD, ATTACKER).status_code == 429
        admin = login("admin")
        r = admin.post(f"/api/v1/users/{people['captain']}/unlock")
        assert r.status_code == 200 and r.get_json()["unlocked"] == 1
        assert _sign_in(client, "captain", PASSWORD, ATTACKER).status_code == 200
        assert any(e["action"] == "unlock_sign_in" for e in admin.get("/api/v1/audit").get_json()["items"])
        assert login("committee2").post(f"/api/v1/users/{people['captain']}/unlock").status_code == 404
    finally:
        app.config["LOGIN_FAIL_LIMIT_USER"] = "10/15 minutes"


def test_console_sign_in_lock_and_unlock(app, people, login):
    import re

    app.config["LOGIN_FAIL_LIMIT_USER"] = "2/15 minutes"
    try:
        client = app.test_client()

        def post(password):
            html = client.get("/admin/login", environ_base=ATTACKER).get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
            return client.post("/admin/login", environ_base=ATTACKER, data={
                "username": "committee", "password": password, "csrf_token": token})
        assert [post("bad-one-1").status_code, post("bad-one-2").status_code] == [401, 401]
        r = post(PASSWORD)
        assert r.status_code == 429 and "分钟后再试" in r.get_data(as_text=True)
        assert login("admin").post(f"/api/v1/users/{people['committee']}/unlock").status_code == 200
        assert post(PASSWORD).status_code == 302
    finally:
        app.config["LOGIN_FAIL_LIMIT_USER"] = "10/15 minutes"


def test_refusals_are_in_the_security_log(app, client, people, caplog):
    app.config["LOGIN_FAIL_LIMIT_USER"] = "1/15 minutes"
    try:
        with caplog.at_level(logging.WARNING, logger="tongxin.security"):
            _sign_in(client, "captain", "wrong", ATTACKER)
            _sign_in(client, "captain", PASSWORD, ATTACKER)
        lines = [r.getMessage() for r in caplog.records if r.name == "tongxin.security"]
        assert any('"status": 429' in line and "203.0.113.9" in line for line in lines)
        assert not any(PASSWORD in line for line in lines)
    finally:
        app.config["LOGIN_FAIL_LIMIT_USER"] = "10/15 minutes"


def test_trusted_proxies_tell_who_the_client_is(app, people):
    app.config["LOGIN_FAIL_LIMIT_USER"] = "1/15 minutes"
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}   # nginx, for every phone
    try:
        app.config["TRUSTED_PROXIES"] = 1
        headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        client.post("/api/v1/auth/login", json={"username": "captain", "password": "nope-nope"},
                    environ_base=proxy, headers=headers)
        r = client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD},
                        environ_base=proxy, headers=headers)
        assert r.status_code == 429   # the attacker's phone is locked …
        r = client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD},
                        environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.7"})
        assert r.status_code == 200   # … the owner behind the same proxy is not
        # Without a trusted proxy the header is anyone's to write, and is ignored.
        app.config["TRUSTED_PROXIES"] = 0
        r = client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD},
                        environ_base=ATTACKER, headers={"X-Forwarded-For": "198.51.100.7"})
        assert r.status_code == 429
    finally:
        app.config["TRUSTED_PROXIES"] = 0
        app.config["LOGIN_FAIL_LIMIT_USER"] = "10/15 minutes"


def test_forwarded_proto_makes_the_request_secure():
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    from app.core.ratelimit import TrustedProxies

    def echo(environ, start_response):
        return Response(f"{environ['wsgi.url_scheme']} {environ.get('REMOTE_ADDR')}")(
            environ, start_response)
    config = {"TRUSTED_PROXIES": 1}
    client = Client(TrustedProxies(echo, config))
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert client.get("/", headers=headers).get_data(as_text=True) == "https 203.0.113.9"
    config["TRUSTED_PROXIES"] = 0
    assert client.get("/", headers=headers).get_data(as_text=True) == "http None"


def test_public_intake_is_limited_per_client_and_per_building(app, anon):
    from tests.conftest import GRID_CSV  # noqa: F401

    app.config["PUBLIC_SUBMIT_LIMIT_NODE"] = "3/minute"
    try:
        codes = [anon.post("/api/v1/submissions", json=suggestion("B1"),
                           environ_base={"REMOTE_ADDR": f"198.51.100.{i}"}).status_code
                 for i in range(4)]
        assert codes[:3] != [429] * 3 and codes[3] == 429
        r = anon.post("/api/v1/submissions", json=suggestion("B2"),
                      environ_base={"REMOTE_ADDR": "198.51.100.99"})
        assert r.status_code != 429   # another building still takes letters
    finally:
        app.config["PUBLIC_SUBMIT_LIMIT_NODE"] = "60/minute"


def test_public_letters_are_taken_with_rate_limits_switched_off(app, anon, people, monkeypatch):
    """RATELIMIT_ENABLED=False (a bench, an intranet behind its own limits): no limit at all,
    the per-building one neither — it answered 500 for every public letter."""
    from app.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", False)
    monkeypatch.setattr(limiter, "_limiter", None)   # as init_app leaves it when switched off
    r = anon.post("/api/v1/submissions", json=suggestion("B1"))
    assert r.status_code == 201, r.get_json()
