"""Managing people: one set of rules for the API (/api/v1/users) and the console (/admin/people).

Who may manage whom (decided once, issue 24):
- an admin manages anyone but themselves;
- a community committee manages a person all of whose grid roles lie inside a node where it
  holds the committee role, who holds at least one such role, and who is neither an admin nor
  a committee member (peers and those above are managed by an admin);
- nobody deactivates, reactivates or resets themselves here (that is their own account page).
A committee grants roles on nodes of its grid, but not `admin` or `committee` (admins do that).
Every change is written to the audit log in the caller's transaction; nothing here commits."""
import secrets

from flask_babel import gettext as _

from app.accounts import throttle
from app.accounts.models import ROLES, RoleAssignment, User
from app.accounts.services import (PHONE_RE, ROLE_LEVELS, USERNAME_RE, create_user,
                                   get_or_create_org, grant_role, normalize_phone,
                                   password_problem, user_by_username)
from app.accounts.sessions import end_all_sessions
from app.audit.services import record
from app.core.errors import ApiError
from app.extensions import db
from app.grid.scope import scope_for
from app.grid.services import node_by_code

PEER_ROLES = ("admin", "committee")   # roles only an admin grants, and whose holders only an admin manages


def may_manage(actor, user: User) -> bool:
    """The rule above, without the "not themselves" part (see manageable_or_error)."""
    scope = scope_for(actor)
    if scope.is_admin:
        return True
    if any(r.role in PEER_ROLES for r in user.roles):
        return False
    grid_roles = [r for r in user.roles if r.node is not None]
    return bool(grid_roles) and all(scope.covers_path(r.node.path, "committee") for r in grid_roles)


def person_or_404(actor, user_id) -> User:
    """A person the caller may manage: 404 when unknown or outside the caller's grid."""
    if not actor.has_role("admin", "committee"):
        raise ApiError(403, _("Only an administrator or a community committee manages people."))
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise ApiError(404)
    if not may_manage(actor, user):
        if any(r.role in PEER_ROLES for r in user.roles) and _in_my_grid(actor, user):
            raise ApiError(403, _("Only an administrator manages committee members and administrators."))
        raise ApiError(404)
    return user


def _in_my_grid(actor, user: User) -> bool:
    scope = scope_for(actor)
    return any(r.node is not None and scope.covers_path(r.node.path, "committee") for r in user.roles)


def _not_myself(actor, user: User) -> None:
    if user.id == actor.id:
        raise ApiError(409, _("You cannot do this to your own account."), "own_account")


def _role_target(actor, role: str, grid_code: str | None, org_name: str | None):
    """(node, org) for a role grant, or 403/422 naming what is wrong."""
    scope = scope_for(actor)
    if role not in ROLES:
        raise ApiError(422, fields={"role": [_("Choose a role.")]})
    if role in PEER_ROLES and not scope.is_admin:
        raise ApiError(403, _("Only an administrator grants this role."))
    org = None
    if role == "partner":
        if not (org_name or "").strip():
            raise ApiError(422, fields={"org": [_("Name the partner unit.")]})
        org = get_or_create_org(org_name.strip()[:200])
    node = node_by_code(grid_code) if grid_code else None
    if role == "admin":
        return None, None
    if role != "partner" or grid_code:
        if node is None:
            raise ApiError(422, fields={"grid_code": [_("Choose a grid node.")]})
        if not (scope.is_admin or scope.covers_path(node.path, "committee")):
            raise ApiError(403, _("This node is outside your grid."))
        if role in ROLE_LEVELS and node.level not in ROLE_LEVELS[role]:
            raise ApiError(422, fields={"grid_code": [_("This role is not held at this level of the grid.")]})
    if role == "partner" and not scope.is_admin and node is None:
        raise ApiError(422, fields={"grid_code": [_("Choose a grid node.")]})
    return node, org


def create_person(actor, args: dict) -> tuple[User, str]:
    """Add one person with their first role; returns (user, password shown once)."""
    if not actor.has_role("admin", "committee"):
        raise ApiError(403, _("Only an administrator or a community committee manages people."))
    username = args["username"].strip()
    fields = {}
    if not USERNAME_RE.match(username):
        fields["username"] = [_("Use 2 to 150 letters, digits or _ . - @.")]
    phone = normalize_phone(args.get("phone") or "")
    if phone and not PHONE_RE.match(phone):
        fields["phone"] = [_("Enter a valid mainland China mobile number (11 digits).")]
    password = args.get("password") or secrets.token_urlsafe(9)
    problem = password_problem(password, username)
    if problem:
        fields["password"] = [problem]
    if fields:
        raise ApiError(422, fields=fields)
    node, org = _role_target(actor, args["role"], args.get("grid_code"), args.get("org"))
    if user_by_username(username) is not None:
        raise ApiError(409, _("This username is already taken."), "username_taken",
                       fields={"username": [_("This username is already taken.")]})
    user = create_user(username, password, args["display_name"].strip(), phone)
    grant_role(user, args["role"], node, org)
    record(actor, "create_person", f"user:{user.id}", username=username, role=args["role"],
           grid_code=node.code if node else None)
    return user, password


def update_person(actor, user: User, args: dict) -> User:
    """Change a person's name and phone."""
    changes = {}
    if args.get("display_name") is not None:
        name = args["display_name"].strip()
        if not name:
            raise ApiError(422, fields={"display_name": [_("This field is required.")]})
        if name != user.display_name:
            changes["display_name"] = [user.display_name, name]
            user.display_name = name
    if args.get("phone") is not None:
        phone = normalize_phone(args["phone"])
        if phone and not PHONE_RE.match(phone):
            raise ApiError(422, fields={"phone": [_("Enter a valid mainland China mobile number (11 digits).")]})
        if phone != user.phone:
            changes["phone"] = True   # the number itself stays out of the log
            user.phone = phone
    if changes:
        record(actor, "update_person", f"user:{user.id}", changed=sorted(changes))
    return user


def assign_role(actor, user: User, args: dict) -> bool:
    """Grant a role on a node of the caller's grid (idempotent: False when already held)."""
    node, org = _role_target(actor, args["role"], args.get("grid_code"), args.get("org"))
    added = grant_role(user, args["role"], node, org)
    if added:
        record(actor, "assign_role", f"user:{user.id}", role=args["role"],
               grid_code=node.code if node else None, org=org.name if org else None)
    return added


def remove_role(actor, user: User, assignment_id) -> None:
    """Take one role away (on a node of the caller's grid)."""
    assignment = db.session.get(RoleAssignment, assignment_id) if isinstance(assignment_id, int) else None
    if assignment is None or assignment.user_id != user.id:
        raise ApiError(404)
    scope = scope_for(actor)
    if not scope.is_admin and (assignment.role in PEER_ROLES or assignment.node is None
                               or not scope.covers_path(assignment.node.path, "committee")):
        raise ApiError(403, _("This node is outside your grid."))
    record(actor, "remove_role", f"user:{user.id}", role=assignment.role,
           grid_code=assignment.node.code if assignment.node else None)
    user.roles.remove(assignment)
    db.session.delete(assignment)
    db.session.flush()


def reset_password(actor, user: User) -> str:
    """A new generated password (shown once); every session and token of the person ends."""
    _not_myself(actor, user)
    password = secrets.token_urlsafe(9)
    user.set_password(password)
    end_all_sessions(user.id)
    throttle.unlock(user.username)
    record(actor, "reset_password", f"user:{user.id}")
    return password


def set_active(actor, user: User, active: bool) -> User:
    """Deactivate (cannot sign in, sessions end, history stays) or reactivate a person."""
    _not_myself(actor, user)
    user.active = active
    if not active:
        end_all_sessions(user.id)
    record(actor, "reactivate" if active else "deactivate", f"user:{user.id}")
    return user


def end_sessions(actor, user: User) -> int:
    ended = end_all_sessions(user.id)
    record(actor, "end_sessions", f"user:{user.id}", ended=ended)
    return ended


def unlock(actor, user: User) -> int:
    """Lift every sign-in lock on the person's account, from every client."""
    cleared = throttle.unlock(user.username)
    record(actor, "unlock_sign_in", f"user:{user.id}", cleared=cleared)
    return cleared
