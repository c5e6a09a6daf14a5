"""Joint meetings (issue 11): agenda from the lists, decisions through the engine, statistics."""
from tests.conftest import new_uuid


def _need(api, grid_code="B1"):
    return api.post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "need", "grid_code": grid_code,
        "data": {"category": "utilities", "description": "老旧小区燃气管道需要改造", "urgency": "urgent"}}).get_json()


def test_meeting_agenda_decision_dispatches_and_stats(login, people, clock):
    committee = login("committee")
    need = _need(login("captain"))
    resource = login("partner").post("/api/v1/resources", json={
        "title": "燃气管道改造", "category": "utilities", "grid_code": "C1"}).get_json()
    stats = committee.get("/api/v1/stats?grid_code=C1").get_json()["joint_meetings"]
    assert stats["held_this_quarter"] == 0
    assert [c["grid_code"] for c in stats["communities_without_meeting"]] == ["C1"]

    body = {"grid_code": "C1", "starts_at": "2026-03-10T02:00:00Z", "place": "社区党群服务中心",
            "invited": ["三水燃气公司", "电信三水分公司"]}
    assert login("branch").post("/api/v1/meetings", json=body).status_code == 403
    assert login("committee2").post("/api/v1/meetings", json=body).status_code == 403
    assert committee.post("/api/v1/meetings", json=dict(body, invited=["不存在"])).status_code == 422
    r = committee.post("/api/v1/meetings", json=body)
    assert r.status_code == 201
    meeting = r.get_json()
    kinds = [(a["kind"], a.get("submission") or a.get("resource")) for a in meeting["agenda"]]
    assert kinds == [("need", need["id"]), ("resource", resource["id"])]
    assert meeting["invited"] == ["三水燃气公司", "电信三水分公司"]

    edited = committee.client.put(f"/api/v1/meetings/{meeting['id']}/agenda",
                                  json={"agenda": meeting["agenda"][:1]},
                                  headers={"Authorization": f"Bearer {committee.token}"})
    assert edited.status_code == 200 and len(edited.get_json()["agenda"]) == 1
    record = committee.post(f"/api/v1/meetings/{meeting['id']}/record", json={
        "attendance": ["三水燃气公司"], "notes": "燃气公司承接管道改造",
        "decisions": [{"dispatch": need["id"], "partner": "三水燃气公司", "resource": resource["id"]}]})
    assert record.status_code == 200, record.get_json()
    assert record.get_json()["results"][0]["state"] == "dispatched"
    detail = committee.get(f"/api/v1/submissions/{need['id']}").get_json()
    assert [h["action"] for h in detail["history"]] == ["submit", "escalate", "escalate", "dispatch"]
    assert detail["history"][-1]["actor"] == "committee" and "联席会议" in detail["history"][-1]["comment"]
    assert [s["id"] for s in login("partner").get("/api/v1/inbox").get_json()["items"]] == [need["id"]]

    seen = login("partner").get("/api/v1/meetings").get_json()["items"]
    assert len(seen) == 1 and seen[0]["decisions"][0]["dispatch"] == need["id"] and seen[0]["notes"] == ""
    assert login("partner2").get(f"/api/v1/meetings/{meeting['id']}").get_json()["decisions"] == []
    assert login("captain4").get(f"/api/v1/meetings/{meeting['id']}").status_code == 404
    stats = committee.get("/api/v1/stats?grid_code=C1").get_json()["joint_meetings"]
    assert stats["held_this_quarter"] == 1 and stats["communities_without_meeting"] == []
    street = login("street").get("/api/v1/stats?grid_code=ST").get_json()["joint_meetings"]
    assert [c["grid_code"] for c in street["communities_without_meeting"]] == ["C2"]


def test_meeting_decision_refused_by_the_engine_changes_nothing(login, people):
    committee = login("committee")
    need = _need(login("captain"))
    login("captain").post(f"/api/v1/submissions/{need['id']}/transitions",
                          json={"action": "resolve", "comment": "楼长已处理"})  # no longer dispatchable
    meeting = committee.post("/api/v1/meetings", json={
        "grid_code": "C1", "starts_at": "2026-03-10T02:00:00Z"}).get_json()
    r = committee.post(f"/api/v1/meetings/{meeting['id']}/record", json={
        "decisions": [{"dispatch": need["id"], "partner": "三水燃气公司"}]})
    assert r.status_code == 409
    assert committee.get(f"/api/v1/meetings/{meeting['id']}").get_json()["held_at"] is None
