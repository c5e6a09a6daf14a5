"""The outbox worker: claims due deliveries, sends them, records each answer.

Claiming is safe with several workers: on PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED` picks
rows no other worker is claiming; on SQLite (one writer at a time) a conditional UPDATE takes
each row only if it is still free. A claim is a lease (`locked_until`): a worker killed
mid-batch leaves its rows to be taken again when the lease ends, and the receiver recognises
a repeat by its `webhook-id` (the delivery's idempotency key). Nothing is sent inside a
transaction, and every answer is committed as soon as it is known.

Retries: the first within 5 s, then each four times as long (20 s, 80 s, … up to 6 h), and
after MAX_ATTEMPTS attempts the delivery is `failed` (staff can queue it again).
"""
import json
import threading
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import aliased

from app.core.clock import parse_iso, utcnow
from app.extensions import db
from app.notifications import channels, contact, messages, push, webhooks
from app.submissions import export_jobs
from app.notifications.models import (DELIVERED, FAILED, PENDING, Channel, Delivery,
                                      PushSubscription, Webhook)

BATCH = 20
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 5
MAX_DELAY_SECONDS = 6 * 3600
POLL_SECONDS = 1.0


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 5 s, 20 s, 80 s, … at most 6 h."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 4 ** (attempts - 1), MAX_DELAY_SECONDS))


def _due(now: datetime, limit: int):
    earlier = aliased(Delivery)
    waiting_on_earlier = exists().where(
        earlier.target == Delivery.target, earlier.ordering_key == Delivery.ordering_key,
        earlier.state == PENDING, earlier.id < Delivery.id)
    return (select(Delivery.id)
            .where(Delivery.state == PENDING, Delivery.next_attempt_at <= now,
                   or_(Delivery.locked_until.is_(None), Delivery.locked_until <= now),
                   ~waiting_on_earlier)
            .order_by(Delivery.id).limit(limit))


def claim(now: datetime, limit: int = BATCH) -> list[int]:
    """Lease up to `limit` due deliveries to this worker and commit the lease."""
    lease = now + timedelta(seconds=current_app.config.get("OUTBOX_LEASE_SECONDS", 260))
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.execute(_due(now, limit).with_for_update(
            skip_locked=True, of=Delivery)).scalars())
        if ids:
            session.execute(update(Delivery).where(Delivery.id.in_(ids))
                            .values(locked_until=lease)
                            .execution_options(synchronize_session=False))
    else:
        ids = []
        for delivery_id in session.execute(_due(now, limit)).scalars().all():
            taken = session.execute(
                update(Delivery).where(
                    Delivery.id == delivery_id, Delivery.state == PENDING,
                    or_(Delivery.locked_until.is_(None), Delivery.locked_until <= now))
                .values(locked_until=lease).execution_options(synchronize_session=False))
            if taken.rowcount == 1:
                ids.append(delivery_id)
    session.commit()
    return ids


def deliver(delivery_id: int) -> str:
    """Send one claimed delivery and record the answer. Returns its new state."""
    session = db.session
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        session.commit()
        return FAILED
    attempts = delivery.attempts
    kind, _sep, ref = delivery.target.partition(":")
    delivery_target = (kind, int(ref) if ref.isdigit() else None)
    send = _sender(session, delivery)   # plain values only: the objects expire at commit
    session.commit()   # no transaction stays open while the request is out
    if send is None and delivery_target[0] == "push":
        return record(delivery_id, MAX_ATTEMPTS, None, "the subscription was removed")
    status, error = send() if send is not None else (None, "target disabled")
    if delivery_target[0] == "push" and status in push.GONE:
        # The push service forgot the subscription: removed, and this delivery ends.
        db.session.execute(delete(PushSubscription).where(
            PushSubscription.id == delivery_target[1]))
        return record(delivery_id, MAX_ATTEMPTS, status, "the subscription is gone (removed)")
    return record(delivery_id, attempts + 1, status, error)


def _sender(session, delivery: Delivery):
    """A function that sends the delivery, or None when its target is gone or disabled."""
    key, payload = delivery.idempotency_key, delivery.payload
    kind, _sep, ref = delivery.target.partition(":")
    if kind == "webhook":
        hook = session.get(Webhook, delivery.webhook_id)
        if hook is not None and hook.active:
            url, secret = hook.url, hook.secret
            return lambda: webhooks.post(url, secret, key, payload)
    elif kind == "channel":
        channel = session.get(Channel, delivery.channel_id)
        if channel is not None and channel.active:
            url = channel.url
            return lambda: _send_to_channel(url, payload)
    elif kind == "push":
        sub = session.get(PushSubscription, int(ref)) if ref.isdigit() else None
        private = current_app.config.get("VAPID_PRIVATE_KEY")
        if sub is not None and private:
            info = {"endpoint": sub.endpoint, "p256dh": sub.p256dh, "auth": sub.auth}
            subject = current_app.config.get("VAPID_SUBJECT")
            body = json.loads(payload)
            message = messages.push_message(body, key)
            urgency = "high" if body.get("urgent") else "normal"
            return lambda: push.send(info, message, private, subject, urgency)
    elif kind == "contact":
        body = json.loads(payload)
        return lambda: contact.send(body["channel"], body["address"], body["tracking_code"],
                                    body.get("reply") or "")
    return None


def _send_to_channel(url: str, payload: str) -> tuple[int | None, str | None]:
    """A channel's message, in zh-CN (work groups read Chinese)."""
    body = json.loads(payload)
    text = messages.render(body["kind"], body["params"], "zh")
    return channels.send(url, "同心", text)


def record(delivery_id: int, attempts: int, status: int | None, error: str | None) -> str:
    now = utcnow()
    values = {"attempts": attempts, "last_status": status, "last_error": error,
              "last_attempt_at": now, "locked_until": None}
    if status is not None and 200 <= status < 300:
        values.update(state=DELIVERED, delivered_at=now, last_error=None)
    elif attempts >= MAX_ATTEMPTS:
        values.update(state=FAILED)
    else:
        values.update(next_attempt_at=now + retry_delay(attempts))
    db.session.execute(update(Delivery).where(Delivery.id == delivery_id,
                                              Delivery.state == PENDING)
                       .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    return values.get("state", PENDING)


def run_once(now: datetime | None = None) -> dict:
    """Deliver everything due at `now` (default: the clock's now). Returns counts by outcome."""
    counts = {DELIVERED: 0, PENDING: 0, FAILED: 0}
    while True:
        ids = claim(now or utcnow())
        if not ids:
            return counts
        for delivery_id in ids:
            counts[deliver(delivery_id)] += 1


def run_forever(app, stop: threading.Event, poll: float = POLL_SECONDS) -> None:
    """Deliver what is due, then wait `poll` seconds, until `stop` is set."""
    while not stop.is_set():
        with app.app_context():
            try:
                run_once()
                export_jobs.run_pending()   # big exports queued by the web servers
            finally:
                db.session.remove()
        stop.wait(poll)


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit")
@click.option("--now", "now_text", default=None, help="ISO 8601 time to deliver at (with --once)")
def worker_command(once, now_text):
    """Deliver webhook calls from the outbox (retries with backoff) and write queued big
    exports. Safe to run several."""
    try:
        now = parse_iso(now_text) if now_text else None
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {now_text}", param_hint="--now") from None
    if once or now is not None:
        previous = current_app.config.get("CLOCK")
        if now is not None:
            current_app.config["CLOCK"] = lambda: now
        try:
            counts = run_once()
            exports = export_jobs.run_pending()
        finally:
            current_app.config["CLOCK"] = previous
        click.echo(f"worker: delivered {counts[DELIVERED]}, to retry {counts[PENDING]}, "
                   f"failed {counts[FAILED]}")
        if exports:
            click.echo(f"worker: exports written {exports}")
        return
    click.echo("worker: delivering from the outbox (Ctrl-C stops)")
    try:
        run_forever(current_app._get_current_object(), threading.Event())
    except KeyboardInterrupt:
        pass


def register_cli(app) -> None:
    app.cli.add_command(worker_command)
