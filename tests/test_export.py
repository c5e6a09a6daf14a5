"""Exports: CSV and XLSX of a form's submissions, scoped (issue 6, contract §3)."""
import csv
import io

from openpyxl import load_workbook

from tests.conftest import submit_need


def test_csv_export_opens_with_chinese_intact(login, people):
    submit_need(login("captain"), description="燃气管道老化，需要改造")
    r = login("branch").get("/api/v1/submissions/export?form=need&format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    raw = r.data
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows[0]
    assert "需求描述" in header and "状态" in header and "居民联系电话" in header
    row = dict(zip(header, rows[1]))
    assert row["需求描述"] == "燃气管道老化，需要改造"
    assert row["状态"] == "楼长处理中"
    assert row["居民联系电话"] == "139****5678"   # masked unless asked for and needed (PIPL)
    assert len(rows) == 2


def test_xlsx_export_opens_with_openpyxl(login, people):
    for i in range(3):
        submit_need(login("captain"), description=f"需求{i}")
    r = login("committee").get("/api/v1/submissions/export?form=need&format=xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4
    assert sorted(dict(zip(rows[0], row))["需求描述"] for row in rows[1:]) == ["需求0", "需求1", "需求2"]


def test_export_is_scoped_and_neutralises_formulas(login, people):
    submit_need(login("captain"), description="=HYPERLINK(\"http://evil\")")
    submit_need(login("captain4"), "B4")
    rows = list(csv.reader(io.StringIO(login("branch").get(
        "/api/v1/submissions/export?form=need").data.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[1][rows[0].index("需求描述")].startswith("'=")
    assert login("branch").get("/api/v1/submissions/export?form=need&format=pdf").status_code == 422
    assert login("branch").get("/api/v1/submissions/export").status_code == 422
