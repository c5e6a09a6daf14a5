"""Statistics: counts, percentiles and running tallies (issue 6, contract §3)."""
from tests.conftest import submit_need, suggestion, transition


def test_stats_match_a_hand_built_data_set(login, anon, people, clock):
    committee, branch, captain, partner = (login("committee"), login("branch"),
                                           login("captain"), login("partner"))
    login("partner").post("/api/v1/resources", json={"title": "燃气检查", "category": "utilities",
                                                     "grid_code": "C1"})
    # Three suggestions on B1, one need on B1, one suggestion on B3 (no captain there).
    s1 = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
    s2 = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
    anon.post("/api/v1/submissions", json=suggestion("B1"))
    anon.post("/api/v1/submissions", json=suggestion("B3"))
    n1 = submit_need(captain)
    clock.advance(hours=10)
    transition(captain, s1["id"], "resolve", comment="修好了")           # 10 h
    clock.advance(hours=20)
    transition(captain, s2["id"], "escalate")
    transition(branch, s2["id"], "resolve", comment="支部处理")          # 30 h
    for action, who, extra in (("escalate", captain, {}), ("escalate", branch, {}),
                               ("dispatch", committee, {"partner": "三水燃气公司"}),
                               ("accept", partner, {}), ("resolve", partner, {"comment": "done"})):
        clock.advance(hours=5)
        transition(who, n1["id"], action, **extra)                       # 55 h
    stats = committee.get("/api/v1/stats?grid_code=C1").get_json()
    assert stats["submissions"]["total"] == 5
    assert stats["submissions"]["by_form"] == {"need": 1, "suggestion": 4}
    by = {(x["form"], x["state"]): x["count"] for x in stats["submissions"]["by_form_state"]}
    assert by == {("need", "resolved"): 1, ("suggestion", "resolved"): 2,
                  ("suggestion", "at_captain"): 1, ("suggestion", "at_branch"): 1}
    assert stats["needs"] == 1
    assert stats["resources"] == 1
    assert stats["services_delivered"] == 1
    assert stats["partners_active"] == 1
    assert stats["median_hours_to_resolve"] == 30.0
    assert stats["p90_hours_to_resolve"] == 55.0
    assert stats["sla_escalations"] == 0
    assert stats["points_awarded"] == 5
    children = {c["grid_code"]: c for c in stats["children"]}
    assert children["E1"]["submissions"] == 4 and children["E1"]["resolved"] == 3
    assert children["E2"]["submissions"] == 1 and children["E2"]["resolved"] == 0
    assert children["E2"]["median_hours_to_resolve"] is None
    empty = committee.get("/api/v1/stats?grid_code=B2").get_json()
    assert empty["submissions"]["total"] == 0 and empty["median_hours_to_resolve"] is None
    period = committee.get("/api/v1/stats?grid_code=C1&from=2026-03-03").get_json()
    assert period["submissions"]["total"] == 0
    assert committee.get("/api/v1/stats?grid_code=C1&from=someday").status_code == 422


def test_stats_count_timed_escalations_and_posts(login, anon, people, runner):
    anon.post("/api/v1/submissions", json=suggestion("B1"))
    runner.invoke(args=["workflow", "tick", "--now", "2026-03-05T00:00:00Z"])
    login("branch").post("/api/v1/posts", json={"title": "清洁", "grid_code": "E1", "capacity": 4,
                                                "starts_at": "2030-01-01T00:00:00Z",
                                                "ends_at": "2030-01-01T04:00:00Z"})
    stats = login("committee").get("/api/v1/stats?grid_code=C1").get_json()
    assert stats["sla_escalations"] == 1
    assert stats["posts"] == {"count": 1, "capacity": 4, "claimed": 0, "fill_rate": 0.0}


def test_percentiles_agree_whether_sorted_or_walked(login, anon, people, clock):
    """A small subtree's percentiles come from a sort of its rows, a large one's from a walk
    of the resolve-seconds index (app/stats/services.py): both give the nearest rank."""
    on_b1 = [anon.post("/api/v1/submissions", json=suggestion("B1")).get_json() for _ in range(2)]
    on_b4 = [anon.post("/api/v1/submissions", json=suggestion("B4")).get_json() for _ in range(5)]
    captain, captain4 = login("captain"), login("captain4")
    for sub in on_b4:                                  # resolved after 1, 2, 3, 4, 5 hours
        clock.advance(hours=1)
        transition(captain4, sub["id"], "resolve", comment="好了")
    clock.advance(hours=5)
    transition(captain, on_b1[0]["id"], "resolve", comment="好了")   # 10 hours
    clock.advance(hours=10)
    transition(captain, on_b1[1]["id"], "resolve", comment="好了")   # 20 hours

    def hours(code, who="street"):
        s = login(who).get(f"/api/v1/stats?grid_code={code}").get_json()
        return s["median_hours_to_resolve"], s["p90_hours_to_resolve"], {
            c["grid_code"]: c["median_hours_to_resolve"] for c in s["children"]}

    assert hours("C1") == (10.0, 20.0, {"E1": 10.0, "E2": None})   # 2 of 7: sorted
    assert hours("C2") == (3.0, 5.0, {"E3": 3.0})                    # 5 of 7: walked
    assert hours("ST") == (4.0, 20.0, {"C1": 10.0, "C2": 3.0})       # all: walked


def test_running_tallies_agree_with_the_rows_through_every_kind_of_change(app, in_app, login, anon,
                                                                         people, runner, clock):
    """All-time counts come from running tallies kept by triggers (app/stats/tallies.py);
    counts for a period read the rows. After each kind of change — through the API, a sync
    batch, a replay, plain SQL behind the app's back — and before and after the tick folds
    the changes, both must say the same."""
    from sqlalchemy import text
    from app.extensions import db

    def agree(code="ST"):
        street = login("street")
        tallied = street.get(f"/api/v1/stats?grid_code={code}").get_json()
        counted = street.get(f"/api/v1/stats?grid_code={code}&from=2000-01-01").get_json()
        for key in ("submissions", "needs"):
            assert tallied[key] == counted[key], key
        assert [(c["grid_code"], c["submissions"], c["resolved"]) for c in tallied["children"]] == \
            [(c["grid_code"], c["submissions"], c["resolved"]) for c in counted["children"]]
        return tallied

    def tick():   # at a time when no timer is due: only the folding
        result = runner.invoke(args=["workflow", "tick", "--now", "2026-03-01T09:00:00Z"])
        assert result.exit_code == 0 and "applied 0" in result.output
        return result.output

    captain, branch = login("captain"), login("branch")
    subs = [anon.post("/api/v1/submissions", json=suggestion("B1")).get_json() for _ in range(3)]
    replay = suggestion("B3")
    lone = anon.post("/api/v1/submissions", json=replay)
    assert lone.status_code == 201
    assert anon.post("/api/v1/submissions", json=replay).status_code == 200   # counted once
    submit_need(captain)
    assert agree()["submissions"]["total"] == 5
    tick()
    assert agree()["submissions"]["total"] == 5
    clock.advance(hours=3)
    transition(captain, subs[0]["id"], "resolve", comment="好了")
    transition(captain, subs[1]["id"], "escalate")
    transition(branch, subs[1]["id"], "reroute", grid_code="B2")
    ops = [dict(suggestion("B4"), op="submit") for _ in range(4)]
    assert login("captain4").post("/api/v1/sync", json={"ops": ops}).status_code == 200
    after = agree()
    assert after["submissions"]["total"] == 9
    assert {c["grid_code"]: (c["submissions"], c["resolved"]) for c in after["children"]} == {
        "C1": (5, 1), "C2": (4, 0)}
    tick()
    agree()

    def behind_the_apps_back():
        db.session.execute(text("UPDATE submissions SET state = 'closed' WHERE id = :id"), {"id": subs[2]["id"]})
        gone = {"id": lone.get_json()["id"]}
        db.session.execute(text("DELETE FROM submission_events WHERE submission_id = :id"), gone)
        db.session.execute(text("DELETE FROM submissions WHERE id = :id"), gone)
    in_app(behind_the_apps_back)
    after = agree()
    assert after["submissions"]["total"] == 8
    assert ("suggestion", "closed") in {(x["form"], x["state"]) for x in after["submissions"]["by_form_state"]}
    tick()
    assert agree()["submissions"]["total"] == 8
    # Folded away: nothing left to fold, and the tallies hold one row per building, form and state.
    assert "tallies" not in tick()
    rows = in_app(lambda: db.session.execute(text(
        "SELECT count(*), sum(submissions) FROM submission_tallies")).one())
    assert rows[1] == 8 and rows[0] <= 8
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):   # emptied in one statement
        in_app(lambda: db.session.execute(text("TRUNCATE submissions CASCADE")))
        assert agree()["submissions"]["total"] == 0
