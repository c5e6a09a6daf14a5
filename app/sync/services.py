"""Replaying outbox ops: each op in a savepoint, so one bad op never fails the batch.

A run of submit ops is prepared together (app/submissions/write.py: each body parsed once,
the lookups made once for the run) and its plain submissions stored together; every other op
is stored or applied on its own, in order, in its savepoint."""
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.errors import DEFAULT_MESSAGES, ApiError, flatten_messages
from app.extensions import db
from app.submissions import services as submissions
from app.submissions import write
from app.submissions.models import AppliedOp
from app.sync.schemas import OpSchema, TransitionOpSchema

MAX_OPS = 1000
STATUS_BY_HTTP = {401: "forbidden", 403: "forbidden", 404: "not_found", 409: "conflict",
                  413: "invalid", 422: "invalid", 400: "invalid", 429: "forbidden"}
_OP_SCHEMA = OpSchema()
_TRANSITION_SCHEMA = TransitionOpSchema()


def _load(schema, op) -> dict:
    try:
        return schema.load(op)
    except ValidationError as exc:
        raise ApiError(422, fields=flatten_messages(exc.messages)) from exc


def _is_submit(op) -> bool:
    return isinstance(op, dict) and op.get("op") == "submit"


def run_ops(ops: list, user) -> list[dict]:
    prepared: dict[int, write.Prepared | ApiError] = {}
    fast: dict[int, write.Stored] = {}
    results = []
    for index, op in enumerate(ops):
        if _is_submit(op) and (index == 0 or not _is_submit(ops[index - 1])):
            # The start of a run of submit ops: prepare it, store its plain ones together.
            # Lookups once per run: an op in between may change a route (a role granted).
            run = _prepare_run(ops, index, user, write.Lookups())
            prepared.update(run)
            fast = write.store_plain([(j, p) for j, p in run.items()
                                      if isinstance(p, write.Prepared)], user)
        if index in fast:
            result = _submitted(fast[index], user)
        else:
            result = _run_in_savepoint(op, user, prepared.get(index))
        result["index"] = index
        if isinstance(op, dict):
            for key in ("op_id", "uuid"):
                if op.get(key) is not None:
                    result[key] = op[key]
        results.append(result)
    return results


def _prepare_run(ops: list, start: int, user, lookups) -> dict:
    """{index: Prepared or the ApiError refusing it} for the run of submit ops at `start`."""
    run = {}
    for index in range(start, len(ops)):
        if not _is_submit(ops[index]):
            break
        try:
            run[index] = write.prepare(_submit_body(ops[index]), user, lookups)
        except ApiError as exc:
            run[index] = exc
    return run


def _run_in_savepoint(op, user, prepared) -> dict:
    try:
        with db.session.begin_nested():
            return _run_one(op, user, prepared)
    except ApiError as exc:
        return {"status": STATUS_BY_HTTP.get(exc.status, "invalid"), "errors": _error(exc)}
    except IntegrityError:
        return {"status": "conflict", "errors": {"code": "conflict",
                                                 "message": _("This conflicts with the current state.")}}


def _error(exc: ApiError) -> dict:
    out = {"code": exc.code, "message": str(exc.message or DEFAULT_MESSAGES.get(exc.status, ""))}
    if exc.fields:
        out["fields"] = exc.fields
    return out


def _run_one(op, user, prepared) -> dict:
    kind = _load(_OP_SCHEMA, op if isinstance(op, dict) else {})["op"]
    if kind == "relay":
        return _relay(op, user)
    if kind == "submit":
        if isinstance(prepared, ApiError):
            raise prepared
        return _submitted(write.store(prepared, user), user)
    return _transition(op, user)


def _submit_body(op: dict) -> dict:
    return {k: v for k, v in op.items() if k not in ("op", "op_id")}


def _submitted(stored: write.Stored, user) -> dict:
    out = submissions.serialize(stored.sub, user)
    out["tracking_code"] = stored.sub.tracking_code  # as POST /submissions gives it to its sender
    return {"status": "created" if stored.created else "duplicate", "submission": out}


def _relay(op: dict, user) -> dict:
    """A captain's "relayed to my building" for a notice, queued offline (idempotent)."""
    from app.notices.services import relay_notice

    if user is None:
        raise ApiError(401)
    buildings = relay_notice(user, op.get("notice"))
    return {"status": "applied", "notice": {"id": op.get("notice"), "buildings": buildings}}


def _transition(op: dict, user) -> dict:
    if user is None:
        raise ApiError(401)
    args = _load(_TRANSITION_SCHEMA, op)
    sub = submissions.get_visible_or_404(user, args["submission"])
    done = db.session.execute(select(AppliedOp).where(
        AppliedOp.user_id == user.id, AppliedOp.op_id == args["op_id"])).scalar_one_or_none()
    if done is not None:
        return {"status": "duplicate", "submission": submissions.serialize(sub, user)}
    submissions.take_action(sub, user, args)
    db.session.add(AppliedOp(op_id=args["op_id"], user_id=user.id, submission_id=sub.id))
    db.session.flush()
    return {"status": "applied", "submission": submissions.serialize(sub, user)}
