"""The community's time zone (issue 21): typed times are local, days end at local midnight."""
from datetime import datetime

import pytest

from app import create_app
from app.config import ConfigError
from tests.conftest import PASSWORD, new_uuid, suggestion


@pytest.fixture
def zone(app):
    """zone("Europe/London") switches the community's zone for one test."""
    before = app.config["TIMEZONE"]

    def switch(name):
        app.config["TIMEZONE"] = name
    yield switch
    app.config["TIMEZONE"] = before


def test_default_zone_and_unknown_zone_refused_at_start_up(app, monkeypatch, tmp_path):
    assert app.config["TIMEZONE"] == "Asia/Shanghai"
    monkeypatch.setenv("TONGXIN_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="TONGXIN_TIMEZONE"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                    "SECRET_KEY": "test-secret-key-0123456789"})
    monkeypatch.setenv("TONGXIN_TIMEZONE", "Europe/London")
    other = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                        "SECRET_KEY": "test-secret-key-0123456789"})
    assert other.config["TIMEZONE"] == "Europe/London"


def test_meta_needs_no_sign_in_and_names_every_code(anon, people):
    r = anon.get("/api/v1/meta")
    assert r.status_code == 200
    body = r.get_json()
    assert body["timezone"] == "Asia/Shanghai" and body["version"]
    vocab = body["vocabulary"]
    assert vocab["roles"]["captain"] == {"zh": "党员楼长", "en": "Building captain"}
    assert set(vocab["levels"]) == {"street", "community", "estate", "building"}
    assert vocab["states"]["at_captain"]["zh"] == "楼长处理中"
    assert vocab["states"]["claimed"]["en"] == "Claimed"
    assert vocab["forms"]["suggestion"] == {"zh": "楼长信箱", "en": "Captain's mailbox"}
    assert set(vocab["forms"]) >= {"suggestion", "need", "volunteer-signup", "member-registration"}
    assert vocab["actions"]["escalate"]["zh"]
    assert "/meta" in str(anon.get("/api/v1/openapi.json").get_json()["paths"])


@pytest.mark.parametrize("name, typed, stored", [
    ("Asia/Shanghai", "2030-06-27T09:00", "2030-06-27T01:00:00Z"),
    ("Europe/London", "2030-06-27T09:00", "2030-06-27T08:00:00Z"),   # BST
    ("Europe/London", "2030-01-10T09:00", "2030-01-10T09:00:00Z"),   # GMT
])
def test_a_post_typed_as_nine_starts_at_nine_local(login, people, zone, name, typed, stored):
    zone(name)
    r = login("branch").post("/api/v1/posts", json={
        "title": "楼道清扫", "grid_code": "E1", "capacity": 2,
        "starts_at": typed, "ends_at": typed[:-5] + "12:00"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["starts_at"] == stored
    # An explicit offset is kept whatever the zone.
    r = login("branch").post("/api/v1/posts", json={
        "title": "义诊", "grid_code": "E1", "capacity": 2,
        "starts_at": "2030-06-28T09:00+08:00", "ends_at": "2030-06-28T12:00+08:00"})
    assert r.get_json()["starts_at"] == "2030-06-28T01:00:00Z"


def _console(app, username):
    import re
    client = app.test_client()
    assert client.post("/admin/login", data={"username": username,
                                              "password": PASSWORD}).status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    return client, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("name, stored", [("Asia/Shanghai", "2030-06-27T01:00:00Z"),
                                          ("Europe/London", "2030-06-27T08:00:00Z")])
def test_an_activity_typed_in_the_console_is_local(app, anon, people, zone, name, stored):
    zone(name)
    client, token = _console(app, "committee")
    r = client.post("/admin/activities", data={
        "csrf_token": token, "title": "中医义诊", "grid_code": "C1", "place": "社区广场",
        "starts_at": "2030-06-27T09:00", "ends_at": "2030-06-27T12:00", "capacity": "2",
        "resident_capacity": "20", "partner": "三水医院", "public_signup": "1"})
    assert r.status_code == 302
    post = anon.get("/api/v1/posts/public?grid_code=B1").get_json()["items"][0]
    assert post["starts_at"] == stored


def test_a_meeting_typed_as_nine_is_nine_local(login, people):
    r = login("committee").post("/api/v1/meetings", json={
        "grid_code": "C1", "starts_at": "2026-03-10T09:00", "place": "党群服务中心"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["starts_at"] == "2026-03-10T01:00:00Z"


@pytest.mark.parametrize("name, counted", [("Asia/Shanghai", 1), ("Europe/London", 2)])
def test_a_statistics_day_ends_at_local_midnight(login, people, clock, zone, name, counted):
    captain = login("captain")
    clock.now = datetime(2026, 3, 2, 15, 30)   # 23:30 in Shanghai, 15:30 in London
    assert captain.post("/api/v1/submissions", json=suggestion()).status_code == 201
    clock.now = datetime(2026, 3, 2, 16, 30)   # 00:30 the next day in Shanghai
    assert captain.post("/api/v1/submissions", json=suggestion()).status_code == 201
    zone(name)
    stats = login("committee").get("/api/v1/stats?grid_code=C1&from=2026-03-02&to=2026-03-03").get_json()
    assert stats["submissions"]["total"] == counted, stats["submissions"]


def test_a_naive_client_time_is_read_in_the_community_zone(login, people):
    body = suggestion()
    body["client_created_at"] = "2026-03-02T12:00:00"
    r = login("captain").post("/api/v1/submissions", json=body)
    assert r.get_json()["client_created_at"] == "2026-03-02T04:00:00Z"
    body = dict(suggestion(), uuid=new_uuid(), client_created_at="2026-03-02T12:00:00+08:00")
    assert login("captain").post("/api/v1/submissions", json=body).get_json()[
        "client_created_at"] == "2026-03-02T04:00:00Z"


def test_durations_read_as_people_say_them(app):
    from app.core.words import format_duration, format_timer_after

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert format_duration(2 * 3600 + 15 * 60) == "2 小时 15 分"
        assert format_duration(3 * 86400) == "3 天"
        assert format_duration(300) == "5 分钟"
        assert format_duration(0.08 * 3600) == "5 分钟"
        assert format_timer_after("48h") == "48 小时" and format_timer_after("2wd") == "2 个工作日"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert format_duration(2 * 3600 + 15 * 60) == "2 h 15 min"
        assert format_duration(86400 * 3) == "3 days"
