"""Reminders, given by the workflow tick (`flask workflow tick`), each once.

- the holder of an item, REMINDER_BEFORE (TONGXIN_REMINDER_BEFORE, default 6h) before a
  timer escalates it: the `timer.due_soon` event (webhooks hear it too);
- volunteers the day before their post or service activity;
- the people of a joint meeting the day before it;
- captains who have not relayed a notice a day after it was published.

Each reminder is a row of the ledger (`reminders_sent`, unique key) written in the same
transaction as its notification and push: a tick run twice, or two ticks at once, tell once
(the second meets the unique key and its savepoint is rolled back)."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import RoleAssignment, User
from app.core.events import emit, new_event_id
from app.core.paths import under
from app.core.timezone import to_local
from app.extensions import db
from app.forms.models import FormVersion
from app.grid.models import GridNode
from app.meetings.models import Meeting
from app.notices.models import Notice, NoticeRelay
from app.notifications.fanout import tell
from app.notifications.feeds import HELD_STATES
from app.notifications.models import ReminderSent
from app.submissions.models import Submission
from app.volunteering.models import Post
from app.core.worktime import parse_duration, parse_limit

DAY = timedelta(days=1)
RELAY_LOOKBACK = timedelta(days=7)   # older notices are not chased any more


def _when(value: datetime) -> str:
    return to_local(value).strftime("%m月%d日 %H:%M")


def _once(key: str, user_id: int | None, now: datetime, tell_them) -> bool:
    """Run `tell_them()` with its ledger row, in one savepoint; False if told already."""
    if db.session.execute(select(ReminderSent.id).where(ReminderSent.key == key)).first():
        return False
    try:
        with db.session.begin_nested():
            db.session.add(ReminderSent(key=key, user_id=user_id, sent_at=now))
            db.session.flush()
            tell_them()
    except IntegrityError:
        return False   # another tick told them a moment ago
    return True


def _event(type_: str, now: datetime) -> dict:
    return {"id": new_event_id(), "type": type_, "at": now}


def due_soon(now: datetime) -> int:
    """`timer.due_soon` for items whose timer fires within REMINDER_BEFORE."""
    before = parse_duration(current_app.config.get("REMINDER_BEFORE") or "6h")
    told = 0
    for version_id, workflow in db.session.execute(select(FormVersion.id, FormVersion.workflow)).all():
        for index, timer in enumerate(workflow.get("timers") or []):
            if timer.get("action") not in ("escalate",):
                continue
            limit = parse_limit(timer["after"])   # due within (now, now + before]
            subs = db.session.execute(select(Submission).where(
                Submission.form_version_id == version_id, Submission.state == timer["state"],
                Submission.state_since <= limit.cutoff(now + before),
                Submission.state_since > limit.cutoff(now))).scalars().all()
            for sub in subs:
                key = f"due:{sub.id}:{index}:{sub.state_since.isoformat()}"
                due_at = limit.deadline(sub.state_since)

                def fire(sub=sub, due_at=due_at, timer=timer):
                    emit(db.session, "timer.due_soon", submission=sub, timer=timer,
                         due_at=due_at)
                told += _once(key, None, now, fire)
    return told


def posts_tomorrow(now: datetime) -> int:
    """Volunteers whose post or activity starts within a day."""
    rows = db.session.execute(
        select(Post, Submission.submitter_id).join(Submission, Submission.post_id == Post.id)
        .where(Post.starts_at > now, Post.starts_at <= now + DAY,
               Submission.state.in_(HELD_STATES), Submission.submitter_id.is_not(None))).all()
    told = 0
    for post, user_id in rows:
        params = {"title": post.title, "starts_at": _when(post.starts_at),
                  "place": post.place or (post.node.name if post.node else ""),
                  "grid_code": post.node.code if post.node else None, "link": "/app/posts"}
        event = _event("reminder.post", now)
        told += _once(f"post:{post.id}:{user_id}:{post.starts_at.isoformat()}", user_id, now,
                      lambda e=event, u=user_id, p=params: tell(db.session, e, [u],
                                                                "post_tomorrow", p))
    return told


def meeting_people(meeting: Meeting) -> set[int]:
    """Who attends: the one who called it, the committee of its community, the people of
    the invited partner units."""
    people = {meeting.created_by_id}
    people |= set(db.session.execute(select(RoleAssignment.user_id).join(User).where(
        RoleAssignment.role == "committee", RoleAssignment.grid_node_id == meeting.grid_node_id,
        User.active.is_(True))).scalars())
    if meeting.invited_org_ids:
        people |= set(db.session.execute(select(RoleAssignment.user_id).join(User).where(
            RoleAssignment.role == "partner",
            RoleAssignment.org_id.in_(list(meeting.invited_org_ids)),
            User.active.is_(True))).scalars())
    return people


def meetings_tomorrow(now: datetime) -> int:
    told = 0
    for meeting in db.session.execute(select(Meeting).where(
            Meeting.starts_at > now, Meeting.starts_at <= now + DAY,
            Meeting.held_at.is_(None))).scalars().all():
        params = {"title": meeting.title, "starts_at": _when(meeting.starts_at),
                  "place": meeting.place or "", "link": "/app/meetings"}
        for user_id in sorted(meeting_people(meeting)):
            event = _event("reminder.meeting", now)
            told += _once(f"meeting:{meeting.id}:{user_id}:{meeting.starts_at.isoformat()}",
                          user_id, now, lambda e=event, u=user_id, p=params: tell(
                              db.session, e, [u], "meeting_tomorrow", p))
    return told


def relays_pending(now: datetime) -> int:
    """Captains under a notice published more than a day ago who have not relayed it."""
    told = 0
    notices = db.session.execute(select(Notice).where(
        Notice.created_at <= now - DAY, Notice.created_at > now - RELAY_LOOKBACK)).scalars().all()
    for notice in notices:
        if notice.expires_at is not None and notice.expires_at <= now:
            continue
        captains = db.session.execute(
            select(RoleAssignment.user_id, RoleAssignment.grid_node_id)
            .join(GridNode, GridNode.id == RoleAssignment.grid_node_id).join(User)
            .where(RoleAssignment.role == "captain", under(GridNode.path, notice.node_path),
                   User.active.is_(True))).all()
        done = set(db.session.execute(select(NoticeRelay.user_id).where(
            NoticeRelay.notice_id == notice.id)).scalars())
        params = {"title": notice.title, "link": "/app/"}
        for user_id in sorted({u for u, _n in captains} - done):
            event = _event("reminder.relay", now)
            told += _once(f"relay:{notice.id}:{user_id}", user_id, now,
                          lambda e=event, u=user_id, p=params: tell(
                              db.session, e, [u], "relay_pending", p))
    return told


def run_reminders(now: datetime) -> dict:
    """Every reminder due at `now`, each once; committed."""
    counts = {"due_soon": due_soon(now), "posts": posts_tomorrow(now),
              "meetings": meetings_tomorrow(now), "relays": relays_pending(now)}
    db.session.commit()
    return counts
