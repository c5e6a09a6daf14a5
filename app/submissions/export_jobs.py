"""Big exports as background jobs (contract §6.6).

`POST /api/v1/exports` {"format", <the filters of GET /api/v1/submissions>} queues a job and
answers 202 {"id"}; `GET /api/v1/exports/<id>` tells its state and progress, and when done
the `url` of the file, which only the requester can download, for EXPORT_KEEP_HOURS.

A job runs outside any request, so no request outlives the server's timeout: in a thread of
the web process that queued it (EXPORTS_IN_PROCESS, the embedded setup), or in
`flask --app wsgi worker`. A runner takes a job with a lease (`locked_until`), as the outbox
worker takes deliveries: a runner killed mid-file leaves the job to be taken again. The
file is written under a temporary name and renamed when complete; `flask workflow tick`
removes expired files.
"""
import os
import secrets
import threading
from datetime import timedelta

from flask import current_app, jsonify, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from app.audit.services import record
from app.core.clock import isoformat, utcnow
from app.core.database import allow_long_statements
from app.core.errors import ApiError
from app.core.openapi import answers
from app.core.security import require_user
from app.extensions import db
from app.forms.services import form_by_slug, get_form_or_404
from app.submissions import export
from app.submissions.models import ExportJob, Submission
from app.submissions.schemas import ExportJobSchema
from app.submissions.routes import blp

# The filters of GET /api/v1/submissions that an export understands (query.filtered).
FILTERS = ("form", "state", "grid_code", "partner", "category", "from", "to")
STATES = ("queued", "running", "done", "failed")
LEASE_SECONDS = 15 * 60
MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument"
                                        ".spreadsheetml.sheet"}


def _folder() -> str:
    folder = current_app.config["EXPORT_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def job_of(user, job_id: str) -> ExportJob:
    """The caller's own job; anyone else's is a 404 (an id tells nothing)."""
    job = db.session.get(ExportJob, job_id) if len(job_id) <= 40 else None
    if job is None or job.user_id != user.id:
        raise ApiError(404)
    return job


def describe(job: ExportJob) -> dict:
    done = job.state == "done" and job.path is not None
    return {"id": job.id, "state": job.state, "progress": round(job.progress or 0.0, 4),
            "url": url_for("submissions.download_export", job_id=job.id, _external=True)
            if done else None,
            "format": job.format, "form": job.form, "rows": job.rows,
            "created_at": isoformat(job.created_at), "finished_at": isoformat(job.finished_at),
            "expires_at": isoformat(job.expires_at),
            "error": job.error}


def create_job(user, body: dict) -> ExportJob:
    """Check the request as GET /submissions/export does, and queue the job (audited)."""
    if not isinstance(body, dict):
        raise ApiError(422, fields={"format": [_("Use csv or xlsx.")]})
    export.exporter_scope(user)
    fields = {}
    fmt = body.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        fields["format"] = [_("Use csv or xlsx.")]
    filters = {}
    for key in FILTERS:
        value = body.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value) > 200:
            fields[key] = [_("Not a valid value.")]
        else:
            filters[key] = value
    if "form" not in filters and "form" not in fields:
        fields["form"] = [_("Choose a form.")]
    contacts = body.get("contacts", False)
    if not isinstance(contacts, bool):
        fields["contacts"] = [_("Not a valid boolean.")]
    unknown = set(body) - set(FILTERS) - {"format", "contacts"}
    for key in sorted(unknown)[:10]:
        fields[str(key)[:50]] = [_("Unknown field.")]
    if fields:
        raise ApiError(422, fields=fields)
    if form_by_slug(filters["form"]) is None:
        get_form_or_404(filters["form"])
    job = ExportJob(id=secrets.token_urlsafe(24), user_id=user.id, form=filters["form"],
                    format=fmt, filters=filters, contacts=contacts,
                    locale=export.locale(), root=request.url_root, state="queued",
                    progress=0.0, rows=0, created_at=utcnow())
    db.session.add(job)
    record(user, "export", f"form:{job.form}", format=fmt, filters=filters,
           contacts=contacts, background=True, job=job.id)
    return job


def claim(now=None) -> str | None:
    """Lease the oldest queued job (or a running one whose runner died) and commit."""
    now = now or utcnow()
    free = or_(ExportJob.state == "queued",
               (ExportJob.state == "running") & (ExportJob.locked_until <= now))
    for job_id in db.session.execute(select(ExportJob.id).where(free)
                                      .order_by(ExportJob.created_at).limit(5)).scalars().all():
        taken = db.session.execute(
            update(ExportJob).where(ExportJob.id == job_id, free)
            .values(state="running", started_at=now, progress=0.0,
                    locked_until=now + timedelta(seconds=LEASE_SECONDS))
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            db.session.commit()
            return job_id
    db.session.commit()
    return None


def _progress(job_id: str, rows: int, total: int) -> None:
    db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(
        rows=rows, progress=min(rows / total, 0.99) if total else 0.0,
        locked_until=utcnow() + timedelta(seconds=LEASE_SECONDS))
        .execution_options(synchronize_session=False))
    db.session.commit()


def run(job_id: str) -> str:
    """Write a claimed job's file. Returns its new state."""
    from app.accounts.models import User

    job = db.session.get(ExportJob, job_id)
    if job is None:
        return "failed"
    spec = {"user_id": job.user_id, "filters": dict(job.filters), "format": job.format,
            "contacts": job.contacts, "locale": job.locale, "root": job.root, "form": job.form}
    db.session.commit()
    path = os.path.join(_folder(), f"{job_id}.{spec['format']}")
    partial = path + ".part"
    try:
        with current_app.test_request_context(
                "/api/v1/submissions/export", base_url=spec["root"],
                query_string=spec["filters"], headers={"Accept-Language": spec["locale"]}):
            user = db.session.get(User, spec["user_id"])
            if user is None or not user.active:
                raise ApiError(403)
            scope = export.exporter_scope(user)
            form = get_form_or_404(spec["form"])
            columns = export._columns(form)
            query = export.export_query(user, scope, form)
            total = db.session.execute(select(func.count()).select_from(
                query.with_only_columns(Submission.id).order_by(None).subquery())).scalar()
            db.session.commit()

            def counted(rows):
                count = -1   # the header
                for row in rows:
                    yield row
                    count += 1
                    if count > 0 and count % export.BATCH == 0:
                        _progress(job_id, count, total)
                        allow_long_statements(db)
                counted.rows = max(count, 0)

            allow_long_statements(db)
            rows = counted(export._rows(query, columns, spec["root"], user=user,
                                        contacts=spec["contacts"]))
            if spec["format"] == "csv":
                with open(partial, "w", encoding="utf-8", newline="") as out:
                    export.write_csv(out, rows)
            else:
                with open(partial, "wb") as out:
                    export.write_xlsx(out, rows, spec["form"])
            os.replace(partial, path)
            now = utcnow()
            keep = timedelta(hours=current_app.config.get("EXPORT_KEEP_HOURS", 24))
            db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(
                state="done", progress=1.0, rows=counted.rows, path=os.path.basename(path),
                finished_at=now, expires_at=now + keep, locked_until=None)
                .execution_options(synchronize_session=False))
            db.session.commit()
            return "done"
    except Exception as exc:   # noqa: BLE001  (any fault: the job says failed, not hangs)
        current_app.logger.exception("export %s failed", job_id)
        db.session.rollback()
        if os.path.exists(partial):
            os.remove(partial)
        message = exc.message if isinstance(exc, ApiError) and exc.message else \
            _("The export could not be written; please try again.")
        db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(
            state="failed", error=str(message)[:500], finished_at=utcnow(),
            expires_at=utcnow() + timedelta(hours=current_app.config.get(
                "EXPORT_KEEP_HOURS", 24)), locked_until=None)
            .execution_options(synchronize_session=False))
        db.session.commit()
        return "failed"


def run_pending(now=None) -> int:
    """Run every queued export (one after another). Returns how many ran."""
    ran = 0
    while True:
        job_id = claim(now)
        if job_id is None:
            return ran
        run(job_id)
        ran += 1


def remove_expired(now=None) -> int:
    """Delete expired jobs and their files (the tick calls this). Returns how many."""
    now = now or utcnow()
    expired = db.session.execute(select(ExportJob).where(
        ExportJob.expires_at.is_not(None), ExportJob.expires_at <= now)).scalars().all()
    folder = current_app.config["EXPORT_FOLDER"]
    for job in expired:
        if job.path:
            try:
                os.remove(os.path.join(folder, os.path.basename(job.path)))
            except FileNotFoundError:
                pass
        db.session.delete(job)
    db.session.commit()
    return len(expired)


def _run_in_thread(app) -> None:
    with app.app_context():
        try:
            run_pending()
        finally:
            db.session.remove()


def start_in_process() -> None:
    """Run the queue in a thread of this process, if so configured (not under tests, which
    run it themselves)."""
    app = current_app._get_current_object()
    if app.config.get("EXPORTS_IN_PROCESS") and not app.testing:
        threading.Thread(target=_run_in_thread, args=(app,), daemon=True,
                         name="tongxin-export").start()


@blp.route("/exports", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["form"], "additionalProperties": False, "properties": {
        "format": {"type": "string", "enum": ["csv", "xlsx"]},
        "contacts": {"type": "boolean"},
        **{k: {"type": "string", "nullable": True, "maxLength": 200} for k in FILTERS},
        "form": {"type": "string", "minLength": 1, "maxLength": 200}}}}}})
@blp.doc(**answers(ExportJobSchema, "202", description="Queued: poll GET /exports/{id}"))
def start_export():
    """Start a background export of a form's submissions (202 {"id"}); poll its state."""
    user = require_user()
    job = create_job(user, request.get_json(silent=True))
    db.session.commit()
    start_in_process()
    body = describe(job)
    return jsonify(body), 202, {"Location": url_for("submissions.export_status",
                                                    job_id=job.id)}


@blp.route("/exports/<job_id>", methods=["GET"])
@blp.doc(**answers(ExportJobSchema))
def export_status(job_id):
    """A background export's state, progress (0..1) and, when done, the file's url."""
    user = require_user()
    return jsonify(describe(job_of(user, job_id)))


@blp.route("/exports/<job_id>/file", methods=["GET"])
def download_export(job_id):
    """The finished export's file: for its requester only, until it expires."""
    user = require_user()
    job = job_of(user, job_id)
    if job.state != "done" or not job.path or (job.expires_at and job.expires_at <= utcnow()):
        raise ApiError(404)
    full = os.path.join(current_app.config["EXPORT_FOLDER"], os.path.basename(job.path))
    if not os.path.exists(full):
        raise ApiError(404)
    record(user, "download_export", f"form:{job.form}", job=job.id, contacts=job.contacts)
    response = send_file(full, mimetype=MIMETYPES[job.format], as_attachment=True,
                         download_name=f"{job.form}.{job.format}")
    if job.format == "csv":
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"   # residents' data: never kept by a cache
    return response
