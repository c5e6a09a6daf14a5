"""Reaching people: domain events fanned out to webhooks and grid channels (through an
outbox the worker sends) and to in-app notifications. `init_app` subscribes it to the domain events of app.core.events."""
import os


def init_app(app, api) -> None:
    from app.core.events import subscribe
    from app.notifications.fanout import on_event
    from app.notifications.routes import blp
    from app.notifications.worker import register_cli

    app.config.setdefault("OUTBOUND_ALLOW_PRIVATE", os.environ.get(
        "OUTBOUND_ALLOW_PRIVATE", "").strip().lower() in ("1", "true", "yes"))
    # How long a claimed delivery stays with its worker before another may take it (a worker
    # killed mid-batch): longer than a batch takes (BATCH × the 10 s request timeout).
    app.config.setdefault("OUTBOX_LEASE_SECONDS", int(os.environ.get(
        "OUTBOX_LEASE_SECONDS", 260)))
    from app.notifications import contact, push, quiet
    from app.notifications.feeds import blp as feeds

    push.configure(app)
    quiet.configure(app)
    contact.configure(app)
    app.config.setdefault("REMINDER_BEFORE", os.environ.get("TONGXIN_REMINDER_BEFORE", "6h"))
    api.register_blueprint(blp)
    api.register_blueprint(feeds)
    subscribe(app, on_event)
    register_cli(app)
