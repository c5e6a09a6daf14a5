"""Cookie sessions that really end (issue 22): a copied cookie is worthless after sign-out,
a password change, an admin's reset or "end all sessions"; login CSRF on the console."""

from tests.conftest import PASSWORD, csrf_of


def _api_sign_in(app, username="captain", password=PASSWORD):
    client = app.test_client()
    r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.get_json()
    return client, r.get_json()


def _console_sign_in(app, username="committee"):
    client = app.test_client()
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    r = client.post("/admin/login", data={"username": username, "password": PASSWORD,
                                          "csrf_token": token})
    assert r.status_code == 302
    return client


def _copy(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_api_sign_out_ends_the_copied_cookie(app, people):
    client, body = _api_sign_in(app)
    thief = _copy(app, client)
    assert thief.get("/api/v1/auth/me").status_code == 200
    r = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    assert r.status_code == 200
    assert thief.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/auth/me").status_code == 401


def test_sign_out_ends_only_that_session(app, people):
    first, body = _api_sign_in(app)
    second, _ = _api_sign_in(app)
    first.post("/api/v1/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    assert second.get("/api/v1/auth/me").status_code == 200


def test_password_change_ends_every_other_session_and_token(app, people):
    mine, body = _api_sign_in(app)
    other, other_body = _api_sign_in(app)
    thief = _copy(app, other)
    r = mine.post("/api/v1/auth/password", headers={"X-CSRF-Token": body["csrf_token"]},
                  json={"current_password": PASSWORD, "new_password": "another-pass-77"})
    assert r.status_code == 200, r.get_json()
    assert other.get("/api/v1/auth/me").status_code == 401
    assert thief.get("/api/v1/auth/me").status_code == 401
    assert other.get("/api/v1/auth/me", headers={
        "Authorization": f"Bearer {other_body['token']}"}).status_code == 401
    assert mine.get("/api/v1/auth/me").status_code == 200   # the one that changed it stays
    assert mine.get("/api/v1/auth/me", headers={
        "Authorization": f"Bearer {r.get_json()['token']}"}).status_code == 200


def test_expired_session_record_signs_nobody_in(app, people, clock):
    client, _ = _api_sign_in(app)
    thief = _copy(app, client)
    clock.advance(hours=12, seconds=1)
    assert thief.get("/api/v1/auth/me").status_code == 401


def test_admin_ends_all_sessions_of_a_person(app, people, login):
    victim, body = _api_sign_in(app, "captain")
    console = _console_sign_in(app, "branch")
    thief = _copy(app, victim)
    admin = login("admin")
    r = admin.client.delete(f"/api/v1/users/{people['captain']}/sessions",
                            headers={"Authorization": f"Bearer {admin.token}"})
    assert r.status_code == 200 and r.get_json()["ended"] >= 2
    assert thief.get("/api/v1/auth/me").status_code == 401
    assert victim.get("/api/v1/auth/me", headers={
        "Authorization": f"Bearer {body['token']}"}).status_code == 401
    assert console.get("/admin/").status_code == 200   # someone else's session lives on
    audit = admin.get("/api/v1/audit").get_json()
    assert any(e["action"] == "end_sessions" for e in audit["items"])


def test_only_an_admin_or_the_committee_of_the_grid_may_end_sessions(app, people, login):
    committee = login("committee2")   # another community: the captain is not in its grid
    r = committee.client.delete(f"/api/v1/users/{people['captain']}/sessions",
                                headers={"Authorization": f"Bearer {committee.token}"})
    assert r.status_code == 404
    branch = login("branch")
    assert branch.client.delete(f"/api/v1/users/{people['captain']}/sessions", headers={
        "Authorization": f"Bearer {branch.token}"}).status_code == 403


def test_console_sign_out_ends_the_copied_cookie(app, people):
    client = _console_sign_in(app)
    thief = _copy(app, client)
    assert thief.get("/admin/").status_code == 200
    token = csrf_of(client.get("/admin/").get_data(as_text=True))
    client.post("/admin/logout", data={"csrf_token": token})
    r = thief.get("/admin/")
    assert r.status_code == 302 and "/admin/login" in r.headers["Location"]


def test_console_reset_and_end_sessions_end_the_persons_sessions(app, people):
    admin = _console_sign_in(app, "admin")
    for action in ("reset_password", "end_sessions"):
        victim = _console_sign_in(app, "committee")
        thief = _copy(app, victim)
        token = csrf_of(admin.get("/admin/people").get_data(as_text=True))
        r = admin.post(f"/admin/people/{people['committee']}",
                       data={"csrf_token": token, "action": action, "confirmed": "1"})
        assert r.status_code in (200, 302)   # a reset shows the new password at once
        r = thief.get("/admin/")
        assert r.status_code == 302 and "/admin/login" in r.headers["Location"], action
        if action == "reset_password":
            break   # the password is now unknown to the test
    assert admin.get("/admin/").status_code == 200


def test_console_end_sessions_is_audited(app, people, login):
    admin = _console_sign_in(app, "admin")
    token = csrf_of(admin.get("/admin/people").get_data(as_text=True))
    admin.post(f"/admin/people/{people['captain']}", data={"csrf_token": token,
                                                           "action": "end_sessions", "confirmed": "1"})
    audit = login("admin").get("/api/v1/audit").get_json()
    assert any(e["action"] == "end_sessions" and e["target"] == f"user:{people['captain']}"
               for e in audit["items"])


def test_console_sign_in_needs_the_forms_csrf_token(app, people):
    client = app.test_client()
    r = client.post("/admin/login", data={"username": "committee", "password": PASSWORD})
    assert r.status_code == 400
    assert client.get("/admin/").status_code == 302   # not signed in
    html = client.get("/admin/login").get_data(as_text=True)
    assert 'name="csrf_token"' in html


def test_console_is_not_indexed(app, people):
    client = _console_sign_in(app)
    r = client.get("/admin/")
    assert r.headers["X-Robots-Tag"].startswith("noindex")
    assert r.headers["Cache-Control"] == "no-store"
    assert '<meta name="robots" content="noindex' in r.get_data(as_text=True)
    assert app.test_client().get("/admin/login").headers["X-Robots-Tag"].startswith("noindex")


def test_a_console_form_without_its_token_is_in_the_security_log(app, people, caplog):
    import logging

    client = _console_sign_in(app)
    with caplog.at_level(logging.WARNING, logger="tongxin.security"):
        r = client.post("/admin/logout", data={})
    assert r.status_code == 400
    assert any('"event": "csrf_failed"' in rec.getMessage() for rec in caplog.records)
