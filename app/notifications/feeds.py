"""Private calendar feeds (RFC 5545, `icalendar`): a person's claimed posts and service
activities and their joint meetings, each with its place and a reminder (VALARM), in the
community's zone (TONGXIN_TIMEZONE).

`GET /api/v1/me/calendar` gives the feed's URL (made on first ask); the URL carries a secret
token instead of a sign-in, so that phone calendars can subscribe to it; `POST
/api/v1/me/calendar/renew` replaces the token and the old URL stops answering."""
import secrets
from datetime import timedelta

from flask import Response, request
from flask_smorest import Blueprint
from sqlalchemy import select

from app.core.openapi import answers
from app.notifications.schemas import CalendarSchema
from app.accounts.models import RoleAssignment
from app.core.clock import utcnow
from app.core.errors import ApiError
from app.core.security import require_user
from app.core.timezone import to_local, zone_name
from app.extensions import db
from app.meetings.models import Meeting
from app.notifications.models import CalendarToken
from app.submissions.models import Submission
from app.volunteering.models import Post

HELD_STATES = ("claimed", "confirmed")   # a volunteer's place on a post
PAST_DAYS = 30                           # how far back the feed still shows
ALARM_BEFORE = timedelta(hours=1)

blp = Blueprint("calendar", __name__, url_prefix="/api/v1", description="Calendar feeds")


def _token_for(user_id: int, renew: bool = False) -> str:
    row = db.session.get(CalendarToken, user_id)
    if row is None:
        row = CalendarToken(user_id=user_id, token=secrets.token_urlsafe(32), created_at=utcnow())
        db.session.add(row)
    elif renew:
        row.token, row.created_at = secrets.token_urlsafe(32), utcnow()
    db.session.flush()
    return row.token


def _url(token: str) -> str:
    return request.url_root.rstrip("/") + f"/api/v1/calendar/{token}.ics"


@blp.route("/me/calendar", methods=["GET"])
@blp.doc(**answers(CalendarSchema))
def my_calendar():
    """The absolute URL of my private iCalendar feed."""
    user = require_user()
    return {"url": _url(_token_for(user.id))}


@blp.route("/me/calendar/renew", methods=["POST"])
@blp.doc(**answers(CalendarSchema))
def renew_calendar():
    """A new secret for my feed: the old URL stops answering."""
    user = require_user()
    return {"url": _url(_token_for(user.id, renew=True))}


@blp.route("/calendar/<token>.ics", methods=["GET"])
def calendar_feed(token):
    """The feed itself (no sign-in: the token in the URL is the key)."""
    if not token or len(token) > 64:
        raise ApiError(404)
    row = db.session.execute(select(CalendarToken).where(CalendarToken.token == token)
                             ).scalar_one_or_none()
    if row is None:
        raise ApiError(404)
    body = build_calendar(row.user_id, utcnow())
    return Response(body, mimetype="text/calendar",
                    headers={"Cache-Control": "private, max-age=300",
                             "Content-Disposition": 'inline; filename="tongxin.ics"'})


def claimed_posts(user_id: int, since) -> list[Post]:
    return list(db.session.execute(
        select(Post).join(Submission, Submission.post_id == Post.id)
        .where(Submission.submitter_id == user_id, Submission.state.in_(HELD_STATES),
               Post.ends_at >= since).order_by(Post.starts_at)).scalars().unique())


def attended_meetings(user_id: int, since) -> list[Meeting]:
    """Meetings the person called or is invited to (their partner unit, or the committee of
    the meeting's community). A community holds a few meetings a quarter: read and filter."""
    roles = db.session.execute(select(RoleAssignment.role, RoleAssignment.org_id,
                                      RoleAssignment.grid_node_id)
                               .where(RoleAssignment.user_id == user_id)).all()
    orgs = {org for role, org, _n in roles if role == "partner" and org}
    nodes = {node for role, _o, node in roles if role == "committee" and node}
    rows = db.session.execute(select(Meeting).where(Meeting.starts_at >= since)
                              .order_by(Meeting.starts_at)).scalars().all()
    return [m for m in rows if m.created_by_id == user_id or m.grid_node_id in nodes
            or orgs & set(m.invited_org_ids or [])]


def _event(uid: str, summary: str, start, end, place: str, description: str):
    from icalendar import Alarm, Event   # imported when a feed is read: it is slow to load

    event = Event()
    event.add("uid", uid)
    event.add("summary", summary)
    event.add("dtstamp", to_local(utcnow()))
    event.add("dtstart", to_local(start))
    event.add("dtend", to_local(end))
    if place:
        event.add("location", place)
    if description:
        event.add("description", description)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"提醒：{summary}")
    alarm.add("trigger", -ALARM_BEFORE)
    event.add_component(alarm)
    return event


def build_calendar(user_id: int, now) -> bytes:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", "-//Tongxin//同心 社区网格服务//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "同心 · 我的日程")
    cal.add("x-wr-timezone", zone_name())
    since = now - timedelta(days=PAST_DAYS)
    host = request.host.split(":")[0] if request else "tongxin"
    for post in claimed_posts(user_id, since):
        kind = "服务活动" if post.kind == "activity" else "志愿岗位"
        place = post.place or (post.node.name if post.node else "")
        cal.add_component(_event(f"post-{post.id}@{host}", f"{kind}：{post.title}",
                                 post.starts_at, post.ends_at, place, post.description or ""))
    for meeting in attended_meetings(user_id, since):
        cal.add_component(_event(f"meeting-{meeting.id}@{host}", f"联席会议：{meeting.title}",
                                 meeting.starts_at, meeting.starts_at + timedelta(hours=2),
                                 meeting.place or "", ""))
    cal.add_missing_timezones()
    return cal.to_ical()
