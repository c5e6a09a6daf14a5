"""The console in Chromium (issue 24): a committee member downloads the template, imports the
community's estates and captains from Excel — preview, confirm, the passwords' printable table
— and prints the buildings' QR posters from the grid page."""
import io

import pypdfium2
import pytest
import requests
import zxingcpp
from openpyxl import Workbook

from tests.browser import console_sign_in, desk, expect, shot

pytestmark = pytest.mark.browser


def _xlsx(path, rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return str(path)


def test_excel_import_preview_confirm_and_posters(browser, live_server, people, tmp_path):
    context = desk(browser)
    page = context.new_page()
    console_sign_in(page, live_server)
    page.goto(f"{live_server}/admin/import")
    with page.expect_download() as download:
        page.click("a[href$='/admin/import/template/grid.xlsx']")
    assert download.value.suggested_filename.endswith(".xlsx")
    shot(page, "console-import")

    grid = _xlsx(tmp_path / "网格.xlsx", [["编码", "名称", "层级", "上级编码"],
                                          ["E7", "新城花园", "小区", "C1"],
                                          ["E7-B1", "新城花园1栋", "楼栋", "E7"],
                                          ["E7-B2", "新城花园2栋", "楼栋", "E7"],
                                          ["E1", "时代城小区", "小区", "C1"]])
    page.check("input[name=kind][value=grid]")
    page.set_input_files("input[name=file]", grid)
    page.click("#upload button[type=submit]")
    preview = page.get_by_test_id("import-preview")
    expect(preview).to_contain_text("新城花园1栋")
    expect(preview.get_by_test_id("preview-row")).to_have_count(4)
    expect(preview.locator("tr.status-unchanged")).to_contain_text("时代城小区")
    shot(page, "console-import-preview-xlsx")
    page.click("#confirm")
    expect(page.get_by_test_id("import-done")).to_contain_text("新建网格 3")

    people = _xlsx(tmp_path / "人员.xlsx", [["账号", "姓名", "手机", "密码", "角色", "网格编码", "单位"],
                                            ["xinzb", "刘书记", "13900000021", "", "党支部", "E7", ""],
                                            ["xinlz1", "黄阿姨", "13900000022", "", "楼栋长", "E7-B1", ""],
                                            ["xinlz2", "吴叔叔", "", "", "楼长", "E7-B2", ""]])
    page.check("input[name=kind][value=users]")
    page.set_input_files("input[name=file]", people)
    page.click("#upload button[type=submit]")
    expect(page.get_by_test_id("import-preview")).to_contain_text("党员楼长（新城花园1栋）")
    page.click("#confirm")
    table = page.get_by_test_id("generated-passwords")
    expect(table).to_contain_text("初始密码")
    expect(table.locator("tbody tr")).to_have_count(3)
    shot(page, "console-import-passwords")
    password = table.locator("tbody tr", has_text="xinlz1").locator("td.password").inner_text()
    assert requests.post(f"{live_server}/api/v1/auth/login", json={
        "username": "xinlz1", "password": password}).status_code == 200

    bad = _xlsx(tmp_path / "bad.xlsx", [["编码", "名称", "层级", "上级编码"],
                                        ["E8-B1", "", "楼栋", "E7"], ["E8-B2", "二栋", "村", "E7"],
                                        ["E8-B3", "三栋", "楼栋", "NOPE"]])
    page.check("input[name=kind][value=grid]")
    page.set_input_files("input[name=file]", bad)
    page.click("#upload button[type=submit]")
    expect(page.get_by_test_id("import-problem")).to_have_count(3)
    shot(page, "console-import-problems")

    page.goto(f"{live_server}/admin/grid")
    page.select_option("select[name=grid_code]", "E7")
    page.check("input[name=captain]")
    shot(page, "console-grid-posters")
    with context.expect_event("response", predicate=lambda r: "posters.pdf" in r.url) as answer:
        page.click("#print-posters")
    response = answer.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = requests.get(response.url, cookies={c["name"]: c["value"] for c in context.cookies()})
    doc = pypdfium2.PdfDocument(pdf.content)
    assert len(doc) == 2
    found = zxingcpp.read_barcodes(doc[0].render(scale=2).to_pil())
    assert found and found[0].text.endswith("/app/s/E7-B1")
    assert "黄阿姨" in doc[0].get_textpage().get_text_range()
    context.close()


def test_no_codes_on_the_import_pages(app, grid, make_user):
    """The no-codes crawl's rule on the pages a crawl cannot reach by links: the preview, the
    problems and the passwords of an import, and the grid page with its print button."""
    import re

    from tests.conftest import PASSWORD
    from tests.test_console_crawl import identifiers, leaks, visible_text

    codes = identifiers()
    make_user("chensj", ("committee", "C1"), display_name="北江社区党委 陈书记")
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").get_data(as_text=True)).group(1)
    client.post("/admin/login", data={"username": "chensj", "password": PASSWORD, "csrf_token": token})
    form_page = client.get("/admin/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_page).group(1)

    def upload(kind, rows):
        out = io.BytesIO()
        book = Workbook()
        for row in rows:
            book.active.append(row)
        book.save(out)
        return client.post("/admin/import", data={"csrf_token": token, "kind": kind, "file": (
            io.BytesIO(out.getvalue()), "f.xlsx")}, content_type="multipart/form-data").get_data(as_text=True)

    people_rows = [["账号", "姓名", "手机", "密码", "角色", "网格编码", "单位"],
                   ["lixs", "李杏珊", "", "", "楼长", "B1", ""], ["wugong", "吴工", "", "", "党员", "C1", ""],
                   ["chensj", "陈书记", "", "", "志愿者", "C1", ""]]
    pages = {
        "form": form_page,
        "grid": client.get("/admin/grid").get_data(as_text=True),
        "preview": upload("users", people_rows),
        "problems": upload("users", [people_rows[0], ["x y", "", "", "", "村长", "B9", ""]]),
    }
    payload = re.search(r'<textarea name="payload" hidden>(.*?)</textarea>', pages["preview"], re.S).group(1)
    pages["passwords"] = client.post("/admin/import", data={
        "csrf_token": token, "kind": "users", "confirm": "1", "payload": payload,
        "filename": "f.xlsx"}).get_data(as_text=True)
    assert "初始密码" in pages["passwords"]
    for name, html in pages.items():
        assert not leaks(visible_text(html), codes), (name, leaks(visible_text(html), codes))
