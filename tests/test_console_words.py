"""The console in words and community time (issue 21)."""
import io
import re
from datetime import datetime

from PIL import Image

from tests.conftest import suggestion


def _text(html: str) -> str:
    """What a person reads: the page without tags and attribute values."""
    html = re.sub(r"<(script|style|textarea)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


CODES = ("at_captain", "at_branch", "escalate", "suggestion", "True", "False", "None",
         "category", "anonymous", "repair")


def test_detail_page_in_words_and_community_time(console, login, anon, people, clock):
    clock.now = datetime(2026, 12, 2, 4, 0)
    raw = io.BytesIO()
    Image.new("RGB", (640, 480), "blue").save(raw, "JPEG")
    upload = anon.client.post("/api/v1/uploads", data={"file": (io.BytesIO(raw.getvalue()), "a.jpg")},
                              content_type="multipart/form-data").get_json()["id"]
    sub = anon.post("/api/v1/submissions", json=suggestion(photos=[upload], anonymous=True)).get_json()
    clock.now = datetime(2026, 12, 2, 4, 14)
    login("captain").post(f"/api/v1/submissions/{sub['id']}/transitions",
                          json={"action": "escalate", "comment": "已联系物业"})
    client, _token = console("branch")
    html = client.get(f"/admin/submissions/{sub['id']}").get_data(as_text=True)
    text = _text(html)
    assert "12月2日 12:00 居民 提交了来信" in text
    assert "12月2日 12:14 captain 上报支部：已联系物业" in text
    assert "设施报修" in text and "匿名反映" in text and "是" in text
    assert f'src="/api/v1/uploads/{upload}?size=thumb"' in html
    assert f'href="/api/v1/uploads/{upload}"' in html
    for code in CODES:
        assert not re.search(rf"\b{code}\b", text), code
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)
    # The console's own session may open the photo and its thumbnail.
    assert client.get(f"/api/v1/uploads/{upload}?size=thumb").status_code == 200

    listing = _text(client.get("/admin/submissions").get_data(as_text=True))
    assert "2026-12-02 12:14" in listing and "楼长信箱" in listing and "小区党支部处理中" in listing
    for code in CODES[:5]:
        assert not re.search(rf"\b{code}\b", listing), code


def test_console_list_offers_both_exports_with_its_filters(console, people):
    client, _token = console("branch")
    import html as htmllib
    page = client.get("/admin/submissions?form=need&state=at_branch&grid_code=E1&from=2026-03-01")
    links = htmllib.unescape(page.get_data(as_text=True))
    for fmt in ("xlsx", "csv"):
        assert (f"/api/v1/submissions/export?form=need&state=at_branch&grid_code=E1"
                f"&from=2026-03-01&format={fmt}") in links
    export = client.get("/api/v1/submissions/export?form=need&state=at_branch&format=csv")
    assert export.status_code == 200


def test_console_pages_show_roles_levels_and_local_times(console, people):
    client, token = console("committee")
    client.post("/admin/activities", data={
        "csrf_token": token, "title": "中医义诊", "grid_code": "C1", "place": "社区广场",
        "starts_at": "2030-06-27T09:00", "ends_at": "2030-06-27T12:00", "capacity": "2"})
    assert "2030-06-27 09:00" in client.get("/admin/activities").get_data(as_text=True)
    people_page = _text(client.get("/admin/people").get_data(as_text=True))
    assert "党员楼长" in people_page and not re.search(r"\bcaptain ·", people_page)
    grid_page = _text(client.get("/admin/grid").get_data(as_text=True))
    assert "楼栋" in grid_page and not re.search(r"\bbuilding\b", grid_page)
    form_page = _text(client.get("/admin/forms/suggestion").get_data(as_text=True))
    assert "超过 48 小时未处理：自动上报支部" in form_page or "48 小时" in form_page
    assert not re.search(r"\bat_captain\b", form_page)


def test_points_entry_names_why(login, people):
    captain = login("captain")
    sub = captain.post("/api/v1/submissions", json=suggestion()).get_json()
    captain.post(f"/api/v1/submissions/{sub['id']}/transitions", json={"action": "resolve", "comment": "修好了"})
    entry = captain.get("/api/v1/points/me").get_json()["entries"][0]
    assert entry["text"] == f"办结来信 #{sub['id']}：+5"


def test_a_claim_in_the_console_list_names_person_post_and_time(console, login, people):
    from tests.conftest import new_uuid

    post = login("branch").post("/api/v1/posts", json={
        "title": "楼道清扫", "grid_code": "E1", "capacity": 2,
        "starts_at": "2030-06-27T09:00", "ends_at": "2030-06-27T12:00"}).get_json()
    login("volunteer").post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": "E1", "data": {"post": post["id"]}})
    client, _token = console("branch")
    listing = _text(client.get("/admin/submissions").get_data(as_text=True))
    assert "volunteer：楼道清扫（2030年6月27日 09:00）" in listing
