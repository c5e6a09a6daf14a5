"""Tongxin (同心): low-code forms and workflows for the three-tier community grid."""
import os

from flask import Flask, jsonify
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.config import load_config, validate_config
from app.core.version import VERSION as __version__  # noqa: F401  (the release)


# Strict: no inline script or style, nothing from other origins, never framed.
CSP = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
    "img-src": "'self' blob: data:", "connect-src": "'self'", "worker-src": "'self'",
    "manifest-src": "'self'", "font-src": "'self'", "object-src": "'none'",
    "base-uri": "'none'", "form-action": "'self'", "frame-ancestors": "'none'",
}


class TongxinJSON(DefaultJSONProvider):
    ensure_ascii = False  # Chinese stays readable in API answers
    sort_keys = False



class BoundedInt(IntegerConverter):
    """<int:…> limited to database ids."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


class TongxinFlask(Flask):
    json_provider_class = TongxinJSON

    def dispatch_request(self):
        """Run the view, then commit once: the request owns the transaction (STYLE §4).

        Committing here rather than in after_request lets a failing commit (a unique
        constraint lost to a concurrent request) reach the error handlers as a 409.
        """
        from app.extensions import db

        rv = super().dispatch_request()
        db.session.commit()
        return rv


def create_app(config: dict | None = None) -> Flask:
    """Application factory."""
    app = TongxinFlask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path, config))
    validate_config(app.config)
    os.makedirs(app.instance_path, exist_ok=True)

    from app import models  # noqa: F401  (every table, before anything maps or migrates)
    from app.core import database  # noqa: F401  (engine event hooks)
    from app.core import watchdog
    watchdog.install(app.config)   # a frozen PostgreSQL answers 503, not never
    from app.hooks import register_hooks
    from app.core import refcache
    from app.core.errors import register_error_handlers, error_response, safe_rollback, safe_teardown
    from app.core.i18n import select_locale
    from app.core.seclog import log_security_event
    from app.core.security import (authenticate_first, check_csrf, load_request_user, no_store,
                                   refuse_nul)
    from app.extensions import api, babel, db, limiter, login_manager, migrate, talisman

    from app.core.ratelimit import TrustedProxies
    app.wsgi_app = TrustedProxies(app.wsgi_app, app.config)
    app.url_map.converters["int"] = BoundedInt  # /posts/99999999999999999999 → 404, not 500
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {},
        app.config)
    db.init_app(app)
    if app.config.get("SQLALCHEMY_DATABASE_URI", "").startswith("postgresql"):
        with app.app_context():
            watchdog.watch_pings(db.engine)
    # Flask-SQLAlchemy's teardown, made safe on a dead connection (never an HTML 500).
    app.teardown_appcontext_funcs[:] = [safe_teardown if getattr(f, "__self__", None) is db
                                        else f for f in app.teardown_appcontext_funcs]
    refcache.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    from app.core.openapi import register_field_types, register_security_schemes, spec_kwargs
    api.init_app(app, spec_kwargs={"info": {"description": (
        "Tongxin external API (contract v1). No string may hold NUL (400 anywhere).")},
        **spec_kwargs()})
    register_security_schemes(api)
    register_field_types(api)
    production = app.config["ENV_NAME"] == "production"
    talisman.init_app(
        app, force_https=False, strict_transport_security=production,
        session_cookie_secure=production, frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        content_security_policy=CSP, content_security_policy_nonce_in=[])

    @login_manager.user_loader
    def _load_user(user_id: str):
        from app.core.security import session_user
        return session_user(user_id)

    app.before_request(load_request_user)
    app.before_request(authenticate_first)
    app.before_request(check_csrf)
    # After sign-in: a signed-out write is 401 whatever its body, a NUL byte included.
    app.before_request(refuse_nul)
    app.after_request(log_security_event)
    app.after_request(no_store)

    register_hooks()
    _register_blueprints(app, api)
    register_error_handlers(app)

    @app.errorhandler(IntegrityError)
    def _integrity(exc):
        from flask_babel import gettext as _
        safe_rollback()
        return error_response(409, _("This conflicts with data saved at the same time; "
                                     "please reload and try again."))

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            safe_rollback()
            return jsonify({"status": "unavailable"}), 503, {"Retry-After": "5"}
        return jsonify({"status": "ok"})

    from app.cli import register_cli
    register_cli(app)
    return app


def _register_blueprints(app: Flask, api) -> None:
    from app.accounts.routes import blp as auth_blp
    from app.accounts.routes import users_blp
    from app.accounts.imports_api import blp as imports_blp
    from app.audit.routes import blp as audit_blp
    from app.meetings.routes import blp as meetings_blp
    from app.notices.routes import blp as notices_blp
    from app.forms.routes import blp as forms_blp
    from app.grid.routes import blp as grid_blp
    from app.lists.routes import blp as lists_blp
    from app.points.routes import blp as points_blp
    from app.stats.routes import blp as stats_blp
    from app.submissions.routes import blp as submissions_blp
    from app.sync.routes import blp as sync_blp
    from app.uploads.routes import blp as uploads_blp
    from app.volunteering.routes import blp as posts_blp
    from app.console import (account, community, configure, deliveries, exports,  # noqa: F401
                             imports, people, printing, routes, work)  # (console pages)
    from app.console.base import bp as console_bp
    from app.web.meta import blp as meta_blp
    from app.web.posters import blp as posters_blp
    from app.web.routes import bp as web_bp
    from app.submissions import export, export_jobs, public  # noqa: F401  (more routes on it)
    from app.volunteering import activities  # noqa: F401  (more routes on the posts blueprint)

    for blp in (auth_blp, grid_blp, forms_blp, submissions_blp, sync_blp, uploads_blp,
                posts_blp, lists_blp, points_blp, stats_blp, audit_blp, users_blp,
                notices_blp, meetings_blp, meta_blp, posters_blp, imports_blp):
        api.register_blueprint(blp)
    app.register_blueprint(web_bp)
    app.register_blueprint(console_bp)
    from app import notifications
    notifications.init_app(app, api)   # its routes, worker command and event subscriber
