"""Console: forms and workflows, the grid, CSV import, people."""
import json


from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts import throttle
from app.accounts.sessions import end_all_sessions
from app.core.errors import ApiError
from app.grid.scope import scope_for
from app.extensions import db
from app.grid.models import GridNode
from app.grid.services import ImportError_, import_grid, node_by_code
from app.forms import services as forms
from app.forms.builtin import BUILTIN_SLUGS
from app.forms.models import Form, FormVersion
from app.submissions.models import Submission
from app.accounts.models import RoleAssignment, User
from app.accounts.models import ROLES
from app.audit.services import record

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
        db.session.commit()
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
    db.session.commit()
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
        db.session.commit()
        flash(_("Imported: %(counts)s", counts=", ".join(f"{k} {v}" for k, v in counts.items())))
    except ImportError_ as exc:
        db.session.rollback()
        flash(exc.reason, "error")
    return redirect(url_for("console.grid"))


@bp.get("/people")
@staff_required
def people():
    """People who hold a role in my grid (admins: everyone), with their roles."""

    scope = scope_for(current_user)
    query = select(User).order_by(User.username).limit(200)
    if not scope.is_admin:
        query = query.where(User.id.in_(select(RoleAssignment.user_id).join(
            GridNode, GridNode.id == RoleAssignment.grid_node_id).where(
            scope.path_filter(GridNode.path))))
    if request.args.get("q"):
        like = f"%{request.args['q'][:50]}%"
        query = query.where(User.username.like(like) | User.display_name.like(like))
    return render_template("console/people.html", users=db.session.execute(query).scalars().all(),
                           q=request.args.get("q", ""))


def _person(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    scope = scope_for(current_user)
    if not scope.is_admin and not any(r.node is not None and scope.covers_path(r.node.path, "committee")
                                      for r in user.roles):
        abort(404)
    return user


@bp.post("/people/<int:user_id>")
@staff_required
def person_action(user_id):
    """Assign or remove a role, reset the password, deactivate or reactivate (committee: in its grid)."""

    _admin_or_committee()
    user = _person(user_id)
    action = request.form.get("action")
    scope = scope_for(current_user)
    if action == "assign":
        role = request.form.get("role", "")
        node = node_by_code(request.form.get("grid_code", ""))
        org_name = request.form.get("org", "").strip()
        if role not in ROLES or (role == "admin" and not scope.is_admin):
            abort(403)
        if role not in ("admin", "partner") and (node is None or not (
                scope.is_admin or scope.covers_path(node.path, "committee"))):
            flash(_("This node is outside your grid."), "error")
        elif role == "partner" and not org_name:
            flash(_("Name the partner unit."), "error")
        else:
            org = accounts.get_or_create_org(org_name) if role == "partner" else None
            accounts.grant_role(user, role, node if role != "partner" else None, org)
            record(current_user, "assign_role", f"user:{user.id}", role=role,
                   grid_code=node.code if node else None)
            flash(_("Done."))
    elif action == "remove":
        assignment = db.session.get(RoleAssignment, request.form.get("assignment", type=int) or 0)
        if assignment is None or assignment.user_id != user.id:
            abort(404)
        if not scope.is_admin and (assignment.node is None
                                   or not scope.covers_path(assignment.node.path, "committee")):
            abort(403)
        db.session.delete(assignment)
        record(current_user, "remove_role", f"user:{user.id}", role=assignment.role)
        flash(_("Done."))
    elif action == "reset_password":
        import secrets
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        end_all_sessions(user.id)
        record(current_user, "reset_password", f"user:{user.id}")
        flash(_("New password for %(user)s (shown once): %(password)s", user=user.username,
                password=password))
    elif action in ("deactivate", "reactivate"):
        if user.id == current_user.id:
            abort(400)
        user.active = action == "reactivate"
        end_all_sessions(user.id)
        record(current_user, action, f"user:{user.id}")
        flash(_("Done."))
    elif action == "end_sessions":
        ended = end_all_sessions(user.id)
        record(current_user, "end_sessions", f"user:{user.id}", ended=ended)
        flash(_("Ended %(count)d sessions of %(user)s.", count=ended, user=user.username))
    elif action == "unlock":
        cleared = throttle.unlock(user.username)
        record(current_user, "unlock_sign_in", f"user:{user.id}", cleared=cleared)
        flash(_("Sign-in unlocked for %(user)s.", user=user.username))
    else:
        abort(400)
    db.session.commit()
    return redirect(url_for("console.people", q=user.username))
