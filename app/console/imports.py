"""Console: import the grid or the people from the spreadsheet staff keep (CSV or .xlsx),
row-by-row preview, confirm; template files; generated passwords shown once."""
import base64
import binascii
import csv
import io

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.styles import Font

from app.accounts import importer
from app.core.i18n import select_locale
from app.extensions import db
from app.grid.scope import scope_for

from .base import _admin_or_committee, bp, staff_required

# The confirmation posts the file back (base64, 4/3 larger) under MAX_CONTENT_LENGTH (1 MB).
MAX_BYTES = 700 * 1024
KINDS = ("grid", "users")
STATUS = {"new": {"zh": "新建", "en": "New"}, "changed": {"zh": "修改", "en": "Changed"},
          "unchanged": {"zh": "不变", "en": "Unchanged"}}
COUNT_WORDS = {
    "created": {"zh": "新建网格", "en": "nodes created"},
    "updated": {"zh": "修改网格", "en": "nodes changed"},
    "unchanged": {"zh": "不变", "en": "unchanged"},
    "users_created": {"zh": "新建账号", "en": "accounts created"},
    "roles_added": {"zh": "新增角色", "en": "roles added"},
    "rows": {"zh": "行数", "en": "rows"},
}
# Template files: the header (Chinese, or the codes in English) and two example rows.
TEMPLATES = {
    "grid": {
        "zh": [["编码", "名称", "层级", "上级编码"],
               ["XN-BJ-SDC", "时代城小区", "小区", "XN-BJ"],
               ["XN-BJ-SDC-B01", "时代城1栋", "楼栋", "XN-BJ-SDC"]],
        "en": [["code", "name", "level", "parent_code"],
               ["XN-BJ-SDC", "时代城小区", "estate", "XN-BJ"],
               ["XN-BJ-SDC-B01", "时代城1栋", "building", "XN-BJ-SDC"]],
    },
    "users": {
        "zh": [["账号", "姓名", "手机", "密码", "角色", "网格编码", "单位"],
               ["lixs", "李杏珊", "13800000001", "", "楼长", "XN-BJ-SDC-B01", ""],
               ["wangsf", "王师傅", "13800000002", "", "共建单位", "", "三水燃气公司"]],
        "en": [["username", "display_name", "phone", "password", "role", "grid_code", "org"],
               ["lixs", "李杏珊", "13800000001", "", "captain", "XN-BJ-SDC-B01", ""],
               ["wangsf", "王师傅", "13800000002", "", "partner", "", "三水燃气公司"]],
    },
}


def _allow():
    """Where this importer may write: an admin anywhere, a committee in its own grid."""
    scope = scope_for(current_user)
    if scope.is_admin:
        return None
    return lambda path: path is not None and scope.covers_path(path, "committee")


def _words(label: dict, lang: str) -> str:
    return label.get(lang) or label["zh"]


def _page(status=200, **context):
    lang = select_locale()
    return render_template("console/import.html", lang=lang, kind=context.pop("kind", "grid"),
                           status_words={k: _words(v, lang) for k, v in STATUS.items()},
                           **context), status


def _problems(plan, lang):
    return [{"row": p.row, "column": importer.column_label(plan.kind, p.column, lang) or "",
             "text": _words(p.message, lang)} for p in plan.problems]


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_csv():
    """Upload the grid or people file: every problem listed at once, or a row-by-row preview
    of what would change; confirm writes it all (nothing when any row is bad)."""
    _admin_or_committee()
    if request.method == "GET":
        return _page(kind=request.args.get("kind") if request.args.get("kind") in KINDS else "grid")
    kind = request.form.get("kind")
    if kind not in KINDS:
        abort(400)
    lang = select_locale()
    confirm = bool(request.form.get("confirm"))
    if confirm:
        try:
            data = base64.b64decode(request.form.get("payload", ""), validate=True)
        except (binascii.Error, ValueError):
            abort(400)
        filename = request.form.get("filename", "")[:200]
    else:
        upload = request.files.get("file")
        data = upload.read(MAX_BYTES + 1) if upload else b""
        filename = (upload.filename or "") if upload else ""
        if not data:
            return _page(422, kind=kind, error=_("Choose a file to import."))
        if len(data) > MAX_BYTES:
            return _page(422, kind=kind, error=_("The file is larger than 700 KB; split it into several files."))
    try:
        plan = importer.plan_file(kind, data, filename, _allow())
    except importer.SheetError as exc:
        return _page(422, kind=kind, error=_words(exc.message, lang))
    if not plan.ok:
        db.session.rollback()
        return _page(422, kind=kind, problems=_problems(plan, lang), filename=filename)
    if not confirm:
        rows = [{"row": r.row, "status": r.status, "code": r.code, "name": r.name,
                 "changes": [_words(c, lang) for c in r.changes]} for r in plan.rows]
        counts = plan.counts()
        return _page(kind=kind, preview=rows, counts=counts, filename=filename,
                     payload=base64.b64encode(data).decode("ascii"))
    counts, generated = importer.apply_plan(plan)
    importer.audit_import(current_user, plan, counts, filename)
    summary = "，".join(f"{_words(COUNT_WORDS[k], lang)} {v}" for k, v in counts.items()
                       if k in COUNT_WORDS) if lang != "en" else ", ".join(
        f"{_words(COUNT_WORDS[k], lang)} {v}" for k, v in counts.items() if k in COUNT_WORDS)
    return _page(kind=kind, done=summary, generated=generated)


@bp.get("/import/template/<kind>.<fmt>")
@staff_required
def import_template(kind, fmt):
    """A template file to fill in: header and two example rows (Chinese names in zh)."""
    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        abort(404)
    lang = "en" if select_locale() == "en" else "zh"
    rows = TEMPLATES[kind][lang]
    stem = {"grid": {"zh": "网格导入模板", "en": "grid-template"},
            "users": {"zh": "人员导入模板", "en": "people-template"}}[kind][lang]
    from urllib.parse import quote

    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        body = ("\ufeff" + buffer.getvalue()).encode("utf-8")   # BOM: Excel opens it as UTF-8
        mimetype = "text/csv; charset=utf-8"
    else:
        book = Workbook()
        sheet = book.active
        sheet.title = stem[:31]
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.columns:   # phones and codes are text, not numbers
            for cell in column:
                cell.number_format = "@"
            sheet.column_dimensions[column[0].column_letter].width = 18
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ascii_name = f"{kind}-template.{fmt}"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(stem + '.' + fmt)}"})
