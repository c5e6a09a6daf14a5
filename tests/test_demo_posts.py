"""The demo's volunteer posts (helper branch consolefix): each at a time its title speaks of,
none overlapping, so a volunteer can claim more than one; the party-member captain post is for
party members only, and the server refuses anyone else in words."""
from tests.conftest import new_uuid

FUTURE = {"starts_at": "2030-05-01T01:00:00Z", "ends_at": "2030-05-01T05:00:00Z"}


def _claim(api, post_id, grid_code):
    return api.post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": grid_code, "data": {"post": post_id}})


def _demo_posts(runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    volunteer = client.post("/api/v1/auth/login", json={"username": "volunteer", "password": "tongxin-demo"})
    headers = {"Authorization": f"Bearer {volunteer.get_json()['token']}"}
    return {p["title"]: p for p in client.get("/api/v1/posts", headers=headers).get_json()["items"]}


def test_demo_posts_are_at_times_their_titles_say_and_do_not_overlap(runner, client):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    posts = _demo_posts(runner, client)
    local = {title: (datetime.fromisoformat(p["starts_at"]).astimezone(ZoneInfo("Asia/Shanghai")),
                     datetime.fromisoformat(p["ends_at"]).astimezone(ZoneInfo("Asia/Shanghai")))
             for title, p in posts.items()}
    start, end = local["周末小区环境清洁"]
    assert start.weekday() == 5 and 7 <= start.hour < 12 and end.hour <= 12        # Saturday morning
    assert local["中医义诊志愿服务"][0].weekday() in (5, 6)                          # a weekend day
    spans = sorted(local.values())
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))                      # none overlap
    assert posts["时代城1栋党员楼长"]["required_role"] == "member"


def test_a_volunteer_claims_two_demo_posts_but_not_the_party_members_post(runner, client):
    posts = _demo_posts(runner, client)
    fresh = client.application.test_client()
    token = fresh.post("/api/v1/auth/login", json={"username": "volunteer", "password": "tongxin-demo"}
                       ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"}

    def claim(title, code):
        return fresh.post("/api/v1/submissions", headers=headers, json={
            "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": code,
            "data": {"post": posts[title]["id"]}})
    assert claim("周末小区环境清洁", "XN-BJ-SDC").status_code == 201
    assert claim("中医义诊志愿服务", "XN-BJ").status_code == 201
    refused = claim("时代城1栋党员楼长", "XN-BJ-SDC-B01")
    assert refused.status_code == 403
    assert "仅限在职党员" in refused.get_json()["error"]["message"]


def test_a_post_for_members_only_refuses_others_and_takes_members(login, people, make_user):
    branch = login("branch")
    r = branch.post("/api/v1/posts", json={"title": "党员楼长", "grid_code": "B1", "capacity": 2,
                                           "kind": "captain", "required_role": "member", **FUTURE})
    assert r.status_code == 201 and r.get_json()["required_role"] == "member"
    post = r.get_json()["id"]
    refused = _claim(login("volunteer"), post, "B1")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "post_role_required"
    make_user("member1", ("member", "C1"), ("volunteer", "C1"))
    assert _claim(login("member1"), post, "B1").status_code == 201
    assert login("branch").get(f"/api/v1/posts/{post}").get_json()["claimed"] == 1
    bad = branch.post("/api/v1/posts", json={"title": "x", "grid_code": "B1", "capacity": 1,
                                             "required_role": "admin", **FUTURE})
    assert bad.status_code == 422


def test_posts_without_a_required_role_take_anyone(login, people):
    post = login("branch").post("/api/v1/posts", json={"title": "清洁", "grid_code": "E1", "capacity": 2,
                                                       **FUTURE}).get_json()
    assert post["required_role"] is None
    assert _claim(login("volunteer"), post["id"], "E1").status_code == 201
