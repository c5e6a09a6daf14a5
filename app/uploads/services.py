"""Image uploads: verified with Pillow, re-encoded without metadata (no GPS)."""
import hashlib
import io
import uuid

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.errors import ApiError
from app.extensions import db
from app.uploads.models import Upload
from app.uploads.storage import get_storage

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000


def store_image(raw: bytes, owner) -> Upload:
    """Check that the bytes are a real JPEG/PNG/WebP, re-encode them without EXIF, store."""
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in FORMATS:
            raise ApiError(415, _("Only JPEG, PNG or WebP images are accepted."))
        with Image.open(io.BytesIO(raw)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise ApiError(413, _("The image is too large."))
            img = ImageOps.exif_transpose(img)
            out = io.BytesIO()
            if fmt == "JPEG":
                img.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            elif fmt == "PNG":
                img.save(out, "PNG", optimize=True)
            else:
                img.save(out, "WEBP", quality=85)
            width, height = img.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ApiError(415, _("The file is not a valid image.")) from None
    data = out.getvalue()
    upload = Upload(id=str(uuid.uuid4()), owner_id=owner.id if owner else None,
                    content_type=FORMATS[fmt], size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(), width=width, height=height,
                    created_at=utcnow())
    get_storage().save(upload.id, data)
    db.session.add(upload)
    db.session.flush()
    return upload


def all_unattached(ids: list) -> bool:
    """Whether every id names an upload not yet attached to a submission (a photo field's
    values; registered with forms at app start, app/hooks.py)."""
    found = {u.id: u for u in db.session.execute(
        select(Upload).where(Upload.id.in_(ids))).scalars()}
    return not any(v not in found or found[v].submission_id is not None for v in ids)


def attach(ids: list, sub) -> None:
    """The photos a new submission names become its own (the write path, registered)."""
    for upload in db.session.execute(select(Upload).where(Upload.id.in_(ids))).scalars():
        upload.submission_id = sub.id
