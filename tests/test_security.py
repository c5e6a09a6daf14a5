"""Security headers and cookies (issue 9, first part)."""


def test_strict_headers_on_api_and_app(client):
    for path in ("/healthz", "/app/", "/api/v1/forms"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "Referrer-Policy" in r.headers


def test_session_cookie_is_httponly_and_lax(client, people):
    from tests.conftest import PASSWORD
    r = client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_api_never_answers_html_errors(client):
    r = client.get("/api/v1/nothing-here")
    assert r.is_json and r.status_code == 404


def test_password_change_revokes_other_tokens(login, people, client):
    from tests.conftest import PASSWORD
    phone = login("captain")
    desk = login("captain")
    weak = desk.post("/api/v1/auth/password", json={"current_password": PASSWORD,
                                                    "new_password": "captain"})
    assert weak.status_code == 422
    wrong = desk.post("/api/v1/auth/password", json={"current_password": "nope-nope",
                                                     "new_password": "a-new-long-pass-1"})
    assert wrong.status_code == 403
    r = desk.post("/api/v1/auth/password", json={"current_password": PASSWORD,
                                                 "new_password": "a-new-long-pass-1"})
    assert r.status_code == 200
    assert phone.get("/api/v1/auth/me").status_code == 401
    desk.token = r.get_json()["token"]
    assert desk.get("/api/v1/auth/me").status_code == 200
    assert client.post("/api/v1/auth/login", json={"username": "captain", "password": "a-new-long-pass-1"}
                       ).status_code == 200


def test_deactivation_by_admin_keeps_history(login, people, anon):
    from tests.conftest import suggestion
    captain = login("captain")
    sub = captain.post("/api/v1/submissions", json=suggestion()).get_json()
    assert login("committee2").post(f"/api/v1/users/{people['captain']}/deactivate").status_code == 404
    assert login("branch").post(f"/api/v1/users/{people['captain']}/deactivate").status_code == 403
    r = login("admin").post(f"/api/v1/users/{people['captain']}/deactivate")
    assert r.status_code == 200
    assert captain.get("/api/v1/auth/me").status_code == 401
    history = login("branch").get(f"/api/v1/submissions/{sub['id']}").get_json()["history"]
    assert history[0]["actor"] == "captain"


def test_exports_and_sensitive_reads_are_audited(login, people):
    from tests.conftest import suggestion
    sub = login("captain").post("/api/v1/submissions", json=suggestion(
        anonymous=False, contact_phone="13912345678")).get_json()
    login("captain").get(f"/api/v1/submissions/{sub['id']}")  # the submitter: not audited
    login("committee").get(f"/api/v1/submissions/{sub['id']}")   # sees them in full
    login("branch").get(f"/api/v1/submissions/{sub['id']}")      # masked: not audited
    login("branch").get("/api/v1/submissions/export?form=suggestion&format=csv")
    assert login("branch").get("/api/v1/audit").status_code == 403
    entries = login("admin").get("/api/v1/audit").get_json()["items"]
    assert [(e["action"], e["target"]) for e in entries] == [
        ("export", "form:suggestion"), ("read_sensitive", f"submission:{sub['id']}")]
    assert entries[1]["detail"]["fields"] == ["contact_phone"]


def test_security_events_are_logged_without_secrets(client, login, people, caplog):
    """Refusals and sign-ins go to the `tongxin.security` log, one JSON line each (ASVS V7)."""
    import json
    import logging

    caplog.set_level(logging.WARNING, logger="tongxin.security")
    client.post("/api/v1/auth/login", json={"username": "captain", "password": "wrong-guess-77"})
    captain = login("captain")
    assert login("resident").get("/api/v1/stats").status_code == 403   # staff only
    client.get("/api/v1/inbox")                                 # no credentials
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "tongxin.security"]
    kinds = [(e["event"], e["status"]) for e in events]
    assert ("sign_in_refused", 401) in kinds and ("sign_in", 200) in kinds
    assert ("unauthenticated", 401) in kinds and ("forbidden", 403) in kinds
    refused = next(e for e in events if e["event"] == "sign_in_refused")
    assert refused["code"] == "invalid_credentials" and refused["path"] == "/api/v1/auth/login"
    signed_in = next(e for e in events if e["event"] == "sign_in")
    assert signed_in["user_id"] == people["captain"]
    text = caplog.text
    assert "wrong-guess-77" not in text and captain.token not in text and "correct-horse" not in text
