"""The reference cache (app/core/refcache.py) never serves a row that has changed.

Each test warms the cache through the API, changes a reference row — through the API or, as
psql or another app server would, with plain SQL behind the app's back — and checks that the
very next request sees the change.
"""
import pytest
import requests
from sqlalchemy import text

from app.extensions import db
from tests.conftest import PASSWORD, new_uuid, suggestion


def _generation(in_app):
    return in_app(lambda: db.session.execute(
        text("SELECT value FROM reference_generation WHERE id = 1")).scalar())


def _sql(in_app, statement, **params):
    in_app(lambda: db.session.execute(text(statement), params))


def test_submissions_leave_the_generation_alone_and_reference_writes_change_it(
        people, login, in_app):
    api = login("captain")
    before = _generation(in_app)
    assert api.post("/api/v1/submissions", json=suggestion()).status_code == 201
    assert api.get("/api/v1/inbox").status_code == 200
    login("captain2")   # a new token cannot be in any cache
    assert _generation(in_app) == before   # the hot tables do not empty the cache

    _sql(in_app, "UPDATE forms SET closed = :closed WHERE slug = 'need'", closed=True)
    after = _generation(in_app)
    assert after not in (None, before)
    _sql(in_app, "UPDATE grid_nodes SET name = 'x' WHERE code = 'B5'")
    assert _generation(in_app) not in (None, before, after)


def test_a_form_closed_behind_the_apps_back_refuses_the_next_submission(people, login, in_app):
    api = login("captain")
    assert api.post("/api/v1/submissions", json=suggestion()).status_code == 201  # warm
    _sql(in_app, "UPDATE forms SET closed = :closed WHERE slug = 'suggestion'", closed=True)
    r = api.post("/api/v1/submissions", json=suggestion())
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "form_closed"


def _need(grid_code):
    """The need form: staff submit it only inside their own grid."""
    return {"uuid": new_uuid(), "form": "need", "grid_code": grid_code,
            "data": {"category": "network", "description": "断网", "urgency": "urgent"}}


def test_a_role_removed_behind_the_apps_back_ends_its_scope_at_once(people, login, in_app):
    api = login("captain")
    assert api.post("/api/v1/submissions", json=_need("B1")).status_code == 201  # warm
    _sql(in_app, "DELETE FROM role_assignments WHERE user_id = :id", id=people["captain"])
    assert api.post("/api/v1/submissions", json=_need("B1")).status_code == 403
    assert api.get("/api/v1/auth/me").get_json()["roles"] == []


def test_a_role_granted_widens_the_scope_at_once(people, login, make_user):
    api = login("captain")
    assert api.post("/api/v1/submissions", json=_need("B3")).status_code == 403  # warm
    make_user("captain", ("captain", "B3"))
    assert api.post("/api/v1/submissions", json=_need("B3")).status_code == 201


def test_routing_follows_a_tier_holder_added_after_the_cache_was_warm(people, login, in_app,
                                                                     make_user):
    """Routing caches whether a tier has a holder above a building; a new holder counts."""
    _sql(in_app, "DELETE FROM role_assignments WHERE role = 'captain' AND grid_node_id = "
                 "(SELECT id FROM grid_nodes WHERE code = 'B2')")
    api = login("branch")
    first = api.post("/api/v1/submissions", json=suggestion("B2")).get_json()
    make_user("captain2", ("captain", "B2"))
    second = api.post("/api/v1/submissions", json=suggestion("B2")).get_json()
    assert first["tier"] != "captain"
    assert second["tier"] == "captain"


def test_deactivation_and_revocation_refuse_the_token_at_once(people, login, in_app):
    api = login("captain")
    assert api.get("/api/v1/auth/me").status_code == 200   # warm
    _sql(in_app, "UPDATE users SET active = :no WHERE id = :id", no=False, id=people["captain"])
    assert api.get("/api/v1/auth/me").status_code == 401

    other = login("captain2")
    assert other.get("/api/v1/auth/me").status_code == 200
    _sql(in_app, "UPDATE api_tokens SET revoked_at = created_at WHERE user_id = :id",
         id=people["captain2"])
    assert other.get("/api/v1/auth/me").status_code == 401


def test_without_the_generation_row_nothing_is_cached(people, login, in_app):
    _sql(in_app, "DELETE FROM reference_generation")
    api = login("captain")
    assert api.post("/api/v1/submissions", json=suggestion()).status_code == 201
    _sql(in_app, "DELETE FROM reference_generation")
    _sql(in_app, "UPDATE forms SET closed = :closed WHERE slug = 'suggestion'", closed=True)
    _sql(in_app, "DELETE FROM reference_generation")   # as if the triggers had not fired
    assert api.post("/api/v1/submissions", json=suggestion()).status_code == 409


@pytest.mark.slow
def test_a_password_change_on_one_server_refuses_the_old_token_on_another(people, gunicorn_pair):
    """Two app servers each cache the token; a change through one reaches the other."""
    first, second = gunicorn_pair
    token = requests.post(first + "/api/v1/auth/login",
                          json={"username": "captain", "password": PASSWORD}).json()["token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    for url in (first, second):   # every worker of both servers warm (2 × 2 processes)
        for _ in range(8):
            assert session.get(url + "/api/v1/auth/me").status_code == 200
    body = {"uuid": new_uuid(), "form": "suggestion", "grid_code": "B1",
            "data": {"category": "repair", "content": "灯", "anonymous": True}}
    assert session.post(second + "/api/v1/submissions", json=body).status_code == 201

    r = session.post(first + "/api/v1/auth/password",
                     json={"current_password": PASSWORD, "new_password": "Another-passw0rd-42"})
    assert r.status_code == 200, r.text
    for _ in range(8):
        assert session.get(second + "/api/v1/auth/me").status_code == 401


def test_the_caller_is_a_shared_snapshot_that_no_session_may_take_in(people, login, app):
    """The signed-in user comes from the cache as one read-only object per process (no copy
    per request). Attaching it, or a role, node or unit hanging from it, to a session would
    let one request write and expire what every other one reads: refused loudly."""
    import pytest
    from flask import g

    from app.core.security import cached_user
    from app.lists.models import Resource

    api = login("partner2")
    assert api.get("/api/v1/auth/me").status_code == 200   # warm
    with app.test_request_context("/"):
        g.pop("_refgen", None)
        first, again = cached_user(people["partner2"]), cached_user(people["partner2"])
        assert first is again   # one object, not a copy per call
        org = next(r.org for r in first.roles if r.org is not None)
        with pytest.raises(RuntimeError, match="snapshot"):
            db.session.add(Resource(title="x", category="x", org=org))
        db.session.rollback()
        with pytest.raises(RuntimeError, match="snapshot"):
            db.session.add(first)
        db.session.rollback()
    # A partner's resource names their unit through a row of the request's own session: the
    # snapshot stays intact for the next request.
    for _ in range(2):
        r = api.post("/api/v1/resources", json={"title": "宽带上门维修", "category": "network",
                                                "grid_code": "C1"})
        assert r.status_code == 201 and r.get_json()["org"] == "电信三水分公司"
