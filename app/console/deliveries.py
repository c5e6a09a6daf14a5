"""Console: deliveries that failed (webhooks, work-group channels, pushes, residents'
SMS and e-mail), in words, with "send again" — one, or all that are shown.

An admin sees every failed delivery; a committee or branch sees those of the channels of
its own nodes. Sending again keeps the delivery's idempotency key (its `webhook-id`), so a
receiver that got it after all can tell."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update

from app.core.clock import utcnow
from app.core.ids import as_id
from app.extensions import db
from app.grid.models import GridNode
from app.grid.scope import scope_for
from app.notifications.channels import shown
from app.notifications.models import FAILED, PENDING, Channel, Delivery, Webhook

from .base import bp, staff_required

LIMIT = 200


def event_words(type_: str) -> str:
    return {
        "submission.created": _("A letter or request arrived"),
        "submission.state_changed": _("An item moved on"),
        "submission.dispatched": _("An item was dispatched to a partner unit"),
        "claim.created": _("A volunteer claimed a post"),
        "claim.promoted": _("A volunteer moved up from the waiting list"),
        "claim.cancelled": _("A volunteer cancelled a claim"),
        "registration.approved": _("A registration was approved"),
        "notice.published": _("A notice was published"),
        "meeting.scheduled": _("A joint meeting was scheduled"),
        "timer.due_soon": _("An item is about to move up automatically"),
        "timer.fired": _("An item moved up automatically"),
        "rating.created": _("A resident rated the handling"),
    }.get(type_, _("A reminder"))


def _visible(query):
    """Only what the caller may see: everything for an admin, else their nodes' channels."""
    if current_user.has_role("admin"):
        return query
    scope = scope_for(current_user)
    paths = [path for path in scope.staff_paths if scope.manages(path)]
    if not paths:
        abort(403)
    channel_ids = [c.id for c in db.session.execute(select(Channel)).scalars()
                   if any(c.node_path.startswith(p) for p in paths)]
    return query.where(Delivery.channel_id.in_(channel_ids))


def _target_words(d: Delivery, hooks: dict, channels: dict) -> str:
    kind = d.target.split(":", 1)[0]
    if kind == "webhook" and d.webhook_id in hooks:
        hook = hooks[d.webhook_id]
        return _("Webhook %(name)s (%(url)s)", name=hook.description or "", url=hook.url)
    if kind == "channel" and d.channel_id in channels:
        channel = channels[d.channel_id]
        return _("Work group of %(node)s: %(name)s", node=channel.node_name,
                 name=channel.description or shown(channel.url))
    if kind == "push":
        return _("A phone (Web Push)")
    if kind == "contact":
        return _("A resident, by SMS or e-mail")
    return d.target


def answer_words(d: Delivery) -> str:
    if d.last_status:
        return _("The receiver answered HTTP %(status)d.", status=d.last_status) + (
            " " + d.last_error if d.last_error and not d.last_error.startswith("HTTP") else "")
    if d.last_error:
        return _("No answer: %(reason)s", reason=d.last_error)
    return _("Not tried yet.")


def _requeue(ids: list[int]) -> int:
    return db.session.execute(
        _visible(update(Delivery).where(Delivery.id.in_(ids), Delivery.state == FAILED))
        .values(state=PENDING, attempts=0, next_attempt_at=utcnow(), locked_until=None)
        .execution_options(synchronize_session=False)).rowcount


@bp.route("/deliveries", methods=["GET", "POST"])
@staff_required
def deliveries():
    if request.method == "POST":
        if request.form.get("all") == "1":
            ids = list(db.session.execute(_visible(select(Delivery.id).where(
                Delivery.state == FAILED)).limit(LIMIT)).scalars())
        else:
            ids = [as_id(request.form.get("delivery_id"))]
            if ids[0] is None:
                abort(400, _("Not a valid id."))
        count = _requeue(ids)
        flash(_("%(n)d queued to be sent again.", n=count) if count
              else _("Nothing was queued: only a failed delivery can be sent again."))
        return redirect(url_for("console.deliveries"))
    rows = list(db.session.execute(_visible(select(Delivery).where(Delivery.state == FAILED))
                                   .order_by(Delivery.id.desc()).limit(LIMIT)).scalars())
    hooks = {h.id: h for h in db.session.execute(select(Webhook)).scalars()}
    channels = {}
    for channel, name in db.session.execute(select(Channel, GridNode.name).join(
            GridNode, GridNode.id == Channel.grid_node_id)).all():
        channel.node_name = name
        channels[channel.id] = channel
    items = [{"d": d, "target": _target_words(d, hooks, channels),
              "event": event_words(d.event_type), "answer": answer_words(d)} for d in rows]
    return render_template("console/deliveries.html", items=items)


@bp.route("/notifications", methods=["GET", "POST"])
@staff_required
def my_notifications():
    """My in-app messages in the console too (the same rows as the PWA's bell): read marks
    made here show on every device."""
    from app.notifications.models import Notification
    from app.notifications.routes import serialize_notification

    if request.method == "POST":
        db.session.execute(update(Notification).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow()).execution_options(synchronize_session=False))
        flash(_("All marked read."))
        return redirect(url_for("console.my_notifications"))
    rows = db.session.execute(select(Notification).where(
        Notification.user_id == current_user.id).order_by(Notification.id.desc())
        .limit(100)).scalars().all()
    return render_template("console/notifications.html",
                           items=[serialize_notification(n) | {"at": n.created_at}
                                  for n in rows])


@bp.app_context_processor
def _unread():
    """The unread count beside "Messages" in the console's header."""
    def unread_count() -> int:
        from sqlalchemy import func

        from app.notifications.models import Notification
        if not current_user.is_authenticated:
            return 0
        return db.session.execute(select(func.count()).select_from(Notification).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None))).scalar_one()
    return {"unread_count": unread_count}
