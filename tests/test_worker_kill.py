"""Kill the outbox worker with SIGKILL in the middle of 500 Web Push deliveries and start it
again: every delivery arrives, and a repeat (the batch the killed worker held) carries the
same idempotency key, so nothing is shown twice. A rolled-back change sends nothing."""
import json

import pytest
from sqlalchemy import func, select

from tests.conftest import suggestion
from tests.servers import outbox_worker_killed_mid_batch
from tests.test_push import Browser, PushService


@pytest.mark.committed
@pytest.mark.slow
def test_a_push_worker_killed_mid_batch_loses_and_doubles_nothing(app, make_user, people):
    from sqlalchemy import insert

    from app.extensions import db
    from app.notifications.models import Delivery, PushSubscription
    from app.notifications.worker import BATCH

    with PushService() as service:
        service.delay = 0.003
        browser = Browser(service.url)
        with app.app_context():
            sub = PushSubscription(user_id=people["captain"], endpoint=service.url,
                                   p256dh=browser.json["keys"]["p256dh"],
                                   auth=browser.json["keys"]["auth"])
            db.session.add(sub)
            db.session.flush()
            now = app.config["CLOCK"]()
            body = json.dumps({"kind": "notice", "params": {"title": "停水通知",
                                                            "grid_name": "时代城小区"}})
            db.session.execute(insert(Delivery), [
                {"target": f"push:{sub.id}", "event_id": f"evt_{i}",
                 "event_type": "notice.published", "idempotency_key": f"push_{i:03d}",
                 "payload": body, "state": "pending", "attempts": 0,
                 "next_attempt_at": now, "created_at": now} for i in range(500)])
            db.session.commit()
        outbox_worker_killed_mid_batch(app, lambda: len(service.requests), total=500,
                                       VAPID_PRIVATE_KEY=app.config["VAPID_PRIVATE_KEY"],
                                       TONGXIN_QUIET_HOURS="off")
    tags = [browser.decrypt(raw)["tag"] for raw in service.raw]
    assert set(tags) == {f"push_{i:03d}" for i in range(500)}
    assert len(tags) - len(set(tags)) <= BATCH   # repeats: only what the killed worker held


def test_a_rolled_back_letter_pushes_and_sends_nothing(app, login, people, runner):
    from app.extensions import db
    from app.notifications.models import Delivery, Notification
    from app.submissions.write import create_submission

    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    try:
        with PushService() as service:
            r = login("captain").post("/api/v1/push/subscriptions",
                                      json=Browser(service.url).json)
            assert r.status_code == 201
            with app.test_request_context():
                sub, created = create_submission(suggestion("B1"), None)
                assert created
                count = select(func.count()).select_from(Delivery)
                assert db.session.execute(count).scalar_one() == 1   # the captain's push
                db.session.rollback()
                assert db.session.execute(count).scalar_one() == 0
                assert db.session.execute(
                    select(func.count()).select_from(Notification)).scalar_one() == 0
            result = runner.invoke(args=["worker", "--once"])
            assert "delivered 0, to retry 0, failed 0" in result.output
            assert service.requests == []
    finally:
        app.config["OUTBOUND_ALLOW_PRIVATE"] = False
