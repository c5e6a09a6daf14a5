"""Statistics over a node's subtree, computed by aggregate SQL."""
from datetime import datetime

from sqlalchemy import and_, func, select

from app.extensions import db
from app.forms.models import Form
from app.grid.models import GridNode
from app.lists.models import Resource
from app.points.models import PointEntry
from app.submissions.models import Submission, SubmissionEvent
from app.volunteering.models import Post


def _hours_expr():
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", Submission.resolved_at - Submission.created_at) / 3600.0
    return (func.julianday(Submission.resolved_at) - func.julianday(Submission.created_at)) * 24.0


def _percentile(where, fraction: float) -> float | None:
    """Nearest-rank percentile of hours-to-resolve, in SQL on either database."""
    n = db.session.execute(select(func.count()).select_from(Submission).where(
        where, Submission.resolved_at.is_not(None))).scalar_one()
    if not n:
        return None
    offset = max(int(round(fraction * n + 0.4999)) - 1, 0)
    hours = _hours_expr()
    value = db.session.execute(select(hours).where(where, Submission.resolved_at.is_not(None))
                               .order_by(hours).limit(1).offset(offset)).scalar_one()
    return round(float(value), 2)


def compute(node: GridNode, start: datetime | None, end: datetime | None) -> dict:
    prefix = node.path + "%"
    in_tree = Submission.node_path.like(prefix)
    period = [in_tree]
    if start:
        period.append(Submission.created_at >= start)
    if end:
        period.append(Submission.created_at < end)
    where = and_(*period)
    by_form_state = [
        {"form": slug, "state": state, "count": n} for slug, state, n in db.session.execute(
            select(Form.slug, Submission.state, func.count()).join(Form, Form.id == Submission.form_id)
            .where(where).group_by(Form.slug, Submission.state).order_by(Form.slug, Submission.state))]
    totals_by_form: dict[str, int] = {}
    for row in by_form_state:
        totals_by_form[row["form"]] = totals_by_form.get(row["form"], 0) + row["count"]
    event_where = [SubmissionEvent.submission_id == Submission.id, in_tree]
    if start:
        event_where.append(SubmissionEvent.at >= start)
    if end:
        event_where.append(SubmissionEvent.at < end)
    services_delivered = db.session.execute(select(func.count()).select_from(SubmissionEvent).join(
        Submission, Submission.id == SubmissionEvent.submission_id).where(
        *event_where, SubmissionEvent.action == "resolve",
        SubmissionEvent.from_state == "in_service")).scalar_one()
    escalations = db.session.execute(select(func.count()).select_from(SubmissionEvent).join(
        Submission, Submission.id == SubmissionEvent.submission_id).where(
        *event_where, SubmissionEvent.action == "escalate",
        SubmissionEvent.system.is_(True))).scalar_one()
    dispatched_orgs = select(SubmissionEvent.partner_org_id).distinct().join(
        Submission, Submission.id == SubmissionEvent.submission_id).where(
        *event_where, SubmissionEvent.partner_org_id.is_not(None))
    resource_orgs = select(Resource.org_id).distinct().where(Resource.node_path.like(prefix))
    partners = {r for (r,) in db.session.execute(dispatched_orgs)} | {
        r for (r,) in db.session.execute(resource_orgs)}
    resources = db.session.execute(select(func.count()).select_from(Resource).where(
        Resource.node_path.like(prefix))).scalar_one()
    post_where = [Post.node_path.like(prefix)]
    if start:
        post_where.append(Post.starts_at >= start)
    if end:
        post_where.append(Post.starts_at < end)
    n_posts, capacity, claimed = db.session.execute(select(
        func.count(), func.coalesce(func.sum(Post.capacity), 0),
        func.coalesce(func.sum(Post.claimed), 0)).where(*post_where)).one()
    activities, served = db.session.execute(select(
        func.count(), func.coalesce(func.sum(Post.residents_served), 0)).where(
        *post_where, Post.kind == "activity", Post.held_at.is_not(None))).one()
    points_where = [PointEntry.node_path.like(prefix)]
    if start:
        points_where.append(PointEntry.created_at >= start)
    if end:
        points_where.append(PointEntry.created_at < end)
    points = db.session.execute(select(func.coalesce(func.sum(PointEntry.points), 0)).where(
        *points_where)).scalar_one()
    need_kind = Form.kind == "need"
    needs = db.session.execute(select(func.count()).select_from(Submission).join(
        Form, Form.id == Submission.form_id).where(where, need_kind)).scalar_one()
    return {
        "grid_code": node.code, "grid_name": node.name, "level": node.level,
        "from": start.isoformat() + "Z" if start else None,
        "to": end.isoformat() + "Z" if end else None,
        "submissions": {"total": sum(totals_by_form.values()), "by_form": totals_by_form,
                        "by_form_state": by_form_state},
        "needs": needs, "resources": resources, "services_delivered": services_delivered,
        "partners_active": len(partners),
        "median_hours_to_resolve": _percentile(where, 0.5),
        "p90_hours_to_resolve": _percentile(where, 0.9),
        "sla_escalations": escalations,
        "posts": {"count": n_posts, "capacity": int(capacity), "claimed": int(claimed),
                  "fill_rate": round(int(claimed) / int(capacity), 4) if capacity else None},
        "points_awarded": int(points),
        "activities_held": activities, "residents_served": int(served),
        "joint_meetings": _meetings(node),
    }


def _meetings(node: GridNode) -> dict:
    """Joint meetings held this quarter, and the communities that have held none."""
    from app.core.clock import utcnow
    from app.meetings.models import Meeting
    from app.meetings.services import quarter_start

    since = quarter_start(utcnow())
    held = db.session.execute(select(Meeting.grid_node_id, func.count()).where(
        Meeting.node_path.like(node.path + "%"), Meeting.held_at.is_not(None),
        Meeting.held_at >= since).group_by(Meeting.grid_node_id)).all()
    held_by = dict(held)
    communities = db.session.execute(select(GridNode).where(
        GridNode.level == "community",
        (GridNode.path.like(node.path + "%")) | (GridNode.id.in_(node.ancestor_ids)))).scalars().all()
    communities = [c for c in communities if c.path.startswith(node.path) or node.path.startswith(c.path)]
    return {"quarter_start": since.isoformat() + "Z", "held_this_quarter": sum(held_by.values()),
            "communities_without_meeting": [
                {"grid_code": c.code, "grid_name": c.name} for c in communities if c.id not in held_by]}


def _child_segment(prefix: str):
    """SQL for the id of the child of `prefix` that a submission's node_path lies under:
    "/1/2/17/230/" under "/1/2/" → "17". One GROUP BY then replaces a query per child."""
    rest = func.substr(Submission.node_path, len(prefix) + 1)
    find = func.strpos if db.engine.dialect.name == "postgresql" else func.instr
    return func.substr(rest, 1, find(rest, "/") - 1)


def children_breakdown(node: GridNode, start, end) -> list[dict]:
    """Per child node: submissions, resolved, median hours to resolve — three queries in all."""
    children = db.session.execute(select(GridNode).where(GridNode.parent_id == node.id)
                                  .order_by(GridNode.code)).scalars().all()
    where = [Submission.node_path.like(node.path + "%"), Submission.grid_node_id != node.id]
    if start:
        where.append(Submission.created_at >= start)
    if end:
        where.append(Submission.created_at < end)
    segment = _child_segment(node.path).label("child")
    counts = {child: (total, resolved) for child, total, resolved in db.session.execute(
        select(segment, func.count(), func.count(Submission.resolved_at)).where(*where)
        .group_by(segment)).all()}
    # Nearest-rank median per child with window functions (SQLite ≥ 3.25 and PostgreSQL).
    hours = _hours_expr()
    ranked = select(segment, hours.label("hours"),
                    func.row_number().over(partition_by=segment, order_by=hours).label("rn"),
                    func.count().over(partition_by=segment).label("n")).where(
        *where, Submission.resolved_at.is_not(None)).subquery()
    medians = {child: round(float(h), 2) for child, h in db.session.execute(
        select(ranked.c.child, ranked.c.hours).where(
            ranked.c.rn == (ranked.c.n + 1) / 2)).all()}
    out = []
    for child in children:
        total, resolved = counts.get(str(child.id), (0, 0))
        out.append({"grid_code": child.code, "grid_name": child.name, "level": child.level,
                    "submissions": total, "resolved": resolved,
                    "median_hours_to_resolve": medians.get(str(child.id))})
    return out
