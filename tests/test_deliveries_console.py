"""The console's failed-deliveries screen (issue 25): what failed, to whom and why, in
words, and "send again" with the same message id; each sees only their own."""
from sqlalchemy import select

from tests.conftest import suggestion
from tests.test_webhooks import Receiver


def _fail_everything(app, runner, clock):
    from app.notifications.worker import MAX_ATTEMPTS, retry_delay

    for attempt in range(1, MAX_ATTEMPTS + 1):
        runner.invoke(args=["worker", "--once"])
        clock.advance(seconds=retry_delay(attempt).total_seconds())


def test_failed_deliveries_in_words_and_sent_again(app, login, anon, people, runner, clock,
                                                   console):  # noqa: F811
    from app.extensions import db
    from app.notifications.models import Delivery

    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    try:
        with Receiver(answers=[500] * 100) as receiver:
            hook = login("admin").post("/api/v1/webhooks", json={
                "url": receiver.url, "events": ["submission.created"],
                "description": "12345 热线桥"}).get_json()
            r = login("branch").post("/api/v1/grid/E1/channels", json={
                "url": receiver.url.replace("http://", "json://"),
                "events": ["submission.created"], "description": "时代城业主群"})
            assert r.status_code == 201
            login("branch2").post("/api/v1/grid/E2/channels", json={
                "url": receiver.url.replace("http://", "json://"),
                "events": ["submission.created"], "description": "另一个小区的群"})
            anon.post("/api/v1/submissions", json=suggestion("B1"))
            anon.post("/api/v1/submissions", json=suggestion("B3"))
            _fail_everything(app, runner, clock)
            admin, token = console("admin")
            page = admin.get("/admin/deliveries").get_data(as_text=True)
            assert "对方回答 HTTP 500" in page and "没有回答" in page
            assert "12345 热线桥" in page and "时代城业主群" in page and "时代城小区" in page
            assert "收到新的来信或申请" in page and "submission.created" not in page
            branch, branch_token = console("branch")
            mine = branch.get("/admin/deliveries").get_data(as_text=True)
            assert "时代城业主群" in mine
            assert "12345 热线桥" not in mine and "另一个小区的群" not in mine
            # No CSRF token: refused.
            assert admin.post("/admin/deliveries", data={"all": "1"}).status_code == 400
            with app.app_context():
                webhook_delivery = db.session.execute(select(Delivery.id).where(
                    Delivery.webhook_id == hook["id"]).order_by(Delivery.id)).scalars().first()
            # A branch cannot queue the admin's webhook delivery again.
            branch.post("/admin/deliveries", data={"delivery_id": webhook_delivery,
                                                   "csrf_token": branch_token})
            with app.app_context():
                assert db.session.get(Delivery, webhook_delivery).state == "failed"
            r = admin.post("/admin/deliveries", data={"delivery_id": webhook_delivery,
                                                      "csrf_token": token})
            assert r.status_code == 302
            receiver.answers = []
            assert "delivered 1" in runner.invoke(args=["worker", "--once"]).output
            r = admin.post("/admin/deliveries", data={"all": "1", "csrf_token": token},
                           follow_redirects=True)
            assert "3 条已重新排队发送" in r.get_data(as_text=True)
            assert "delivered 3" in runner.invoke(args=["worker", "--once"]).output
            assert "没有发送失败的消息" in admin.get("/admin/deliveries").get_data(as_text=True)
            ids = [h.get("webhook-id") for h, _b, s in receiver.requests if "webhook-id" in h]
            first = [i for i in ids if i == ids[0]]
            assert len(first) == 9   # 8 failed attempts, then sent again with the same id
            assert admin.post("/admin/deliveries", data={
                "delivery_id": "x", "csrf_token": token}).status_code == 400
    finally:
        app.config["OUTBOUND_ALLOW_PRIVATE"] = False
    captain, _t = console("captain")
    assert captain.get("/admin/deliveries").status_code == 302   # the field app's people


def test_my_messages_in_the_console_with_the_unread_count(app, anon, login, people,
                                                          console):  # noqa: F811
    anon.post("/api/v1/submissions", json=suggestion("B1"))
    r = login("captain").post("/api/v1/submissions/"
                              f"{login('captain').get('/api/v1/notifications').get_json()['items'][0]['submission_id']}"
                              "/transitions", json={"action": "escalate"})
    assert r.status_code == 200
    branch, token = console("branch")
    page = branch.get("/admin/notifications").get_data(as_text=True)
    assert "消息 (1)" in page and "查询码" in page and "submission.state_changed" not in page
    assert branch.post("/admin/notifications", data={}).status_code == 400   # no CSRF token
    r = branch.post("/admin/notifications", data={"csrf_token": token}, follow_redirects=True)
    assert "消息 (0)" in r.get_data(as_text=True)
    assert login("branch").get("/api/v1/notifications").get_json()["unread"] == 0
