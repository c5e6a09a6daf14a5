"""What residents may do without an account besides submitting: find similar open
letters for their building ("me too" instead of a duplicate) and follow one by code."""
from flask import current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.core.errors import ApiError
from app.extensions import db, limiter
from app.forms.services import form_by_slug, states_held_by_tiers
from app.grid.services import node_by_code
from app.submissions.models import Submission
from app.submissions.routes import blp

# Open: someone in the grid or a partner unit still holds it (not resolved, not final).
OPEN_TIERS = ("captain", "branch", "committee", "partner")


def _bigrams(text: str) -> set[str]:
    text = "".join(ch for ch in (text or "") if not ch.isspace())
    return {text[i:i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def similarity(a: str, b: str) -> float:
    """Character-bigram Jaccard: works for Chinese without a word segmenter."""
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


@blp.route("/submissions/similar", methods=["GET"])
@limiter.limit("60/minute")
def similar():
    """Open suggestions of one building that look like `text` (all open ones without text).
    Shows only the category and an excerpt: never names, phones or photos."""
    node = node_by_code(request.args.get("grid_code", ""))
    if node is None or node.level != "building":
        raise ApiError(404)
    form = form_by_slug("suggestion")
    rows = db.session.execute(select(Submission).where(
        Submission.form_id == form.id, Submission.grid_node_id == node.id,
        Submission.state.in_(states_held_by_tiers((form.id,), OPEN_TIERS))).order_by(Submission.id.desc()).limit(200)).unique().scalars()
    text = request.args.get("text", "")[:2000]
    scored = []
    for sub in rows:
        content = str((sub.data or {}).get("content", ""))
        score = similarity(text, content) if text else 1.0
        if score >= 0.2:
            scored.append((score, sub, content))
    scored.sort(key=lambda item: (-item[0], -item[1].id))
    return jsonify({"items": [
        {"id": sub.id, "category": (sub.data or {}).get("category"),
         "excerpt": content[:60] + ("…" if len(content) > 60 else ""),
         "supporters": sub.supporters, "score": round(score, 3)}
        for score, sub, content in scored[:5]]})


@blp.route("/submissions/<int:sub_id>/me-too", methods=["POST"])
@limiter.limit(lambda: current_app.config["PUBLIC_SUBMIT_LIMIT"])
def me_too(sub_id):
    """Add one resident's voice to an open suggestion instead of filing a duplicate."""
    form = form_by_slug("suggestion")
    result = db.session.execute(
        update(Submission).where(Submission.id == sub_id, Submission.form_id == form.id,
                                 Submission.state.in_(states_held_by_tiers((form.id,), OPEN_TIERS)))
        .values(supporters=Submission.supporters + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise ApiError(404, _("Not found."))
    supporters = db.session.execute(select(Submission.supporters).where(
        Submission.id == sub_id)).scalar_one()
    return jsonify({"id": sub_id, "supporters": supporters})


@blp.route("/track/<code>/erase", methods=["POST"])
@limiter.limit("10/minute")
def erase_by_tracking_code(code):
    """The resident holding a letter's tracking code has their contact details erased
    (PIPL art. 47); the letter and its history stay. Safe to repeat."""
    from app.audit.services import record
    from app.core.clock import isoformat, utcnow
    from app.submissions.retention import erase_contacts

    sub = db.session.execute(select(Submission).where(
        Submission.tracking_code == code.upper()[:16])).unique().scalar_one_or_none()
    if sub is None:
        raise ApiError(404)
    held = erase_contacts(sub, utcnow())
    record(None, "erase_contacts", f"submission:{sub.id}", reason="resident", fields=held)
    return jsonify({"tracking_code": sub.tracking_code, "erased": held,
                    "contacts_erased_at": isoformat(sub.contacts_erased_at)})
