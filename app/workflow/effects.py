"""Side effects a transition may declare: points, roles, places on a post."""
from sqlalchemy import select

from app.accounts.models import User
from app.core.events import emit
from app.extensions import db
from app.grid.services import ancestor_at


def apply(effect: dict, sub, event, actor, from_state: str) -> None:
    kind = effect["type"]
    if kind == "points":
        _points(effect, sub, event, actor)
    elif kind == "grant_role":
        _grant_role(effect, sub)
    elif kind == "release_place":
        from app.volunteering.services import release_place
        release_place(sub, from_state)
    elif kind == "grant_post_role":
        from app.volunteering.services import grant_post_role
        grant_post_role(sub)


def _points(effect: dict, sub, event, actor) -> None:
    from app.core.scope import scope_for
    from app.points.services import award

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


def _grant_role(effect: dict, sub) -> None:
    from app.accounts.services import grant_role

    if not sub.submitter_id:
        return
    user = db.session.execute(select(User).where(User.id == sub.submitter_id)).scalar_one()
    node = ancestor_at(sub.node, effect.get("level") or "community") or sub.node
    grant_role(user, effect.get("role") or "member", node)
    emit(db.session, "registration.approved", submission=sub)
