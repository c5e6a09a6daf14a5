"""Private calendar feeds (issue 25, contract §6.3): the person's claimed posts and
meetings with place and reminder, in the community's zone; the token can be renewed."""
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.conftest import new_uuid


def _feed(client, url):
    r = client.get(urlsplit(url).path)
    return r


def test_the_feed_holds_my_posts_and_meetings_in_asia_shanghai(login, anon, client, people):
    branch, volunteer, partner = login("branch"), login("volunteer"), login("partner")
    post = branch.post("/api/v1/posts", json={
        "title": "周末环境清洁", "grid_code": "E1", "capacity": 2,
        "starts_at": "2026-03-07T01:00:00Z", "ends_at": "2026-03-07T05:00:00Z"}).get_json()
    other = branch.post("/api/v1/posts", json={
        "title": "不认领的岗位", "grid_code": "E1", "capacity": 2,
        "starts_at": "2026-03-08T01:00:00Z", "ends_at": "2026-03-08T05:00:00Z"}).get_json()
    assert other["id"] != post["id"]
    r = volunteer.post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": "E1",
        "data": {"post": post["id"]}})
    assert r.status_code == 201, r.get_json()
    meeting = login("committee").post("/api/v1/meetings", json={
        "grid_code": "C1", "starts_at": "2026-03-10T02:00:00Z", "place": "社区党群服务中心",
        "invited": ["三水燃气公司"]})
    assert meeting.status_code == 201

    r = volunteer.get("/api/v1/me/calendar")
    assert r.status_code == 200
    url = r.get_json()["url"]
    assert url.startswith("http://localhost/api/v1/calendar/") and url.endswith(".ics")
    assert volunteer.get("/api/v1/me/calendar").get_json()["url"] == url   # stable
    feed = _feed(client, url)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    cal = Calendar.from_ical(feed.data)
    events = cal.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["志愿岗位：周末环境清洁"]
    [event] = events
    start = event.decoded("dtstart")
    assert start.tzinfo is not None and str(start.tzinfo) == "Asia/Shanghai"
    assert start == datetime(2026, 3, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert str(event["location"]) == "时代城小区"   # the post's node when it names no place
    [alarm] = event.walk("VALARM")
    assert str(alarm["action"]) == "DISPLAY" and alarm.decoded("trigger").total_seconds() < 0
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]

    feed = Calendar.from_ical(_feed(client, partner.get("/api/v1/me/calendar").get_json()["url"]).data)
    [event] = feed.walk("VEVENT")
    assert "联席会议" in str(event["summary"]) and str(event["location"]) == "社区党群服务中心"
    assert event.decoded("dtstart") == datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert event.walk("VALARM")
    assert Calendar.from_ical(_feed(client, login("partner2").get(
        "/api/v1/me/calendar").get_json()["url"]).data).walk("VEVENT") == []


def test_renewing_replaces_the_token(login, client, people):
    volunteer = login("volunteer")
    old = volunteer.get("/api/v1/me/calendar").get_json()["url"]
    r = volunteer.post("/api/v1/me/calendar/renew")
    assert r.status_code == 200
    new = r.get_json()["url"]
    assert new != old
    assert _feed(client, old).status_code == 404
    assert _feed(client, new).status_code == 200
    assert volunteer.get("/api/v1/me/calendar").get_json()["url"] == new


def test_no_feed_without_the_token_or_sign_in(anon, client, people):
    assert anon.get("/api/v1/me/calendar").status_code == 401
    assert anon.post("/api/v1/me/calendar/renew").status_code == 401
    assert client.get("/api/v1/calendar/nope.ics").status_code == 404
    assert client.get("/api/v1/calendar/" + "x" * 200 + ".ics").status_code == 404
