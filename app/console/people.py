"""Console: people — add one by hand, edit, roles with the grid picker, unlock, reset, deactivate.
Every action calls app/accounts/people.py (the rules the API keeps too) with the API's schema
loaded from the form; destructive ones go through a confirmation page that works without
JavaScript; each is in the audit log (/admin/audit)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.accounts import people as rules
from app.accounts import throttle
from app.accounts.models import ROLES, Org, RoleAssignment, User
from app.accounts.schemas import PersonCreateSchema, PersonUpdateSchema, RoleGrantSchema
from app.audit.models import AuditEntry
from app.core.errors import ApiError
from app.core.ids import as_id
from app.extensions import db
from app.grid.models import GridNode
from app.grid.scope import scope_for

from . import audit_words
from .actions import load_form, refusals_flashed
from .base import bp, picker_nodes, staff_required

# What each action asks before it is done (None: done at once, nothing is lost).
CONFIRM = {
    "remove": _l("Remove this role? The person loses what it lets them see and do."),
    "reset_password": _l("Reset the password? The old one stops working and every device is signed out; "
                         "the new one is shown once."),
    "deactivate": _l("Deactivate this account? The person can no longer sign in; what they did stays."),
    "end_sessions": _l("Sign this person out everywhere?"),
    "reactivate": None, "unlock": None,
}
ACTION_WORDS = {
    "remove": _l("Remove the role"), "reset_password": _l("Reset password"),
    "deactivate": _l("Deactivate"), "end_sessions": _l("End all sessions"),
    "reactivate": _l("Reactivate"), "unlock": _l("Unlock sign-in"),
}


def _committee_or_admin():
    if not current_user.has_role("admin", "committee"):
        abort(403)


def _person(user_id: int) -> User:
    try:
        return rules.person_or_404(current_user, user_id)
    except ApiError as exc:
        abort(exc.status)


def _grantable_roles() -> list[str]:
    admin = scope_for(current_user).is_admin
    return [r for r in ROLES if admin or r not in rules.PEER_ROLES]


def _orgs():
    return db.session.execute(select(Org).order_by(Org.name)).scalars().all()


@bp.get("/people")
@staff_required
def people():
    """People who hold a role in my grid (admins: everyone), with their roles and state."""
    scope = scope_for(current_user)
    query = select(User).order_by(User.display_name, User.username).limit(200)
    if not scope.is_admin:
        query = query.where(User.id.in_(select(RoleAssignment.user_id).join(
            GridNode, GridNode.id == RoleAssignment.grid_node_id).where(
            scope.path_filter(GridNode.path))))
    q = request.args.get("q", "")[:50]
    if q:
        like = f"%{q}%"
        query = query.where(User.username.like(like) | User.display_name.like(like) | User.phone.like(like))
    users = db.session.execute(query).scalars().all()
    return render_template("console/people.html", users=users, q=q,
                           locked={u.id for u in users if throttle.is_locked(u.username)},
                           manageable={u.id for u in users if rules.may_manage(current_user, u)
                                       and current_user.has_role("admin", "committee")})


@bp.route("/people/new", methods=["GET", "POST"])
@staff_required
@refusals_flashed("console.person_new")
def person_new():
    """Add one person by hand with their first role; the password is shown once."""
    _committee_or_admin()
    if request.method == "POST":
        user, password = rules.create_person(current_user, load_form(PersonCreateSchema))
        return render_template("console/person_password.html", person=user, password=password, new=True)
    return render_template("console/person_new.html", nodes=picker_nodes("committee"),
                           roles=_grantable_roles(), orgs=_orgs())


@bp.get("/people/<int:user_id>")
@staff_required
def person(user_id):
    """One person: name and phone, roles, sign-in state, actions and their history."""
    _committee_or_admin()
    user = _person(user_id)
    history = db.session.execute(select(AuditEntry).where(AuditEntry.target == f"user:{user.id}")
                                 .order_by(AuditEntry.id.desc()).limit(50)).scalars().all()
    return render_template("console/person.html", person=user, locked=throttle.is_locked(user.username),
                           nodes=picker_nodes("committee"), roles=_grantable_roles(), orgs=_orgs(),
                           history=audit_rows(history), myself=user.id == current_user.id)


@bp.post("/people/<int:user_id>/edit")
@staff_required
@refusals_flashed("console.person", user_id=lambda kw: kw["user_id"])
def person_edit(user_id):
    _committee_or_admin()
    rules.update_person(current_user, _person(user_id), load_form(PersonUpdateSchema))
    flash(_("Saved."))
    return redirect(url_for("console.person", user_id=user_id))


@bp.post("/people/<int:user_id>/roles")
@staff_required
@refusals_flashed("console.person", user_id=lambda kw: kw["user_id"])
def person_role(user_id):
    _committee_or_admin()
    added = rules.assign_role(current_user, _person(user_id), load_form(RoleGrantSchema))
    flash(_("Done.") if added else _("This person already holds this role."))
    return redirect(url_for("console.person", user_id=user_id))


@bp.get("/people/<int:user_id>/confirm")
@staff_required
def person_confirm(user_id):
    """The confirmation step of a destructive action: a page, so it works without JavaScript."""
    _committee_or_admin()
    user = _person(user_id)
    action = request.args.get("action", "")
    if not CONFIRM.get(action):
        abort(404)
    assignment = None
    if action == "remove":
        assignment = db.session.get(RoleAssignment, as_id(request.args.get("assignment")) or 0)
        if assignment is None or assignment.user_id != user.id:
            abort(404)
    return render_template("console/person_confirm.html", person=user, action=action,
                           question=CONFIRM[action], words=ACTION_WORDS[action], assignment=assignment)


@bp.post("/people/<int:user_id>")
@staff_required
@refusals_flashed("console.person", user_id=lambda kw: kw["user_id"])
def person_action(user_id):
    """Remove a role, reset the password, deactivate or reactivate, end sessions, unlock.
    A destructive action not yet confirmed goes to its confirmation page first."""
    _committee_or_admin()
    user = _person(user_id)
    action = request.form.get("action", "")
    if action == "assign":
        return person_role.__wrapped__(user_id=user_id)
    if action not in CONFIRM:
        abort(400)
    if CONFIRM[action] and request.form.get("confirmed") != "1":
        return redirect(url_for("console.person_confirm", user_id=user_id, action=action,
                                assignment=request.form.get("assignment") or None))
    if action == "remove":
        rules.remove_role(current_user, user, as_id(request.form.get("assignment")))
        flash(_("Done."))
    elif action == "reset_password":
        password = rules.reset_password(current_user, user)
        return render_template("console/person_password.html", person=user, password=password, new=False)
    elif action in ("deactivate", "reactivate"):
        rules.set_active(current_user, user, action == "reactivate")
        flash(_("Done."))
    elif action == "end_sessions":
        flash(_("Ended %(count)d sessions of %(user)s.", count=rules.end_sessions(current_user, user),
                user=user.display_name))
    elif action == "unlock":
        rules.unlock(current_user, user)
        flash(_("Sign-in unlocked for %(user)s.", user=user.display_name))
    return redirect(url_for("console.person", user_id=user_id))


AUDIT_WORDS = {
    "create_person": _l("Added the person"), "update_person": _l("Changed name or phone"),
    "assign_role": _l("Assigned a role"), "remove_role": _l("Removed a role"),
    "reset_password": _l("Reset the password"), "deactivate": _l("Deactivated the account"),
    "reactivate": _l("Reactivated the account"), "end_sessions": _l("Signed the person out everywhere"),
    "unlock_sign_in": _l("Unlocked sign-in"), "export": _l("Exported submissions"),
    "read_sensitive": _l("Read personal details"), "import_grid": _l("Imported the grid"),
    "import_users": _l("Imported people"), "import_person": _l("Added the person by an import"),
    "download_export": _l("Downloaded an export"), "close_form": _l("Closed a form"),
    "reopen_form": _l("Reopened a form"),
}


def audit_rows(entries) -> list[dict]:
    """Audit entries in words: who, what, whom, the role and node named."""
    from app.submissions.words import role_label

    ids = {e.actor_id for e in entries} | {as_id(e.target.split(":", 1)[1]) for e in entries
                                           if e.target.startswith("user:")}
    users = {u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids - {None}))).scalars()}
    codes = {(e.detail or {}).get("grid_code") for e in entries} - {None}
    names = dict(db.session.execute(select(GridNode.code, GridNode.name).where(GridNode.code.in_(codes))).all())
    described = audit_words.describe(entries)
    rows = []
    for e in entries:
        detail = e.detail or {}
        target = users.get(as_id(e.target.split(":", 1)[1])) if e.target.startswith("user:") else None
        about = []
        if detail.get("role"):
            about.append(role_label(detail["role"]))
        if detail.get("grid_code"):
            about.append(names.get(detail["grid_code"], ""))
        if detail.get("org"):
            about.append(detail["org"])
        actor = users.get(e.actor_id)
        whom, more = described.get(e.id, ("", ""))
        about.append(more)
        rows.append({"at": e.at, "actor": actor.display_name if actor else _("The system"),
                     "what": str(AUDIT_WORDS.get(e.action, _("Another change"))),
                     "whom": target.display_name if target else whom,
                     "about": " · ".join(a for a in about if a)})
    return rows


@bp.get("/audit")
@staff_required
def audit():
    """The audit log: what was done to people (committee: people of its grid; admin: all)."""
    _committee_or_admin()
    scope = scope_for(current_user)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)
    if not scope.is_admin:
        mine = select(RoleAssignment.user_id).join(GridNode, GridNode.id == RoleAssignment.grid_node_id).where(
            scope.path_filter(GridNode.path, "committee"))
        targets = [f"user:{i}" for i in db.session.execute(mine).scalars()]
        query = query.where(AuditEntry.target.in_(targets or ["-"]) | (AuditEntry.actor_id == current_user.id))
    return render_template("console/audit.html", rows=audit_rows(db.session.execute(query).scalars().all()))
