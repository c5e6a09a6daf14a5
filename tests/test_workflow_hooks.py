"""The engine runs what features register (issue 20): effects by name, and the waitlist's
promotion as a system transition recorded like any other."""
import pytest

from app.workflow import hooks
from tests.conftest import new_uuid, suggestion

FUTURE = {"starts_at": "2030-05-01T01:00:00Z", "ends_at": "2030-05-01T05:00:00Z"}


def _claim(api, post_id):
    r = api.post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": "E1",
        "data": {"post": post_id}})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_promotion_from_the_waitlist_is_a_recorded_system_transition(login, make_user, people, clock):
    r = login("branch").post("/api/v1/posts", json={"title": "岗位", "grid_code": "E1",
                                                    "capacity": 1, **FUTURE})
    post = r.get_json()
    make_user("first", ("volunteer", "C1"))
    make_user("second", ("volunteer", "C1"))
    held = _claim(login("first"), post["id"])
    waiting = _claim(login("second"), post["id"])
    assert (held["state"], waiting["state"]) == ("claimed", "waitlisted")

    clock.advance(minutes=30)
    r = login("first").post(f"/api/v1/submissions/{held['id']}/transitions", json={"action": "cancel"})
    assert r.status_code == 200

    promoted = login("second").get(f"/api/v1/submissions/{waiting['id']}").get_json()
    assert promoted["state"] == "claimed"
    last = promoted["history"][-1]
    assert (last["action"], last["from_state"], last["to_state"]) == ("promote", "waitlisted", "claimed")
    assert last["system"] is True and last["actor"] == "system"
    assert last["waited_seconds"] == 30 * 60
    assert [e["seq"] for e in promoted["history"]] == sorted({e["seq"] for e in promoted["history"]})


def test_nobody_may_take_the_promotion_by_hand(login, make_user, people):
    post = login("branch").post("/api/v1/posts", json={"title": "岗位", "grid_code": "E1",
                                                       "capacity": 1, **FUTURE}).get_json()
    make_user("first", ("volunteer", "C1"))
    make_user("second", ("volunteer", "C1"))
    _claim(login("first"), post["id"])
    waiting = _claim(login("second"), post["id"])
    for who in ("second", "branch", "committee"):
        r = login(who).post(f"/api/v1/submissions/{waiting['id']}/transitions",
                            json={"action": "promote"})
        assert r.status_code == 409, (who, r.get_json())
    body = login("second").get(f"/api/v1/submissions/{waiting['id']}").get_json()
    assert body["state"] == "waitlisted"
    assert "promote" not in [a["action"] for a in body.get("actions") or []]


@pytest.fixture
def spy_points():
    """The registered `points` effect, wrapped so the test sees each call."""
    original = hooks.effect("points")
    calls = []

    def spy(effect, sub, event, actor, from_state):
        calls.append((effect["type"], sub.id, event.action, actor.username if actor else None,
                      from_state))
        return original(effect, sub, event, actor, from_state)
    hooks.register_effect("points", spy)
    yield calls
    hooks.register_effect("points", original)


def test_a_transition_runs_the_effect_its_feature_registered(login, anon, people, spy_points):
    sub = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
    r = login("captain").post(f"/api/v1/submissions/{sub['id']}/transitions",
                              json={"action": "resolve", "comment": "已处理"})
    assert r.status_code == 200, r.get_json()
    assert spy_points == [("points", sub["id"], "resolve", "captain", "at_captain")]
    assert login("captain").get("/api/v1/points/me").get_json()["total"] == 5


def test_an_effect_nobody_registered_is_skipped(login, anon, people, monkeypatch):
    monkeypatch.setattr(hooks, "_effects", {k: v for k, v in hooks._effects.items() if k != "points"})
    sub = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
    r = login("captain").post(f"/api/v1/submissions/{sub['id']}/transitions",
                              json={"action": "resolve", "comment": "已处理"})
    assert r.status_code == 200 and r.get_json()["state"] == "resolved"
    assert login("captain").get("/api/v1/points/me").get_json()["total"] == 0


def test_listeners_hear_every_transition_the_system_s_included(login, make_user, people):
    heard = []
    hooks.register_listener("test", lambda sub, event, transition, actor: heard.append(
        (sub.id, event.action, event.from_state, event.to_state, event.system)))
    try:
        post = login("branch").post("/api/v1/posts", json={"title": "岗位", "grid_code": "E1",
                                                           "capacity": 1, **FUTURE}).get_json()
        make_user("first", ("volunteer", "C1"))
        make_user("second", ("volunteer", "C1"))
        held = _claim(login("first"), post["id"])
        waiting = _claim(login("second"), post["id"])
        login("first").post(f"/api/v1/submissions/{held['id']}/transitions", json={"action": "cancel"})
    finally:
        hooks._listeners.pop("test", None)
    assert heard == [(held["id"], "cancel", "claimed", "cancelled", False),
                     (waiting["id"], "promote", "waitlisted", "claimed", True)]
