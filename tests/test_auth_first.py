"""Authentication before validation, and what authenticated answers may be kept (issue 22)."""
import re

import pytest

from app.core.security import ANONYMOUS_WRITE_PREFIXES, ANONYMOUS_WRITES
from tests.conftest import PASSWORD

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _protected_writes():
    from app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "collect-routes-0123456789"})
    return sorted((rule.rule, method) for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/api/") and rule.endpoint not in ANONYMOUS_WRITES
                  and not rule.rule.startswith(ANONYMOUS_WRITE_PREFIXES)
                  for method in rule.methods & WRITES)


PROTECTED = _protected_writes()


def test_the_walk_covers_the_routes_named_in_the_issue():
    rules = {rule for rule, _ in PROTECTED}
    for rule in ("/api/v1/meetings", "/api/v1/posts", "/api/v1/notices", "/api/v1/forms/<slug>"):
        assert rule in rules


@pytest.mark.parametrize("rule,method", PROTECTED)
def test_anonymous_write_is_401_before_validation(client, grid, rule, method):
    url = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", "1", rule)
    for body in ({}, {"title": 5}, []):
        r = client.open(url, method=method, json=body)
        assert r.status_code == 401, (url, method, r.status_code)
        assert r.get_json()["error"]["code"] == "unauthorized"
        assert "fields" not in r.get_json()["error"]


def test_a_stale_cookie_is_401_before_validation_too(app, people):
    client = app.test_client()
    body = client.post("/api/v1/auth/login", json={"username": "committee",
                                                   "password": PASSWORD}).get_json()
    stale = app.test_client()
    stale.set_cookie("session", client.get_cookie("session").value)
    client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    r = stale.post("/api/v1/meetings", json={}, headers={"X-CSRF-Token": body["csrf_token"]})
    assert r.status_code == 401


def test_signed_in_validation_still_answers_422(login, people):
    assert login("committee").post("/api/v1/meetings", json={}).status_code == 422


def test_authenticated_api_answers_and_exports_are_not_stored(login, people):
    api = login("committee")
    for url in ("/api/v1/auth/me", "/api/v1/submissions", "/api/v1/inbox"):
        assert api.get(url).headers["Cache-Control"] == "no-store", url
    r = api.get("/api/v1/submissions/export", query_string={"form": "suggestion"})
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"   # charset said once
