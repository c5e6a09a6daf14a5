"""POST /api/v1/sync: the offline outbox's endpoint (contract §3, issue 4)."""
from tests.conftest import new_uuid, suggestion


def _op(body):
    return dict(body, op="submit")


def test_mixed_batch_with_per_op_results(login, people):
    captain = login("captain")
    existing = captain.post("/api/v1/submissions", json=suggestion()).get_json()
    good1, good2 = suggestion(), suggestion()
    bad = suggestion()
    del bad["data"]["content"]
    ops = [
        _op(good1),
        _op(bad),
        {"op": "transition", "op_id": "t-1", "submission": existing["uuid"], "action": "escalate"},
        _op(good2),
        {"op": "transition", "op_id": "t-2", "submission": 999999, "action": "escalate"},
        {"op": "transition", "op_id": "t-3", "submission": existing["id"], "action": "resolve",
         "comment": "已处理", "expected_state": "at_captain"},
        {"op": "frobnicate"},
        _op(dict(suggestion("B4"), form="need", data={"category": "network", "description": "x",
                                                      "urgency": "low"})),
    ]
    r = captain.post("/api/v1/sync", json={"ops": ops})
    assert r.status_code == 200
    statuses = [x["status"] for x in r.get_json()["results"]]
    assert statuses == ["created", "invalid", "applied", "created", "not_found", "conflict",
                        "invalid", "forbidden"]
    results = r.get_json()["results"]
    assert "data.content" in results[1]["errors"]["fields"]
    assert results[2]["submission"]["state"] == "at_branch"
    assert results[0]["submission"]["uuid"] == good1["uuid"]


def test_replaying_a_batch_changes_nothing(login, people):
    captain = login("captain")
    target = captain.post("/api/v1/submissions", json=suggestion()).get_json()
    ops = [_op(suggestion()), _op(suggestion()),
           {"op": "transition", "op_id": "esc-1", "submission": target["uuid"],
            "action": "escalate", "expected_state": "at_captain"}]
    first = captain.post("/api/v1/sync", json={"ops": ops}).get_json()["results"]
    again = captain.post("/api/v1/sync", json={"ops": ops}).get_json()["results"]
    assert [x["status"] for x in first] == ["created", "created", "applied"]
    assert [x["status"] for x in again] == ["duplicate", "duplicate", "duplicate"]
    assert [x["submission"]["id"] for x in first] == [x["submission"]["id"] for x in again]
    history = login("branch").get(f"/api/v1/submissions/{target['id']}").get_json()["history"]
    assert [h["action"] for h in history] == ["submit", "escalate"]
    assert len(captain.get("/api/v1/submissions").get_json()["items"]) == 3


def test_stale_transition_is_a_conflict(login, people):
    captain = login("captain")
    target = captain.post("/api/v1/submissions", json=suggestion()).get_json()
    login("branch").post(f"/api/v1/submissions/{target['id']}/transitions",
                         json={"action": "escalate"})
    r = captain.post("/api/v1/sync", json={"ops": [
        {"op": "transition", "op_id": "x", "submission": target["id"], "action": "resolve",
         "comment": "已处理", "expected_state": "at_captain"}]}).get_json()["results"][0]
    assert r["status"] == "conflict" and r["errors"]["code"] == "stale_state"


def test_forbidden_transition(login, people):
    target = login("captain").post("/api/v1/submissions", json=suggestion()).get_json()
    r = login("captain").post("/api/v1/sync", json={"ops": [
        {"op": "transition", "op_id": "y", "submission": target["id"], "action": "dispatch",
         "partner": "三水燃气公司"}]}).get_json()["results"][0]
    assert r["status"] == "forbidden"


def test_anonymous_can_sync_public_submissions_only(anon, people):
    results = anon.post("/api/v1/sync", json={"ops": [
        _op(suggestion()),
        {"op": "transition", "op_id": "z", "submission": 1, "action": "escalate"}]}).get_json()
    assert [x["status"] for x in results["results"]] == ["created", "forbidden"]


def test_bad_batches(login, people):
    api = login("captain")
    assert api.post("/api/v1/sync", json={"ops": "nope"}).status_code == 422
    assert api.post("/api/v1/sync", json=[1]).status_code == 422
    ops = [_op(suggestion()) for _ in range(1001)]
    r = api.post("/api/v1/sync", json={"ops": ops})
    assert r.status_code == 413


def test_batch_of_500_ops(login, people):
    api = login("captain")
    ops = [_op(suggestion()) for _ in range(500)]
    r = api.post("/api/v1/sync", json={"ops": ops})
    assert r.status_code == 200
    assert {x["status"] for x in r.get_json()["results"]} == {"created"}


def test_op_uuid_is_echoed(login, people):
    body = suggestion()
    r = login("captain").post("/api/v1/sync", json={"ops": [_op(body)]}).get_json()["results"][0]
    assert r["uuid"] == body["uuid"] and r["index"] == 0
    assert new_uuid() != body["uuid"]
