"""`flask workflow tick`: SLA escalation and auto-close, applied once (issue 4)."""
import os
import subprocess
import sys

import pytest

from tests.conftest import START, suggestion

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _state(api, sub_id):
    return api.get(f"/api/v1/submissions/{sub_id}").get_json()


def _tick(runner, when):
    result = runner.invoke(args=["workflow", "tick", "--now", when])
    assert result.exit_code == 0, result.output
    return result.output


def test_ignored_suggestion_escalates_after_48h_and_72h(login, people, runner):
    sub = login("captain").post("/api/v1/submissions", json=suggestion()).get_json()
    assert "applied 0" in _tick(runner, "2026-03-04T08:59:00Z")  # 47h59m: not yet
    assert _state(login("branch"), sub["id"])["state"] == "at_captain"
    assert "applied 1" in _tick(runner, "2026-03-04T09:00:00Z")  # 48h
    detail = _state(login("branch"), sub["id"])
    assert detail["state"] == "at_branch"
    last = detail["history"][-1]
    assert last["action"] == "escalate" and last["actor"] == "system" and last["system"] is True
    assert last["at"] == "2026-03-04T09:00:00Z"
    assert "applied 0" in _tick(runner, "2026-03-07T08:59:00Z")
    assert "applied 1" in _tick(runner, "2026-03-07T09:00:00Z")
    assert _state(login("committee"), sub["id"])["state"] == "at_committee"


def test_tick_twice_applies_once(login, people, runner):
    sub = login("captain").post("/api/v1/submissions", json=suggestion()).get_json()
    assert "applied 1" in _tick(runner, "2026-03-05T00:00:00Z")
    assert "applied 0" in _tick(runner, "2026-03-05T00:00:00Z")
    history = _state(login("branch"), sub["id"])["history"]
    assert [h["action"] for h in history] == ["submit", "escalate"]


@pytest.mark.committed
@pytest.mark.slow
def test_concurrent_ticks_apply_once(app, login, people):
    subs = [login("captain").post("/api/v1/submissions", json=suggestion()).get_json()
            for _ in range(5)]
    # Three real processes, as from three machines' cron at the same minute.
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY="test-secret-key-0123456789")
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "workflow", "tick",
                               "--now", "2026-03-05T00:00:00Z"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(out)
    applied = sum(int(o.split("applied ")[1].split(",")[0]) for o in outputs)
    assert applied == 5, outputs
    for sub in subs:
        assert [h["action"] for h in _state(login("branch"), sub["id"])["history"]] == [
            "submit", "escalate"]


def test_resolved_closes_after_seven_days(login, people, runner, clock):
    sub = login("captain").post("/api/v1/submissions", json=suggestion()).get_json()
    login("captain").post(f"/api/v1/submissions/{sub['id']}/transitions",
                          json={"action": "resolve", "comment": "已处理"})
    assert "applied 0" in _tick(runner, "2026-03-09T08:00:00Z")
    assert "applied 1" in _tick(runner, "2026-03-09T09:00:00Z")
    assert _state(login("branch"), sub["id"])["state"] == "closed"


def test_tick_rejects_a_bad_time(runner):
    result = runner.invoke(args=["workflow", "tick", "--now", "tomorrow"])
    assert result.exit_code != 0 and "ISO 8601" in result.output


def test_tick_without_now_uses_the_clock(runner, people, login):
    login("captain").post("/api/v1/submissions", json=suggestion())
    assert START.year == 2026
    assert "applied 1" in runner.invoke(args=["workflow", "tick"]).output  # real now ≫ START+48h


def _submit_many(captain, n):
    ops = [dict(suggestion(), op="submit") for _ in range(n)]
    r = captain.post("/api/v1/sync", json={"ops": ops})
    assert r.status_code == 200 and {x["status"] for x in r.get_json()["results"]} == {"created"}


def _planner_rows(in_app, table):
    from sqlalchemy import text
    from app.extensions import db

    def read():
        stat = db.session.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t"), {"t": table}).scalars()
        return max((int(s.split(" ")[0]) for s in stat), default=None)
    return in_app(read)


def test_tick_keeps_sqlite_planner_statistics_as_tables_grow(app, in_app, login, people, runner):
    """Without statistics SQLite sorted every suggestion by id for `?form=suggestion`
    (docs/performance.md); the tick analyses tables that have none or have outgrown them."""
    from sqlalchemy import text
    from app.extensions import db

    sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    if sqlite:   # earlier tests' ticks analysed the same database file
        def forget():
            db.session.execute(text("ANALYZE sqlite_schema"))   # makes sqlite_stat1 if missing
            db.session.execute(text("DELETE FROM sqlite_stat1"))
        in_app(forget)
    captain = login("captain")
    _submit_many(captain, 40)
    first = _tick(runner, "2026-03-01T10:00:00Z")
    if not sqlite:   # PostgreSQL's autovacuum keeps its own statistics
        assert "planner statistics" not in first
        return
    assert "submissions" in first.split("planner statistics refreshed: ")[1].split(", ")
    assert _planner_rows(in_app, "submissions") == 40
    # Grown by less than a quarter (and 100 rows): nothing to do.
    _submit_many(captain, 20)
    assert "planner statistics" not in _tick(runner, "2026-03-01T10:01:00Z")
    _submit_many(captain, 100)
    again = _tick(runner, "2026-03-01T10:02:00Z")
    assert "submissions" in again.split("planner statistics refreshed: ")[1].split(", ")
    assert _planner_rows(in_app, "submissions") == 160
    # The lists it is for answer as before.
    page = captain.get("/api/v1/submissions?form=suggestion&limit=5").get_json()
    assert len(page["items"]) == 5 and page["next_cursor"]
