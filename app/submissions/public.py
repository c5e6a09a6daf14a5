"""What residents may do without an account besides submitting: find similar open
letters for their building ("me too" instead of a duplicate) and follow one by code."""
from flask import current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.core.openapi import answers, query
from app.core.schema_types import ItemsSchema
from app.submissions.schemas import ErasedSchema, SupportedSchema
from app.core.clock import isoformat
from app.core.errors import ApiError
from app.core.i18n import pick
from app.extensions import db, limiter
from app.forms.services import form_by_slug, states_held_by_tiers
from app.grid.services import node_by_code
from app.submissions.models import Submission
from app.submissions.routes import blp
from app.submissions.words import format_date

# Open: someone in the grid or a partner unit still holds it (not resolved, not final).
OPEN_TIERS = ("captain", "branch", "committee", "partner")


def _bigrams(text: str) -> set[str]:
    text = "".join(ch for ch in (text or "") if not ch.isspace())
    return {text[i:i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def similarity(a: str, b: str) -> float:
    """Character-bigram Jaccard: works for Chinese without a word segmenter."""
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def match_score(typed: str, content: str) -> float:
    """How much of what the resident typed (or of the letter, if shorter) another letter
    shares, in character bigrams; at least three shared bigrams, so a word alone never matches."""
    x, y = _bigrams(typed), _bigrams(content)
    shared = len(x & y)
    return shared / min(len(x), len(y)) if x and y and shared >= 3 else 0.0


@blp.route("/submissions/similar", methods=["GET"])
@blp.doc(parameters=[query("grid_code", "a building's code", required=True),
                     query("text", "what the resident is typing (4 characters at least)")],
         **answers(ItemsSchema, description="`{id, category, category_label, …}` each"))
@limiter.limit("60/minute")
def similar():
    """Open suggestions of one building that look like `text`, the content a resident is
    typing. Without text nothing is shown: a guessable URL lists no one's letters. Each match
    shows its category, date and a neutral summary (`excerpt`, words of ours): never
    another resident's text, name, phone or photo."""
    node = node_by_code(request.args.get("grid_code", ""))
    if node is None or node.level != "building":
        raise ApiError(404)
    text = request.args.get("text", "")[:2000].strip()
    if len("".join(text.split())) < 4:
        return jsonify({"items": []})
    form = form_by_slug("suggestion")
    rows = db.session.execute(select(Submission).where(
        Submission.form_id == form.id, Submission.grid_node_id == node.id,
        Submission.state.in_(states_held_by_tiers((form.id,), OPEN_TIERS))).order_by(Submission.id.desc()).limit(200)).unique().scalars()
    scored = []
    for sub in rows:
        content = str((sub.data or {}).get("content", ""))
        score = match_score(text, content)
        if score >= 0.4:
            scored.append((score, sub))
    scored.sort(key=lambda item: (-item[0], -item[1].id))
    items = []
    for score, sub in scored[:5]:
        category = (sub.data or {}).get("category")
        label = _category_label(sub, category)
        date = format_date(sub.created_at)
        items.append({"id": sub.id, "category": category, "category_label": label,
                      "created_at": isoformat(sub.created_at), "date": date,
                      "excerpt": _("A letter about %(category)s, written on %(date)s",
                                   category=label or _("this building"), date=date),
                      "supporters": sub.supporters, "score": round(score, 3)})
    return jsonify({"items": items})


def _category_label(sub: Submission, value) -> str:
    for field in (sub.version.definition or {}).get("fields", []):
        if field.get("name") == "category":
            for choice in field.get("choices") or []:
                if choice.get("value") == value:
                    return pick(choice.get("label"))
    return ""


@blp.route("/submissions/<int:sub_id>/me-too", methods=["POST"])
@blp.doc(**answers(SupportedSchema))
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
@blp.doc(**answers(ErasedSchema))
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
