"""Photos are pictures (issue 21): the image and its server-made thumbnail, to exactly the
people who may read the submission."""
import io
import os

from PIL import Image

from tests.conftest import suggestion


def _upload(api, size=(1200, 900), fmt="JPEG"):
    raw = io.BytesIO()
    Image.new("RGB" if fmt == "JPEG" else "RGBA", size, (200, 40, 40)).save(raw, fmt)
    r = api.client.post("/api/v1/uploads", data={"file": (io.BytesIO(raw.getvalue()), "a.img")},
                        content_type="multipart/form-data", headers=api._headers())
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def test_photo_and_thumbnail_for_its_captain_only(app, login, anon, people):
    upload_id = _upload(anon)
    sub = anon.post("/api/v1/submissions", json=suggestion("B1", photos=[upload_id])).get_json()
    captain = login("captain")
    full = captain.get(f"/api/v1/uploads/{upload_id}")
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert full.headers["Cache-Control"].startswith("private")
    assert Image.open(io.BytesIO(full.data)).size == (1200, 900)
    thumb = captain.get(f"/api/v1/uploads/{upload_id}?size=thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert thumb.headers["Cache-Control"].startswith("private")
    assert Image.open(io.BytesIO(thumb.data)).size == (320, 240)
    folder = app.config["UPLOAD_FOLDER"]
    assert any(name.endswith("-thumb") for _, _, files in os.walk(folder) for name in files)
    assert captain.get(f"/api/v1/uploads/{upload_id}?size=thumb").data == thumb.data
    again = captain.get(f"/api/v1/uploads/{upload_id}?size=thumb",
                        headers={"If-None-Match": thumb.headers["ETag"]})
    assert again.status_code == 304

    for other in ("captain2", "captain4", "partner", "volunteer", "resident"):
        api = login(other)
        assert api.get(f"/api/v1/uploads/{upload_id}").status_code == 404, other
        assert api.get(f"/api/v1/uploads/{upload_id}?size=thumb").status_code == 404, other
    assert anon.get(f"/api/v1/uploads/{upload_id}?size=thumb").status_code == 404
    assert login("branch").get(f"/api/v1/uploads/{upload_id}?size=thumb").status_code == 200

    words = captain.get(f"/api/v1/submissions/{sub['id']}").get_json()["display"]
    photos = next(d for d in words if d["name"] == "photos")
    assert photos["text"] == "1 张照片"
    assert photos["photos"][0]["thumb_url"] == f"/api/v1/uploads/{upload_id}?size=thumb"


def test_thumbnail_of_a_transparent_png(login, people):
    captain = login("captain")
    upload_id = _upload(captain, (100, 400), "PNG")
    thumb = captain.get(f"/api/v1/uploads/{upload_id}?size=thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.data)).size == (80, 320)
