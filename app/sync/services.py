"""Replaying outbox ops: each op in a savepoint, so one bad op never fails the batch."""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.errors import ApiError
from app.extensions import db
from app.submissions import services as submissions
from app.submissions.models import AppliedOp
from app.submissions.bulk import store_plain
from app.submissions.transitions import apply_transition

MAX_OPS = 1000
STATUS_BY_HTTP = {401: "forbidden", 403: "forbidden", 404: "not_found", 409: "conflict",
                  413: "invalid", 422: "invalid", 400: "invalid", 429: "forbidden"}


def _error(exc: ApiError) -> dict:
    out = {"code": exc.code, "message": str(exc.message or "")}
    if exc.fields:
        out["fields"] = exc.fields
    return out


def _is_submit(op) -> bool:
    return isinstance(op, dict) and op.get("op") == "submit"


def run_ops(ops: list, user) -> list[dict]:
    results = []
    fast: dict[int, dict] = {}
    for index, op in enumerate(ops):
        if _is_submit(op) and (index == 0 or not _is_submit(ops[index - 1])):
            # The start of a run of submit ops: store its plain ones together (bulk.py).
            end = next((j for j in range(index, len(ops)) if not _is_submit(ops[j])), len(ops))
            fast = {j: _submitted(sub, user, created=True) for j, sub in store_plain(
                [(j, _submit_body(ops[j])) for j in range(index, end)], user).items()}
        if index in fast:
            result = fast[index]
            result["index"] = index
            result["uuid"] = op["uuid"]
            results.append(result)
            continue
        try:
            with db.session.begin_nested():
                result = _run_one(op, user)
        except ApiError as exc:
            if not exc.message:
                from app.core.errors import DEFAULT_MESSAGES
                exc.message = DEFAULT_MESSAGES.get(exc.status, "")
            result = {"status": STATUS_BY_HTTP.get(exc.status, "invalid"), "errors": _error(exc)}
        except IntegrityError:
            result = {"status": "conflict", "errors": {"code": "conflict",
                                                       "message": "concurrent change"}}
        result["index"] = index
        if isinstance(op, dict):
            for key in ("op_id", "uuid"):
                if op.get(key) is not None:
                    result[key] = op[key]
        results.append(result)
    return results


def _run_one(op, user) -> dict:
    if not isinstance(op, dict) or op.get("op") not in ("submit", "transition", "relay"):
        raise ApiError(422, fields={"op": ["Use 'submit' or 'transition'."]})
    if op["op"] == "relay":
        return _relay(op, user)
    if op["op"] == "submit":
        sub, created = submissions.create_submission(_submit_body(op), user)
        return _submitted(sub, user, created)
    return _transition(op, user)


def _submit_body(op: dict) -> dict:
    return {k: v for k, v in op.items() if k not in ("op", "op_id")}


def _submitted(sub, user, created: bool) -> dict:
    out = submissions.serialize(sub, user)
    out["tracking_code"] = sub.tracking_code  # as POST /submissions gives it to its sender
    return {"status": "created" if created else "duplicate", "submission": out}


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
    op_id = op.get("op_id")
    if not isinstance(op_id, str) or not 1 <= len(op_id) <= 64:
        raise ApiError(422, fields={"op_id": ["Required: a client-made id (at most 64 characters)."]})
    if not isinstance(op.get("action"), str):
        raise ApiError(422, fields={"action": ["Required."]})
    ident = op.get("submission")
    if not isinstance(ident, (int, str)):
        raise ApiError(422, fields={"submission": ["Required: a submission id or uuid."]})
    sub = submissions.get_visible_or_404(user, str(ident))
    done = db.session.execute(select(AppliedOp).where(
        AppliedOp.user_id == user.id, AppliedOp.op_id == op_id)).scalar_one_or_none()
    if done is not None:
        return {"status": "duplicate", "submission": submissions.serialize(sub, user)}
    apply_transition(sub, op["action"], user, comment=op.get("comment"),
                     partner=op.get("partner"), resource=op.get("resource"),
                     expected_state=op.get("expected_state"),
                     duplicate_of=op.get("duplicate_of"), grid_code=op.get("grid_code"))
    db.session.add(AppliedOp(op_id=op_id, user_id=user.id, submission_id=sub.id))
    db.session.flush()
    return {"status": "applied", "submission": submissions.serialize(sub, user)}
