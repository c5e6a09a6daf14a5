"""Append to the audit log (in the caller's transaction)."""
from app.audit.models import AuditEntry
from app.core.clock import utcnow
from app.extensions import db


def record(actor, action: str, target: str, **detail) -> None:
    db.session.add(AuditEntry(actor_id=actor.id if actor else None, action=action,
                              target=target[:200], detail=detail, at=utcnow()))
