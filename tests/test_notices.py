"""The notice board (issue 11, first part): publish to a subtree, captains relay, residents see."""


def _publish(api, grid_code="E1", **extra):
    body = {"title": "燃气安全检查通知", "body": "本周六上午燃气公司上门检查，请家中留人。",
            "grid_code": grid_code, **extra}
    return api.post("/api/v1/notices", json=body)


def test_branch_publishes_captains_see_and_relay(login, anon, people, clock):
    r = _publish(login("branch"))
    assert r.status_code == 201
    notice = r.get_json()
    assert _publish(login("captain")).status_code == 403
    assert _publish(login("branch2")).status_code == 403
    mine = login("captain").get("/api/v1/notices").get_json()["items"]
    assert [(n["id"], n["relayed"]) for n in mine] == [(notice["id"], False)]
    assert login("captain4").get("/api/v1/notices").get_json()["items"] == []
    status = login("branch").get(f"/api/v1/notices/{notice['id']}/relays").get_json()
    assert (status["relayed"], status["waiting"]) == (0, 2)
    assert login("captain").post(f"/api/v1/notices/{notice['id']}/relay").status_code == 200
    assert login("captain").post(f"/api/v1/notices/{notice['id']}/relay").status_code == 200
    assert login("captain4").post(f"/api/v1/notices/{notice['id']}/relay").status_code == 404
    status = login("committee").get(f"/api/v1/notices/{notice['id']}/relays").get_json()
    assert (status["relayed"], status["waiting"]) == (1, 1)
    who = {i["username"]: i["relayed_at"] for i in status["items"]}
    assert who["captain"] == "2026-03-02T09:00:00Z" and who["captain2"] is None
    assert login("committee2").get(f"/api/v1/notices/{notice['id']}/relays").status_code == 404
    assert login("captain").get("/api/v1/notices").get_json()["items"][0]["relayed"] is True


def test_residents_see_current_public_notices_on_the_qr_page(login, anon, people, clock):
    _publish(login("committee"), grid_code="C1", expires_at="2026-03-05T00:00:00Z")
    _publish(login("branch"), title="内部通知", public=False)
    items = anon.get("/api/v1/notices/public?grid_code=B1").get_json()["items"]
    assert [n["title"] for n in items] == ["燃气安全检查通知"]
    assert anon.get("/api/v1/notices/public?grid_code=B4").get_json()["items"] == []
    clock.advance(days=3)
    assert anon.get("/api/v1/notices/public?grid_code=B1").get_json()["items"] == []
    assert anon.get("/api/v1/notices/public?grid_code=E1").status_code == 404


def test_relay_queued_offline_arrives_through_sync(login, people):
    notice = _publish(login("branch")).get_json()
    ops = {"ops": [{"op": "relay", "op_id": "r1", "notice": notice["id"]},
                   {"op": "relay", "op_id": "r2", "notice": 999999}]}
    results = login("captain").post("/api/v1/sync", json=ops).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "not_found"]
    status = login("branch").get(f"/api/v1/notices/{notice['id']}/relays").get_json()
    assert status["relayed"] == 1


def test_notice_with_a_photo(login, anon, people):
    import io

    from PIL import Image

    raw = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(raw, "PNG")
    branch = login("branch")
    upload = branch.client.post("/api/v1/uploads", data={"file": (io.BytesIO(raw.getvalue()), "n.png")},
                                headers={"Authorization": f"Bearer {branch.token}"},
                                content_type="multipart/form-data").get_json()
    assert _publish(branch, photo="no-such-upload").status_code == 422
    public = _publish(branch, photo=upload["id"]).get_json()
    private = _publish(branch, title="内部", photo=upload["id"], public=False).get_json()
    assert anon.get(f"/api/v1/notices/{public['id']}/photo").mimetype == "image/png"
    assert anon.get(f"/api/v1/notices/{private['id']}/photo").status_code == 404
    assert login("captain").get(f"/api/v1/notices/{private['id']}/photo").status_code == 200
    assert login("captain4").get(f"/api/v1/notices/{private['id']}/photo").status_code == 404
    items = anon.get("/api/v1/notices/public?grid_code=B1").get_json()["items"]
    assert items[0]["photo"] is True
