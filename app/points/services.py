"""Points: award once per transition; totals and leaderboards."""
from sqlalchemy import func, select

from app.accounts.models import User
from app.grid.scope import scope_for
from app.core.clock import utcnow
from app.extensions import db
from app.points.models import PointEntry


def award(user, points: int, reason: str, sub=None, event=None) -> PointEntry | None:
    """Append an entry; (event, user) is unique, so a replayed transition awards nothing."""
    if not points:
        return None
    entry = PointEntry(user_id=user.id, points=points, reason=reason,
                       submission_id=sub.id if sub else None, event_id=event.id if event else None,
                       node_path=sub.node_path if sub else "", created_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    return entry


def award_for_transition(effect: dict, sub, event, actor, from_state: str) -> None:
    """The workflow effect `points`: award the actor or the submitter (registered in app/hooks.py)."""
    user = actor if effect.get("to") == "actor" else (
        db.session.get(User, sub.submitter_id) if sub.submitter_id else None)
    if user is None:
        return
    only = effect.get("only_roles")
    if only:
        scope = scope_for(user)
        if not any(r in only and sub.node_path.startswith(p) for r, p in scope.staff):
            return
    award(user, int(effect.get("amount") or 0), f"{sub.form.slug}:{event.action}", sub, event)


def total_for(user_id: int) -> int:
    return db.session.execute(select(func.coalesce(func.sum(PointEntry.points), 0)).where(
        PointEntry.user_id == user_id)).scalar_one()
