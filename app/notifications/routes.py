"""/api/v1/notifications (mine) and /api/v1/webhooks (admin), contract §6.3."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import delete, func, select, update

from app.core.clock import isoformat, utcnow
from app.core.errors import ApiError
from app.core.i18n import pick
from app.core.ids import as_id
from app.core.security import require_user
from app.extensions import db
from app.grid.scope import scope_for
from app.grid.services import node_by_code
from app.notifications import channels, messages, push, webhooks
from app.notifications.fanout import channels_changed, push_changed, webhooks_changed
from app.core.openapi import ID, answers, query
from app.notifications.schemas import (ChannelListSchema, ChannelSchema, DeliveryListSchema,
                                       DeliverySchema, MarkedReadSchema, NotificationPageSchema,
                                       PushKeySchema, PushRemovedSchema, PushSubscriptionSchema,
                                       WebhookListSchema, WebhookSchema)
from app.notifications.models import (FAILED, PENDING, Channel, Delivery, Notification,
                                      PushSubscription, Webhook)

EVENT_TYPES = (
    "submission.created", "submission.state_changed", "submission.dispatched",
    "claim.created", "claim.promoted", "claim.cancelled", "registration.approved",
    "notice.published", "meeting.scheduled", "timer.due_soon", "timer.fired", "rating.created")
PAGE = 50

# A webhook's or a channel's body (_target_body); whether the URL may be called is checked
# when it is given (private addresses, schemes), not by its shape.
TARGET_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["url", "events"], "properties": {
        "url": {"type": "string", "minLength": 1},
        "events": {"type": "array", "minItems": 1,
                   "items": {"type": "string", "enum": [*EVENT_TYPES, "*"]}},
        "description": {"type": "string", "nullable": True, "maxLength": 500}}}}}}

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Notifications")


def _body() -> dict:
    body = request.get_json()
    if not isinstance(body, dict):
        raise ApiError(422, fields={"_schema": [_("The body must be a JSON object.")]})
    return body


def serialize_notification(n: Notification) -> dict:
    params = n.params or {}
    return {"id": n.id, "type": n.event_type, "kind": n.kind,
            "text": messages.render(n.kind, params), "submission_id": n.submission_id,
            "tracking_code": params.get("tracking_code"), "grid_code": params.get("grid_code"),
            "state": params.get("state"), "created_at": isoformat(n.created_at),
            "read": n.read_at is not None, "read_at": isoformat(n.read_at),
            "form_title": pick(params.get("form_title")) if params.get("form_title") else None,
            "excerpt": params.get("excerpt") or None}


@blp.route("/notifications", methods=["GET"])
@blp.doc(parameters=[query("before", "older than this id (`next_cursor`)", ID)],
         **answers(NotificationPageSchema))
def my_notifications():
    """My notifications, newest first, with the unread count (`?before=<id>` pages on)."""
    user = require_user()
    query = (select(Notification).where(Notification.user_id == user.id)
             .order_by(Notification.id.desc()).limit(PAGE + 1))
    before = request.args.get("before")
    if before is not None:
        if as_id(before) is None:
            raise ApiError(422, fields={"before": [_("Not a valid id.")]})
        query = query.where(Notification.id < as_id(before))
    rows = list(db.session.execute(query).scalars())
    unread = db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))).scalar_one()
    return jsonify({"items": [serialize_notification(n) for n in rows[:PAGE]],
                    "unread": unread,
                    "next_cursor": str(rows[PAGE - 1].id) if len(rows) > PAGE else None})


@blp.route("/notifications/read", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {
    "type": "object", "anyOf": [
        {"required": ["all"], "properties": {"all": {"enum": [True]}}},
        {"required": ["ids"], "properties": {"ids": {
            "type": "array", "minItems": 1, "maxItems": 1000, "items": {"anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"}]}}}}]}}}})
@blp.doc(**answers(MarkedReadSchema))
def mark_read():
    """Mark mine read: `{"ids": [...]}` or `{"all": true}` (others' ids change nothing)."""
    user = require_user()
    body = _body()
    query = update(Notification).where(Notification.user_id == user.id,
                                       Notification.read_at.is_(None))
    if body.get("all") is True:
        pass
    else:
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids or len(ids) > 1000 or any(
                as_id(i) is None for i in ids):
            raise ApiError(422, fields={"ids": [_("Give a list of notification ids, "
                                                  "or \"all\": true.")]})
        query = query.where(Notification.id.in_([as_id(i) for i in ids]))
    changed = db.session.execute(query.values(read_at=utcnow())
                                 .execution_options(synchronize_session=False)).rowcount
    unread = db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))).scalar_one()
    return jsonify({"updated": changed, "unread": unread})


def _require_admin():
    user = require_user()
    if not user.has_role("admin"):
        raise ApiError(403)
    return user


def serialize_webhook(hook: Webhook) -> dict:
    return {"id": hook.id, "url": hook.url, "events": hook.events,
            "description": hook.description, "active": hook.active,
            "created_at": isoformat(hook.created_at)}


def serialize_delivery(d: Delivery) -> dict:
    return {"id": d.id, "webhook_id": d.webhook_id, "event_id": d.event_id,
            "webhook_message_id": d.idempotency_key, "type": d.event_type, "state": d.state,
            "attempts": d.attempts, "next_attempt_at": isoformat(d.next_attempt_at)
            if d.state == PENDING else None, "last_status": d.last_status,
            "last_error": d.last_error, "last_attempt_at": isoformat(d.last_attempt_at),
            "delivered_at": isoformat(d.delivered_at), "created_at": isoformat(d.created_at)}


def _target_body(check_url) -> tuple[str, list, str]:
    """A webhook's or a channel's body: (url, event types, description), or 422 naming every
    bad field. `check_url` refuses what must not be called (OutboundRefused)."""
    body = _body()
    fields = {}
    url = None
    try:
        url = check_url(body.get("url"))
    except webhooks.OutboundRefused as exc:
        fields["url"] = [str(exc)]
    events = body.get("events")
    if not isinstance(events, list) or not events or any(
            e not in EVENT_TYPES and e != "*" for e in events):
        fields["events"] = [_("Choose event types from: %(types)s.",
                              types=", ".join(EVENT_TYPES))]
    description = body.get("description") or ""
    if not isinstance(description, str) or len(description) > 500:
        fields["description"] = [_("At most 500 characters.")]
    if fields:
        raise ApiError(422, fields=fields)
    return url, list(dict.fromkeys(events)), description.strip()


@blp.route("/webhooks", methods=["POST"])
@blp.doc(requestBody=TARGET_BODY)
@blp.doc(**answers(WebhookSchema, "201"))
def create_webhook():
    """Register an endpoint (admin); the signing secret is shown in this answer only."""
    user = _require_admin()
    url, events, description = _target_body(webhooks.check_url)
    hook = Webhook(url=url, events=events, description=description,
                   secret=webhooks.new_secret(), active=True, created_by_id=user.id,
                   created_at=utcnow())
    db.session.add(hook)
    db.session.flush()
    webhooks_changed(db.session)
    return jsonify(serialize_webhook(hook) | {"secret": hook.secret}), 201


@blp.route("/webhooks", methods=["GET"])
@blp.doc(**answers(WebhookListSchema))
def list_webhooks():
    """Registered endpoints (admin), without their secrets."""
    _require_admin()
    hooks = db.session.execute(select(Webhook).order_by(Webhook.id)).scalars()
    return jsonify({"items": [serialize_webhook(h) for h in hooks]})


def _webhook_or_404(webhook_id: int) -> Webhook:
    hook = db.session.get(Webhook, webhook_id)
    if hook is None:
        raise ApiError(404)
    return hook


@blp.route("/webhooks/<int:webhook_id>", methods=["GET"])
@blp.doc(**answers(WebhookSchema))
def get_webhook(webhook_id):
    """One endpoint (admin), without its secret."""
    _require_admin()
    return jsonify(serialize_webhook(_webhook_or_404(webhook_id)))


@blp.route("/webhooks/<int:webhook_id>", methods=["DELETE"])
@blp.doc(**answers(WebhookSchema))
def disable_webhook(webhook_id):
    """Stop sending to an endpoint (admin); its delivery record stays."""
    _require_admin()
    hook = _webhook_or_404(webhook_id)
    hook.active = False
    webhooks_changed(db.session)
    return jsonify(serialize_webhook(hook))


@blp.route("/webhooks/<int:webhook_id>/deliveries", methods=["GET"])
@blp.doc(parameters=[query("state", "pending, delivered or failed")],
         **answers(DeliveryListSchema))
def list_deliveries(webhook_id):
    """The endpoint's deliveries, newest first (admin): state, attempts, last answer."""
    _require_admin()
    _webhook_or_404(webhook_id)
    query = select(Delivery).where(Delivery.webhook_id == webhook_id)
    state = request.args.get("state")
    if state is not None:
        query = query.where(Delivery.state == state)
    rows = db.session.execute(query.order_by(Delivery.id.desc()).limit(200)).scalars()
    return jsonify({"items": [serialize_delivery(d) for d in rows]})


@blp.route("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/retry", methods=["POST"])
@blp.doc(**answers(DeliverySchema))
def retry_delivery(webhook_id, delivery_id):
    """Queue a failed delivery again, now (admin); it keeps its webhook-id."""
    _require_admin()
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook_id:
        raise ApiError(404)
    if delivery.state != FAILED:
        raise ApiError(409, _("Only a failed delivery can be sent again."), "not_failed")
    delivery.state, delivery.attempts = PENDING, 0
    delivery.next_attempt_at, delivery.locked_until = utcnow(), None
    return jsonify(serialize_delivery(delivery))


def serialize_channel(channel: Channel, grid_code: str) -> dict:
    return {"id": channel.id, "grid_code": grid_code, "url": channels.shown(channel.url),
            "events": channel.events, "description": channel.description,
            "active": channel.active, "created_at": isoformat(channel.created_at)}


def _channel_node(code: str):
    """The node, for its committee or branch (or an admin): 404 outside the caller's grid,
    403 for a captain or member of it."""
    user = require_user()
    node = node_by_code(code)
    scope = scope_for(user)
    admin = user.has_role("admin")
    if node is None or not (admin or scope.covers_path(node.path)):
        raise ApiError(404)
    if not (admin or scope.manages(node.path)):
        raise ApiError(403, _("Only the branch or committee of this node may set its channels."))
    return user, node


@blp.route("/grid/<code>/channels", methods=["POST"])
@blp.doc(requestBody=TARGET_BODY)
@blp.doc(**answers(ChannelSchema, "201"))
def create_channel(code):
    """Tell a work group or mailbox of this node about its events (an apprise URL)."""
    user, node = _channel_node(code)
    url, events, description = _target_body(channels.check_channel_url)
    channel = Channel(grid_node_id=node.id, node_path=node.path, url=url,
                      events=events, description=description,
                      active=True, created_by_id=user.id, created_at=utcnow())
    db.session.add(channel)
    db.session.flush()
    channels_changed(db.session)
    return jsonify(serialize_channel(channel, node.code)), 201


@blp.route("/grid/<code>/channels", methods=["GET"])
@blp.doc(**answers(ChannelListSchema))
def list_channels(code):
    """This node's channels, their keys hidden."""
    _user, node = _channel_node(code)
    rows = db.session.execute(select(Channel).where(Channel.grid_node_id == node.id)
                              .order_by(Channel.id)).scalars()
    return jsonify({"items": [serialize_channel(c, node.code) for c in rows]})


@blp.route("/push/key", methods=["GET"])
@blp.doc(**answers(PushKeySchema))
def push_key():
    """The server's VAPID public key (base64url), for `pushManager.subscribe`."""
    from flask import current_app

    key = current_app.config.get("VAPID_PUBLIC_KEY")
    if not key:
        raise ApiError(503, _("Web Push is not set up on this server (no VAPID keys)."),
                       "push_not_configured")
    return jsonify({"public_key": key})


@blp.route("/push/subscriptions", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["endpoint", "keys"], "properties": {
        "endpoint": {"type": "string", "pattern": "^https?://", "maxLength": 1000},
        "keys": {"type": "object", "required": ["p256dh", "auth"], "properties": {
            "p256dh": {"type": "string", "minLength": 1, "maxLength": 200,
                       "description": "base64url of a 65-byte P-256 public key"},
            "auth": {"type": "string", "minLength": 1, "maxLength": 200,
                     "description": "base64url of at least 16 bytes"}}}}}}}})
@blp.doc(**answers(PushSubscriptionSchema, "201"))
def subscribe_push():
    """Receive pushes on this browser: the body is its `PushSubscription.toJSON()`. The same
    endpoint again (another person signing in on the phone) moves it to the caller."""
    user = require_user()
    fields = push.check_subscription(request.get_json())
    if fields is None:
        raise ApiError(422, fields={"_schema": [_(
            "Give the browser's push subscription: endpoint and keys (p256dh, auth).")]})
    try:
        webhooks.check_url(fields["endpoint"])
    except webhooks.OutboundRefused as exc:
        raise ApiError(422, fields={"endpoint": [str(exc)]}) from None
    sub = db.session.execute(select(PushSubscription).where(
        PushSubscription.endpoint == fields["endpoint"])).scalar_one_or_none()
    if sub is None:
        sub = PushSubscription(created_at=utcnow(), **fields, user_id=user.id)
        db.session.add(sub)
    else:
        sub.user_id, sub.p256dh, sub.auth = user.id, fields["p256dh"], fields["auth"]
    db.session.flush()
    push_changed(db.session)
    return jsonify({"id": sub.id, "endpoint": sub.endpoint,
                    "created_at": isoformat(sub.created_at)}), 201


@blp.route("/push/subscriptions", methods=["DELETE"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["endpoint"], "properties": {
        "endpoint": {"type": "string", "minLength": 1}}}}}})
@blp.doc(**answers(PushRemovedSchema))
def unsubscribe_push():
    """Stop pushes to a browser of mine: `{"endpoint": "..."}`."""
    user = require_user()
    endpoint = _body().get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise ApiError(422, fields={"endpoint": [_("Give the subscription's endpoint.")]})
    removed = db.session.execute(delete(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id)).rowcount
    if not removed:
        raise ApiError(404)
    push_changed(db.session)
    return jsonify({"removed": removed})


def serialize_any_delivery(d: Delivery) -> dict:
    return serialize_delivery(d) | {"target": d.target, "channel_id": d.channel_id}
