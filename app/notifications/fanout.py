"""The one subscriber of the domain events: outbox rows for webhooks and grid channels,
in-app notifications.

It runs inside the emitting transaction (app.core.events) and only writes rows, with Core
INSERTs (the lean submission path emits too, and must stay fast).
"""
import json
import secrets

from sqlalchemy import insert, select, text

from app.accounts.models import RoleAssignment, User
from app.grid.models import STAFF_ROLES
from app.core.clock import isoformat
from app.core.timezone import to_local
from app.core.database import DriverStatement
from app.core.refcache import cached
from app.notifications.models import (PENDING, Channel, Delivery, Notification,
                                      PushSubscription, Webhook)
from app.notifications.quiet import hold_until, is_urgent
from app.submissions.choices import first_words

_DELIVERIES, _NOTIFICATIONS = Delivery.__table__, Notification.__table__
_INSERT_DELIVERIES, _INSERT_NOTIFICATIONS = insert(_DELIVERIES), insert(_NOTIFICATIONS)
_NOTIFICATION_KEYS = ("user_id", "event_id", "event_type", "kind", "submission_id", "params",
                      "created_at")
# One person told (a letter reaching its captain, on every POST /submissions): straight on the
# driver, as the submission's own INSERT (app.core.database.DriverStatement).
_INSERT_ONE_NOTIFICATION = DriverStatement(_INSERT_NOTIFICATIONS, _NOTIFICATION_KEYS)
_DELIVERY_KEYS = ("target", "webhook_id", "event_id", "event_type", "idempotency_key", "ordering_key",
                  "payload", "state", "attempts", "next_attempt_at", "created_at")
_INSERT_ONE_DELIVERY = DriverStatement(_INSERT_DELIVERIES, _DELIVERY_KEYS)
TELL_SUBMITTER = {"resolved": "resolved", "rejected": "rejected"}
# The message a channel (a work group) gets for an event (messages.py).
CHANNEL_KINDS = {"submission.created": "new_item", "submission.state_changed": "changed",
                 "submission.dispatched": "dispatched", "notice.published": "notice",
                 "meeting.scheduled": "meeting"}


def on_event(session, event: dict) -> None:
    data = event_data(event)
    _queue_webhooks(session, event, data)
    _queue_channels(session, event, data)
    _notify_people(session, event, data)
    _tell_resident(session, event, data)


def event_data(event: dict) -> dict:
    """The `data` of an event as webhooks carry it (contract §6.3)."""
    data: dict = {}
    sub = event.get("submission")
    if sub is not None:
        data.update(submission_id=sub.id, tracking_code=sub.tracking_code, form=sub.form.slug,
                    grid_code=sub.node.code, state=sub.state, tier=sub.tier,
                    post=sub.post_id)
    change = event.get("change")
    if change is not None:
        data.update(from_state=change.from_state, action=change.action,
                    to_state=change.to_state, system=change.system,
                    partner=sub.partner.name if sub is not None and sub.partner else None)
        if change.public_reply and change.comment:
            data["reply"] = change.comment   # only a reply meant for the resident leaves
    actor = event.get("actor")
    if actor is not None:
        data["actor"] = actor.username
    if event.get("due_at") is not None:
        data["due_at"] = isoformat(event["due_at"])
    notice = event.get("notice")
    if notice is not None:
        data.update(notice_id=notice.id, title=notice.title, grid_code=notice.node.code)
    meeting = event.get("meeting")
    if meeting is not None:
        data.update(meeting_id=meeting.id, title=meeting.title, grid_code=meeting.node.code,
                    starts_at=isoformat(meeting.starts_at), place=meeting.place)
    return data


def _webhooks(session) -> list[tuple[int, tuple]]:
    """The active endpoints, through the reference cache (a request that stores a submission
    must not pay a query for them). Webhooks are not a watched table: whatever changes them
    calls `webhooks_changed` in its transaction."""
    return cached(("webhooks",), lambda: [(hook_id, tuple(types)) for hook_id, types in
                                          session.execute(select(Webhook.id, Webhook.events)
                                                          .where(Webhook.active.is_(True)))])


def webhooks_changed(session) -> None:
    """Make every process read the endpoints again: a new reference generation, committed
    with the change (app.core.refcache)."""
    session.execute(text("UPDATE reference_generation SET value = :value WHERE id = 1"),
                    {"value": secrets.token_hex(16)})


def _queue_webhooks(session, event: dict, data: dict) -> None:
    hooks = [hook_id for hook_id, types in _webhooks(session)
             if event["type"] in types or "*" in types]
    if not hooks:
        return
    body = json.dumps({"type": event["type"], "timestamp": isoformat(event["at"]), "data": data},
                      ensure_ascii=False, separators=(",", ":"))
    ordering = f"submission:{data['submission_id']}" if data.get("submission_id") else None
    rows = [{"target": f"webhook:{hook_id}", "webhook_id": hook_id, "event_id": event["id"], "event_type": event["type"],
             "idempotency_key": f"{event['id']}.{hook_id}", "ordering_key": ordering,
             "payload": body, "state": PENDING, "attempts": 0, "next_attempt_at": event["at"],
             "created_at": event["at"]} for hook_id in hooks]
    if len(rows) == 1:
        _INSERT_ONE_DELIVERY.execute(session.connection(), rows[0])
    else:
        session.connection().execute(_INSERT_DELIVERIES, rows)


def _channels(session) -> list[tuple[int, str, tuple]]:
    """The active channels (id, node path, event types), through the reference cache."""
    return cached(("channels",), lambda: [
        (channel_id, path, tuple(types)) for channel_id, path, types in session.execute(
            select(Channel.id, Channel.node_path, Channel.events).where(Channel.active.is_(True)))])


def _subject_path(event: dict) -> str | None:
    subject = event.get("submission") or event.get("notice") or event.get("meeting")
    if subject is None:
        return None
    return getattr(subject, "node_path", None) or subject.node.path


def _queue_channels(session, event: dict, data: dict) -> None:
    """One message to each channel of the subject's node or a node above it."""
    path = _subject_path(event)
    found = [channel_id for channel_id, channel_path, types in _channels(session)
             if path and path.startswith(channel_path) and (event["type"] in types or "*" in types)]
    if not found:
        return
    kind = CHANNEL_KINDS.get(event["type"], "event")
    params = _params(event, data)
    body = json.dumps({"kind": kind, "type": event["type"], "params": params},
                      ensure_ascii=False, separators=(",", ":"))
    ordering = f"submission:{data['submission_id']}" if data.get("submission_id") else None
    due = hold_until(event["at"], is_urgent(event))   # quiet hours (quiet.py)
    session.connection().execute(_INSERT_DELIVERIES, [
        {"target": f"channel:{channel_id}", "channel_id": channel_id, "event_id": event["id"],
         "event_type": event["type"], "idempotency_key": f"{event['id']}.c{channel_id}",
         "ordering_key": ordering, "payload": body, "state": PENDING, "attempts": 0,
         "next_attempt_at": due, "created_at": event["at"]} for channel_id in found])


def channels_changed(session) -> None:
    webhooks_changed(session)


def _notify_people(session, event: dict, data: dict) -> None:
    told = recipients(session, event)
    actor = event.get("actor")
    rows = [{"user_id": user_id, "event_id": event["id"], "event_type": event["type"],
             "kind": kind, "submission_id": data.get("submission_id"),
             "params": _params(event, data), "created_at": event["at"]}
            for user_id, kind in told.items() if actor is None or user_id != actor.id]
    if len(rows) == 1:
        _INSERT_ONE_NOTIFICATION.execute(session.connection(), rows[0])
    elif rows:
        session.connection().execute(_INSERT_NOTIFICATIONS, rows)
    if rows:
        queue_push(session, event, [(row["user_id"], row["kind"]) for row in rows],
                   rows[0]["params"], data.get("submission_id"))


def tell(session, event: dict, user_ids, kind: str, params: dict,
         submission_id: int | None = None) -> None:
    """An in-app notification (and its push) to each of `user_ids` outside the event
    fan-out: the reminders of the tick."""
    rows = [{"user_id": user_id, "event_id": event["id"], "event_type": event["type"],
             "kind": kind, "submission_id": submission_id, "params": params,
             "created_at": event["at"]} for user_id in user_ids]
    if rows:
        session.connection().execute(_INSERT_NOTIFICATIONS, rows)
        queue_push(session, event, [(user_id, kind) for user_id in user_ids], params,
                   submission_id)


def _push_users(session) -> frozenset:
    """Who has a push subscription, through the reference cache (every POST /submissions
    asks): subscribing or unsubscribing calls `push_changed`."""
    return cached(("push-users",), lambda: frozenset(session.execute(
        select(PushSubscription.user_id).distinct()).scalars()))


def push_changed(session) -> None:
    webhooks_changed(session)


def queue_push(session, event: dict, told: list[tuple[int, str]], params: dict,
               submission_id: int | None) -> None:
    """One outbox row per subscription of each person told, held through quiet hours
    unless urgent. The payload holds the message's facts; the worker makes the words."""
    subscribed = _push_users(session)
    wanted = {user_id: kind for user_id, kind in told if user_id in subscribed}
    if not wanted:
        return
    subs = session.execute(select(PushSubscription.id, PushSubscription.user_id).where(
        PushSubscription.user_id.in_(list(wanted)))).all()
    due = hold_until(event["at"], is_urgent(event))
    rows = []
    for sub_id, user_id in subs:
        body = json.dumps({"kind": wanted[user_id], "params": params,
                           "submission_id": submission_id,
                           "urgent": due == event["at"] and is_urgent(event)},
                          ensure_ascii=False, separators=(",", ":"))
        rows.append({"target": f"push:{sub_id}", "event_id": event["id"],
                     "event_type": event["type"],
                     "idempotency_key": f"{event['id']}.p{sub_id}", "ordering_key": None,
                     "payload": body, "state": PENDING, "attempts": 0, "next_attempt_at": due,
                     "created_at": event["at"]})
    if rows:
        session.connection().execute(_INSERT_DELIVERIES, rows)


def _tell_resident(session, event: dict, data: dict) -> None:
    """SMS or e-mail to a resident who left a phone or address and agreed to be told
    (contact.py): only when the letter is resolved, only by what they left."""
    sub = event.get("submission")
    if event["type"] != "submission.state_changed" or sub is None or sub.state != "resolved":
        return
    from app.notifications import contact

    rows = []
    for channel, address in contact.wanted(sub):
        body = json.dumps({"channel": channel, "address": address,
                           "tracking_code": sub.tracking_code, "reply": data.get("reply") or ""},
                          ensure_ascii=False, separators=(",", ":"))
        rows.append({"target": f"contact:{channel}", "event_id": event["id"],
                     "event_type": event["type"],
                     "idempotency_key": f"{event['id']}.{channel}", "ordering_key": None,
                     "payload": body, "state": PENDING, "attempts": 0,
                     "next_attempt_at": hold_until(event["at"]), "created_at": event["at"]})
    if rows:
        session.connection().execute(_INSERT_DELIVERIES, rows)


def _params(event: dict, data: dict) -> dict:
    """What the message needs, frozen at the time of the event."""
    keep = ("tracking_code", "form", "grid_code", "state", "from_state", "action", "title",
            "starts_at", "place", "partner")
    params = {k: data[k] for k in keep if data.get(k) is not None}
    sub = event.get("submission")
    if sub is not None:
        params["grid_name"] = sub.node.name
        params["form_title"] = sub.version.definition.get("title")
        params["state_label"] = sub.version.workflow["states"].get(sub.state, {}).get("label")
        # The letter in words (its first words), not only by its tracking code.
        params["excerpt"] = first_words(sub.data or {})
    notice = event.get("notice") or event.get("meeting")
    if notice is not None:
        params["grid_name"] = notice.node.name
    if event.get("due_at") is not None:
        params["due_at"] = to_local(event["due_at"]).strftime("%m月%d日 %H:%M")
    return params


def recipients(session, event: dict) -> dict[int, str]:
    """Who is told of this event: {user id: message kind}."""
    sub = event.get("submission")
    kind = event["type"]
    told: dict[int, str] = {}
    if sub is None:
        return told
    if kind in ("submission.created", "submission.state_changed"):
        # The holder of the new state: the captain when a letter arrives, the partner unit
        # on dispatch (submission.dispatched itself tells no one more: it is for webhooks).
        message = ("new_item" if kind == "submission.created"
                   else "dispatched" if sub.tier == "partner" else "assigned")
        for user_id in holders(session, sub):
            told[user_id] = message
        if kind == "submission.state_changed" and sub.submitter_id:
            if sub.state in TELL_SUBMITTER:
                told[sub.submitter_id] = TELL_SUBMITTER[sub.state]
    elif kind == "timer.due_soon":
        for user_id in holders(session, sub):
            told[user_id] = "due_soon"
    elif kind == "claim.promoted" and sub.submitter_id:
        told[sub.submitter_id] = "promoted"
    return told


def holders(session, sub) -> list[int]:
    """The people holding the tier of the submission's state: the staff of that tier on the
    nearest node up the grid that has one, or the partner unit's people."""
    tier = sub.tier
    if tier == "partner":
        org_id = sub.partner_org_id
        if org_id is None:
            return []
        return cached(("notify-partner", org_id), lambda: [row[0] for row in session.execute(
            select(RoleAssignment.user_id).join(User, User.id == RoleAssignment.user_id)
            .where(RoleAssignment.role == "partner", RoleAssignment.org_id == org_id,
                   User.active.is_(True)))]) or []
    if tier not in STAFF_ROLES:
        return []
    node = sub.node
    return cached(("notify-holders", node.path, tier), lambda: _staff(session, node, tier)) or []


def _staff(session, node, tier: str) -> list[int]:
    ids = node.ancestor_ids or [node.id]
    rows = session.execute(
        select(RoleAssignment.user_id, RoleAssignment.grid_node_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == tier, RoleAssignment.grid_node_id.in_(ids),
               User.active.is_(True))).all()
    if not rows:
        return []
    depth = {node_id: i for i, node_id in enumerate(ids)}
    nearest = max(depth.get(node_id, -1) for _u, node_id in rows)
    return sorted({user_id for user_id, node_id in rows if depth.get(node_id, -1) == nearest})
