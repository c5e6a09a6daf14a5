"""Console: forms and workflows, the grid (people: people.py; imports: imports.py)."""
import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.core.errors import ApiError
from app.grid.scope import scope_for
from app.extensions import db
from app.grid.models import GridNode
from app.grid.services import ImportError_, import_grid, node_by_code
from app.forms import services as forms
from app.forms.builtin import BUILTIN_SLUGS
from app.forms.models import Form, FormVersion
from app.submissions.models import Submission
from app.audit.services import record

from .typed import back_with_typed
from .base import _admin_or_committee, bp, staff_required

from . import svg


@bp.get("/forms")
@staff_required
def form_list():
    rows = db.session.execute(select(Form).order_by(Form.id)).scalars().all()
    return render_template("console/forms.html", forms=rows, builtins=BUILTIN_SLUGS,
                           may_manage=forms.may_manage_forms(current_user))


def _editable(version: FormVersion) -> str:
    definition = dict(version.definition)
    definition.pop("slug", None)
    return json.dumps(definition, ensure_ascii=False, indent=2)


def _may_manage_forms():
    """The API's rule (forms.may_manage_forms), not a copy of it."""
    if not forms.may_manage_forms(current_user):
        abort(403)


def _form_or_404(slug: str) -> Form:
    form = forms.form_by_slug(slug)
    if form is None:
        abort(404)
    return form


def _read_draft():
    """The builder's draft from the page: the definition and the workflow (kept as JSON in
    the page, edited in words by builder.js). Returns (payload, definition text, workflow text,
    errors)."""
    draft = request.form.get("definition", "")
    workflow_text = request.form.get("workflow", "")
    try:
        payload = json.loads(draft)
        if workflow_text.strip():
            payload["workflow"] = json.loads(workflow_text)
    except (json.JSONDecodeError, TypeError) as exc:
        return None, draft, workflow_text, [_("The draft could not be read (%(reason)s); reload the page.",
                                               reason=str(exc))]
    if not isinstance(payload, dict):
        return None, draft, workflow_text, [_("The draft could not be read; reload the page.")]
    return payload, draft, workflow_text, None


def _publish(slug: str, payload: dict):
    """Publish through the API's own service; a refusal becomes sentences naming fields by label."""
    try:
        new = forms.publish_version(slug, payload, current_user)
        return new, None
    except ApiError as exc:
        db.session.rollback()
        return None, forms.describe_errors(payload, exc.fields or {}) or [str(exc.message or "")]


def _builder(form, version, draft, workflow_text, errors, status=200, **extra):
    workflow = json.loads(workflow_text) if workflow_text.strip() else {}
    try:
        diagram = svg.workflow_diagram(workflow) if workflow else ""
    except (KeyError, TypeError, AttributeError):
        diagram = ""
    return render_template(
        "console/form_edit.html", form=form, version=version, draft=draft,
        workflow_text=workflow_text, errors=errors,
        versions=[v.number for v in form.versions] if form else [], diagram=diagram,
        field_types=BUILDER_TYPES, builtins=BUILTIN_SLUGS, tier_words=svg.tier_words,
        may_manage=forms.may_manage_forms(current_user), **extra), (422 if errors else status)


# Field types the builder offers, in the order a person looks for them (each shown by its name).
BUILDER_TYPES = ["text", "textarea", "select", "multiselect", "photo", "date", "datetime",
                 "integer", "number", "phone", "email", "boolean", "consent", "grid"]


@bp.route("/forms/new", methods=["GET", "POST"])
@staff_required
def form_new():
    """A new form: from nothing, or from a copy of an existing one (`?from=<slug>`)."""
    _may_manage_forms()
    if request.method == "POST":
        payload, draft, workflow_text, errors = _read_draft()
        slug = request.form.get("slug", "").strip()
        if payload is not None:
            title = payload.get("title") if isinstance(payload.get("title"), dict) else {}
            if not slug:
                slug = forms.derive_slug(title.get("zh") or title.get("en") or "")
            elif forms.form_by_slug(slug) is not None or slug == "new":
                errors = [_("Form link name") + "：" + _("Another form already uses this link name.")]
            if not errors:
                new, errors = _publish(slug, payload)
                if new is not None:
                    flash(_("Published version %(n)d.", n=new.number))
                    return redirect(url_for("console.form_edit", slug=slug))
        return _builder(None, None, draft, workflow_text, errors, slug=slug)
    source = request.args.get("from", "")
    draft, workflow = forms.new_draft(forms.form_by_slug(source) if source else None)
    return _builder(None, None, json.dumps(draft, ensure_ascii=False, indent=2),
                    json.dumps(workflow, ensure_ascii=False, indent=2), None, slug="",
                    source=forms.form_by_slug(source) if source else None)


@bp.route("/forms/<slug>", methods=["GET", "POST"])
@staff_required
def form_edit(slug):
    """Edit a draft of the next version in words (builder.js keeps it as JSON in the page),
    preview it on a phone-sized frame with the field app's own renderer, publish."""
    form = _form_or_404(slug)
    version = forms.get_version(form)
    if request.method == "POST":
        _may_manage_forms()
        payload, draft, workflow_text, errors = _read_draft()
        if payload is not None:
            new, errors = _publish(slug, payload)
            if new is not None:
                flash(_("Published version %(n)d.", n=new.number))
                return redirect(url_for("console.form_edit", slug=slug))
        return _builder(form, version, draft, workflow_text, errors)
    return _builder(form, version, _editable(version),
                    json.dumps(version.workflow, ensure_ascii=False, indent=2), None)


@bp.post("/forms/<slug>/closed")
@staff_required
def form_closed(slug):
    """Close a form to new submissions, or reopen it: the API's PATCH, from a button."""
    _may_manage_forms()
    form = _form_or_404(slug)
    closed = request.form.get("closed") == "1"
    forms.set_closed(form, closed)
    record(current_user, "close_form" if closed else "reopen_form", f"form:{form.slug}")
    flash(_("The form no longer accepts new submissions.") if closed
          else _("The form accepts new submissions again."))
    return redirect(url_for("console.form_edit", slug=slug))


@bp.get("/forms/name")
@staff_required
def field_name():
    """The machine name the builder would give a label (pinyin, unique among `taken`)."""
    taken = [t for t in request.args.get("taken", "").split(",") if t]
    longest = min(max(request.args.get("longest", 56, type=int), 8), 56)   # states, actions: 36
    return {"name": forms.derive_name(request.args.get("label", "")[:200], taken, longest=longest)}


@bp.post("/forms/diagram")
@staff_required
def form_diagram():
    """The workflow diagram of the draft being edited (builder.js redraws it on each change)."""
    try:
        workflow = json.loads(request.form.get("workflow", ""))
        return str(svg.workflow_diagram(workflow))
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError):
        return "", 204


def _compare_rows(fa: dict, fb: dict):
    names = list(dict.fromkeys([*fa, *fb]))
    return [(n, fa.get(n), fb.get(n)) for n in names]


@bp.route("/forms/<slug>/compare", methods=["GET", "POST"])
@staff_required
def form_compare(slug):
    """Two published versions side by side, or (POST, from the builder) the draft beside the
    published version."""
    form = _form_or_404(slug)
    if request.method == "POST":
        current = forms.get_version(form)
        payload, _draft, _wf, errors = _read_draft()
        fields = payload.get("fields") if payload and isinstance(payload.get("fields"), list) else []
        forms.name_unnamed_fields(payload or {})
        draft_map = {f.get("name"): f for f in fields if isinstance(f, dict)}
        return render_template("console/compare.html", form=form,
                               a_title=_("Published (version %(n)d)", n=current.number),
                               b_title=_("Draft"), rows=_compare_rows(current.field_map(), draft_map))
    a = forms.get_version(form, request.args.get("a", type=int) or max(form.current_version - 1, 1))
    b = forms.get_version(form, request.args.get("b", type=int) or form.current_version)
    if a is None or b is None:
        abort(404)
    return render_template("console/compare.html", form=form,
                           a_title=_("Version %(n)d", n=a.number), b_title=_("Version %(n)d", n=b.number),
                           rows=_compare_rows(a.field_map(), b.field_map()))


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
        return back_with_typed(url_for("console.grid"), "console.grid", {})
    return redirect(url_for("console.grid"))
