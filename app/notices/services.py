"""Notice operations shared by the API and the offline sync endpoint."""
from sqlalchemy.exc import IntegrityError

from app.core.paths import under
from app.core.clock import utcnow
from app.core.errors import ApiError
from app.core.ids import as_id
from app.extensions import db
from app.notices.models import Notice, NoticeRelay
from app.accounts.models import RoleAssignment, User
from app.grid.models import GridNode


def notice_or_404(notice_id) -> Notice:
    notice = db.session.get(Notice, as_id(notice_id) or 0) if as_id(notice_id) else None
    if notice is None:
        raise ApiError(404)
    return notice


def publish_notice(user, args: dict) -> Notice:
    """Publish a notice to a subtree: the branch or committee of that node; a photo must be an
    upload of the publisher's own (or an anonymous one). The API and the console call this."""
    from flask_babel import gettext as _

    from app.core.events import emit
    from app.grid.scope import scope_for
    from app.grid.services import node_by_code
    from app.uploads.models import Upload

    node = node_by_code(args["grid_code"])
    if node is None:
        raise ApiError(422, fields={"grid_code": [_("Unknown grid code.")]})
    if not scope_for(user).manages(node.path):
        raise ApiError(403, _("Only the branch or committee of this node may publish notices."))
    if args.get("photo"):
        upload = db.session.get(Upload, args["photo"])
        if upload is None or (upload.owner_id not in (None, user.id)):
            raise ApiError(422, fields={"photo": [_("Unknown photo; upload it first.")]})
    notice = Notice(title=args["title"].strip(), body=args["body"], grid_node_id=node.id,
                    node_path=node.path, expires_at=args.get("expires_at"), public=args["public"],
                    photo_id=args.get("photo") or None, created_by_id=user.id, created_at=utcnow())
    notice.node = node
    db.session.add(notice)
    db.session.flush()
    emit(db.session, "notice.published", notice=notice, actor=user)
    return notice


def relay_notice(user, notice_id) -> list[str]:
    """Record that this captain relayed the notice to each of their buildings under it."""
    notice = notice_or_404(notice_id)
    buildings = [r.node for r in user.roles if r.role == "captain" and r.node is not None
                 and r.node.path.startswith(notice.node_path)]
    if not buildings:
        raise ApiError(404)
    for node in buildings:
        try:
            with db.session.begin_nested():
                db.session.add(NoticeRelay(notice_id=notice.id, user_id=user.id,
                                           grid_node_id=node.id, at=utcnow()))
        except IntegrityError:
            pass  # already relayed: confirming twice changes nothing
    return [n.code for n in buildings]


def relay_status(notice: Notice) -> list[tuple]:
    """Every active captain under the notice with their building and when they relayed it."""
    from sqlalchemy import select

    captains = db.session.execute(
        select(User, GridNode).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(GridNode, GridNode.id == RoleAssignment.grid_node_id)
        .where(RoleAssignment.role == "captain", under(GridNode.path, notice.node_path),
               User.active.is_(True)).order_by(GridNode.code)).all()
    done = {(r.user_id, r.grid_node_id): r.at for r in db.session.execute(
        select(NoticeRelay).where(NoticeRelay.notice_id == notice.id)).scalars()}
    return [(user, node, done.get((user.id, node.id))) for user, node in captains]
