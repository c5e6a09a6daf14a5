"""Keys for Flask-Limiter: per client address, per username."""
from flask import request

from app.extensions import client_address


def login_username_key() -> str:
    """Rate-limit key for failed sign-ins against one account, whoever tries it."""
    body = request.get_json(silent=True) or {}
    username = body.get("username") if isinstance(body, dict) else None
    return "login-user:" + str(username or "").strip().lower()[:150]


def login_client_key() -> str:
    return "login-client:" + client_address()


def is_failed_login(response) -> bool:
    return response.status_code == 401
