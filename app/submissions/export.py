"""GET /api/v1/submissions/export: CSV (UTF-8 with BOM) or XLSX, streamed."""
import csv
import io
import tempfile

from flask import Response, request, stream_with_context
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import func, select

from app.core.database import allow_long_statements
from app.core.errors import ApiError
from app.core.i18n import pick
from app.grid.scope import scope_for
from app.core.security import require_user
from app.core.timezone import zone_name
from app.submissions.words import format_stamp, format_value, locale, state_label
from app.extensions import db
from app.forms.models import FormVersion
from app.forms.services import get_form_or_404
from app.submissions import display
from app.submissions.contacts import is_contact_field, mask_value
from app.submissions.models import Submission
from app.submissions.services import may_see_contacts
from app.submissions.query import FILTER_PARAMETERS, filtered
from app.submissions.routes import blp
from app.audit.services import record

BATCH = 1000


def _columns(form) -> list[tuple[str, str]]:
    """One column per field of any version, in the order of the newest version first."""
    versions = db.session.execute(select(FormVersion).where(FormVersion.form_id == form.id)
                                  .order_by(FormVersion.number.desc())).scalars()
    seen: dict[str, str] = {}
    for v in versions:
        for f in v.definition["fields"]:
            seen.setdefault(f["name"], pick(f["label"]))
    return list(seen.items())


def zone_caption() -> str:
    """The zone a time column is in, for its header: `北京时间` / `Europe/London`."""
    name = zone_name()
    return _("Beijing time") if name == "Asia/Shanghai" else name


def _photo_links(ids, root: str) -> str:
    return "\n".join(f"{root}api/v1/uploads/{i}" for i in ids or [])


def _rows(query, columns, root: str = "/", user=None, contacts: bool = False):
    """Header, then one row per submission, read in id order in batches (memory stays flat),
    as the screens show it: labels of each row's own form version, community wall time.
    Residents' contact details are masked unless `contacts` was asked for and the exporter
    is one who must call back on that row (services.may_see_contacts).

    Runs after the view returned (streaming), so it gets only SQL and plain data."""
    lang = locale()
    zone = zone_caption()
    base = [_("ID"), _("Tracking code"), _("State"), _("Grid code"), _("Grid node"),
            _("Form version")] + [f"{_(name)}（{zone}）" for name in
                                  ("Created at", "Updated at", "Resolved at")]
    yield base + [label for _name, label in columns]
    fields_of: dict[int, dict] = {}
    scope = scope_for(user) if contacts else None
    last_id = 0
    while True:
        batch = db.session.execute(query.where(Submission.id > last_id)
                                   .order_by(Submission.id).limit(BATCH)).unique().scalars().all()
        if not batch:
            break
        refs = display.References().load((s.version, s.data) for s in batch)
        for s in batch:
            if s.form_version_id not in fields_of:
                fields_of[s.form_version_id] = s.version.field_map()
            own = fields_of[s.form_version_id]
            full = contacts and may_see_contacts(user, s, scope)
            row = [s.id, s.tracking_code, state_label(s.version.workflow, s.state, lang),
                   s.node.code, s.node.name, s.form_version, format_stamp(s.created_at),
                   format_stamp(s.updated_at), format_stamp(s.resolved_at)]
            for name, _label in columns:
                value = s.data.get(name)
                field = own.get(name)
                if field is not None and field["type"] == "photo":
                    row.append(_photo_links(value if isinstance(value, list) else [], root))
                elif field is not None and is_contact_field(field) and not full:
                    row.append(mask_value(name, display.field_text(field, value, lang, refs)))
                elif field is not None:
                    row.append(display.field_text(field, value, lang, refs))
                else:
                    row.append(format_value(value, lang))
            yield row
        last_id = batch[-1].id
        db.session.expunge_all()


def _cell(sheet, value):
    """A photo column's links, clickable in Excel and WPS (the first photo of the cell)."""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        cell = WriteOnlyCell(sheet, value=value)
        cell.hyperlink = value.split("\n", 1)[0]
        return cell
    return value


def _safe(value):
    """Neutralise spreadsheet formulas in user text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def exporter_scope(user):
    """The caller's scope, if they may export at all (branch, committee, admin); 403 otherwise."""
    scope = scope_for(user)
    if not any(role in ("branch", "committee") for role, _p in scope.staff) and not scope.is_admin:
        raise ApiError(403, _("Exports are for the estate branch and the community committee."))
    return scope


def export_query(user, scope, form):
    """The form's submissions in the caller's scope, narrowed by the request's filters."""
    return filtered(user, select(Submission).where(
        Submission.form_id == form.id, scope.path_filter(Submission.node_path)))


def write_csv(out, rows) -> None:
    """CSV (UTF-8 with BOM, Excel opens it with Chinese intact) into a text file."""
    writer = csv.writer(out)
    out.write("\ufeff")
    for row in rows:
        writer.writerow([_safe(v) for v in row])


def write_xlsx(out, rows, title: str) -> None:
    """XLSX written row by row (openpyxl write-only: memory stays flat) into a binary file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([_cell(sheet, _safe(v)) for v in row])
    workbook.save(out)


def wants_contacts(value) -> bool:
    """`contacts=full`: residents' contact details in full where the exporter's role needs
    them (the holder's tier and the committee); masked otherwise."""
    return str(value).strip().lower() in ("full", "true", "1", "yes")


@blp.route("/submissions/export", methods=["GET"])
@blp.doc(parameters=[
    {"name": "form", "in": "query", "required": True,
     "schema": {"type": "string", "minLength": 1}, "description": "the form's slug"},
    {"name": "format", "in": "query", "required": False,
     "schema": {"type": "string", "enum": ["csv", "xlsx"]}},
    {"name": "contacts", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "`full`: contact details in full where the exporter's role needs them"},
    *[p for p in FILTER_PARAMETERS if p["name"] != "form"]])
def export():
    """Export a form's submissions in the caller's scope (branch or committee).

    Up to EXPORT_INLINE_MAX_ROWS rows answer at once, streamed; a bigger export is a
    background job (POST /api/v1/exports), so no request outlives the server's timeout."""
    from flask import current_app

    user = require_user()
    scope = exporter_scope(user)
    slug = request.args.get("form")
    if not slug:
        raise ApiError(422, fields={"form": [_("Choose a form.")]})
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise ApiError(422, fields={"format": [_("Use csv or xlsx.")]})
    form = get_form_or_404(slug)
    columns = _columns(form)
    query = export_query(user, scope, form)
    limit = current_app.config.get("EXPORT_INLINE_MAX_ROWS", 20_000)
    count = db.session.execute(select(func.count()).select_from(
        query.with_only_columns(Submission.id).order_by(None).subquery())).scalar()
    if count > limit:
        raise ApiError(413, _("This export has %(count)d rows, more than %(limit)d: start it "
                              "as a background export and download it when it is ready.",
                              count=count, limit=limit))
    contacts = wants_contacts(request.args.get("contacts", ""))
    filename = f"{slug}.{fmt}"
    record(user, "export", f"form:{slug}", format=fmt, filters=dict(request.args),
           contacts=contacts, rows=count)
    db.session.commit()  # the audit entry stands even if the download is interrupted
    root = request.url_root
    if fmt == "csv":
        def generate():
            allow_long_statements(db)   # in the streaming transaction (the request's ended)
            buffer = io.StringIO()
            write_csv(buffer, [])
            yield buffer.getvalue()
            writer = csv.writer(buffer)
            for row in _rows(query, columns, root, user=user, contacts=contacts):
                buffer.seek(0)
                buffer.truncate()
                writer.writerow([_safe(v) for v in row])
                yield buffer.getvalue()
        return Response(stream_with_context(generate()), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    allow_long_statements(db)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    write_xlsx(spool, _rows(query, columns, root, user=user, contacts=contacts), slug)
    spool.seek(0)

    def chunks():
        while True:
            block = spool.read(64 * 1024)
            if not block:
                spool.close()
                break
            yield block
    return Response(chunks(), mimetype=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
