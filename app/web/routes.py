"""Serves the PWA at /app/ (shell, assets, a versioned service worker)."""
import hashlib
import json
import os

from flask import Blueprint, Response, abort, current_app, redirect, send_from_directory

bp = Blueprint("web", __name__)
NOT_PRECACHED = {"sw.js", "README.md", "update.sh"}


def _pwa_dir() -> str:
    return os.path.join(os.path.dirname(current_app.root_path), "pwa")


def precache_manifest() -> list[dict]:
    """Every shell file with a content hash; the shell itself is cached as /app/."""
    root = _pwa_dir()
    entries = []
    for folder, _dirs, files in os.walk(root):
        for name in sorted(files):
            if name in NOT_PRECACHED:
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, "rb") as fh:
                revision = hashlib.sha256(fh.read()).hexdigest()[:16]
            url = "/app/" if rel == "index.html" else f"/app/{rel}"
            entries.append({"url": url, "revision": revision})
    return sorted(entries, key=lambda e: e["url"])


@bp.get("/")
def root():
    return redirect("/app/")


@bp.get("/app/sw.js")
def service_worker():
    """The worker script with its precache list; a new release changes VERSION."""
    manifest = precache_manifest()
    with open(os.path.join(_pwa_dir(), "sw.js"), encoding="utf-8") as fh:
        body = fh.read()
    own = hashlib.sha256(body.encode()).hexdigest()[:16]
    version = hashlib.sha256((json.dumps(manifest) + own).encode()).hexdigest()[:16]
    head = f"const VERSION = {json.dumps(version)};\nconst PRECACHE = {json.dumps(manifest)};\n"
    # Imports must come first in a module; put the constants after them.
    lines = body.splitlines(keepends=True)
    split = next(i for i, line in enumerate(lines) if line.startswith("import ")) + 1
    script = "".join(lines[:split]) + head + "".join(lines[split:])
    return Response(script, mimetype="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/app/"})


@bp.get("/app/")
@bp.get("/app/<path:path>")
def pwa(path: str = ""):
    """Static PWA files; any app route without a file extension gets the shell."""
    root = _pwa_dir()
    if path and os.path.splitext(path)[1]:
        if not os.path.isfile(os.path.join(root, path)) or os.path.basename(path) in NOT_PRECACHED:
            abort(404)
        response = send_from_directory(root, path, max_age=0)
        if path.endswith(".webmanifest"):
            response.mimetype = "application/manifest+json"
        return response
    response = send_from_directory(root, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response

