"""Console: the submissions table, a submission's detail and actions, bulk close."""
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from app.core.paths import under
from app.core.clock import utcnow
from app.core.timezone import parse_local
from app.core.errors import ApiError
from app.core.ids import as_id
from app.extensions import db
from app.core.i18n import pick
from app.forms.models import Form
from app.grid.models import GridNode
from app.grid.services import node_by_code
from app.submissions import display
from app.submissions import services as submissions
from app.submissions.models import Submission
from app.submissions.transitions import apply_transition

from .base import bp, flash_api_error, staff_required


@bp.get("/submissions")
@staff_required
def submission_list():
    query = submissions.visible_query(current_user, walk=True).order_by(Submission.id.desc())
    args = request.args
    form_rows = db.session.execute(select(Form).order_by(Form.id)).scalars().all()
    if args.get("form"):
        query = query.join(Form, Form.id == Submission.form_id).where(Form.slug == args["form"])
    if args.get("state"):
        query = query.where(Submission.state == args["state"])
    if args.get("grid_code"):
        node = node_by_code(args["grid_code"])
        query = query.where(under(Submission.node_path, node.path if node else "/none/"))
    for key, newer in (("from", True), ("to", False)):
        if args.get(key):
            try:
                when = parse_local(args[key])
            except ValueError:
                abort(400, _("Not a valid date and time."))
            query = query.where(Submission.created_at >= when if newer else Submission.created_at < when)
    if args.get("overdue"):
        query = query.where(Submission.tier.in_(("captain", "branch", "committee")),
                            Submission.state_since <= utcnow() - timedelta(hours=48))
    rows = db.session.execute(query.limit(200)).unique().scalars().all()
    refs = display.References().load((s.version, s.data) for s in rows)   # one query a page
    summaries = {s.id: display.summary(s, refs) for s in rows}
    return render_template("console/submissions.html", rows=rows, forms=form_rows, args=args,
                           summaries=summaries,
                           **list_choices(form_rows, args))


def list_choices(form_rows, args) -> dict:
    """The filter choices in words (states of the chosen form or all, the caller's nodes) and
    the same filters for the export links."""
    from urllib.parse import urlencode

    from app.submissions.words import vocabulary
    from app.submissions.export import zone_caption
    from .routes import _my_nodes

    states = vocabulary()["states"]
    chosen = next((f for f in form_rows if f.slug == args.get("form")), None)
    if chosen is not None:
        version = next((v for v in chosen.versions if v.number == chosen.current_version), None)
        if version is not None:
            states = {c: s["label"] for c, s in version.workflow["states"].items() if s.get("label")}
    nodes = _my_nodes()
    subtree = db.session.execute(select(GridNode).where(
        or_(*[under(GridNode.path, n.path) for n in nodes]) if nodes else GridNode.id < 0)
        .order_by(GridNode.path).limit(300)).scalars().all()
    query = {k: args[k] for k in ("form", "state", "grid_code", "from", "to") if args.get(k)}
    query.setdefault("form", "suggestion")
    return {"states": [(code, pick(label)) for code, label in states.items()],
            "nodes": subtree, "export_query": urlencode(query), "zone_caption": zone_caption()}


@bp.post("/submissions/close-resolved")
@staff_required
def bulk_close():
    """Close many resolved items at once (a safe bulk action: no comment needed)."""
    done = failed = 0
    for raw in request.form.getlist("ids"):
        if as_id(raw) is None:
            continue
        try:
            sub = submissions.get_visible_or_404(current_user, raw)
            with db.session.begin_nested():
                apply_transition(sub, "close", current_user, expected_state="resolved")
            done += 1
        except ApiError:
            failed += 1
    db.session.commit()
    flash(_("Closed %(done)d, skipped %(failed)d.", done=done, failed=failed))
    return redirect(url_for("console.submission_list", state="resolved"))


@bp.get("/submissions/<int:sub_id>")
@staff_required
def submission_detail(sub_id):
    try:
        sub = submissions.get_visible_or_404(current_user, sub_id)
    except ApiError:
        abort(404)
    body = submissions.serialize(sub, current_user, detail=True)
    body |= display.detail_words(sub, body)   # fields and history in words
    if submissions.audit_contact_view(current_user, sub, via="console"):   # a full view
        db.session.commit()
    return render_template("console/submission.html", sub=sub, body=body)


@bp.post("/submissions/<int:sub_id>/act")
@staff_required
def submission_act(sub_id):
    try:
        sub = submissions.get_visible_or_404(current_user, sub_id)
        apply_transition(sub, request.form.get("action", ""), current_user,
                         comment=request.form.get("comment"), partner=request.form.get("partner"),
                         expected_state=request.form.get("expected_state"),
                         public_reply=bool(request.form.get("public_reply")))
        db.session.commit()
        flash(_("Done."))
    except ApiError as exc:
        db.session.rollback()
        flash_api_error(exc)
    return redirect(url_for("console.submission_detail", sub_id=sub_id))
