"""The console dashboard's figures for one node and period (issue 24), beside the statistics
of services.compute: weekly trends, the split by category, the overdue list with who holds
each item, response and resolution times per estate and per captain, partners' work.

Each figure is one aggregate query over the node's subtree and the period (the indexes on
node_path and created_at / at), rolled up here; nothing here runs for GET /api/v1/stats, so
the statistics' own cost is unchanged (docs/performance.md)."""
from datetime import date, datetime, timedelta

from sqlalchemy import DateTime, Integer, and_, cast, extract, func, literal, select

from app.accounts.models import Org, RoleAssignment, User
from app.core.paths import under
from app.core.timezone import local_midnight, to_local, week_start
from app.extensions import db
from app.forms.models import Form, FormVersion
from app.grid.models import GridNode, path_ids
from app.submissions.models import Submission, SubmissionEvent
from app.submissions.timers import overdue_clause
from app.submissions.words import state_label
from app.core.i18n import pick
from app.core.worktime import Limit, parse_limit

MAX_WEEKS = 60


def weeks_of(start: datetime, end: datetime) -> list[tuple[date, datetime, datetime]]:
    """The local weeks (Monday first) that meet [start, end): (Monday, from, to) in naive UTC,
    clipped to the period."""
    first = week_start(to_local(start).date())
    last = to_local(end - timedelta(microseconds=1)).date()
    out = []
    monday = first
    while monday <= last and len(out) < MAX_WEEKS:
        lo, hi = local_midnight(monday), local_midnight(monday + timedelta(days=7))
        out.append((monday, max(lo, start), min(hi, end)))
        monday += timedelta(days=7)
    return out


def _week_index(column, origin: datetime):
    """Which week of the chart a time falls in: whole weeks since the first local Monday.
    (In a zone with summer time, an hour either side of a week's edge may land in the
    neighbouring week; China has none.)"""
    seconds = _seconds_between(literal(origin, DateTime()), column)
    if db.engine.dialect.name == "postgresql":
        return cast(func.floor(seconds / 604800), Integer)
    return cast(seconds / 604800, Integer)      # SQLite: truncation is floor for times ≥ origin


def _counts_by_week(column, weeks, *where) -> list[int]:
    origin = local_midnight(weeks[0][0])
    lo, hi = weeks[0][1], weeks[-1][2]
    index = _week_index(column, origin)
    found = dict(db.session.execute(select(index, func.count()).where(
        *where, column >= lo, column < hi).group_by(index)).all())
    return [int(found.get(i, 0)) for i in range(len(weeks))]


# Forms whose submissions are not letters to the community: a volunteer's claim of a post, a
# party member's registration. Every other form (the mailbox, needs, forms built in the
# console) brings letters.
NOT_LETTERS = ("volunteer-signup", "member-registration")


def _is_letter():
    return Submission.form_id.not_in(select(Form.id).where(Form.slug.in_(NOT_LETTERS)))


def _is_claim():
    return Submission.form_id.in_(select(Form.id).where(Form.slug == "volunteer-signup"))


def weekly(node: GridNode, start: datetime, end: datetime) -> list[dict]:
    """Per local week: letters received, resolved, and escalated by a timer (claims and
    registrations are not letters: their workflows have no timers), and volunteers' claims
    apart. One grouped scan each, over the weeks shown (at most MAX_WEEKS, the first ones of a
    longer period)."""
    weeks = weeks_of(start, end)
    if not weeks:
        return []
    mine = under(Submission.node_path, node.path)
    received = _counts_by_week(Submission.created_at, weeks, mine, _is_letter())
    resolved = _counts_by_week(Submission.resolved_at, weeks, mine, _is_letter())
    escalated = _counts_by_week(SubmissionEvent.at, weeks, under(SubmissionEvent.node_path, node.path),
                                SubmissionEvent.action == "escalate", SubmissionEvent.system.is_(True))
    claims = _counts_by_week(Submission.created_at, weeks, mine, _is_claim())
    return [{"week": monday, "received": a, "resolved": b, "escalated": c, "claims": d}
            for (monday, _, _), a, b, c, d in zip(weeks, received, resolved, escalated, claims)]


def by_category(node: GridNode, start: datetime, end: datetime) -> list[dict]:
    """Submissions of the period per form and category (the forms' `category` field), with
    the category's label from the form's current version."""
    category = Submission.data["category"].as_string()
    rows = db.session.execute(select(Submission.form_id, category, func.count()).where(
        under(Submission.node_path, node.path), Submission.created_at >= start,
        Submission.created_at < end).group_by(Submission.form_id, category)).all()
    forms = _forms({form_id for form_id, _, _ in rows})
    out = []
    for form_id, value, count in rows:
        form, labels = forms.get(form_id, (None, {}))
        label = labels.get(value) if value else None
        out.append({"form": form, "category": value, "count": count,
                    "label": pick(label) if label else None})
    return sorted(out, key=lambda r: -r["count"])


def _forms(ids) -> dict:
    """{form id: (form title, {category value: label})} from each form's current version."""
    out = {}
    for form, version in db.session.execute(select(Form, FormVersion).join(
            FormVersion, and_(FormVersion.form_id == Form.id,
                              FormVersion.number == Form.current_version)).where(
            Form.id.in_(sorted(ids) or [0]))).all():
        labels = {}
        for field in version.definition.get("fields", []):
            if field.get("name") == "category":
                labels = {c["value"]: c.get("label") for c in field.get("choices") or []}
        out[form.id] = (pick(version.definition.get("title")) or form.slug, labels)
    return out


def _timer_limit(workflow: dict, state: str) -> Limit | None:
    for timer in workflow.get("timers") or []:
        if timer.get("state") == state:
            try:
                return parse_limit(timer["after"])
            except (KeyError, ValueError):
                return None
    return None


def overdue(node: GridNode, now: datetime, limit: int = 50) -> list[dict]:
    """Open items past their own workflow's timer — the one rule of overdue, shared with the
    console's filter and the API's `overdue=1` (submissions.timers.overdue_clause) — oldest
    first, with who holds each: the captain, branch or committee of the node above it, or the
    partner unit."""
    subs = db.session.execute(select(Submission).where(
        under(Submission.node_path, node.path), overdue_clause(now))
        .order_by(Submission.state_since).limit(limit)).scalars().all()
    workflows = dict(db.session.execute(select(FormVersion.id, FormVersion.workflow).where(
        FormVersion.id.in_(sorted({s.form_version_id for s in subs}) or [0]))).all())
    items = []
    for sub in subs:
        workflow = workflows.get(sub.form_version_id) or {}
        limit = _timer_limit(workflow, sub.state)
        due = limit.deadline(sub.state_since) if limit else sub.state_since
        items.append({"submission": sub, "due": due,
                      "late_seconds": int((now - due).total_seconds()),
                      "state": state_label(workflow, sub.state)})
    holders = _holders([i["submission"] for i in items])
    for item in items:
        item["holder"] = holders.get(item["submission"].id, "")
    return items


def _holders(subs) -> dict[int, str]:
    """Who holds each item: the names of the role at its tier on the nearest node above it."""
    ids = {i for s in subs for i in path_ids(s.node_path)}
    roles = db.session.execute(select(RoleAssignment.role, RoleAssignment.grid_node_id, User.display_name)
                               .join(User, User.id == RoleAssignment.user_id)
                               .where(RoleAssignment.grid_node_id.in_(sorted(ids) or [0]),
                                      RoleAssignment.role.in_(("captain", "branch", "committee")),
                                      User.active.is_(True))).all()
    by = {}
    for role, node_id, name in roles:
        by.setdefault((role, node_id), []).append(name)
    orgs = dict(db.session.execute(select(Org.id, Org.name).where(Org.id.in_(
        sorted({s.partner_org_id for s in subs if s.partner_org_id}) or [0]))).all())
    out = {}
    for sub in subs:
        if sub.tier == "partner":
            out[sub.id] = orgs.get(sub.partner_org_id, "")
            continue
        for node_id in reversed(path_ids(sub.node_path)):
            names = by.get((sub.tier, node_id))
            if names:
                out[sub.id] = "、".join(sorted(names))
                break
    return out


def _response_rows(node: GridNode, start: datetime, end: datetime):
    """Per node path: received, responded (a person acted), sum of response seconds,
    resolved, sum of resolution seconds — of the items received in the period."""
    first = (select(SubmissionEvent.submission_id, func.min(SubmissionEvent.at).label("at"))
             .where(under(SubmissionEvent.node_path, node.path), SubmissionEvent.at >= start,
                    SubmissionEvent.system.is_(False), SubmissionEvent.action != "submit")
             .group_by(SubmissionEvent.submission_id).subquery())
    seconds = func.sum(func.coalesce(_seconds_between(Submission.created_at, first.c.at), 0))
    return db.session.execute(select(
        Submission.node_path, func.count(), func.count(first.c.at), seconds,
        func.count(Submission.resolve_seconds), func.coalesce(func.sum(Submission.resolve_seconds), 0))
        .outerjoin(first, first.c.submission_id == Submission.id)
        .where(under(Submission.node_path, node.path), Submission.created_at >= start,
               Submission.created_at < end).group_by(Submission.node_path)).all()


def _seconds_between(a, b):
    if db.engine.dialect.name == "postgresql":
        return extract("epoch", b - a)
    return (func.julianday(b) - func.julianday(a)) * 86400.0


def times(node: GridNode, start: datetime, end: datetime) -> dict:
    """Response and resolution times (mean hours) per estate and per captain's building."""
    rows = _response_rows(node, start, end)
    ids = {i for path, *_ in rows for i in path_ids(path)}
    nodes = {n.id: n for n in db.session.execute(select(GridNode).where(
        GridNode.id.in_(sorted(ids) or [0]))).scalars()}
    estates: dict[int, list] = {}
    buildings: dict[int, list] = {}
    for path, received, responded, response_s, resolved, resolve_s in rows:
        chain = [nodes[i] for i in path_ids(path) if i in nodes]
        for target, level in ((estates, "estate"), (buildings, "building")):
            hit = next((n for n in chain if n.level == level), None)
            if hit is None:
                continue
            acc = target.setdefault(hit.id, [0, 0, 0.0, 0, 0])
            # PostgreSQL's EXTRACT(epoch) sums come back as Decimal; SQLite's as float.
            for k, v in enumerate((received, responded, float(response_s or 0), resolved,
                                   float(resolve_s or 0))):
                acc[k] += v
    captains = {}
    for node_id, name in db.session.execute(select(RoleAssignment.grid_node_id, User.display_name)
                                            .join(User, User.id == RoleAssignment.user_id)
                                            .where(RoleAssignment.role == "captain",
                                                   RoleAssignment.grid_node_id.in_(sorted(buildings) or [0]))):
        captains.setdefault(node_id, []).append(name)

    def row(node_id, acc, **extra):
        received, responded, response_s, resolved, resolve_s = acc
        return {"grid_code": nodes[node_id].code, "grid_name": nodes[node_id].name,
                "received": received, "responded": responded, "resolved": resolved,
                "response_hours": round(response_s / responded / 3600, 1) if responded else None,
                "resolve_hours": round(resolve_s / resolved / 3600, 1) if resolved else None, **extra}
    per_estate = sorted((row(i, a) for i, a in estates.items()), key=lambda r: r["grid_name"])
    per_captain = sorted((row(i, a, captain="、".join(sorted(captains[i])))
                          for i, a in buildings.items() if i in captains),
                         key=lambda r: (r["captain"], r["grid_name"]))
    return {"estates": per_estate, "captains": per_captain}


def partners(node: GridNode, start: datetime, end: datetime) -> list[dict]:
    """Per partner unit: items dispatched to it in the period, and services it completed."""
    where = [under(SubmissionEvent.node_path, node.path), SubmissionEvent.at >= start,
             SubmissionEvent.at < end]
    dispatched = dict(db.session.execute(select(SubmissionEvent.partner_org_id, func.count()).where(
        *where, SubmissionEvent.action == "dispatch", SubmissionEvent.partner_org_id.is_not(None))
        .group_by(SubmissionEvent.partner_org_id)).all())
    completed = dict(db.session.execute(select(Submission.partner_org_id, func.count())
                                        .select_from(SubmissionEvent)
                                        .join(Submission, Submission.id == SubmissionEvent.submission_id)
                                        .where(*where, SubmissionEvent.action == "resolve",
                                               SubmissionEvent.from_state == "in_service")
                                        .group_by(Submission.partner_org_id)).all())
    ids = {i for i in (*dispatched, *completed) if i}
    names = dict(db.session.execute(select(Org.id, Org.name).where(Org.id.in_(sorted(ids) or [0]))).all())
    return sorted(({"org": names.get(i, ""), "dispatched": dispatched.get(i, 0),
                    "completed": completed.get(i, 0)} for i in ids), key=lambda r: r["org"])
