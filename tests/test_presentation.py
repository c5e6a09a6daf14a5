"""Words, not codes, in the community's own time (issue 21): the API's `display` and history
sentences, resolved for the submission's own form version."""
from datetime import datetime

from tests.conftest import suggestion

AT_0400Z = datetime(2026, 12, 2, 4, 0)   # 12:00 in Shanghai


def _detail(api, sub_id):
    r = api.get(f"/api/v1/submissions/{sub_id}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_detail_shows_fields_in_words_in_form_order(login, people, clock):
    clock.now = AT_0400Z
    captain = login("captain")
    sub = captain.post("/api/v1/submissions", json=suggestion(
        content="楼道灯坏了", location="3单元", anonymous=False, contact_phone="13912345678")).get_json()
    body = _detail(captain, sub["id"])
    names = [d["name"] for d in body["display"]]
    assert names == ["category", "content", "location", "anonymous", "contact_phone"]
    by_name = {d["name"]: d for d in body["display"]}
    assert by_name["category"]["label"] == {"zh": "类别", "en": "Category"}
    assert by_name["category"]["value"] == "repair" and by_name["category"]["text"] == "设施报修"
    assert by_name["anonymous"]["value"] is False and by_name["anonymous"]["text"] == "否"
    english = captain.get(f"/api/v1/submissions/{sub['id']}", headers={"Accept-Language": "en"}).get_json()
    assert {d["name"]: d["text"] for d in english["display"]}["category"] == "Repair"
    assert {d["name"]: d["text"] for d in english["display"]}["anonymous"] == "No"


def test_history_sentences_in_community_time(login, people, clock, runner):
    clock.now = AT_0400Z
    captain = login("captain")
    sub = captain.post("/api/v1/submissions", json=suggestion()).get_json()
    history = _detail(captain, sub["id"])["history"]
    assert history[0]["at"] == "2026-12-02T04:00:00Z"
    assert history[0]["text"] == "12月2日 12:00 captain 提交了来信"

    clock.now = datetime(2026, 12, 2, 4, 14)
    r = captain.post(f"/api/v1/submissions/{sub['id']}/transitions",
                     json={"action": "escalate", "comment": "已联系物业"})
    assert r.status_code == 200
    assert r.get_json()["history"][-1]["text"] == "12月2日 12:14 captain 上报支部：已联系物业"

    result = runner.invoke(args=["workflow", "tick", "--now", "2026-12-05T05:00:00Z"])
    assert result.exit_code == 0, result.output
    last = _detail(login("branch"), sub["id"])["history"][-1]
    assert last["system"] and last["text"] == "12月5日 13:00 超过 72 小时未处理，自动上报社区"
    english = login("branch").get(f"/api/v1/submissions/{sub['id']}",
                                  headers={"Accept-Language": "en"}).get_json()["history"]
    assert english[0]["text"] == "2 Dec 12:00 captain submitted a letter"


def test_timer_escalation_from_the_captain_names_its_wait(login, people, clock, runner):
    clock.now = AT_0400Z
    sub = login("captain").post("/api/v1/submissions", json=suggestion()).get_json()
    runner.invoke(args=["workflow", "tick", "--now", "2026-12-04T04:30:00Z"])
    last = _detail(login("branch"), sub["id"])["history"][-1]
    assert last["text"] == "12月4日 12:30 超过 48 小时未处理，自动上报支部"


def test_the_same_moment_in_london(app, login, people, clock):
    clock.now = AT_0400Z
    before = app.config["TIMEZONE"]
    app.config["TIMEZONE"] = "Europe/London"
    try:
        captain = login("captain")
        sub = captain.post("/api/v1/submissions", json=suggestion()).get_json()
        assert _detail(captain, sub["id"])["history"][0]["text"].startswith("12月2日 04:00 ")
    finally:
        app.config["TIMEZONE"] = before


def test_a_letter_keeps_its_own_versions_labels(login, people):
    captain, committee = login("captain"), login("committee")
    old = captain.post("/api/v1/submissions", json=suggestion(category="repair")).get_json()
    current = committee.get("/api/v1/forms/suggestion").get_json()
    fields = [dict(f) for f in current["fields"]]
    category = next(f for f in fields if f["name"] == "category")
    category["choices"] = [dict(c, label={"zh": "维修报修", "en": "Maintenance"})
                           if c["value"] == "repair" else c for c in category["choices"]]
    category["label"] = {"zh": "问题类别", "en": "Kind"}
    r = committee.post("/api/v1/forms/suggestion/versions",
                       json={"title": current["title"], "public": True, "fields": fields})
    assert r.status_code == 201, r.get_json()
    new = captain.post("/api/v1/submissions", json=suggestion(category="repair")).get_json()
    assert new["form_version"] == 2 and old["form_version"] == 1

    old_words = {d["name"]: d for d in _detail(captain, old["id"])["display"]}
    new_words = {d["name"]: d for d in _detail(captain, new["id"])["display"]}
    assert old_words["category"]["text"] == "设施报修"
    assert old_words["category"]["label"]["zh"] == "类别"
    assert new_words["category"]["text"] == "维修报修"
    assert new_words["category"]["label"]["zh"] == "问题类别"


def test_a_claim_names_its_post_and_time(login, people):
    from tests.conftest import new_uuid

    post = login("branch").post("/api/v1/posts", json={
        "title": "楼道清扫", "grid_code": "E1", "capacity": 2,
        "starts_at": "2030-06-27T09:00", "ends_at": "2030-06-27T12:00"}).get_json()
    claim = login("volunteer").post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": "E1",
        "data": {"post": post["id"]}}).get_json()
    words = _detail(login("volunteer"), claim["id"])
    assert words["display"][0]["text"] == "楼道清扫（2030年6月27日 09:00）"
    assert words["history"][0]["text"].endswith("volunteer 提交了岗位认领")


def test_detail_fields_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    text = str(spec["paths"]["/api/v1/submissions/{ident}"]["get"])
    assert "display" in str(spec["components"]) or "display" in text


def test_a_residents_letter_reads_in_the_readers_language(client, login, people, clock):
    """The name kept with a resident's event is the writer's word (居民); an English reader
    reads "A resident"."""
    clock.now = AT_0400Z
    r = client.post("/api/v1/submissions", json=suggestion("B1", content="楼下噪音"))
    assert r.status_code == 201, r.get_json()
    captain = login("captain")
    chinese = _detail(captain, r.get_json()["id"])["history"]
    assert chinese[0]["text"] == "12月2日 12:00 居民 提交了来信"
    english = captain.get(f"/api/v1/submissions/{r.get_json()['id']}",
                          headers={"Accept-Language": "en"}).get_json()["history"]
    assert english[0]["text"] == "2 Dec 12:00 A resident submitted a letter"
