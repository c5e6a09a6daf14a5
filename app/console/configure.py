"""Console: forms and workflows, the grid, CSV import (people: people.py)."""
import json


from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.core.errors import ApiError
from app.grid.scope import scope_for
from app.extensions import db
from app.grid.models import GridNode
from app.grid.services import ImportError_, import_grid, node_by_code
from app.forms import services as forms
from app.forms.models import Form, FormVersion
from app.submissions.models import Submission

from .base import _admin_or_committee, bp, staff_required

from . import svg


@bp.get("/forms")
@staff_required
def form_list():
    rows = db.session.execute(select(Form).order_by(Form.id)).scalars().all()
    return render_template("console/forms.html", forms=rows)


def _editable(version: FormVersion) -> str:
    definition = dict(version.definition)
    definition.pop("slug", None)
    return json.dumps(definition, ensure_ascii=False, indent=2)


@bp.route("/forms/<slug>", methods=["GET", "POST"])
@staff_required
def form_edit(slug):
    """Edit a draft (the definition as JSON, helped by the field adder), preview it with the
    field app's own renderer, validate and publish."""
    form = db.session.execute(select(Form).where(Form.slug == slug)).scalar_one_or_none()
    if form is None:
        abort(404)
    version = forms.get_version(form)
    errors = None
    draft = _editable(version)
    workflow_text = json.dumps(version.workflow, ensure_ascii=False, indent=2)
    if request.method == "POST":
        _admin_or_committee()
        draft = request.form.get("definition", "")
        workflow_text = request.form.get("workflow", "")
        try:
            payload = json.loads(draft)
            if workflow_text.strip():
                payload["workflow"] = json.loads(workflow_text)
            new = forms.publish_version(slug, payload, current_user)
            flash(_("Published version %(n)d.", n=new.number))
            return redirect(url_for("console.form_edit", slug=slug))
        except json.JSONDecodeError as exc:
            errors = {"json": [str(exc)]}
        except ApiError as exc:
            db.session.rollback()
            errors = exc.fields or {"_schema": [str(exc.message)]}
    versions = [v.number for v in form.versions]
    return render_template("console/form_edit.html", form=form, version=version, draft=draft,
                           workflow_text=workflow_text, errors=errors, versions=versions,
                           diagram=svg.workflow_diagram(version.workflow)), (422 if errors else 200)


@bp.get("/forms/<slug>/compare")
@staff_required
def form_compare(slug):
    form = db.session.execute(select(Form).where(Form.slug == slug)).scalar_one_or_none()
    if form is None:
        abort(404)
    a = forms.get_version(form, request.args.get("a", type=int) or max(form.current_version - 1, 1))
    b = forms.get_version(form, request.args.get("b", type=int) or form.current_version)
    if a is None or b is None:
        abort(404)
    fa, fb = a.field_map(), b.field_map()
    names = list(dict.fromkeys([*fa, *fb]))
    rows = [(n, fa.get(n), fb.get(n)) for n in names]
    return render_template("console/compare.html", form=form, a=a, b=b, rows=rows)


@bp.get("/grid")
@staff_required
def grid():
    scope = scope_for(current_user)
    nodes = db.session.execute(select(GridNode).where(scope.path_filter(GridNode.path))
                               .order_by(GridNode.path)).scalars().all()
    counts = dict(db.session.execute(select(Submission.grid_node_id, func.count())
                                     .where(scope.path_filter(Submission.node_path))
                                     .group_by(Submission.grid_node_id)).all())
    return render_template("console/grid.html", nodes=nodes, counts=counts)


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_csv():
    """Upload grid.csv or users.csv: preview what would change, then confirm (all or nothing)."""
    _admin_or_committee()
    if request.method == "GET":
        return render_template("console/import.html")
    kind = request.form.get("kind")
    if kind not in ("grid", "users"):
        abort(400)
    if request.form.get("confirm"):
        text = request.form.get("content", "")
    else:
        upload = request.files.get("file")
        raw = upload.read(2 * 1024 * 1024) if upload else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return render_template("console/import.html", error=_(
                "The file is not UTF-8; save it from Excel as 'CSV UTF-8'.")), 422
    run = import_grid if kind == "grid" else (
        lambda t: accounts.import_users(t, echo=generated.append))
    generated: list[str] = []
    try:
        with db.session.begin_nested() as nested:
            counts = run(text)
            if not request.form.get("confirm"):
                nested.rollback()
    except ImportError_ as exc:
        db.session.rollback()
        return render_template("console/import.html", kind=kind,
                               error=_("Line %(line)d: %(reason)s", line=exc.line, reason=exc.reason)), 422
    if request.form.get("confirm"):
        flash(_("Imported: %(counts)s", counts=", ".join(f"{k} {v}" for k, v in counts.items())))
        return render_template("console/import.html", generated=generated, done=True)
    return render_template("console/import.html", kind=kind, preview=counts, content=text)


def _node_in_my_grid(code: str):
    node = node_by_code(code or "")
    if node is None or not scope_for(current_user).covers_path(node.path, "committee"):
        return None
    return node


@bp.post("/grid/node")
@staff_required
def grid_node():
    """Add, rename or move one node: the same validated import as a one-line grid.csv."""
    _admin_or_committee()
    fields = {k: request.form.get(k, "").strip() for k in ("code", "name", "level", "parent_code")}
    parent = _node_in_my_grid(fields["parent_code"]) if fields["parent_code"] else None
    existing = node_by_code(fields["code"])
    if (fields["parent_code"] and parent is None and not scope_for(current_user).is_admin) or (
            existing is not None and _node_in_my_grid(existing.code) is None
            and not scope_for(current_user).is_admin):
        abort(403)
    line = ",".join(f.replace(",", "，") for f in fields.values())
    try:
        counts = import_grid("code,name,level,parent_code\n" + line + "\n")
        flash(_("Imported: %(counts)s", counts=", ".join(f"{k} {v}" for k, v in counts.items())))
    except ImportError_ as exc:
        db.session.rollback()
        flash(exc.reason, "error")
    return redirect(url_for("console.grid"))
