"""Sign-in, tokens, sessions and CSRF (contract §3, Authentication)."""
from datetime import timedelta

from tests.conftest import PASSWORD


def test_login_returns_token_csrf_and_roles(client, people):
    r = client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD})
    assert r.status_code == 200
    body = r.get_json()
    assert body["token"] and body["csrf_token"]
    assert body["user"]["username"] == "captain"
    assert body["user"]["roles"] == [{"role": "captain", "grid_code": "B1",
                                      "grid_name": "时代城1栋", "org": None}]
    assert "session" in r.headers.get("Set-Cookie", "")


def test_bearer_token_works_for_me(login, people):
    api = login("partner")
    r = api.get("/api/v1/auth/me")
    assert r.status_code == 200
    assert r.get_json()["user"]["roles"][0]["org"] == "三水燃气公司"


def test_bad_password_and_unknown_user_answer_the_same(client, people):
    bad = client.post("/api/v1/auth/login", json={"username": "captain", "password": "nope-nope"})
    unknown = client.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert bad.status_code == unknown.status_code == 401
    assert bad.get_json() == unknown.get_json()


def test_me_without_auth_is_401(client):
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthorized"


def test_expired_token_is_refused(login, people, clock):
    api = login("captain")
    clock.advance(days=29)
    assert api.get("/api/v1/auth/me").status_code == 200
    clock.advance(days=2)
    assert api.get("/api/v1/auth/me").status_code == 401


def test_logout_revokes_the_token(login, people):
    api = login("captain")
    assert api.post("/api/v1/auth/logout").status_code == 200
    assert api.get("/api/v1/auth/me").status_code == 401


def test_garbage_token_is_401_even_with_a_session_cookie(client, people):
    client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD})
    r = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401


def test_cookie_write_needs_csrf_header(client, people):
    r = client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD})
    csrf = r.get_json()["csrf_token"]
    assert client.get("/api/v1/auth/me").status_code == 200  # cookie read: fine
    body = {"uuid": "0b0e7d0e-98e7-4b8a-9a35-6c1c7d0b1a11", "form": "suggestion",
            "grid_code": "B1", "data": {"category": "repair", "content": "灯坏了", "anonymous": True}}
    missing = client.post("/api/v1/submissions", json=body)
    assert missing.status_code == 403
    assert missing.get_json()["error"]["code"] == "csrf_failed"
    wrong = client.post("/api/v1/submissions", json=body, headers={"X-CSRF-Token": "x" * 40})
    assert wrong.status_code == 403
    ok = client.post("/api/v1/submissions", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201


def test_failed_logins_are_rate_limited_per_username(app, client, people):
    app.config["LOGIN_FAIL_LIMIT_USER"] = "3/15 minutes"
    try:
        codes = [client.post("/api/v1/auth/login",
                             json={"username": "captain", "password": f"wrong-{i}"}).status_code
                 for i in range(4)]
        assert codes == [401, 401, 401, 429]
        r = client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD})
        assert r.status_code == 429
        assert r.get_json()["error"]["code"] == "rate_limited"
        # Another account from the same client still gets in.
        ok = client.post("/api/v1/auth/login", json={"username": "branch", "password": PASSWORD})
        assert ok.status_code == 200
    finally:
        app.config["LOGIN_FAIL_LIMIT_USER"] = "10/15 minutes"


def test_failed_logins_are_rate_limited_per_client(app, client, people):
    app.config["LOGIN_FAIL_LIMIT_CLIENT"] = "5/15 minutes"
    try:
        for i in range(5):
            r = client.post("/api/v1/auth/login", json={"username": f"u{i}", "password": "wrong-pw"})
            assert r.status_code == 401
        r = client.post("/api/v1/auth/login", json={"username": "branch", "password": PASSWORD})
        assert r.status_code == 429
    finally:
        app.config["LOGIN_FAIL_LIMIT_CLIENT"] = "30/15 minutes"


def test_successful_logins_are_not_limited(app, client, make_user, grid):
    app.config["LOGIN_FAIL_LIMIT_CLIENT"] = "5/15 minutes"
    try:
        for i in range(40):
            make_user(f"vol{i}", ("volunteer", "C1"))
        for i in range(40):
            r = client.post("/api/v1/auth/login", json={"username": f"vol{i}", "password": PASSWORD})
            assert r.status_code == 200
    finally:
        app.config["LOGIN_FAIL_LIMIT_CLIENT"] = "30/15 minutes"


def test_signup_creates_a_plain_account(client, login):
    r = client.post("/api/v1/auth/signup", json={"username": "newbie", "password": "a-long-pass-1",
                                                 "display_name": "新居民", "phone": "13912345678"})
    assert r.status_code == 201
    assert r.get_json()["user"]["roles"] == []
    assert login("newbie", "a-long-pass-1").get("/api/v1/auth/me").status_code == 200


def test_signup_refuses_weak_password_and_taken_name(client, people):
    weak = client.post("/api/v1/auth/signup", json={"username": "abc", "password": "12345678",
                                                    "display_name": "x"})
    assert weak.status_code == 422
    assert "password" in weak.get_json()["error"]["fields"]
    taken = client.post("/api/v1/auth/signup", json={"username": "captain",
                                                     "password": "a-long-pass-1", "display_name": "x"})
    assert taken.status_code == 409


def test_deactivated_user_cannot_sign_in_or_use_token(login, people, in_app):
    from app.accounts.services import user_by_username
    api = login("captain")
    in_app(lambda: setattr(user_by_username("captain"), "active", False))
    assert api.get("/api/v1/auth/me").status_code == 401
    r = api.client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD})
    assert r.status_code == 401


def test_token_lifetime_is_30_days_by_default(app):
    assert app.config["TOKEN_LIFETIME_DAYS"] == 30
    assert timedelta(days=app.config["TOKEN_LIFETIME_DAYS"]) >= timedelta(days=7)
