"""Volunteer posts: places that are never over-claimed.

Capacity design: `posts.claimed` counts places held by live claims and is only ever changed
by single conditional UPDATE statements:

    UPDATE posts SET claimed = claimed + 1 WHERE id = :id AND claimed < capacity

The database evaluates the condition and the increment atomically on the row. On PostgreSQL
the row lock makes a concurrent second UPDATE wait and re-check the condition against the
committed value (READ COMMITTED re-evaluation), so at most `capacity` claims succeed.
On SQLite every write transaction starts with BEGIN IMMEDIATE (app/core/database.py), so
writers are serialised outright. Whoever's UPDATE matched no row is waitlisted; the
waitlist is ordered by submission id, i.e. by the server's order of arrival.
Releasing a place decrements the counter and promotes the earliest waitlisted claim in the
same transaction, behind the same row lock.
"""
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.core.clock import utcnow
from app.core.errors import ApiError
from app.core.events import emit
from app.extensions import db
from app.submissions.models import Submission
from app.submissions.transitions import apply_transition
from app.volunteering.models import Post
from app.workflow.definition import builtin_workflow, capacity_states, open_states, place_states
from app.core.ids import as_id
from app.accounts.models import User
from app.accounts.services import grant_role
from app.core.clock import isoformat

# In the volunteer workflow's own words (app/workflow/definitions/volunteer-signup.json):
# where a claim starts on the waitlist, which claims are live, which hold a place.
SIGNUP_WORKFLOW = builtin_workflow("volunteer-signup")
WAITLISTED = capacity_states(SIGNUP_WORKFLOW)[1]
LIVE_STATES = tuple(sorted(open_states(SIGNUP_WORKFLOW)))
PLACE_STATES = tuple(sorted(place_states(SIGNUP_WORKFLOW)))


def get_post(post_id) -> Post | None:
    return db.session.get(Post, as_id(post_id)) if as_id(post_id) else None


def check_claimable(post: Post | None) -> Post:
    """422 unknown post, 409 closed or past (by the server's clock, never the phone's)."""
    if post is None:
        raise ApiError(422, fields={"data.post": [_("Unknown post.")]})
    if not post.open:
        raise ApiError(409, _("This post is closed to new claims."), "post_closed")
    if post.ends_at <= utcnow():
        raise ApiError(409, _("This post has already ended."), "post_ended")
    return post


def check_overlap(post: Post, user) -> None:
    """One person cannot hold two live claims whose times overlap."""
    clash = db.session.execute(
        select(Post).join(Submission, Submission.post_id == Post.id).where(
            Submission.submitter_id == user.id, Submission.state.in_(LIVE_STATES),
            Post.id != post.id, Post.starts_at < post.ends_at, Post.ends_at > post.starts_at)
    ).scalars().first()
    if clash is not None:
        raise ApiError(409, _("This overlaps with another post you claimed: %(title)s",
                              title=clash.title), "claim_overlap", post=clash.id)


def check_may_claim(post: Post, user) -> None:
    """A post for one role only (a party-member captain post) refuses everyone else, in words."""
    if post.required_role and not user.has_role(post.required_role):
        from app.submissions.words import role_label
        raise ApiError(403, _("Only %(role)s may claim this post.", role=role_label(post.required_role)),
                       "post_role_required", required_role=post.required_role)


def take_place(post: Post) -> bool:
    """Try to take one place; True if taken (see the module docstring)."""
    result = db.session.execute(
        update(Post).where(Post.id == post.id, Post.claimed < Post.capacity)
        .values(claimed=Post.claimed + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1


def note_fullness(post_id: int) -> None:
    """Record when a post fills up and when a place opens again (the branch's inbox shows it).
    Called inside the transaction that changed `claimed`, so the row is ours to read."""
    post = db.session.get(Post, post_id)
    db.session.refresh(post)
    now = utcnow()
    was_full = post.full_since is not None and (post.reopened_at is None
                                                or post.reopened_at < post.full_since)
    if post.claimed >= post.capacity and not was_full:
        post.full_since = now
    elif post.claimed < post.capacity and was_full:
        post.reopened_at = now
    db.session.flush()


def notices_for(scope) -> list[dict]:
    """Open posts in the caller's branch/committee subtree that are full or have places again."""
    from sqlalchemy import and_, or_

    if not scope.staff and not scope.is_admin:
        return []
    now = utcnow()
    rows = db.session.execute(select(Post).where(
        scope.path_filter(Post.node_path, "branch"), Post.open.is_(True), Post.ends_at > now,
        Post.full_since.is_not(None),
        or_(Post.claimed >= Post.capacity,
            and_(Post.reopened_at.is_not(None), Post.reopened_at >= Post.full_since)))
        .order_by(Post.id)).unique().scalars().all()
    out = []
    waiting = counts([p.id for p in rows])
    for post in rows:
        kind = "post_full" if post.claimed >= post.capacity else "post_has_places"
        at = post.full_since if kind == "post_full" else post.reopened_at
        out.append({"kind": kind, "at": at.isoformat() + "Z",
                    "post": serialize(post, waiting.get(post.id, {}).get("waitlisted", 0))})
    return out


def claim_key(post_id: int, user_id: int) -> str:
    return f"post:{post_id}:user:{user_id}"


def release_place(effect: dict, sub: Submission, event, actor, from_state: str) -> None:
    """Effect of `cancel`: free the claim, and the place if it held one; promote the next."""
    emit(db.session, "claim.cancelled", submission=sub)
    sub.claim_key = None
    if from_state not in place_states(sub.version.workflow) or sub.post_id is None:
        db.session.flush()
        return
    db.session.execute(update(Post).where(Post.id == sub.post_id, Post.claimed > 0)
                       .values(claimed=Post.claimed - 1)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    promote_waitlisted(sub.post_id)
    note_fullness(sub.post_id)


def promote_waitlisted(post_id: int) -> int:
    """Fill free places from the waitlist, earliest first: each a system transition
    (`promote`, definition.system_transitions) applied and recorded by the engine.
    Returns how many were promoted."""
    promoted = 0
    while True:
        nxt = db.session.execute(
            select(Submission).where(Submission.post_id == post_id,
                                     Submission.state == WAITLISTED)
            .order_by(Submission.id).limit(1)).scalar_one_or_none()
        if nxt is None:
            break
        post = db.session.get(Post, post_id)
        if not take_place(post):
            break
        apply_transition(nxt, "promote", system=True)
        emit(db.session, "claim.promoted", submission=nxt)
        promoted += 1
    return promoted


def grant_post_role(effect: dict, sub: Submission, event, actor, from_state: str) -> None:
    """Effect of `confirm` on a building-captain post: the volunteer becomes its captain."""

    post = db.session.get(Post, sub.post_id) if sub.post_id else None
    if post is None or post.kind != "captain" or not sub.submitter_id:
        return
    if post.node.level != "building":
        return
    grant_role(db.session.get(User, sub.submitter_id), "captain", post.node)


def counts(post_ids: list[int]) -> dict[int, dict]:
    """Waitlisted counts per post, in one query.

    The state is compared as an expression so that only the posts' own index fits
    (ix_submissions_post): PostgreSQL, whose statistics had seen no waitlisted row yet, read
    every waitlisted row of the city through ix_submissions_state_id instead (4.9 ms after
    one rush at a million rows, and growing with every rush)."""
    rows = db.session.execute(
        select(Submission.post_id, func.count()).where(
            Submission.post_id.in_(post_ids or [0]),
            func.coalesce(Submission.state, Submission.state) == WAITLISTED)
        .group_by(Submission.post_id)).all()
    return {pid: {"waitlisted": n} for pid, n in rows}


def create_post(user, args: dict) -> Post:
    """Publish a post or a service activity (the branch or committee of that node), from
    PostCreateSchema's output. The API and the console call this."""
    from app.accounts.services import get_or_create_org
    from app.grid.scope import scope_for
    from app.grid.services import node_by_code

    node = node_by_code(args["grid_code"])
    if node is None:
        raise ApiError(422, fields={"grid_code": [_("Unknown grid code.")]})
    if not scope_for(user).manages(node.path, "branch"):
        raise ApiError(403, _("Only the branch or committee of this node may publish posts."))
    if args["kind"] == "captain" and node.level != "building":
        raise ApiError(422, fields={"grid_code": [_("A building-captain post belongs to a building.")]})
    org = get_or_create_org(args["partner"].strip()) if (args.get("partner") or "").strip() else None
    post = Post(title=args["title"].strip(), description=args["description"], grid_node_id=node.id,
                node_path=node.path, kind=args["kind"], capacity=args["capacity"],
                required_role=args.get("required_role"),
                starts_at=args["starts_at"], ends_at=args["ends_at"], created_by_id=user.id,
                created_at=utcnow(), place=args["place"], partner_org_id=org.id if org else None,
                public_signup=args["public_signup"] and args["kind"] == "activity",
                resident_capacity=args.get("resident_capacity") if args["kind"] == "activity" else None)
    post.node = node
    db.session.add(post)
    db.session.flush()
    return post


def set_capacity(post: Post, capacity: int) -> None:
    """Down never evicts anyone holding a place; up promotes from the waitlist."""
    post.capacity = capacity
    db.session.flush()
    promote_waitlisted(post.id)
    note_fullness(post.id)


def serialize(post: Post, waitlisted: int = 0) -> dict:
    return {"id": post.id, "title": post.title, "description": post.description,
            "grid_code": post.node.code, "grid_name": post.node.name, "kind": post.kind,
            "capacity": post.capacity, "claimed": post.claimed, "waitlisted": waitlisted,
            "available": max(post.capacity - post.claimed, 0),
            "starts_at": isoformat(post.starts_at), "ends_at": isoformat(post.ends_at),
            "open": post.open and post.ends_at > utcnow(), "place": post.place,
            "public_signup": post.public_signup, "resident_capacity": post.resident_capacity,
            "residents_signed": post.residents_signed, "residents_served": post.residents_served,
            "held_at": isoformat(post.held_at), "required_role": post.required_role}


def posts_by_id(ids) -> dict:
    """{id: post} of these posts (the words of a submission's `post` field)."""
    return {post.id: post for post in db.session.execute(
        select(Post).where(Post.id.in_(ids))).scalars()}


def claims_of(user, limit: int = 100) -> list[dict]:
    """A person's claims (cancelled ones left out), newest first, with the waitlist position."""
    from app.core.i18n import pick

    subs = db.session.execute(select(Submission).where(
        Submission.submitter_id == user.id, Submission.post_id.is_not(None),
        Submission.state != "cancelled").order_by(Submission.id.desc()).limit(limit)).unique().scalars().all()
    posts = posts_by_id({s.post_id for s in subs})
    waiting = counts(list(posts))
    out = []
    for sub in subs:
        workflow = sub.version.workflow
        position = None
        if sub.state == WAITLISTED:
            position = db.session.execute(select(func.count()).where(
                Submission.post_id == sub.post_id, Submission.state == WAITLISTED,
                Submission.id <= sub.id)).scalar_one()
        cancellable = any(t["name"] == "cancel" and sub.state in t.get("from", [])
                          for t in workflow.get("transitions", []))
        post = posts.get(sub.post_id)
        out.append({"id": sub.id, "uuid": sub.uuid, "state": sub.state,
                    "state_label": pick(workflow["states"].get(sub.state, {}).get("label")),
                    "waitlist_position": position, "can_cancel": cancellable,
                    "created_at": isoformat(sub.created_at), "state_since": isoformat(sub.state_since),
                    "post": serialize(post, waiting.get(post.id, {}).get("waitlisted", 0)) if post else None})
    return out
