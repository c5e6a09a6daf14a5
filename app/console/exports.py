"""Console: a big export started in the background ("导出"), its progress and its link."""
from flask import abort, after_this_request, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import ApiError
from app.extensions import db
from app.submissions import export_jobs

from .base import bp, flash_api_error, staff_required


@bp.post("/exports")
@staff_required
def start_export():
    body = {k: request.form[k] for k in export_jobs.FILTERS if request.form.get(k)}
    body["format"] = request.form.get("format", "xlsx")
    body["contacts"] = bool(request.form.get("contacts"))
    try:
        job = export_jobs.create_job(current_user, body)
    except ApiError as exc:
        db.session.rollback()
        flash_api_error(exc)
        return redirect(url_for("console.submission_list", **{
            k: v for k, v in body.items() if k in export_jobs.FILTERS}))
    # The job's row must be committed before a runner thread looks for it: the request
    # commits when the view returns (TongxinFlask.dispatch_request), before this callback.
    @after_this_request
    def _start(response):
        export_jobs.start_in_process()
        return response
    flash(_("The export has started; this page shows when it is ready."))
    return redirect(url_for("console.export_progress", job_id=job.id))


@bp.get("/exports/<job_id>")
@staff_required
def export_progress(job_id):
    try:
        job = export_jobs.job_of(current_user, job_id)
    except ApiError:
        abort(404)
    from app.submissions.export import zone_caption
    return render_template("console/export.html", job=export_jobs.describe(job),
                           expires_at=job.expires_at, zone_caption=zone_caption())
