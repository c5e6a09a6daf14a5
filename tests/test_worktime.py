"""Timers in working time (CONTRACT §6.4): "2wd" and "8wh" beside "48h" and "3d".

Working hours are 09:00-18:00 Beijing time on Monday to Friday by default, less the holidays
and plus the make-up working days the settings name. The tests publish a workflow with a
working-time timer through the API and let `flask workflow tick` apply it at given instants;
the inbox says when it will move by itself, and the setting is checked when the app starts."""
import pytest

from app import create_app
from app.config import ConfigError
from tests.conftest import suggestion


def _publish(api, after: str, state: str = "at_captain", action: str = "escalate"):
    form = api.get("/api/v1/forms/suggestion").get_json()
    workflow = form["workflow"]
    workflow["timers"] = [t for t in workflow["timers"] if t["state"] != state] + [
        {"state": state, "after": after, "action": action}]
    body = {key: form[key] for key in ("slug", "title", "public", "fields")}
    r = api.post("/api/v1/forms/suggestion/versions", json=dict(body, workflow=workflow))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _tick(runner, when):
    result = runner.invoke(args=["workflow", "tick", "--now", when])
    assert result.exit_code == 0, result.output
    return result.output


def _submit(login, clock, when):
    clock.now = when
    return login("captain").post("/api/v1/submissions", json=suggestion()).get_json()


def _state(login, sub_id):
    return login("committee").get(f"/api/v1/submissions/{sub_id}").get_json()["state"]


def test_two_working_days_from_friday_afternoon_end_on_tuesday_afternoon(login, people, runner, clock):
    from datetime import datetime

    _publish(login("committee"), "2wd")
    # Friday 2026-03-06 17:00 Beijing = 09:00Z; one hour left that day, then Monday, then
    # eight hours of Tuesday: due Tuesday 17:00 Beijing = 09:00Z.
    sub = _submit(login, clock, datetime(2026, 3, 6, 9, 0))
    assert "applied 0" in _tick(runner, "2026-03-09T09:00:00Z")   # Monday: only 10 h worked
    assert "applied 0" in _tick(runner, "2026-03-10T08:59:00Z")
    assert _state(login, sub["id"]) == "at_captain"
    assert "applied 1" in _tick(runner, "2026-03-10T09:00:00Z")
    assert _state(login, sub["id"]) == "at_branch"


def test_the_inbox_says_when_a_working_time_limit_moves_it(login, people, clock):
    from datetime import datetime

    _publish(login("committee"), "8wh")
    # Saturday 2026-03-07 10:00 Beijing: the clock starts on Monday 09:00 and runs 8 hours.
    sub = _submit(login, clock, datetime(2026, 3, 7, 2, 0))
    items = login("captain").get("/api/v1/inbox").get_json()["items"]
    mine = next(i for i in items if i["id"] == sub["id"])
    assert mine["auto_at"] in ("2026-03-09T09:00:00Z", "2026-03-09T17:00:00+08:00")
    assert mine["auto_in_seconds"] == int((datetime(2026, 3, 9, 9) - clock.now).total_seconds())


def test_holidays_and_make_up_days_from_the_settings(app, login, people, runner, clock):
    from datetime import datetime

    # A holiday on Monday 2026-03-09 and a make-up working Saturday 2026-03-14.
    app.config.update(HOLIDAYS="2026-03-09", MAKEUP_WORKDAYS="2026-03-14")
    try:
        _publish(login("committee"), "1wd")
        sub = _submit(login, clock, datetime(2026, 3, 6, 10, 0))   # Friday 18:00 Beijing
        # Saturday and Sunday are not worked, Monday is a holiday: due Tuesday 18:00 Beijing.
        assert "applied 0" in _tick(runner, "2026-03-10T09:59:00Z")
        assert "applied 1" in _tick(runner, "2026-03-10T10:00:00Z")
        assert _state(login, sub["id"]) == "at_branch"
        late = _submit(login, clock, datetime(2026, 3, 13, 10, 0))  # Friday 18:00 again
        assert _state(login, late["id"]) == "at_captain"
        # The make-up Saturday counts: due Saturday 18:00 Beijing = 10:00Z.
        _tick(runner, "2026-03-14T09:59:00Z")
        assert _state(login, late["id"]) == "at_captain"
        _tick(runner, "2026-03-14T10:00:00Z")
        assert _state(login, late["id"]) == "at_branch"
    finally:
        app.config.update(HOLIDAYS="", MAKEUP_WORKDAYS="")


@pytest.mark.parametrize("after", ["2wd", "8wh", "48h", "3d", "30m"])
def test_every_unit_of_the_contract_is_accepted(login, people, after):
    assert _publish(login("committee"), after)


@pytest.mark.parametrize("after", ["2 weeks", "wd", "2w", "-1d", "1.5d"])
def test_other_units_are_refused_in_words(login, people, after):
    form = login("committee").get("/api/v1/forms/suggestion").get_json()
    workflow = dict(form["workflow"], timers=[{"state": "at_captain", "after": after,
                                               "action": "escalate"}])
    body = {key: form[key] for key in ("slug", "title", "public", "fields")}
    r = login("committee").post("/api/v1/forms/suggestion/versions", json=dict(body, workflow=workflow))
    assert r.status_code == 422
    assert "时限" in str(r.get_json()["error"]["fields"])


@pytest.mark.parametrize("setting, value", [("TONGXIN_WORKING_HOURS", "18:00-09:00"),
                                            ("TONGXIN_WORKING_HOURS", "nine to five"),
                                            ("TONGXIN_HOLIDAYS", "2026-13-01"),
                                            ("TONGXIN_MAKEUP_WORKDAYS", "2026-10-07..2026-10-01")])
def test_a_bad_calendar_setting_stops_the_app_at_start(monkeypatch, setting, value):
    monkeypatch.setenv(setting, value)
    with pytest.raises(ConfigError, match=setting):
        create_app({"SECRET_KEY": "test-secret-key-0123456789",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_the_sql_cutoff_and_the_deadline_agree(app):
    """`state_since <= limit.cutoff(now)` finds exactly the items whose deadline has come."""
    from datetime import datetime, timedelta

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from app.core.worktime import parse_limit

    instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31))

    @settings(max_examples=300, deadline=None, database=None)
    @given(start=instants, now=instants, after=st.sampled_from(["1wd", "2wd", "3wh", "8wh", "48h"]))
    def check(start, now, after):
        limit = parse_limit(after)
        due = limit.deadline(start) <= now
        assert due == (start <= limit.cutoff(now)), (start, now, after)
        assert limit.deadline(start) >= start + timedelta(0)

    with app.app_context():
        app.config.update(HOLIDAYS="2026-10-01..2026-10-07", MAKEUP_WORKDAYS="2026-10-10")
        try:
            check()
        finally:
            app.config.update(HOLIDAYS="", MAKEUP_WORKDAYS="")
