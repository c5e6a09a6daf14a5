"""The one shape of a history entry: the row stored for an event and the JSON read back.

The workflow engine (`record_event`), the lean write path (a new submission's first event,
INSERTed as a row) and history reads (`services.read_history`, and the answer to a new
submission, which reads nothing back) all build them here.
"""
from flask_babel import gettext as _

from app.core.clock import isoformat, utcnow


def actor_label(actor, system: bool = False) -> str:
    """The name kept with an event: a system timer, the actor's name, or a resident."""
    if system:
        return "system"
    return actor.display_name if actor is not None else _("Resident")


def event_row(sub, action: str, from_state, to_state, actor=None, *, comment=None,
              system: bool = False, partner_org_id=None, from_tier=None, waited=None,
              public_reply: bool = False, at=None) -> dict:
    """A `submission_events` row (every column but its id) for `sub` after it has moved.
    `seq` is the submission's lock version: two concurrent appends collide on it."""
    return {"submission_id": sub.id, "node_path": sub.node_path, "seq": sub.lock_version,
            "action": action, "from_state": from_state, "to_state": to_state,
            "from_tier": from_tier, "waited_seconds": waited,
            "actor_id": actor.id if actor is not None else None,
            "actor_label": actor_label(actor, system), "comment": comment or None,
            "partner_org_id": partner_org_id, "at": at if at is not None else utcnow(),
            "system": system, "public_reply": public_reply}


def first_event_row(sub, actor) -> dict:
    """The "submit" event of a submission just stored, at the moment it was made."""
    return event_row(sub, "submit", None, sub.state, actor, at=sub.created_at)


def history_entry(event, username: str | None) -> dict:
    """One entry of `history` in the API: `event` is a row of submission_events (a mapping),
    `username` the actor's ("system" for timers, null for a resident without an account)."""
    return {"seq": event["seq"], "action": event["action"], "from_state": event["from_state"],
            "to_state": event["to_state"], "actor": "system" if event["system"] else username,
            "actor_name": event["actor_label"], "actor_id": event["actor_id"],
            "comment": event["comment"], "waited_seconds": event["waited_seconds"],
            "at": isoformat(event["at"]), "system": event["system"]}
