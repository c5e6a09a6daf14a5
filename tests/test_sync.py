"""POST /api/v1/sync: the offline outbox's endpoint (contract §3, issue 4)."""
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import PASSWORD, new_uuid, suggestion


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


def test_batch_of_500_ops(login, people, queries):
    """500 submits are stored together: a handful of statements, not a dozen per op."""
    api = login("captain")
    ops = [_op(suggestion()) for _ in range(500)]
    with queries() as statements:
        r = api.post("/api/v1/sync", json={"ops": ops})
    assert r.status_code == 200
    assert {x["status"] for x in r.get_json()["results"]} == {"created"}
    assert len({x["submission"]["id"] for x in r.get_json()["results"]}) == 500
    assert 0 < len(statements) < 30, Counter(q.statement[:40] for q in statements).most_common(5)
    assert len(login("street").get("/api/v1/submissions?limit=200&state=at_captain")
               .get_json()["items"]) == 200


def test_op_uuid_is_echoed(login, people):
    body = suggestion()
    r = login("captain").post("/api/v1/sync", json={"ops": [_op(body)]}).get_json()["results"][0]
    assert r["uuid"] == body["uuid"] and r["index"] == 0
    assert new_uuid() != body["uuid"]


def _comparable(detail: dict) -> dict:
    keep = ("form", "form_version", "grid_code", "state", "tier", "data", "submitter_id",
            "allowed_actions")
    out = {k: detail[k] for k in keep}
    out["history"] = [(h["action"], h["to_state"], h["actor"], h["actor_name"])
                      for h in detail["history"]]
    return out


def test_batched_submits_are_stored_as_one_by_one(login, people):
    """A run of submit ops is stored together (app/sync/services.py, run_ops); what is stored and what
    each op answers must be the same as submitting them one by one."""
    captain = login("captain")
    stored = captain.post("/api/v1/submissions", json=suggestion()).get_json()
    bodies = [suggestion("B1"), suggestion("B3"), suggestion("B4", content="电梯坏了")]
    bad = suggestion()
    bad["data"]["category"] = "nonsense"
    changed = dict(stored, data={"category": "repair", "content": "另一封", "anonymous": True})
    ops = ([_op(b) for b in bodies]
           + [_op(bodies[0]),                                  # repeated within the run
              _op(bad),
              _op({k: stored[k] for k in ("uuid", "form", "grid_code")} | {
                  "data": {"category": "repair", "content": "楼道灯坏了", "anonymous": True}}),
              _op({k: changed[k] for k in ("uuid", "form", "grid_code", "data")}),
              {"op": "transition", "op_id": "t-fast", "submission": bodies[0]["uuid"],
               "action": "escalate"},
              _op(suggestion("B2"))])
    results = captain.post("/api/v1/sync", json={"ops": ops}).get_json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "created", "duplicate",
                                              "invalid", "duplicate", "conflict", "applied",
                                              "created"]
    assert [r["index"] for r in results] == list(range(len(ops)))
    assert results[3]["submission"]["id"] == results[0]["submission"]["id"]
    assert results[5]["submission"]["id"] == stored["id"]
    assert results[1]["submission"]["state"] == "at_branch"        # B3 has no captain
    assert all(len(results[i]["submission"]["tracking_code"]) == 8 for i in (0, 1, 2, 8))

    street = login("street")
    for index, body in ((1, bodies[1]), (2, bodies[2])):
        batched = street.get(f"/api/v1/submissions/{results[index]['submission']['id']}").get_json()
        single = captain.post("/api/v1/submissions", json=dict(body, uuid=new_uuid())).get_json()
        single = street.get(f"/api/v1/submissions/{single['id']}").get_json()
        assert _comparable(batched) == _comparable(single)
        assert batched["history"][0]["actor"] == "captain"
    first = street.get(f"/api/v1/submissions/{results[0]['submission']['id']}").get_json()
    assert [h["action"] for h in first["history"]] == ["submit", "escalate"]

    again = captain.post("/api/v1/sync", json={"ops": ops}).get_json()["results"]
    assert [r["status"] for r in again] == ["duplicate", "duplicate", "duplicate", "duplicate",
                                            "invalid", "duplicate", "conflict", "duplicate",
                                            "duplicate"]
    items = street.get("/api/v1/submissions?limit=200").get_json()["items"]
    assert len(items) == 1 + 4 + 2                     # stored, four created, two singles


@pytest.mark.slow
def test_same_batch_replayed_at_once_through_two_instances(login, people, gunicorn_pair):
    """The outbox retried while the first attempt is still running, and the load balancer
    sends the two attempts to different app servers: each submission is stored once and
    each transition applied once."""
    captain = login("captain")
    targets = [captain.post("/api/v1/submissions", json=suggestion()).get_json() for _ in range(3)]
    ops = [_op(suggestion()) for _ in range(40)] + [
        {"op": "transition", "op_id": f"esc-{t['id']}", "submission": t["uuid"],
         "action": "escalate", "expected_state": "at_captain"} for t in targets]
    # A token minted by the servers themselves (they run on the real clock, not the test's).
    token = requests.post(f"{gunicorn_pair[0]}/api/v1/auth/login",
                          json={"username": "captain", "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    def send(url):
        return requests.post(f"{url}/api/v1/sync", json={"ops": ops}, headers=headers, timeout=120)

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(send, gunicorn_pair * 3))
    assert {r.status_code for r in answers} == {200}
    for index in range(len(ops)):
        statuses = [r.json()["results"][index]["status"] for r in answers]
        ids = {r.json()["results"][index]["submission"]["id"] for r in answers
               if "submission" in r.json()["results"][index]}
        assert len(ids) == 1, (index, statuses)
        if index < 40:
            assert statuses.count("created") == 1 and statuses.count("duplicate") == 5, statuses
        else:   # applied once; the others see it applied (duplicate) or the state moved (conflict)
            assert statuses.count("applied") == 1, statuses
            assert set(statuses) <= {"applied", "duplicate", "conflict"}, statuses
    street = login("street")
    assert len(street.get("/api/v1/submissions?limit=200").get_json()["items"]) == 43
    for t in targets:
        history = street.get(f"/api/v1/submissions/{t['id']}").get_json()["history"]
        assert [h["action"] for h in history] == ["submit", "escalate"]
