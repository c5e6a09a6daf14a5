"""One write path for a submission (issue 20): prepare once, store lean or through the ORM;
one event shape; sync ops checked by the routes' schemas."""
import inspect

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from app.extensions import db
from app.submissions import bulk, write
from app.submissions.events import event_row
from app.submissions.models import Submission, SubmissionEvent
from tests.conftest import new_uuid, suggestion

FUTURE = {"starts_at": "2030-05-01T01:00:00Z", "ends_at": "2030-05-01T05:00:00Z"}


def _op(body):
    return dict(body, op="submit")


def _post(api, **extra):
    body = {"title": "周末环境清洁", "grid_code": "E1", "capacity": 2, **FUTURE, **extra}
    r = api.post("/api/v1/posts", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


# The lean insert is the model's table ------------------------------------------------------

def test_the_lean_insert_writes_every_insertable_column_of_the_table():
    table = Submission.__table__
    assert bulk.COLUMNS == tuple(c.key for c in table.columns if c.key != "id")
    assert bulk.EVENT_COLUMNS == tuple(c.key for c in SubmissionEvent.__table__.columns
                                       if c.key != "id")
    row = bulk.row({})
    assert set(row) == set(bulk.COLUMNS)
    assert row["lock_version"] == 1 and row["supporters"] == 0   # the model's defaults
    assert row["created_at"] is not None                         # a callable default, called


def test_a_new_column_is_taken_with_its_default():
    """A column added to the model (and its migration) is written by the lean insert without
    being named anywhere else; a default only the database knows is refused at import."""
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True),
                  Column("name", String(10)), Column("extra", Integer, default=7))
    assert [c.key for c in bulk.insertable(table)] == ["name", "extra"]
    assert bulk._defaults(table) == ({"name": None, "extra": 7}, [])
    server_only = Table("u", MetaData(), Column("id", Integer, primary_key=True),
                        Column("flag", Integer, server_default="0"))
    with pytest.raises(TypeError, match="u.flag"):
        bulk._defaults(server_only)


def test_an_event_row_has_every_column_of_the_events_table(app):
    class Sub:
        id, node_path, lock_version, state = 1, "/1/", 1, "at_captain"

    with app.test_request_context():
        assert set(event_row(Sub, "submit", None, "at_captain")) == set(bulk.EVENT_COLUMNS)


def test_lean_and_orm_paths_store_the_same_row(app, login, people, in_app):
    """The same body stored as rows and through the session: every column alike but the
    ones that name the submission."""
    api = login("captain")
    lean = api.post("/api/v1/submissions", json=suggestion("B1")).get_json()
    body = suggestion("B1")

    def through_orm():
        from app.accounts.models import User
        caller = db.session.execute(select(User).where(User.username == "captain")).scalar_one()
        prepared = write.prepare(body, caller)
        assert prepared.lean
        stored = write._store_orm(prepared, caller)
        db.session.commit()
        return stored.sub.id
    orm_id = in_app(through_orm)

    def rows():
        subs = {s.id: {c: getattr(s, c) for c in bulk.COLUMNS}
                for s in db.session.execute(select(Submission)).unique().scalars()}
        events = {e.submission_id: {c: getattr(e, c) for c in bulk.EVENT_COLUMNS}
                  for e in db.session.execute(select(SubmissionEvent)).scalars()}
        return subs, events
    subs, events = in_app(rows)
    differ = {"uuid", "tracking_code", "content_hash", "created_at", "updated_at", "state_since"}
    assert {k: v for k, v in subs[lean["id"]].items() if k not in differ} == \
        {k: v for k, v in subs[orm_id].items() if k not in differ}
    assert {k: v for k, v in events[lean["id"]].items() if k not in ("submission_id", "at")} == \
        {k: v for k, v in events[orm_id].items() if k not in ("submission_id", "at")}


# One event shape ---------------------------------------------------------------------------

def test_the_answer_gives_the_history_a_read_gives(login, people):
    for api in (login("captain"), login("resident")):
        created = api.post("/api/v1/submissions", json=suggestion("B1")).get_json()
        read = login("street").get(f"/api/v1/submissions/{created['id']}").get_json()
        assert created["history"] == read["history"]
        assert created["history"][0]["action"] == "submit"


def test_claims_and_photos_take_the_orm_path_with_the_same_history(login, people):
    post = _post(login("branch"))
    claim = login("volunteer").post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": "E1",
        "data": {"post": post["id"]}})
    assert claim.status_code == 201 and claim.get_json()["state"] == "claimed"
    history = claim.get_json()["history"]
    assert [(h["action"], h["to_state"], h["actor"]) for h in history] == \
        [("submit", "claimed", "volunteer")]


# The body is parsed once -------------------------------------------------------------------

class _CountingSchema:
    def __init__(self, schema):
        self.schema, self.calls = schema, 0

    def load(self, payload):
        self.calls += 1
        return self.schema.load(payload)


def test_each_body_is_parsed_once(login, people, monkeypatch):
    counting = _CountingSchema(write._CREATE_SCHEMA)
    monkeypatch.setattr(write, "_CREATE_SCHEMA", counting)
    api = login("captain")
    stored = suggestion()
    assert api.post("/api/v1/submissions", json=stored).status_code == 201
    assert api.post("/api/v1/submissions", json=stored).status_code == 200   # a replay
    bad = suggestion()
    bad["data"]["category"] = "nonsense"
    assert api.post("/api/v1/submissions", json=bad).status_code == 422
    assert counting.calls == 3
    counting.calls = 0
    ops = [_op(suggestion()), _op(stored), _op(bad), _op(suggestion("B3"))]
    results = api.post("/api/v1/sync", json={"ops": ops}).get_json()["results"]
    assert [r["status"] for r in results] == ["created", "duplicate", "invalid", "created"]
    assert counting.calls == 4


# @reads_first ------------------------------------------------------------------------------

def test_core_names_no_route_and_the_submit_view_reads_first(app):
    from app.core import database

    assert "submissions.create" not in inspect.getsource(database)
    assert not hasattr(database, "READ_FIRST_ENDPOINTS")
    assert app.view_functions["submissions.create"].reads_first is True
    assert not getattr(app.view_functions["sync.sync"], "reads_first", False)


# Sync ops through the routes' schemas -----------------------------------------------------

@pytest.mark.parametrize("comment", [5, ["a"], {"a": 1}, "长" * 6000])
def test_a_bad_transition_op_is_invalid_on_its_own(login, people, comment):
    captain = login("captain")
    target = captain.post("/api/v1/submissions", json=suggestion()).get_json()
    rest = captain.post(f"/api/v1/submissions/{target['id']}/transitions",
                        json={"action": "escalate", "comment": comment})
    assert rest.status_code == 422 and "comment" in rest.get_json()["error"]["fields"]
    good = suggestion()
    r = captain.post("/api/v1/sync", json={"ops": [
        {"op": "transition", "op_id": "bad", "submission": target["uuid"], "action": "escalate",
         "comment": comment},
        _op(good),
        {"op": "transition", "op_id": "good", "submission": target["uuid"],
         "action": "escalate", "comment": "转交"}]})
    assert r.status_code == 200
    bad, created, applied = r.get_json()["results"]
    assert bad["status"] == "invalid" and bad["op_id"] == "bad"
    assert bad["errors"]["fields"]["comment"] == rest.get_json()["error"]["fields"]["comment"]
    assert created["status"] == "created" and created["uuid"] == good["uuid"]
    assert applied["status"] == "applied" and applied["submission"]["state"] == "at_branch"


def test_transition_op_messages_come_from_the_catalogue(login, people):
    captain = login("captain")
    ops = [{"op": "transition", "submission": [1], "action": ""}, {"op": "frobnicate"}]
    zh = captain.post("/api/v1/sync", json={"ops": ops}).get_json()["results"]
    captain.lang = "en"
    en = captain.post("/api/v1/sync", json={"ops": ops}).get_json()["results"]
    assert [r["status"] for r in zh] == ["invalid", "invalid"]
    assert set(zh[0]["errors"]["fields"]) == {"op_id", "submission", "action"}
    assert en[0]["errors"]["fields"]["op_id"] == ["Missing data for required field."]
    assert zh[0]["errors"]["fields"]["op_id"] != en[0]["errors"]["fields"]["op_id"]
    assert zh[1]["errors"]["fields"]["op"] != en[1]["errors"]["fields"]["op"]
    assert zh[0]["errors"]["message"] != en[0]["errors"]["message"]


def test_a_transition_op_ignores_keys_it_does_not_know(login, people):
    captain = login("captain")
    target = captain.post("/api/v1/submissions", json=suggestion()).get_json()
    r = captain.post("/api/v1/sync", json={"ops": [
        {"op": "transition", "op_id": "x", "submission": target["id"], "action": "escalate",
         "title": "queued offline"}]}).get_json()["results"][0]
    assert r["status"] == "applied"


def test_a_replay_to_a_closed_form_still_gets_its_submission(login, people, in_app):
    """Prepare refuses a closed form, but a stored uuid is answered first (idempotency)."""
    from app.forms.models import Form

    api = login("captain")
    body = suggestion()
    first = api.post("/api/v1/submissions", json=body).get_json()

    def close():
        db.session.execute(select(Form).where(Form.slug == "suggestion")).scalar_one().closed = True
        db.session.commit()
    in_app(close)
    again = api.post("/api/v1/submissions", json=body)
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]
    other = api.post("/api/v1/submissions", json=suggestion())
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "form_closed"
