"""Timed transitions (SLA escalation, auto-close), applied by `flask workflow tick`."""
from datetime import datetime

from sqlalchemy import select

from app.core.errors import ApiError
from app.core.events import emit
from app.extensions import db
from app.forms.models import FormVersion
from app.submissions.models import Submission
from app.core.worktime import parse_limit
from app.submissions.transitions import apply_transition


# A fixed Monday morning from which to compare two timers' lengths.
SOONEST_FROM = datetime(2026, 1, 5, 1, 0)


def due_timers(now: datetime):
    """(submission id, timer) pairs due at `now`, across every form version's workflow."""
    versions = db.session.execute(select(FormVersion.id, FormVersion.workflow)).all()
    for version_id, workflow in versions:
        for timer in workflow.get("timers") or []:
            cutoff = parse_limit(timer["after"]).cutoff(now)
            ids = db.session.execute(select(Submission.id).where(
                Submission.form_version_id == version_id, Submission.state == timer["state"],
                Submission.state_since <= cutoff).order_by(Submission.id)).scalars().all()
            for sub_id in ids:
                yield sub_id, timer


def overdue_clause(now: datetime):
    """SQL filter: submissions past their own workflow's timer in a state someone holds (a
    captain, a branch, a committee, a partner) — overdue by the workflow's own timers, the
    same ones `workflow tick` applies, in each form version. A state without a timer, or
    held by nobody (resolved, closed), is never overdue."""
    from sqlalchemy import and_, false, or_

    from app.workflow.definition import tier_of

    clauses = []
    for version_id, workflow in db.session.execute(select(FormVersion.id, FormVersion.workflow)).all():
        for timer in workflow.get("timers") or []:
            if tier_of(workflow, timer["state"]) == "none":
                continue
            clauses.append(and_(Submission.form_version_id == version_id,
                                Submission.state == timer["state"],
                                Submission.state_since <= parse_limit(timer["after"]).cutoff(now)))
    return or_(*clauses) if clauses else false()


def run_tick(now: datetime) -> dict:
    """Apply each due timer once. A timer already applied (by an earlier or a concurrent
    tick) no longer matches the state, or loses the optimistic lock: it is skipped."""
    applied = skipped = 0
    for sub_id, timer in list(due_timers(now)):
        try:
            with db.session.begin_nested():
                sub = db.session.get(Submission, sub_id)
                db.session.refresh(sub)
                if sub.state != timer["state"]:
                    skipped += 1
                    continue
                apply_transition(sub, timer["action"], None, system=True,
                                 expected_state=timer["state"],
                                 comment=f"auto: {timer['after']} in {timer['state']}")
                emit(db.session, "timer.fired", submission=sub, timer=timer)
            db.session.commit()
            applied += 1
        except ApiError:
            db.session.rollback()
            skipped += 1
    db.session.commit()
    return {"applied": applied, "skipped": skipped}


def time_left(sub: Submission, now: datetime, memo: dict | None = None) -> dict:
    """How long `sub` has waited in its state, and when a timer of its workflow moves it by
    itself (the inbox shows both): `auto_action` (e.g. escalate), `auto_at`, `auto_in_seconds`
    (negative: the time has passed and the next tick applies it) and `overdue`. `memo` keeps
    each (version, state)'s timer for one page (the inbox's 50 items share a few)."""
    from app.core.clock import isoformat

    since = sub.state_since or sub.created_at
    out = {"waited_seconds": max(0, int((now - since).total_seconds())) if since else None,
           "auto_action": None, "auto_action_label": None, "auto_at": None,
           "auto_in_seconds": None, "overdue": False}
    key = (sub.form_version_id, sub.state)
    if memo is None or key not in memo:
        found = _state_timer(sub)
        if memo is None:
            memo = {}
        memo[key] = found
    found = memo[key]
    if found is None or since is None:
        return out
    action, limit, label = found
    at = limit.deadline(since)
    left = int((at - now).total_seconds())
    out.update(auto_action=action, auto_action_label=label, auto_at=isoformat(at),
               auto_in_seconds=left, overdue=left <= 0)
    return out


def _state_timer(sub: Submission):
    """(action, limit, label) of the soonest timer of `sub`'s state, or None (the soonest by
    an elapsed-time yardstick: a state with both a plain and a working-time timer is rare)."""
    from app.submissions.words import action_label

    workflow = sub.version.workflow if sub.version is not None else {}
    timers = [(parse_limit(t["after"]), t) for t in (workflow.get("timers") or [])
              if t.get("state") == sub.state]
    if not timers:
        return None
    limit, timer = min(timers, key=lambda pair: pair[0].deadline(SOONEST_FROM))
    return timer["action"], limit, action_label(workflow, timer["action"], sub.state)
