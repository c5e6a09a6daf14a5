"""The field app's journeys, server side (issue 23): my claims, replies that reach the
resident, the QR page's building and similar letters, time left in the inbox, sign-in locks."""
from tests.conftest import PASSWORD, new_uuid, suggestion

FUTURE = {"starts_at": "2030-05-01T01:00:00Z", "ends_at": "2030-05-01T05:00:00Z"}


def _post(api, capacity=1, grid_code="E1", **extra):
    body = {"title": "周末环境清洁", "grid_code": grid_code, "capacity": capacity, **FUTURE, **extra}
    r = api.post("/api/v1/posts", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _claim_op(post_id, grid_code="E1"):
    return {"op": "submit", "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": grid_code,
            "data": {"post": post_id}}


def test_my_claims_with_state_waitlist_position_and_cancel_through_sync(login, make_user, people):
    post = _post(login("branch"), capacity=1)
    make_user("v1", ("volunteer", "C1"))
    make_user("v2", ("volunteer", "C1"))
    first = login("volunteer").post("/api/v1/sync", json={"ops": [_claim_op(post["id"])]}).get_json()
    sub = first["results"][0]["submission"]
    login("v1").post("/api/v1/sync", json={"ops": [_claim_op(post["id"])]})
    login("v2").post("/api/v1/sync", json={"ops": [_claim_op(post["id"])]})
    mine = login("volunteer").get("/api/v1/posts/claims").get_json()["items"]
    assert [(c["state"], c["state_label"], c["can_cancel"]) for c in mine] == [("claimed", "已认领", True)]
    assert mine[0]["post"]["title"] == "周末环境清洁" and mine[0]["post"]["starts_at"]
    v2 = login("v2").get("/api/v1/posts/claims").get_json()["items"]
    assert v2[0]["state"] == "waitlisted" and v2[0]["waitlist_position"] == 2
    # Cancel offline: a transition op through the outbox; the first waitlisted is promoted.
    op = {"op": "transition", "op_id": new_uuid(), "submission": sub["uuid"], "action": "cancel",
          "expected_state": "claimed"}
    assert login("volunteer").post("/api/v1/sync", json={"ops": [op]}).get_json()["results"][0]["status"] == "applied"
    assert login("volunteer").get("/api/v1/posts/claims").get_json()["items"] == []
    assert login("v1").get("/api/v1/posts/claims").get_json()["items"][0]["state"] == "claimed"
    assert login("v2").get("/api/v1/posts/claims").get_json()["items"][0]["waitlist_position"] == 1
    assert login("v1").get("/api/v1/posts/claims").status_code == 200
    assert login("resident").get("/api/v1/posts/claims").get_json()["items"] == []


def test_second_claim_is_refused_with_the_reason_in_words(login, people):
    post = _post(login("branch"))
    login("volunteer").post("/api/v1/sync", json={"ops": [_claim_op(post["id"])]})
    res = login("volunteer").post("/api/v1/sync", json={"ops": [_claim_op(post["id"])]}).get_json()["results"][0]
    assert res["status"] == "conflict" and res["errors"]["code"] == "already_claimed"
    assert res["errors"]["message"] == "您已认领过该岗位。"
    other = _post(login("branch"), title="重叠岗", starts_at="2030-05-01T03:00:00Z", ends_at="2030-05-01T07:00:00Z")
    res = login("volunteer").post("/api/v1/sync", json={"ops": [_claim_op(other["id"])]}).get_json()["results"][0]
    assert res["errors"]["code"] == "claim_overlap" and "周末环境清洁" in res["errors"]["message"]


def test_reply_chosen_on_the_phone_reaches_the_tracking_page(login, anon, people):
    letter = anon.post("/api/v1/submissions", json=suggestion("B1", content="三楼楼道灯坏了")).get_json()
    captain = login("captain")
    # An internal comment first (not published), then the reply published through sync.
    ops = [{"op": "transition", "op_id": new_uuid(), "submission": letter["uuid"], "action": "resolve",
            "comment": "已联系物业，明天更换灯泡", "public_reply": True, "expected_state": "at_captain"}]
    res = captain.post("/api/v1/sync", json={"ops": ops}).get_json()["results"][0]
    assert res["status"] == "applied"
    track = anon.get(f"/api/v1/track/{letter['tracking_code']}").get_json()
    assert [r["comment"] for r in track["replies"]] == ["已联系物业，明天更换灯泡"]
    assert track["replies"][0]["tier"] == "captain" and track["replies"][0]["tier_label"] == "党员楼长"
    assert track["replies"][0]["at"].endswith("Z")


def test_internal_comment_never_reaches_the_tracking_page(login, anon, people):
    letter = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
    ops = [{"op": "transition", "op_id": new_uuid(), "submission": letter["uuid"],
            "action": "reject", "comment": "内部：此人反复投诉"}]
    login("captain").post("/api/v1/sync", json={"ops": ops})
    track = anon.get(f"/api/v1/track/{letter['tracking_code']}").get_json()
    assert track["replies"] == [] and "内部" not in str(track)


def test_unknown_tracking_code_says_so_in_words(anon, people):
    r = anon.get("/api/v1/track/NOSUCH12")
    assert r.status_code == 404
    assert "查询码" in r.get_json()["error"]["message"]
    r = anon.get("/api/v1/track/NOSUCH12", headers={"Accept-Language": "en"})
    assert "tracking code" in r.get_json()["error"]["message"]


def test_qr_page_names_its_building_and_similar_needs_typed_text(anon, people):
    body = anon.get("/api/v1/notices/public?grid_code=B1").get_json()
    assert body["building"]["code"] == "B1" and body["building"]["name"]
    assert body["building"]["community"]
    anon.post("/api/v1/submissions", json=suggestion(
        "B1", content="三楼楼道灯坏了，我是张阿姨，电话13912345678", contact_phone="13912345678"))
    assert anon.get("/api/v1/submissions/similar?grid_code=B1").get_json()["items"] == []
    items = anon.get("/api/v1/submissions/similar?grid_code=B1&text=楼道灯坏了很久").get_json()["items"]
    assert len(items) == 1
    text = str(items)
    assert "张阿姨" not in text and "13912345678" not in text and "三楼" not in text
    assert items[0]["category_label"] and items[0]["date"]


def test_inbox_says_how_long_each_item_waited_and_when_it_escalates(login, anon, people, clock):
    anon.post("/api/v1/submissions", json=suggestion("B1"))
    clock.advance(hours=10)
    item = login("captain").get("/api/v1/inbox").get_json()["items"][0]
    assert item["waited_seconds"] == 10 * 3600
    assert item["auto_action"] == "escalate" and item["auto_in_seconds"] == 38 * 3600
    assert item["auto_action_label"] and item["overdue"] is False and item["auto_at"].endswith("Z")
    clock.advance(hours=40)
    item = login("captain").get("/api/v1/inbox").get_json()["items"][0]
    assert item["overdue"] is True and item["auto_in_seconds"] == -2 * 3600


def test_the_failure_that_locks_says_for_how_long_and_who_unlocks(app, client, people):
    app.config["LOGIN_FAIL_LIMIT_USER"] = "2/15 minutes"
    env = {"REMOTE_ADDR": "203.0.113.77"}
    try:
        first = client.post("/api/v1/auth/login", json={"username": "captain", "password": "x"}, environ_base=env)
        assert first.status_code == 401 and "locked" not in first.get_json()["error"]
        second = client.post("/api/v1/auth/login", json={"username": "captain", "password": "y"}, environ_base=env)
        error = second.get_json()["error"]
        assert second.status_code == 401 and error["locked"] is True and error["retry_after"] == 60
        assert "1 分钟" in error["message"] and "工作人员" in error["message"]
        third = client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD},
                            environ_base=env)
        assert third.status_code == 429 and "解锁" in third.get_json()["error"]["message"]
    finally:
        app.config["LOGIN_FAIL_LIMIT_USER"] = "10/15 minutes"
