"""In-app notifications and grid channels: who is told of what, in which language, and only
they (issue 25)."""
import json

import pytest

from tests.conftest import new_uuid, suggestion


def _act(api, sub_id, action, **extra):
    r = api.post(f"/api/v1/submissions/{sub_id}/transitions", json={"action": action, **extra})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _mine(api):
    r = api.get("/api/v1/notifications")
    assert r.status_code == 200
    return r.get_json()


def test_a_letter_reaches_the_captain_of_its_building_in_chinese(login, anon, people):
    sub = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
    captain = login("captain")
    mine = _mine(captain)
    assert mine["unread"] == 1
    [item] = mine["items"]
    assert item["type"] == "submission.created" and item["submission_id"] == sub["id"]
    assert item["read"] is False and item["grid_code"] == "B1"
    assert "查询码" in item["text"] and "时代城1栋" in item["text"]
    captain.lang = "en"
    assert "tracking code" in _mine(captain)["items"][0]["text"]
    # Nobody else was told: not the other building's captain, not the branch yet.
    assert _mine(login("captain2"))["unread"] == 0
    assert _mine(login("branch"))["unread"] == 0


def test_the_holder_of_each_new_state_is_told_and_not_the_one_who_acted(login, people):
    resident = login("resident")
    body = suggestion("B1", anonymous=False)
    sub = resident.post("/api/v1/submissions", json=body).get_json()
    captain, branch, committee = login("captain"), login("branch"), login("committee")
    _act(captain, sub["id"], "escalate")
    assert [n["type"] for n in _mine(branch)["items"]] == ["submission.state_changed"]
    assert _mine(captain)["unread"] == 1   # only the arrival; not its own escalation
    _act(branch, sub["id"], "escalate")
    _act(committee, sub["id"], "dispatch", partner="三水燃气公司")
    told = _mine(login("partner"))["items"]
    assert [n["state"] for n in told] == ["dispatched"] and "派给贵单位" in told[0]["text"]
    assert _mine(login("partner2"))["unread"] == 0
    partner = login("partner")
    _act(partner, sub["id"], "accept")
    _act(partner, sub["id"], "resolve", comment="已更换灯泡")
    resolved = _mine(resident)["items"]
    assert resolved[0]["state"] == "resolved" and "已办结" in resolved[0]["text"]
    assert resolved[0]["tracking_code"] == sub["tracking_code"]


def test_newest_first_and_marked_read_by_ids_or_all(login, anon, people):
    subs = [anon.post("/api/v1/submissions", json=suggestion("B1")).get_json() for _ in range(3)]
    captain = login("captain")
    items = _mine(captain)["items"]
    assert [n["submission_id"] for n in items] == [s["id"] for s in reversed(subs)]
    r = captain.post("/api/v1/notifications/read", json={"ids": [items[0]["id"]]})
    assert r.status_code == 200 and r.get_json() == {"updated": 1, "unread": 2}
    mine = _mine(captain)
    assert mine["unread"] == 2 and mine["items"][0]["read"] and mine["items"][0]["read_at"]
    r = captain.post("/api/v1/notifications/read", json={"all": True})
    assert r.get_json() == {"updated": 2, "unread": 0}


def test_nobody_reads_or_marks_another_persons_notifications(login, anon, client, people):
    anon.post("/api/v1/submissions", json=suggestion("B1"))
    theirs = _mine(login("captain"))["items"][0]["id"]
    other = login("captain2")
    assert _mine(other)["items"] == []
    r = other.post("/api/v1/notifications/read", json={"ids": [theirs]})
    assert r.status_code == 200 and r.get_json()["updated"] == 0
    assert _mine(login("captain"))["unread"] == 1
    assert anon.get("/api/v1/notifications").status_code == 401
    assert anon.post("/api/v1/notifications/read", json={"all": True}).status_code == 401


@pytest.mark.parametrize("body", [{}, {"ids": []}, {"ids": "1"}, {"ids": ["x"]}, {"all": "yes"},
                                  {"ids": [2**40]}, [1, 2]])
def test_bad_read_bodies_are_422(login, people, body):
    r = login("captain").post("/api/v1/notifications/read", json=body)
    assert r.status_code == 422


def test_malformed_json_is_400_not_500(login, people):
    r = login("captain").post("/api/v1/notifications/read", data="{",
                              headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_a_promoted_claimant_is_told(login, make_user, people):
    post = login("branch").post("/api/v1/posts", json={
        "title": "周末环境清洁", "grid_code": "E1", "capacity": 1,
        "starts_at": "2030-05-01T01:00:00Z", "ends_at": "2030-05-01T05:00:00Z"}).get_json()
    for name in ("v0", "v1"):
        make_user(name, ("volunteer", "C1"))
    claims = [login(n).post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": "E1",
        "data": {"post": post["id"]}}).get_json() for n in ("v0", "v1")]
    assert [c["state"] for c in claims] == ["claimed", "waitlisted"]
    _act(login("v0"), claims[0]["id"], "cancel")
    [told] = _mine(login("v1"))["items"]
    assert told["type"] == "claim.promoted" and "候补" in told["text"]


@pytest.fixture
def allow_private(app):
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    yield
    app.config["OUTBOUND_ALLOW_PRIVATE"] = False


def test_an_estates_work_group_hears_of_a_letter_through_apprise(
        login, anon, people, runner, allow_private):
    from tests.test_webhooks import Receiver

    with Receiver(answers=[500]) as receiver:
        url = receiver.url.replace("http://", "json://")
        branch = login("branch")
        r = branch.post("/api/v1/grid/E1/channels", json={
            "url": url, "events": ["submission.created"], "description": "时代城业主群机器人"})
        assert r.status_code == 201, r.get_json()
        listed = branch.get("/api/v1/grid/E1/channels").get_json()["items"]
        assert [c["id"] for c in listed] == [r.get_json()["id"]]
        sub = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
        anon.post("/api/v1/submissions", json=suggestion("B3"))   # another estate: not told
        first = runner.invoke(args=["worker", "--once"])
        assert "to retry 1" in first.output   # the group robot answered 500
        later = runner.invoke(args=["worker", "--once", "--now", "2026-03-02T09:00:10Z"])
        assert "delivered 1" in later.output, later.output
    messages = [body for _h, body, status in receiver.requests if status == 200]
    assert len(messages) == 1
    message = json.loads(messages[0])
    assert "时代城1栋" in message["message"] and sub["tracking_code"] in message["message"]


@pytest.mark.parametrize("who, code, status", [
    ("captain", "B1", 403), ("captain", "E1", 404), ("branch2", "E1", 404),
    ("resident", "E1", 404), ("branch", "B1", 201), ("committee", "E1", 201),
    ("admin", "E1", 201), ("admin", "NOPE", 404)])
def test_only_the_branch_or_committee_of_a_node_sets_its_channels(login, people, who, code,
                                                                   status, allow_private):
    r = login(who).post(f"/api/v1/grid/{code}/channels", json={
        "url": "json://127.0.0.1:9/hook", "events": ["submission.created"]})
    assert r.status_code == status


@pytest.mark.parametrize("url", ["nonsense://x", "json://", "", "json://127.0.0.1:9/hook",
                                 "json://169.254.169.254/latest"])
def test_bad_or_private_channel_urls_are_refused_with_the_reason(login, people, url):
    r = login("branch").post("/api/v1/grid/E1/channels", json={
        "url": url, "events": ["submission.created"]})
    assert r.status_code == 422 and r.get_json()["error"]["fields"]["url"]


def test_a_channels_keys_never_leave_the_server(login, people):
    r = login("branch").post("/api/v1/grid/E1/channels", json={
        "url": "wecombot://secretrobotkey123456", "events": ["*"]})
    assert r.status_code == 201
    assert "secretrobotkey123456" not in r.get_data(as_text=True)
    assert "secretrobotkey123456" not in login("branch").get(
        "/api/v1/grid/E1/channels").get_data(as_text=True)
