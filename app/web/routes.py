"""Serves the PWA at /app/ and the staff console at /admin/."""
import os

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("web", __name__)


def _pwa_dir() -> str:
    return os.path.join(os.path.dirname(current_app.root_path), "pwa")


@bp.get("/")
def root():
    from flask import redirect
    return redirect("/app/")


@bp.get("/app/")
@bp.get("/app/<path:path>")
def pwa(path: str = ""):
    """Static PWA files; any app route without a file extension gets the shell."""
    root = _pwa_dir()
    if path and os.path.splitext(path)[1]:
        full = os.path.join(root, path)
        if not os.path.isfile(full):
            abort(404)
        response = send_from_directory(root, path)
        if path == "sw.js":
            response.headers["Service-Worker-Allowed"] = "/app/"
            response.headers["Cache-Control"] = "no-cache"
        return response
    response = send_from_directory(root, "index.html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/admin/")
def console():
    return send_from_directory(os.path.join(_pwa_dir()), "admin.html")
