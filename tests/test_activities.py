"""Service activities (issue 11): sign-up with and without an account, capacity, attendance, points."""
from tests.conftest import new_uuid

ACTIVITY = {"title": "中医义诊", "grid_code": "C1", "capacity": 3, "kind": "activity",
            "place": "社区广场", "partner": "三水医院", "public_signup": True, "resident_capacity": 2,
            "starts_at": "2030-06-27T01:00:00Z", "ends_at": "2030-06-27T04:00:00Z"}


def test_activity_signup_capacity_attendance_points_and_stats(login, anon, people, make_user):
    committee = login("committee")
    post = committee.post("/api/v1/posts", json=ACTIVITY).get_json()
    assert post["kind"] == "activity" and post["resident_capacity"] == 2
    r = anon.post(f"/api/v1/posts/{post['id']}/residents", json={"name": "陈阿姨", "phone": "13912345678"})
    assert r.status_code == 201
    again = anon.post(f"/api/v1/posts/{post['id']}/residents", json={"name": "陈阿姨", "phone": "139 1234 5678"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_signed_up"
    bad = anon.post(f"/api/v1/posts/{post['id']}/residents", json={"name": "x", "phone": "123"})
    assert bad.status_code == 422
    assert login("resident").post(f"/api/v1/posts/{post['id']}/residents",
                                  json={"name": "李伯", "phone": "13812345678"}).status_code == 201
    full = anon.post(f"/api/v1/posts/{post['id']}/residents", json={"name": "王", "phone": "13712345678"})
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "activity_full"
    listed = committee.get(f"/api/v1/posts/{post['id']}/residents").get_json()["items"]
    assert [x["name"] for x in listed] == ["陈阿姨", "李伯"]
    assert login("captain").get(f"/api/v1/posts/{post['id']}/residents").status_code == 404

    claims = []
    for name in ("v1", "v2"):
        make_user(name, ("volunteer", "C1"))
        claims.append(login(name).post("/api/v1/submissions", json={
            "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": "C1",
            "data": {"post": post["id"]}}).get_json())
    committee.post(f"/api/v1/submissions/{claims[1]['id']}/transitions", json={"action": "confirm"})
    r = committee.post(f"/api/v1/posts/{post['id']}/attendance",
                       json={"residents_served": 37, "volunteers_present": [claims[0]["id"]]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["claims"] == {str(claims[0]["id"]): "completed", str(claims[1]["id"]): "no_show"}
    assert login("v1").get("/api/v1/points/me").get_json()["total"] == 10
    assert login("v2").get("/api/v1/points/me").get_json()["total"] == 0
    stats = committee.get("/api/v1/stats?grid_code=C1").get_json()
    assert stats["activities_held"] == 1 and stats["residents_served"] == 37
    assert login("branch").post(f"/api/v1/posts/{post['id']}/attendance",
                                json={"residents_served": 1}).status_code == 403


def test_private_activity_needs_an_account(login, anon, people):
    post = login("committee").post("/api/v1/posts", json=dict(ACTIVITY, public_signup=False)).get_json()
    r = anon.post(f"/api/v1/posts/{post['id']}/residents", json={"name": "陈", "phone": "13912345678"})
    assert r.status_code == 401
    ordinary = login("branch").post("/api/v1/posts", json={
        "title": "清洁", "grid_code": "E1", "capacity": 2,
        "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-01T02:00:00Z"}).get_json()
    assert anon.post(f"/api/v1/posts/{ordinary['id']}/residents",
                     json={"name": "陈", "phone": "13912345678"}).status_code == 404


def test_residents_find_public_activities_for_their_building(login, anon, people):
    post = login("committee").post("/api/v1/posts", json=ACTIVITY).get_json()
    login("committee").post("/api/v1/posts", json=dict(ACTIVITY, public_signup=False, title="内部"))
    items = anon.get("/api/v1/posts/public?grid_code=B1").get_json()["items"]
    assert [i["id"] for i in items] == [post["id"]]
    assert set(items[0]) >= {"title", "place", "resident_capacity", "residents_signed"}
    assert anon.get("/api/v1/posts/public?grid_code=B4").get_json()["items"] == []
