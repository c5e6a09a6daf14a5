"""Sign-in, sign-out, who am I, sign-up."""
from flask import current_app, g, jsonify
from flask_babel import gettext as _
from flask_smorest import Blueprint

from app.accounts import people, services, throttle
from app.accounts.sessions import change_own_password, end_session, start_session
from app.accounts.models import ApiToken
from app.accounts.schemas import (ActiveSchema, SignedOutSchema, LoginSchema, MeSchema, NewPasswordSchema,
                                  PasswordSchema, PersonCreateSchema, PersonSchema,
                                  PersonUpdateSchema, RoleGrantSchema, SessionsEndedSchema,
                                  SignedInSchema, SignedUpSchema, SignupSchema, UnlockedSchema)
from app.core.openapi import answers
from app.core.errors import ApiError
from app.core.ratelimit import is_failed_login, login_client_key
from app.core.security import csrf_token, own_account, require_user
from app.extensions import db, limiter

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                description="Sign-in with a bearer token or a session cookie")


def _limit(config_key: str):
    return lambda: current_app.config[config_key]


@blp.route("/login", methods=["POST"])
@limiter.limit(_limit("LOGIN_FAIL_LIMIT_CLIENT"), key_func=login_client_key,
               deduct_when=is_failed_login)
@blp.arguments(LoginSchema)
@blp.doc(**answers(SignedInSchema))
def login(args):
    """Sign in: a bearer token, a CSRF token and a session cookie."""
    throttle.check(args["username"])
    user = services.authenticate(args["username"], args["password"])
    if user is None:
        seconds = throttle.record_failure(args["username"])
        if seconds:   # this failure locked the device out: say so now, not on the next try
            raise ApiError(401, _("Wrong username or password. Sign-in from this device is now "
                                  "locked for %(minutes)d minutes; staff can unlock your account.",
                                  minutes=max(1, -(-seconds // 60))),
                           "invalid_credentials", locked=True, retry_after=seconds)
        raise ApiError(401, _("Wrong username or password."), "invalid_credentials")
    throttle.record_success(args["username"])
    token = services.issue_token(user)
    start_session(user)
    return jsonify({"token": token, "csrf_token": csrf_token(), "user": user.to_dict()})


@blp.route("/logout", methods=["POST"])
@blp.doc(**answers(SignedOutSchema))
def logout():
    """Revoke the token used for this call, or end this cookie session on the server."""
    require_user()
    if g.get("api_token_id") is not None:
        services.revoke_token(db.session.get(ApiToken, g.api_token_id))
    end_session()
    return jsonify({"status": "ok"})


@blp.route("/me", methods=["GET"])
@blp.doc(**answers(MeSchema))
def me():
    """The signed-in user and their roles."""
    user = require_user()
    return jsonify({"user": user.to_dict(), **user.to_dict(), "csrf_token": csrf_token()})


@blp.route("/signup", methods=["POST"])
@limiter.limit(_limit("SIGNUP_LIMIT"))
@blp.arguments(SignupSchema)
@blp.doc(**answers(SignedUpSchema, "201"))
def signup(args):
    """Create a plain account (no staff role)."""
    username = args["username"].strip()
    fields = {}
    if not services.USERNAME_RE.match(username):
        fields["username"] = [_("Use 2 to 150 letters, digits or _ . - @.")]
    problem = services.password_problem(args["password"], username)
    if problem:
        fields["password"] = [problem]
    phone = services.normalize_phone(args.get("phone") or "")
    if phone and not services.PHONE_RE.match(phone):
        fields["phone"] = [_("Enter a valid mainland China mobile number (11 digits).")]
    if fields:
        raise ApiError(422, fields=fields)
    if services.user_by_username(username) is not None:
        raise ApiError(409, _("This username is already taken."), "username_taken")
    user = services.create_user(username, args["password"], args["display_name"].strip(), phone)
    db.session.flush()
    response = jsonify({"user": user.to_dict(), **user.to_dict()})
    response.status_code = 201
    return response


@blp.route("/password", methods=["POST"])
@limiter.limit(_limit("LOGIN_FAIL_LIMIT_USER"), deduct_when=lambda r: r.status_code in (401, 403))
@blp.arguments(PasswordSchema)
@blp.doc(**answers(SignedInSchema))
def change_password(args):
    """Change my password; every other token and session of mine is revoked."""
    user = own_account()
    change_own_password(user, args["current_password"], args["new_password"])
    token = services.issue_token(user)
    return jsonify({"token": token, "csrf_token": csrf_token(), "user": user.to_dict()})


users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users",
                      description="People (admin, or a committee in its grid)")


def _person(user_id: int):
    actor = require_user()
    return actor, people.person_or_404(actor, user_id)


def _person_body(user) -> dict:
    return {**user.to_dict(), "phone": user.phone, "active": user.active,
            "locked": throttle.is_locked(user.username),
            "role_ids": [r.id for r in user.roles]}


@users_blp.route("", methods=["POST"])
@users_blp.arguments(PersonCreateSchema)
@users_blp.doc(**answers(PersonSchema, "201"))
def create_person(args):
    """Add one person with their first role (admin, or committee in its grid; audited).
    The password, given or generated, is in the answer once."""
    actor = require_user()
    user, password = people.create_person(actor, args)
    return jsonify({**_person_body(user), "password": password}), 201


@users_blp.route("/<int:user_id>", methods=["GET"])
@users_blp.doc(**answers(PersonSchema))
def get_person(user_id):
    """A person the caller manages."""
    _, user = _person(user_id)
    return jsonify(_person_body(user))


@users_blp.route("/<int:user_id>", methods=["PATCH"])
@users_blp.arguments(PersonUpdateSchema)
@users_blp.doc(**answers(PersonSchema))
def update_person(args, user_id):
    """Change a person's name or phone (audited)."""
    actor, user = _person(user_id)
    return jsonify(_person_body(people.update_person(actor, user, args)))


@users_blp.route("/<int:user_id>/roles", methods=["POST"])
@users_blp.arguments(RoleGrantSchema)
@users_blp.doc(**answers(PersonSchema, "201", "200", description="201 granted; 200 held already"))
def assign_role(args, user_id):
    """Grant a role on a node of the caller's grid (audited)."""
    actor, user = _person(user_id)
    added = people.assign_role(actor, user, args)
    return jsonify(_person_body(user)), 201 if added else 200


@users_blp.route("/<int:user_id>/roles/<int:assignment_id>", methods=["DELETE"])
@users_blp.doc(**answers(PersonSchema))
def remove_role(user_id, assignment_id):
    """Take a role away (audited)."""
    actor, user = _person(user_id)
    people.remove_role(actor, user, assignment_id)
    return jsonify(_person_body(user))


@users_blp.route("/<int:user_id>/password", methods=["POST"])
@users_blp.doc(**answers(NewPasswordSchema))
def reset_password(user_id):
    """Generate a new password, shown once in the answer; the person's sessions end (audited)."""
    actor, user = _person(user_id)
    return jsonify({"id": user.id, "password": people.reset_password(actor, user)})


@users_blp.route("/<int:user_id>/deactivate", methods=["POST"])
@users_blp.doc(**answers(ActiveSchema))
def deactivate(user_id):
    """Deactivate a person: they cannot sign in; their tokens die; history stays (audited).
    Admin, or the committee of every node where the person holds a role (app/accounts/people.py)."""
    actor, user = _person(user_id)
    people.set_active(actor, user, False)
    return jsonify({"id": user.id, "username": user.username, "active": False})


@users_blp.route("/<int:user_id>/reactivate", methods=["POST"])
@users_blp.doc(**answers(ActiveSchema))
def reactivate(user_id):
    """Let a deactivated person sign in again (audited)."""
    actor, user = _person(user_id)
    people.set_active(actor, user, True)
    return jsonify({"id": user.id, "username": user.username, "active": True})


@users_blp.route("/<int:user_id>/sessions", methods=["DELETE"])
@users_blp.doc(**answers(SessionsEndedSchema))
def end_sessions(user_id):
    """End every session and token of a person (audited)."""
    actor, user = _person(user_id)
    return jsonify({"id": user.id, "ended": people.end_sessions(actor, user)})


@users_blp.route("/<int:user_id>/unlock", methods=["POST"])
@users_blp.doc(**answers(UnlockedSchema))
def unlock(user_id):
    """Lift every sign-in lock on a person's account, from every client (audited)."""
    actor, user = _person(user_id)
    return jsonify({"id": user.id, "unlocked": people.unlock(actor, user)})
