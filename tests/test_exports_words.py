"""Exports read like the screens (issue 21): labels, community wall time, photo links,
the list's filters."""
import csv
import io
from datetime import datetime

from openpyxl import load_workbook
from PIL import Image

from tests.conftest import suggestion


def _csv(api, query):
    r = api.get(f"/api/v1/submissions/export?{query}")
    assert r.status_code == 200, r.data[:300]
    assert r.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))


def _photo(api):
    raw = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(raw, "JPEG")
    return api.client.post("/api/v1/uploads", data={"file": (io.BytesIO(raw.getvalue()), "a.jpg")},
                           content_type="multipart/form-data").get_json()["id"]


def test_csv_export_has_labels_local_time_and_photo_links(login, anon, people, clock):
    clock.now = datetime(2026, 12, 2, 4, 0)
    upload = _photo(anon)
    anon.post("/api/v1/submissions", json=suggestion(photos=[upload], anonymous=True))
    rows = _csv(login("branch"), "form=suggestion&format=csv")
    header, row = rows[0], dict(zip(rows[0], rows[1]))
    assert "提交时间（北京时间）" in header
    assert row["提交时间（北京时间）"] == "2026-12-02 12:00"
    assert row["类别"] == "设施报修" and row["匿名反映"] == "是"
    assert row["状态"] == "楼长处理中"
    assert row["照片"] == f"http://localhost/api/v1/uploads/{upload}"
    # The link works for a signed-in reader.
    assert login("branch").get(row["照片"].replace("http://localhost", "")).status_code == 200


def test_export_in_london_time(app, login, people, clock):
    clock.now = datetime(2026, 12, 2, 4, 0)
    login("captain").post("/api/v1/submissions", json=suggestion())
    app.config["TIMEZONE"] = "Europe/London"
    try:
        rows = _csv(login("branch"), "form=suggestion")
    finally:
        app.config["TIMEZONE"] = "Asia/Shanghai"
    assert dict(zip(rows[0], rows[1]))["提交时间（Europe/London）"] == "2026-12-02 04:00"


def test_export_takes_the_lists_filters(login, people, clock):
    captain, captain2 = login("captain"), login("captain2")
    clock.now = datetime(2026, 3, 2, 15, 30)          # 23:30 on 2 March in Shanghai
    captain.post("/api/v1/submissions", json=suggestion("B1", content="第一封"))
    clock.now = datetime(2026, 3, 2, 16, 30)          # 00:30 on 3 March
    captain.post("/api/v1/submissions", json=suggestion("B1", content="第二封"))
    captain2.post("/api/v1/submissions", json=suggestion("B2", content="第三封"))
    branch = login("branch")

    def contents(query):
        rows = _csv(branch, "form=suggestion&" + query)
        index = rows[0].index("内容")
        return sorted(r[index] for r in rows[1:])

    assert contents("grid_code=B1") == ["第一封", "第二封"]
    assert contents("grid_code=B2") == ["第三封"]
    assert contents("from=2026-03-03") == ["第三封", "第二封"]
    assert contents("to=2026-03-03") == ["第一封"]
    assert contents("state=at_branch") == []
    listed = branch.get("/api/v1/submissions?form=suggestion&from=2026-03-03").get_json()["items"]
    assert len(listed) == 2


def test_xlsx_export_reads_like_the_screen(login, anon, people, clock):
    clock.now = datetime(2026, 12, 2, 4, 0)
    upload = _photo(anon)
    anon.post("/api/v1/submissions", json=suggestion(photos=[upload]))
    r = login("committee").get("/api/v1/submissions/export?form=suggestion&format=xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1]))
    assert row["提交时间（北京时间）"] == "2026-12-02 12:00" and row["类别"] == "设施报修"
    photo_cell = sheet.cell(row=2, column=rows[0].index("照片") + 1)
    assert photo_cell.hyperlink.target.endswith(f"/api/v1/uploads/{upload}")
