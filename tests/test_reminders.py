"""Reminders from the workflow tick (issue 25): the holder before a timer escalates, the
volunteer and the meeting's people the day before, the captain who has not relayed a
notice after a day — each once, even when the tick runs twice."""
import pytest

from tests.conftest import new_uuid, suggestion


def _tick(runner, when):
    result = runner.invoke(args=["workflow", "tick", "--now", when])
    assert result.exit_code == 0, result.output
    return result.output


def _told(api, kind=None):
    items = api.get("/api/v1/notifications").get_json()["items"]
    return [n for n in items if kind is None or n["kind"] == kind]


@pytest.fixture
def allow_private(app):
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    yield
    app.config["OUTBOUND_ALLOW_PRIVATE"] = False


def test_the_holder_is_told_before_the_timer_escalates_once(
        app, login, anon, people, runner, allow_private):
    from sqlalchemy import select

    from app.extensions import db
    from app.notifications.models import Delivery

    assert app.config["REMINDER_BEFORE"] == "6h"
    hook = login("admin").post("/api/v1/webhooks", json={
        "url": "http://127.0.0.1:9/hook", "events": ["timer.due_soon"]}).get_json()
    sub = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()   # 48h timer
    _tick(runner, "2026-03-04T02:59:00Z")   # 42h01m before: not yet
    assert _told(login("captain"), "due_soon") == []
    out = _tick(runner, "2026-03-04T03:00:00Z")   # 6 h before the escalation
    assert "due_soon 1" in out
    _tick(runner, "2026-03-04T03:00:00Z")   # the tick runs twice
    _tick(runner, "2026-03-04T05:00:00Z")
    [told] = _told(login("captain"), "due_soon")
    assert told["type"] == "timer.due_soon" and told["submission_id"] == sub["id"]
    assert "自动上报" in told["text"] and "03月04日 17:00" in told["text"]   # Beijing time
    assert _told(login("branch"), "due_soon") == []
    with app.app_context():
        payloads = db.session.execute(select(Delivery.payload).where(
            Delivery.webhook_id == hook["id"])).scalars().all()
    assert len(payloads) == 1 and '"due_at":"2026-03-04T09:00:00Z"' in payloads[0]
    # After the escalation the branch holds it: its own reminder comes before its timer.
    assert "applied 1" in _tick(runner, "2026-03-04T09:00:00Z")
    _tick(runner, "2026-03-07T03:00:00Z")
    assert len(_told(login("branch"), "due_soon")) == 1


def test_volunteers_are_reminded_the_day_before_their_post(login, make_user, people, runner):
    post = login("branch").post("/api/v1/posts", json={
        "title": "周末环境清洁", "grid_code": "E1", "capacity": 1,
        "starts_at": "2030-05-01T01:00:00Z", "ends_at": "2030-05-01T05:00:00Z"}).get_json()
    make_user("v0", ("volunteer", "C1"))
    make_user("v1", ("volunteer", "C1"))
    for name in ("v0", "v1"):
        login(name).post("/api/v1/submissions", json={
            "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": "E1",
            "data": {"post": post["id"]}})
    _tick(runner, "2030-04-29T12:00:00Z")   # more than a day before
    assert _told(login("v0"), "post_tomorrow") == []
    assert "posts 1" in _tick(runner, "2030-04-30T02:00:00Z")
    _tick(runner, "2030-04-30T02:00:00Z")
    _tick(runner, "2030-04-30T20:00:00Z")
    [told] = _told(login("v0"), "post_tomorrow")
    assert "周末环境清洁" in told["text"] and "05月01日 09:00" in told["text"]
    assert _told(login("v1"), "post_tomorrow") == []   # waitlisted: no place to go to


def test_the_people_of_a_meeting_are_reminded_the_day_before(login, people, runner):
    r = login("committee").post("/api/v1/meetings", json={
        "grid_code": "C1", "starts_at": "2026-03-10T02:00:00Z", "place": "社区党群服务中心",
        "invited": ["三水燃气公司"]})
    assert r.status_code == 201, r.get_json()
    _tick(runner, "2026-03-08T12:00:00Z")
    assert _told(login("partner"), "meeting_tomorrow") == []
    assert "meetings 2" in _tick(runner, "2026-03-09T03:00:00Z")
    _tick(runner, "2026-03-09T03:00:00Z")
    for who in ("partner", "committee"):
        [told] = _told(login(who), "meeting_tomorrow")
        assert "社区党群服务中心" in told["text"] and "03月10日 10:00" in told["text"]
    assert _told(login("partner2"), "meeting_tomorrow") == []   # not invited
    assert _told(login("committee2"), "meeting_tomorrow") == []


def test_captains_who_have_not_relayed_a_notice_are_reminded_after_a_day(
        login, people, runner):
    notice = login("branch").post("/api/v1/notices", json={
        "title": "燃气安全检查通知", "body": "本周六上午燃气公司上门检查。",
        "grid_code": "E1"}).get_json()
    assert login("captain").post(f"/api/v1/notices/{notice['id']}/relay").status_code == 200
    _tick(runner, "2026-03-03T08:59:00Z")   # not a day yet
    assert _told(login("captain2"), "relay_pending") == []
    assert "relays 1" in _tick(runner, "2026-03-03T09:00:00Z")
    _tick(runner, "2026-03-03T09:00:00Z")
    _tick(runner, "2026-03-04T09:00:00Z")
    [told] = _told(login("captain2"), "relay_pending")
    assert "燃气安全检查通知" in told["text"]
    assert _told(login("captain"), "relay_pending") == []   # relayed already
    assert _told(login("captain4"), "relay_pending") == []  # another estate


def test_two_ticks_racing_tell_once(app, login, anon, people):
    """The ledger's unique key: a reminder given by another tick meanwhile is skipped."""
    from sqlalchemy import func, select

    from app.core.clock import parse_iso
    from app.extensions import db
    from app.notifications.models import Notification, ReminderSent
    from app.notifications.reminders import _once

    anon.post("/api/v1/submissions", json=suggestion("B1"))
    with app.app_context():
        now = parse_iso("2026-03-04T03:00:00Z")
        db.session.add(ReminderSent(key="relay:1:1", user_id=None, sent_at=now))
        db.session.flush()
        called = []
        assert _once("relay:1:1", None, now, lambda: called.append(1)) is False
        assert called == []
        before = db.session.execute(select(func.count()).select_from(Notification)).scalar_one()
        assert before == 1
