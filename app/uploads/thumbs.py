"""Server-made thumbnails of uploaded photos, made once and kept beside the image."""
import io

from PIL import Image, ImageOps, UnidentifiedImageError

from app.uploads.storage import get_storage

THUMB_SIZE = (320, 320)


def thumbnail(upload_id: str, original: bytes) -> bytes | None:
    """A JPEG at most 320 px on its longer side, from the store or made now (and stored)."""
    storage = get_storage()
    key = f"{upload_id}-thumb"
    cached = storage.load(key)
    if cached is not None:
        return cached
    try:
        with Image.open(io.BytesIO(original)) as img:
            img = ImageOps.exif_transpose(img)
            img.thumbnail(THUMB_SIZE)
            if img.mode in ("RGBA", "LA", "P"):
                img = img.convert("RGBA")
                flat = Image.new("RGB", img.size, "white")
                flat.paste(img, mask=img.split()[-1])
                img = flat
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    data = out.getvalue()
    storage.save(key, data)
    return data
