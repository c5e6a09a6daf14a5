"""POST /api/v1/uploads and reading an image back (only by those who may see it)."""
from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint

from app.core.errors import ApiError
from app.submissions.scope import submission_filter
from app.core.security import optional_user
from app.extensions import db, limiter
from app.submissions.models import Submission
from app.core.openapi import answers
from app.uploads.models import Upload
from app.uploads.schemas import UploadSchema
from app.uploads.services import store_image
from app.uploads.storage import get_storage
from app.uploads.thumbs import thumbnail

blp = Blueprint("uploads", __name__, url_prefix="/api/v1/uploads", description="Photos")


def _signed_in() -> bool:
    return optional_user() is not None


@blp.route("", methods=["POST"])
@limiter.limit(lambda: current_app.config["PUBLIC_SUBMIT_LIMIT"], exempt_when=_signed_in)
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "a JPEG, PNG or WebP image of 5 MB at most"}}}}}},
         **answers(UploadSchema, "201"))
def upload():
    """Upload one image (multipart field `file`): JPEG, PNG or WebP, 5 MB at most."""
    user = optional_user()
    # The API's body limit is 1 MB; images may be 5 MB (Flask 3.1 per-request limit).
    request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"] + 64 * 1024
    file = request.files.get("file") or next(iter(request.files.values()), None)
    if file is None:
        raise ApiError(422, fields={"file": [_("Attach one image file.")]})
    raw = file.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
    if len(raw) > current_app.config["UPLOAD_MAX_BYTES"]:
        raise ApiError(413, _("The image must be 5 MB or smaller."))
    if not raw:
        raise ApiError(422, fields={"file": [_("The file is empty.")]})
    item = store_image(raw, user)
    return jsonify({"id": item.id, "content_type": item.content_type, "size": item.size,
                    "width": item.width, "height": item.height}), 201


@blp.route("/<upload_id>", methods=["GET"])
@blp.doc(parameters=[{"name": "size", "in": "query", "required": False,
                      "schema": {"type": "string", "enum": ["thumb"]},
                      "description": "`thumb`: a JPEG at most 320 px wide or high"}])
def download(upload_id):
    """The image (or `?size=thumb` its thumbnail), for its uploader or anyone who may see the
    submission holding it; 404 for everyone else."""
    if request.args.get("size", "thumb") != "thumb":   # as the document says: thumb or none
        raise ApiError(422, fields={"size": [_("Not a valid value.")]})
    user = optional_user()
    item = db.session.get(Upload, upload_id[:36])
    if item is None or user is None:
        raise ApiError(404)
    allowed = item.owner_id == user.id
    if not allowed and item.submission_id is not None:
        allowed = db.session.execute(db.select(Submission.id).where(
            Submission.id == item.submission_id, submission_filter(user))).first() is not None
    if not allowed:
        raise ApiError(404)
    data = get_storage().load(item.id)
    if data is None:
        raise ApiError(404)
    mimetype = item.content_type
    if "size" in request.args:
        data, mimetype = thumbnail(item.id, data), "image/jpeg"
        if data is None:
            raise ApiError(404)
    # Private: a shared cache must never keep a photo that only some people may see.
    response = Response(data, mimetype=mimetype,
                        headers={"Cache-Control": "private, max-age=86400",
                                 "Vary": "Authorization, Cookie"})
    response.set_etag(item.sha256[:32] + ("-thumb" if mimetype != item.content_type else ""))
    return response.make_conditional(request)
