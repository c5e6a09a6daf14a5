"""Console: my own account — change my password (the API's own service,
app.accounts.sessions.change_own_password: every other session and token of mine ends)."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.schemas import PasswordSchema
from app.accounts.sessions import change_own_password
from app.core.errors import ApiError
from app.core.security import own_account
from app.extensions import db, limiter

from .actions import load_form
from .base import bp, staff_required


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAIL_LIMIT_USER"], methods=["POST"],
               deduct_when=lambda r: r.status_code == 403)
@staff_required
def my_password():
    """Change my password: the current one, the new one twice; errors beside their inputs."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.form.get("new_password", "") != request.form.get("new_password_again", ""):
            errors["new_password_again"] = [_("The two new passwords are not the same.")]
        else:
            try:
                args = load_form(PasswordSchema)
                change_own_password(own_account(), args["current_password"], args["new_password"])
                flash(_("Your password is changed. Every other device where you were signed in "
                        "is now signed out."))
                return redirect(url_for("console.dashboard"))
            except ApiError as exc:
                db.session.rollback()
                errors = dict(exc.fields or {})
                if exc.status == 403:
                    errors["current_password"] = [exc.message]
        status = 403 if "current_password" in errors else 422
        return render_template("console/password.html", errors=errors), status
    return render_template("console/password.html", errors=errors)
