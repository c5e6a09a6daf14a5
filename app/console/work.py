"""Console: the submissions table, a submission's detail and actions, bulk close."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.accounts.services import partner_units
from app.core.errors import ApiError
from app.core.ids import as_id
from app.extensions import db
from app.core.i18n import pick
from app.forms.models import Form
from app.submissions import display
from app.submissions import services as submissions
from app.submissions.models import Submission
from app.submissions.query import filtered, request_filters
from app.submissions.schemas import TransitionSchema

from .actions import load_form, refusals_flashed
from .base import bp, picker_nodes, staff_required


@bp.get("/submissions")
@staff_required
def submission_list():
    """The API's own filters (app/submissions/query.py: codes or words, `overdue` by the
    workflows' own timers), remembered in the URL so that a link reproduces the view."""
    args = request_filters()
    query = filtered(current_user, submissions.visible_query(current_user, walk=True)
                     .order_by(Submission.id.desc()))
    form_rows = db.session.execute(select(Form).order_by(Form.id)).scalars().all()
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
    states = vocabulary()["states"]
    chosen = next((f for f in form_rows if f.slug == args.get("form")), None)
    if chosen is not None:
        version = next((v for v in chosen.versions if v.number == chosen.current_version), None)
        if version is not None:
            states = {c: s["label"] for c, s in version.workflow["states"].items() if s.get("label")}
    query = {k: args[k] for k in ("form", "state", "grid_code", "from", "to", "overdue") if args.get(k)}
    query.setdefault("form", "suggestion")
    return {"states": [(code, pick(label)) for code, label in states.items()],
            "nodes": picker_nodes(), "export_query": urlencode(query), "zone_caption": zone_caption()}


@bp.post("/submissions/close-resolved")
@staff_required
def bulk_close():
    """Close many resolved items at once (a safe bulk action: no comment needed), each through
    the same transition call as the API (submissions.take_action), each in its own savepoint."""
    done = failed = 0
    for raw in request.form.getlist("ids"):
        if as_id(raw) is None:
            continue
        try:
            sub = submissions.get_visible_or_404(current_user, raw)
            with db.session.begin_nested():
                submissions.take_action(sub, current_user, load_form(
                    TransitionSchema, MultiDict({"action": "close", "expected_state": "resolved"})))
            done += 1
        except ApiError:
            failed += 1
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
    submissions.audit_contact_view(current_user, sub, via="console")   # a full view (the request commits)
    return render_template("console/submission.html", sub=sub, body=body, orgs=partner_units(),
                           nodes=picker_nodes())


@bp.post("/submissions/<int:sub_id>/act")
@staff_required
@refusals_flashed("console.submission_detail", sub_id=lambda kw: kw["sub_id"])
def submission_act(sub_id):
    """A transition: the API's TransitionSchema from the form, the API's take_action."""
    sub = submissions.get_visible_or_404(current_user, sub_id)
    submissions.take_action(sub, current_user, load_form(TransitionSchema))
    flash(_("Done."))
    return redirect(url_for("console.submission_detail", sub_id=sub_id))
