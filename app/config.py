"""Configuration from the environment, with embedded defaults for a single community."""
import os

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"


class ConfigError(RuntimeError):
    """The configuration cannot be used (e.g. production with the default secret key)."""


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the config dict from the environment, then apply explicit overrides."""
    env = os.environ
    cfg = {
        "ENV_NAME": env.get("TONGXIN_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "DATABASE_URL", f"sqlite:///{os.path.join(instance_path, 'tongxin.db')}"
        ),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 1024 * 1024)),
        "UPLOAD_MAX_BYTES": 5 * 1024 * 1024,
        "UPLOAD_FOLDER": env.get("UPLOAD_FOLDER", os.path.join(instance_path, "uploads")),
        # Exports: up to EXPORT_INLINE_MAX_ROWS rows are answered at once (streamed); bigger
        # ones are background jobs (POST /api/v1/exports) whose files are kept this long.
        "EXPORT_FOLDER": env.get("EXPORT_FOLDER", os.path.join(instance_path, "exports")),
        "EXPORT_INLINE_MAX_ROWS": int(env.get("EXPORT_INLINE_MAX_ROWS", 20_000)),
        "EXPORT_KEEP_HOURS": int(env.get("EXPORT_KEEP_HOURS", 24)),
        # The web process runs a queued export itself (a thread), so the embedded setup needs
        # no worker; with a `flask worker` running, set false to leave them to it.
        "EXPORTS_IN_PROCESS": env.get("EXPORTS_IN_PROCESS", "true").strip().lower()
        in ("1", "true", "yes"),
        # Residents' contact details of closed letters are erased this long after closing.
        "CONTACT_RETENTION_DAYS": int(env.get("CONTACT_RETENTION_DAYS", 3 * 365)),
        "TOKEN_LIFETIME_DAYS": int(env.get("TOKEN_LIFETIME_DAYS", 30)),
        # Failed sign-ins of one account from one client before that client is locked out
        # of it; the lock starts at LOGIN_LOCK_SECONDS and doubles up to the period.
        "LOGIN_FAIL_LIMIT_USER": env.get("LOGIN_FAIL_LIMIT_USER", "10/15 minutes"),
        "LOGIN_LOCK_SECONDS": int(env.get("LOGIN_LOCK_SECONDS", 60)),
        # Failed sign-ins from one address, any account: sized for a carrier's NAT.
        "LOGIN_FAIL_LIMIT_CLIENT": env.get("LOGIN_FAIL_LIMIT_CLIENT", "300/15 minutes"),
        "SIGNUP_LIMIT": env.get("SIGNUP_LIMIT", "20/hour"),
        "PUBLIC_SUBMIT_LIMIT": env.get("PUBLIC_SUBMIT_LIMIT", "10/minute"),
        "PUBLIC_SUBMIT_LIMIT_NODE": env.get("PUBLIC_SUBMIT_LIMIT_NODE", "60/minute"),
        # Reverse proxies in front of the app (nginx: 1): X-Forwarded-For/-Proto are read
        # from that many hops; 0 ignores them.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", 0)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": int(env.get("SESSION_LIFETIME_SECONDS", 12 * 3600)),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # A database that does not answer is a 503 after this long, not a hung worker.
        "DB_CONNECT_TIMEOUT": int(env.get("DB_CONNECT_TIMEOUT", 5)),
        "DB_STATEMENT_TIMEOUT_MS": int(env.get("DB_STATEMENT_TIMEOUT_MS", 10_000)),
        # The client's own deadline (app/core/watchdog.py); unset: the statement timeout + 5 s.
        "DB_CLIENT_TIMEOUT_MS": env.get("DB_CLIENT_TIMEOUT_MS") or None,
        "DB_EXPORT_STATEMENT_TIMEOUT_MS": int(env.get("DB_EXPORT_STATEMENT_TIMEOUT_MS", 60_000)),
        "DB_BUSY_TIMEOUT_MS": int(env.get("DB_BUSY_TIMEOUT_MS", 30_000)),
        "API_TITLE": "Tongxin API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_TRANSLATION_DIRECTORIES": "translations",
        "JSON_SORT_KEYS": False,
        "TIMEZONE": env.get("TONGXIN_TIMEZONE", "Asia/Shanghai").strip(),
        # Where residents open the app (the QR posters' links), e.g. https://tongxin.example.cn;
        # empty: the address of the request that prints them.
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").strip().rstrip("/"),
        # The working calendar of timers in working time ("2wd", "8wh"): app/core/worktime.py.
        "WORKING_HOURS": env.get("TONGXIN_WORKING_HOURS", "09:00-18:00").strip(),
        "HOLIDAYS": env.get("TONGXIN_HOLIDAYS", "").strip(),
        "MAKEUP_WORKDAYS": env.get("TONGXIN_MAKEUP_WORKDAYS", "").strip(),
    }
    uri = cfg["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith(("postgres://", "postgresql://")):
        cfg["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.split("://", 1)[1]
    if cfg["ENV_NAME"] == "production":
        cfg["SESSION_COOKIE_SECURE"] = True
    if overrides:
        cfg.update(overrides)
    return cfg


def validate_config(cfg: dict) -> None:
    """Refuse settings that would be unsafe or unusable."""
    if cfg["ENV_NAME"] == "production" and (
        not cfg.get("SECRET_KEY") or cfg["SECRET_KEY"] == DEFAULT_SECRET_KEY
    ):
        raise ConfigError("SECRET_KEY must be set to a secret value in production")
    if len(cfg.get("SECRET_KEY") or "") < 16:
        raise ConfigError("SECRET_KEY must be at least 16 characters long")
    from app.core.timezone import load_zone
    try:
        load_zone(cfg.get("TIMEZONE") or "Asia/Shanghai")
    except ValueError as exc:
        raise ConfigError(f"TONGXIN_TIMEZONE: {exc}") from None
    from app.core.worktime import build_calendar
    try:
        build_calendar(cfg)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    uri = cfg["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith(("sqlite:", "postgresql")):
        raise ConfigError(f"Unsupported DATABASE_URL scheme: {uri.split(':', 1)[0]}")
