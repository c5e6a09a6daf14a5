"""POST /api/v1/imports/grid and /api/v1/imports/users: the same importer as the CLI and the
console (importer.py), for scripts. Send the file as multipart `file` (CSV or .xlsx);
`?dry_run=1` answers the row-by-row plan and writes nothing. A bad file is a 422 listing every
problem with its row and column; nothing is written."""
from flask import jsonify, request
from flask_smorest import Blueprint

from app.accounts import importer
from app.accounts.schemas import ImportedSchema
from app.core.errors import ApiError
from app.core.openapi import answers
from app.core.i18n import select_locale
from app.core.security import require_user
from app.extensions import db
from app.grid.scope import scope_for

blp = Blueprint("imports", __name__, url_prefix="/api/v1/imports",
                description="Grid and people imports (CSV or .xlsx), all or nothing")
MAX_BYTES = 700 * 1024


@blp.route("/<kind>", methods=["POST"])
@blp.doc(parameters=[{"name": "dry_run", "in": "query", "required": False,
                      "schema": {"type": "string"}, "description": "1/true: plan only"}],
         requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
             "type": "object", "required": ["file"], "properties": {"file": {
                 "type": "string", "format": "binary",
                 "description": "CSV or .xlsx, 700 KB at most"}}}}}},
         **answers(ImportedSchema, description=(
             "`kind` is grid or users. 422 with `error.problems: [{row, column, message}]` "
             "when any row is bad (nothing is imported).")))
def import_file(kind):
    """Import the grid or the people (admin; a committee within its own grid)."""
    user = require_user()
    if kind not in ("grid", "users"):
        raise ApiError(404)
    scope = scope_for(user)
    if not scope.is_admin and not any(r == "committee" for r, _ in scope.staff):
        raise ApiError(403)
    upload = request.files.get("file")
    data = upload.read(MAX_BYTES + 1) if upload else b""
    if not data or len(data) > MAX_BYTES:
        raise ApiError(422, fields={"file": [importer.locale_text(
            {"zh": "请上传不超过 700 KB 的 CSV 或 .xlsx 文件。",
             "en": "Send a CSV or .xlsx file of at most 700 KB."})]})
    lang = select_locale()
    allow = None if scope.is_admin else (
        lambda path: path is not None and scope.covers_path(path, "committee"))
    try:
        plan = importer.plan_file(kind, data, upload.filename or "", allow)
    except importer.SheetError as exc:
        raise ApiError(422, exc.message[lang], "invalid_file") from None
    if not plan.ok:
        raise ApiError(422, importer.locale_text({"zh": "文件有误，什么都没有导入。",
                                                  "en": "The file has errors; nothing was imported."}),
                       "invalid_file", problems=[
                           {"row": p.row, "column": p.column, "message": p.message[lang]}
                           for p in plan.problems])
    rows = [{"row": r.row, "status": r.status, "key": r.code, "name": r.name,
             "changes": [c[lang] for c in r.changes]} for r in plan.rows]
    dry_run = request.args.get("dry_run") in ("1", "true", "yes")
    body = {"kind": kind, "dry_run": dry_run, "counts": plan.counts(), "rows": rows, "generated": []}
    if not dry_run:
        counts, generated = importer.apply_plan(plan)
        importer.audit_import(user, plan, counts, upload.filename or "")
        db.session.commit()
        body["generated"] = [{"display_name": n, "username": u, "password": p} for n, u, p in generated]
    return jsonify(body)
