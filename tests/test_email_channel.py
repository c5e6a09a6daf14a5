"""A resident who left an address or phone and asked to be told hears that their letter is
resolved: e-mail through a real SMTP server started by the test (aiosmtpd), SMS through an
apprise gateway URL; an estate's group robot through apprise's generic JSON target, held by
quiet hours at night (issue 25)."""
import email
import json
import socket
from datetime import datetime
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import new_uuid
from tests.test_forms import field
from tests.test_webhooks import Receiver


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{controller.port}?from=tongxin@example.org"
    app.config["PUBLIC_BASE_URL"] = "https://tongxin.example.org"
    yield box
    controller.stop()
    app.config["SMTP_URL"] = None
    app.config["PUBLIC_BASE_URL"] = ""


@pytest.fixture
def allow_private(app):
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    yield
    app.config["OUTBOUND_ALLOW_PRIVATE"] = False


def _ask_for_contact(login):
    """The committee adds "tell me when it is resolved" to the captain's mailbox."""
    committee = login("committee")
    current = committee.get("/api/v1/forms/suggestion").get_json()
    fields = current["fields"] + [
        field("contact_email", "email", label={"zh": "电子邮箱", "en": "E-mail"}),
        field("notify_me", "boolean", label={"zh": "办结时短信或邮件告诉我",
                                             "en": "Tell me by SMS or e-mail when resolved"})]
    r = committee.post("/api/v1/forms/suggestion/versions",
                       json={"title": current["title"], "public": True, "fields": fields})
    assert r.status_code == 201, r.get_json()


def _letter(api, **data):
    body = {"category": "repair", "content": "楼道灯坏了", "anonymous": False, **data}
    r = api.post("/api/v1/submissions", json={"uuid": new_uuid(), "form": "suggestion",
                                              "grid_code": "B1", "data": body})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _resolve(login, sub_id):
    r = login("captain").post(f"/api/v1/submissions/{sub_id}/transitions", json={
        "action": "resolve", "comment": "已更换楼道灯", "public_reply": True})
    assert r.status_code == 200, r.get_json()


def _work(runner):
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def _text(raw: bytes) -> tuple[str, str]:
    message = email.message_from_bytes(raw)
    subject = str(make_header(decode_header(message["Subject"])))
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return subject, part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def test_a_resolved_letter_is_mailed_to_the_resident_who_asked(login, people, runner, smtp):
    _ask_for_contact(login)
    sub = _letter(login("resident"), contact_email="zhang@example.org", notify_me=True)
    quiet = _letter(login("resident"), contact_email="li@example.org", notify_me=False)
    _resolve(login, sub["id"])
    _resolve(login, quiet["id"])
    assert "delivered 1" in _work(runner)
    assert "delivered 0, to retry 0" in _work(runner)
    [(sender, to, raw)] = smtp.messages
    assert sender == "tongxin@example.org" and to == ["zhang@example.org"]
    subject, text = _text(raw)
    assert subject == "您的来信已办结"
    assert f"您的来信 (查询码 {sub['tracking_code']}) 已办结：已更换楼道灯" in text
    assert f"https://tongxin.example.org/app/t/{sub['tracking_code']}" in text


def test_an_sms_gateway_gets_only_what_the_resident_left(app, login, people, runner, smtp,
                                                         allow_private):
    _ask_for_contact(login)
    with Receiver() as gateway:
        app.config["SMS_APPRISE_URL"] = gateway.url.replace("http://", "json://") + "/{phone}"
        try:
            sub = _letter(login("resident"), contact_phone="13912345678", notify_me=True)
            _resolve(login, sub["id"])
            assert "delivered 1" in _work(runner)
        finally:
            app.config["SMS_APPRISE_URL"] = None
    [(headers, body, _status)] = gateway.requests
    assert json.loads(body)["message"].startswith(f"您的来信 (查询码 {sub['tracking_code']}) 已办结")
    assert smtp.messages == []   # no address left: no e-mail


def test_nothing_is_queued_when_nothing_is_configured(app, login, people):
    from sqlalchemy import select

    from app.extensions import db
    from app.notifications.models import Delivery

    _ask_for_contact(login)
    sub = _letter(login("resident"), contact_email="zhang@example.org", notify_me=True)
    _resolve(login, sub["id"])
    with app.app_context():
        assert db.session.execute(select(Delivery.target)).scalars().all() == []


def test_a_group_robot_hears_through_json_and_waits_out_the_night(
        login, anon, people, runner, clock, allow_private):
    from tests.conftest import suggestion

    clock.now = datetime(2026, 3, 2, 16, 0)   # 00:00 in Asia/Shanghai
    with Receiver() as robot:
        r = login("branch").post("/api/v1/grid/E1/channels", json={
            "url": robot.url.replace("http://", "json://"), "events": ["submission.created"]})
        assert r.status_code == 201, r.get_json()
        sub = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
        assert "delivered 0" in _work(runner)
        clock.now = datetime(2026, 3, 2, 23, 0)   # 07:00
        assert "delivered 1" in _work(runner)
    [(_h, body, _s)] = robot.requests
    message = json.loads(body)
    assert sub["tracking_code"] in message["message"] and message["title"] == "同心"
