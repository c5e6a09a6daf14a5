"""Reaching people: domain events fanned out to webhooks (through an outbox) and in-app
notifications. `init_app` subscribes it to the domain events of app.core.events."""
import os


def init_app(app, api) -> None:
    from app.core.events import subscribe
    from app.notifications.fanout import on_event
    from app.notifications.routes import blp
    from app.notifications.worker import register_cli

    app.config.setdefault("OUTBOUND_ALLOW_PRIVATE", os.environ.get(
        "OUTBOUND_ALLOW_PRIVATE", "").strip().lower() in ("1", "true", "yes"))
    api.register_blueprint(blp)
    subscribe(app, on_event)
    register_cli(app)
