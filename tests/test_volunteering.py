"""Volunteer posts that never over-fill; member registration; points (issue 5)."""
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from app.core.clock import system_now
from tests.conftest import PASSWORD, new_uuid

FUTURE = {"starts_at": "2030-05-01T01:00:00Z", "ends_at": "2030-05-01T05:00:00Z"}


def _post(api, capacity=2, grid_code="E1", **extra):
    body = {"title": "周末环境清洁", "grid_code": grid_code, "capacity": capacity, **FUTURE, **extra}
    r = api.post("/api/v1/posts", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _claim(api, post_id, grid_code="E1"):
    return api.post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": grid_code,
        "data": {"post": post_id}})


def _counts(api, post_id):
    post = api.get(f"/api/v1/posts/{post_id}").get_json()
    return post["claimed"], post["waitlisted"]


def test_only_branch_or_committee_of_the_node_publish_posts(login, people):
    body = {"title": "岗位", "grid_code": "E1", "capacity": 3, **FUTURE}
    assert login("captain").post("/api/v1/posts", json=body).status_code == 403
    assert login("branch2").post("/api/v1/posts", json=body).status_code == 403
    assert login("volunteer").post("/api/v1/posts", json=body).status_code == 403
    assert login("branch").post("/api/v1/posts", json=body).status_code == 201
    assert login("committee").post("/api/v1/posts", json=body).status_code == 201
    bad = login("branch").post("/api/v1/posts", json=dict(body, capacity=0, ends_at="2020-01-01T00:00:00Z"))
    assert bad.status_code == 422
    assert {"capacity", "ends_at"} <= set(bad.get_json()["error"]["fields"])


def test_claims_fill_then_waitlist_and_cancel_promotes_in_order(login, make_user, people):
    post = _post(login("branch"), capacity=2)
    names = [f"v{i}" for i in range(4)]
    for n in names:
        make_user(n, ("volunteer", "C1"))
    subs = [_claim(login(n), post["id"]).get_json() for n in names]
    assert [s["state"] for s in subs] == ["claimed", "claimed", "waitlisted", "waitlisted"]
    assert _counts(login("branch"), post["id"]) == (2, 2)
    r = login("v0").post(f"/api/v1/submissions/{subs[0]['id']}/transitions", json={"action": "cancel"})
    assert r.status_code == 200 and r.get_json()["state"] == "cancelled"
    assert login("v2").get(f"/api/v1/submissions/{subs[2]['id']}").get_json()["state"] == "claimed"
    assert login("v3").get(f"/api/v1/submissions/{subs[3]['id']}").get_json()["state"] == "waitlisted"
    assert _counts(login("branch"), post["id"]) == (2, 1)
    # A waitlisted cancel frees no place.
    login("v3").post(f"/api/v1/submissions/{subs[3]['id']}/transitions", json={"action": "cancel"})
    assert _counts(login("branch"), post["id"]) == (2, 0)
    # Someone else cannot cancel my claim.
    r = login("v1").post(f"/api/v1/submissions/{subs[2]['id']}/transitions", json={"action": "cancel"})
    assert r.status_code == 404


def test_second_live_claim_is_409_and_allowed_after_cancel(login, people):
    post = _post(login("branch"))
    first = _claim(login("volunteer"), post["id"])
    assert first.status_code == 201
    again = _claim(login("volunteer"), post["id"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_claimed"
    login("volunteer").post(f"/api/v1/submissions/{first.get_json()['id']}/transitions",
                            json={"action": "cancel"})
    assert _claim(login("volunteer"), post["id"]).status_code == 201


def test_overlapping_claims_are_refused_naming_the_clash(login, people):
    a = _post(login("branch"), title="上午岗")
    b = _post(login("branch"), title="重叠岗", starts_at="2030-05-01T03:00:00Z",
              ends_at="2030-05-01T07:00:00Z")
    assert _claim(login("volunteer"), a["id"]).status_code == 201
    r = _claim(login("volunteer"), b["id"])
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "claim_overlap"
    assert "上午岗" in r.get_json()["error"]["message"]


def test_closed_or_past_post_refuses_claims(login, people, clock):
    post = _post(login("branch"))
    login("branch").patch(f"/api/v1/posts/{post['id']}", json={"open": False})
    r = _claim(login("volunteer"), post["id"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "post_closed"
    past = _post(login("branch"), starts_at="2026-03-01T00:00:00Z", ends_at="2026-03-02T10:00:00Z")
    clock.advance(hours=2)
    r = _claim(login("volunteer"), past["id"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "post_ended"
    assert _claim(login("volunteer"), 99999).status_code == 422


def test_capacity_down_never_evicts_up_promotes(login, make_user, people):
    post = _post(login("branch"), capacity=2)
    for n in ("a1", "a2", "a3", "a4"):
        make_user(n, ("volunteer", "C1"))
        _claim(login(n), post["id"])
    r = login("branch").patch(f"/api/v1/posts/{post['id']}", json={"capacity": 1})
    assert r.status_code == 200 and r.get_json()["claimed"] == 2
    r = login("branch").patch(f"/api/v1/posts/{post['id']}", json={"capacity": 3})
    assert (r.get_json()["claimed"], r.get_json()["waitlisted"]) == (3, 1)


def test_confirm_complete_awards_points_once(login, people):
    post = _post(login("branch"), grid_code="B1")
    sub = _claim(login("volunteer"), post["id"], "B1").get_json()
    act = lambda who, action: login(who).post(  # noqa: E731
        f"/api/v1/submissions/{sub['id']}/transitions", json={"action": action})
    assert act("captain", "confirm").status_code == 403
    assert act("branch", "confirm").get_json()["state"] == "confirmed"
    assert act("volunteer", "complete").status_code == 403
    assert act("captain", "complete").get_json()["state"] == "completed"
    assert act("captain", "complete").status_code == 409
    me = login("volunteer").get("/api/v1/points/me").get_json()
    assert me["total"] == 10 and len(me["entries"]) == 1
    board = login("committee").get("/api/v1/points/leaderboard?grid_code=C1").get_json()["items"]
    assert board[0]["display_name"] == "volunteer" and board[0]["points"] == 10


def test_points_awarded_once_when_transition_replayed_through_sync(login, people):
    post = _post(login("branch"), grid_code="B1")
    sub = _claim(login("volunteer"), post["id"], "B1").get_json()
    login("branch").post(f"/api/v1/submissions/{sub['id']}/transitions", json={"action": "confirm"})
    ops = {"ops": [{"op": "transition", "op_id": "done-1", "submission": sub["uuid"],
                    "action": "complete"}]}
    first = login("captain").post("/api/v1/sync", json=ops).get_json()["results"][0]["status"]
    again = login("captain").post("/api/v1/sync", json=ops).get_json()["results"][0]["status"]
    assert (first, again) == ("applied", "duplicate")
    assert login("volunteer").get("/api/v1/points/me").get_json()["total"] == 10


def test_captain_resolving_a_letter_earns_points(login, anon, people):
    from tests.conftest import suggestion
    sub = anon.post("/api/v1/submissions", json=suggestion()).get_json()
    login("captain").post(f"/api/v1/submissions/{sub['id']}/transitions",
                          json={"action": "resolve", "comment": "已处理"})
    assert login("captain").get("/api/v1/points/me").get_json()["total"] == 5


def _registration(api, grid_code="B1"):
    return api.post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "member-registration", "grid_code": grid_code,
        "data": {"real_name": "王建国", "phone": "13912345678", "workplace": "三水区税务局",
                 "party_org": "区税务局机关党支部", "skills": ["legal"],
                 "service_preferences": ["captain"], "consent": True}})


def test_member_registration_verify_approve_grants_member_role(login, people):
    r = _registration(login("resident"))
    assert r.status_code == 201 and r.get_json()["state"] == "submitted"
    sub = r.get_json()
    url = f"/api/v1/submissions/{sub['id']}/transitions"
    assert login("branch2").post(url, json={"action": "verify"}).status_code == 404
    assert login("captain").post(url, json={"action": "verify"}).status_code == 403
    assert login("committee").post(url, json={"action": "approve"}).status_code == 409
    assert login("branch").post(url, json={"action": "verify"}).get_json()["state"] == "verified"
    assert login("committee2").post(url, json={"action": "approve"}).status_code == 404
    assert login("branch").post(url, json={"action": "approve"}).status_code == 403
    assert login("committee").post(url, json={"action": "approve"}).get_json()["state"] == "approved"
    roles = login("resident").get("/api/v1/auth/me").get_json()["user"]["roles"]
    assert {"role": "member", "grid_code": "C1", "grid_name": "北江社区", "org": None} in roles


def test_rejected_registration_grants_nothing(login, people):
    sub = _registration(login("resident")).get_json()
    url = f"/api/v1/submissions/{sub['id']}/transitions"
    assert login("branch").post(url, json={"action": "reject"}).status_code == 422
    assert login("branch").post(url, json={"action": "reject", "comment": "信息不全"}).status_code == 200
    assert login("resident").get("/api/v1/auth/me").get_json()["user"]["roles"] == []


def test_registration_needs_consent_and_sign_in(login, anon, people):
    r = login("resident").post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "member-registration", "grid_code": "B1",
        "data": {"real_name": "王", "phone": "13912345678", "workplace": "x", "party_org": "y",
                 "consent": False}})
    assert r.status_code == 422 and "data.consent" in r.get_json()["error"]["fields"]
    assert _registration(anon).status_code == 401


def test_registered_member_claims_captain_post_and_becomes_captain(login, people):
    sub = _registration(login("resident"), "B2").get_json()
    url = f"/api/v1/submissions/{sub['id']}/transitions"
    login("branch").post(url, json={"action": "verify"})
    login("committee").post(url, json={"action": "approve"})
    post = _post(login("committee"), capacity=1, grid_code="B2", kind="captain", title="2栋楼长")
    claim = _claim(login("resident"), post["id"], "B2").get_json()
    assert claim["state"] == "claimed"
    login("branch").post(f"/api/v1/submissions/{claim['id']}/transitions", json={"action": "confirm"})
    roles = login("resident").get("/api/v1/auth/me").get_json()["user"]["roles"]
    assert {"role": "captain", "grid_code": "B2", "grid_name": "时代城2栋", "org": None} in roles
    # The new captain may not complete (and earn points for) their own service.
    assert login("resident").get("/api/v1/inbox").get_json()["items"] == []
    assert login("resident").get("/api/v1/stats?grid_code=B2").status_code == 200


def test_posts_list_has_counts_and_filters(login, people):
    a = _post(login("branch"), capacity=5)
    _post(login("committee2"), capacity=5, grid_code="E3")
    _claim(login("volunteer"), a["id"])
    items = login("volunteer").get("/api/v1/posts?grid_code=B1&open=1").get_json()["items"]
    assert [(p["id"], p["capacity"], p["claimed"], p["waitlisted"]) for p in items] == [
        (a["id"], 5, 1, 0)]


@pytest.mark.committed
@pytest.mark.parametrize("instances", [1, 2])
@pytest.mark.slow
def test_rush_200_volunteers_70_places(request, login, make_user, people, in_app, clock,
                                       instances):
    """The report's 70 captain posts: exactly 70 claimed, 130 waitlisted, in commit order —
    through one gunicorn instance, and through two sharing the database (two app servers)."""
    servers = ([request.getfixturevalue("gunicorn_server")] if instances == 1
               else request.getfixturevalue("gunicorn_pair"))
    gunicorn_server = servers[0]
    post = _post(login("committee"), capacity=70, grid_code="C1", title="党员楼长招募")
    # 200 volunteers with their tokens, made here (signing in is not what is tested); on the
    # servers' own clock, the real one, so that the tokens are current there.
    clock.now = system_now()
    tokens = _bulk_users(in_app, [f"rush{i:03d}" for i in range(200)])

    def claim(token):
        server = servers[tokens.index(token) % len(servers)]
        r = requests.post(f"{server}/api/v1/submissions", timeout=120,
                          headers={"Authorization": f"Bearer {token}"},
                          json={"uuid": new_uuid(), "form": "volunteer-signup", "grid_code": "C1",
                                "data": {"post": post["id"]}})
        return r.status_code, r.json().get("state"), r.json().get("id")

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(claim, tokens))
    assert {code for code, _, _ in results} == {201}, results[:5]
    states = [s for _, s, _ in results]
    assert states.count("claimed") == 70 and states.count("waitlisted") == 130
    assert _counts(login("committee"), post["id"]) == (70, 130)
    # Cancellation promotes exactly one: the earliest waitlisted by server order.
    claimed_id = next(i for _, s, i in results if s == "claimed")
    waitlisted_ids = sorted(i for _, s, i in results if s == "waitlisted")
    owner = tokens[[i for _, _, i in results].index(claimed_id)]
    r = requests.post(f"{gunicorn_server}/api/v1/submissions/{claimed_id}/transitions",
                      json={"action": "cancel"}, headers={"Authorization": f"Bearer {owner}"})
    assert r.status_code == 200
    assert _counts(login("committee"), post["id"]) == (70, 129)
    first = login("committee").get(f"/api/v1/submissions/{waitlisted_ids[0]}").get_json()
    second = login("committee").get(f"/api/v1/submissions/{waitlisted_ids[1]}").get_json()
    assert (first["state"], second["state"]) == ("claimed", "waitlisted")


def _bulk_users(in_app, usernames) -> list[str]:
    """Volunteers of C1, committed: a bearer token for each."""
    from app.accounts.services import create_user, grant_role, issue_token
    from app.grid.services import node_by_code

    def make():
        node = node_by_code("C1")
        tokens = []
        for name in usernames:
            user = create_user(name, PASSWORD, name)
            grant_role(user, "volunteer", node)
            tokens.append(issue_token(user))
        return tokens
    return in_app(make)


def test_branch_inbox_tells_when_a_post_fills_and_reopens(login, make_user, people):
    post = _post(login("branch"), capacity=1)
    assert login("branch").get("/api/v1/inbox").get_json()["notices"] == []
    first = _claim(login("volunteer"), post["id"]).get_json()
    notices = login("branch").get("/api/v1/inbox").get_json()["notices"]
    assert [(n["kind"], n["post"]["id"]) for n in notices] == [("post_full", post["id"])]
    assert login("branch2").get("/api/v1/inbox").get_json()["notices"] == []
    login("volunteer").post(f"/api/v1/submissions/{first['id']}/transitions", json={"action": "cancel"})
    notices = login("branch").get("/api/v1/inbox").get_json()["notices"]
    assert [n["kind"] for n in notices] == ["post_has_places"]
