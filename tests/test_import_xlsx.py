"""Excel in and out (issue 24): grid and people from .xlsx with Chinese headers, level and role
names, through the CLI and the console; every bad row listed at once; a row-by-row preview
before anything is written; template files."""
import base64
import html as htmllib
import io
import re

from openpyxl import Workbook
from sqlalchemy import func, select

from app.accounts.models import RoleAssignment, User
from app.extensions import db
from app.grid.models import GridNode


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GRID_ROWS = [["编码", "名称", "层级", "上级编码"],
             ["E7", "新城花园", "小区", "C1"],
             ["E7-B1", "新城花园1栋", "楼栋", "E7"],
             ["E7-B2", "新城花园2栋", "楼", "E7"]]
PEOPLE_ROWS = [["账号", "姓名", "手机", "密码", "角色", "网格编码", "单位"],
               ["xinzb", "新城支部 刘书记", 13900000011, "", "党支部", "E1", ""],
               ["xinlz", "新城楼长 黄阿姨", "13900000012", "a-good-pass-1", "楼栋长", "B1", ""],
               ["xindy", "在职党员 吴工", "", "", "党员", "C1", ""],
               ["ranqi", "燃气公司 何师傅", "", "", "共建单位", "", "三水燃气公司"]]


def _count(in_app, model):
    return in_app(lambda: db.session.execute(select(func.count()).select_from(model)).scalar_one())


def _file(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_cli_imports_xlsx_grid_with_chinese_levels(runner, tmp_path, in_app, grid):
    result = runner.invoke(args=["grid", "import", _file(tmp_path, "网格.xlsx", xlsx(GRID_ROWS))])
    assert result.exit_code == 0, result.output
    assert "created 3" in result.output

    def check():
        nodes = {n.code: n for n in db.session.execute(select(GridNode)).scalars()}
        assert nodes["E7"].level == "estate" and nodes["E7-B2"].level == "building"
        assert nodes["E7-B1"].path.startswith(nodes["E7"].path) and nodes["E7"].path.startswith(nodes["C1"].path)
    in_app(check)
    again = runner.invoke(args=["grid", "import", _file(tmp_path, "again.xlsx", xlsx(GRID_ROWS))])
    assert again.exit_code == 0 and "created 0" in again.output and "unchanged 3" in again.output


def test_cli_imports_xlsx_people_with_chinese_roles(runner, tmp_path, in_app, grid):
    result = runner.invoke(args=["users", "import", _file(tmp_path, "人员.xlsx", xlsx(PEOPLE_ROWS))])
    assert result.exit_code == 0, result.output
    assert "generated password for xinzb:" in result.output and "xinlz:" not in result.output

    def roles():
        rows = db.session.execute(select(User.username, User.phone, RoleAssignment.role).join(
            RoleAssignment, RoleAssignment.user_id == User.id)).all()
        return {(u, p, r) for u, p, r in rows}
    assert in_app(roles) >= {("xinzb", "13900000011", "branch"), ("xinlz", "13900000012", "captain"),
                       ("xindy", "", "member"), ("ranqi", "", "partner")}
    again = runner.invoke(args=["users", "import", _file(tmp_path, "again.xlsx", xlsx(PEOPLE_ROWS))])
    assert again.exit_code == 0 and "roles_added 0" in again.output


BAD_ROWS = [["编码", "名称", "层级", "上级编码"],
            ["E8", "好小区", "小区", "C1"],
            ["E8-B1", "", "楼栋", "E8"],          # no name
            ["E8-B2", "二栋", "村委楼", "E8"],      # unknown level
            ["E8-B3", "三栋", "楼栋", "NOPE"]]      # unknown parent


def test_three_bad_rows_are_all_listed_in_chinese_and_nothing_changes(runner, tmp_path, in_app, grid):
    before = _count(in_app, GridNode)
    result = runner.invoke(args=["grid", "import", _file(tmp_path, "bad.xlsx", xlsx(BAD_ROWS))],
                           env={"LANG": "zh_CN.UTF-8"})
    assert result.exit_code != 0
    out = result.output
    assert "第 3 行“名称”列：名称为空" in out, out
    assert "第 4 行“层级”列：未知的层级“村委楼”" in out
    assert "第 5 行“上级编码”列：上级编码“NOPE”不存在" in out
    assert "什么都没有导入" in out
    assert _count(in_app, GridNode) == before
    english = runner.invoke(args=["grid", "import", _file(tmp_path, "bad.xlsx", xlsx(BAD_ROWS))],
                            env={"LANG": "en_US.UTF-8", "LC_ALL": ""})
    assert "line 3, column name: name is empty" in english.output
    assert "line 4, column level: unknown level" in english.output and "line 5" in english.output


def _upload(client, token, kind, name, data):
    return client.post("/admin/import", data={"csrf_token": token, "kind": kind,
                                              "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _confirm(client, token, kind, html):
    payload = re.search(r'<textarea name="payload" hidden>(.*?)</textarea>', html, re.S).group(1)
    filename = re.search(r'name="filename" value="([^"]*)"', html).group(1)
    return client.post("/admin/import", data={"csrf_token": token, "kind": kind, "confirm": "1",
                                              "payload": payload, "filename": htmllib.unescape(filename)})


def _cells(html):
    """The preview's rows as lists of cell texts."""
    rows = re.findall(r'<tr class="status-\w+" data-testid="preview-row">(.*?)</tr>', html, re.S)
    return [[htmllib.unescape(c) for c in re.findall(r"<td>(.*?)</td>", r, re.S)] for r in rows]


def test_console_preview_names_what_will_change_then_imports(console, in_app):  # noqa: F811
    client, token = console("committee")
    rows = GRID_ROWS + [["E1", "时代城小区（新）", "小区", "C1"], ["B1", "时代城1栋", "楼栋", "E1"]]
    r = _upload(client, token, "grid", "网格.xlsx", xlsx(rows))
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html
    cells = _cells(html)
    assert ["2", "新建", "E7", "新城花园", ""] in cells
    assert ["5", "修改", "E1", "时代城小区（新）", "名称：时代城小区 → 时代城小区（新）"] in cells
    assert ["6", "不变", "B1", "时代城1栋", ""] in cells
    assert "new" not in re.sub(r"<[^>]+>", " ", html).split()   # words, not English keys
    assert _count(in_app, GridNode) == 11                         # nothing written yet
    done = _confirm(client, token, "grid", html)
    assert done.status_code == 200 and 'data-testid="import-done"' in done.get_data(as_text=True)
    assert _count(in_app, GridNode) == 14
    assert in_app(lambda: db.session.execute(select(GridNode.name).where(GridNode.code == "E1")).scalar_one()) \
        == "时代城小区（新）"


def test_console_people_import_shows_passwords_once(console, in_app):  # noqa: F811
    client, token = console("committee")
    r = _upload(client, token, "users", "人员.xlsx", xlsx(PEOPLE_ROWS))
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html
    cells = _cells(html)
    assert ["2", "新建", "xinzb", "新城支部 刘书记", "新建账号；角色：小区党支部（时代城小区）"] in cells
    assert in_app(lambda: db.session.execute(select(User).where(User.username == "xinzb")).scalar_one_or_none()) is None
    done = _confirm(client, token, "users", html).get_data(as_text=True)
    table = re.search(r'data-testid="generated-passwords">(.*?)</div>', done, re.S).group(1)
    assert "姓名" in table and "账号" in table and "初始密码" in table and "首次登录" in table
    assert "新城支部 刘书记" in table and "xinzb" in table and "xinlz" not in table
    password = re.search(r"<td>xinzb</td><td class=\"password\">([^<]+)</td>", table).group(1)
    assert client.application.test_client().post("/api/v1/auth/login", json={
        "username": "xinzb", "password": password}).status_code == 200


def test_console_lists_every_bad_row_and_writes_nothing(console, in_app):  # noqa: F811
    client, token = console("committee")
    before = _count(in_app, GridNode)
    r = _upload(client, token, "grid", "bad.xlsx", xlsx(BAD_ROWS))
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    problems = re.findall(r'data-testid="import-problem">(.*?)</tr>', html, re.S)
    assert len(problems) == 3
    text = htmllib.unescape(" ".join(re.sub(r"<[^>]+>", " ", p) for p in problems))
    assert "第 3 行" in text and "名称为空" in text and "未知的层级“村委楼”" in text and "上级编码“NOPE”不存在" in text
    assert 'data-testid="import-preview"' not in html
    assert _count(in_app, GridNode) == before
    english = client.post("/admin/import?lang=en", data={"csrf_token": token, "kind": "grid", "file": (
        io.BytesIO(xlsx(BAD_ROWS)), "bad.xlsx")}, content_type="multipart/form-data")
    assert "unknown parent_code" in english.get_data(as_text=True)


def test_committee_cannot_import_outside_its_grid(console, in_app):  # noqa: F811
    client, token = console("committee")      # committee of C1
    rows = [["账号", "姓名", "手机", "密码", "角色", "网格编码", "单位"],
            ["far", "远方楼长", "", "", "楼长", "B4", ""]]          # B4 is in C2
    r = _upload(client, token, "users", "p.xlsx", xlsx(rows))
    assert r.status_code == 422 and "不在您管辖的范围内" in r.get_data(as_text=True)
    forged = client.post("/admin/import", data={"csrf_token": token, "kind": "users", "confirm": "1",
                                                "payload": base64.b64encode(xlsx(rows)).decode()})
    assert forged.status_code == 422
    assert in_app(lambda: db.session.execute(select(User).where(User.username == "far")).scalar_one_or_none()) is None


def test_csv_with_codes_still_works_and_a_broken_file_is_a_message(console):  # noqa: F811
    client, token = console("committee")
    r = _upload(client, token, "grid", "g.csv", "\ufeffcode,name,level,parent_code\nE9,九号院,estate,C1\n".encode())
    assert r.status_code == 200 and "九号院" in r.get_data(as_text=True)
    broken = _upload(client, token, "grid", "g.xlsx", b"PK\x03\x04 not really a workbook")
    assert broken.status_code == 422 and "无法读取" in broken.get_data(as_text=True)
    gbk = _upload(client, token, "grid", "g.csv", "编码,名称\n".encode("gbk"))
    assert gbk.status_code == 422 and "UTF-8" in gbk.get_data(as_text=True)


def test_templates_download_and_import_as_they_are(console, app):  # noqa: F811
    client, token = console("committee")
    from python_calamine import CalamineWorkbook

    for kind in ("grid", "users"):
        r = client.get(f"/admin/import/template/{kind}.xlsx")
        assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
        rows = CalamineWorkbook.from_filelike(io.BytesIO(r.data)).get_sheet_by_index(0).to_python()
        assert len(rows) == 3 and rows[0][0] in ("编码", "账号")
        text = client.get(f"/admin/import/template/{kind}.csv").data.decode("utf-8-sig")
        assert len(text.strip().splitlines()) == 3
    english = client.get("/admin/import/template/users.csv?lang=en").data.decode("utf-8-sig")
    assert english.startswith("username,display_name,phone,password,role,grid_code,org")
    assert client.get("/admin/import/template/users.pdf").status_code == 404


def test_api_import_dry_run_then_write(login, grid, people, in_app):
    committee = login("committee")
    dry = committee.post("/api/v1/imports/grid?dry_run=1", data={"file": (io.BytesIO(xlsx(GRID_ROWS)), "g.xlsx")},
                         content_type="multipart/form-data")
    assert dry.status_code == 200, dry.get_json()
    body = dry.get_json()
    assert body["dry_run"] and body["counts"] == {"new": 3, "changed": 0, "unchanged": 0}
    assert body["rows"][0] == {"row": 2, "status": "new", "key": "E7", "name": "新城花园", "changes": []}
    assert _count(in_app, GridNode) == 11
    done = committee.post("/api/v1/imports/users", data={"file": (io.BytesIO(xlsx(PEOPLE_ROWS)), "p.xlsx")},
                          content_type="multipart/form-data").get_json()
    assert [g["username"] for g in done["generated"]] == ["xinzb", "xindy", "ranqi"]
    bad = committee.post("/api/v1/imports/grid", data={"file": (io.BytesIO(xlsx(BAD_ROWS)), "b.xlsx")},
                         content_type="multipart/form-data")
    assert bad.status_code == 422
    assert [(p["row"], p["column"]) for p in bad.get_json()["error"]["problems"]] == [
        (3, "name"), (4, "level"), (5, "parent_code")]
    assert login("branch").post("/api/v1/imports/grid", data={"file": (io.BytesIO(xlsx(GRID_ROWS)), "g.xlsx")},
                                content_type="multipart/form-data").status_code == 403
    assert committee.post("/api/v1/imports/nodes").status_code == 404
    assert committee.post("/api/v1/imports/grid").status_code == 422


def test_a_huge_sheet_is_refused_before_it_is_read(console, monkeypatch):  # noqa: F811
    from app.core import sheets

    monkeypatch.setattr(sheets, "MAX_ROWS", 3)
    client, token = console("committee")
    r = _upload(client, token, "grid", "big.xlsx", xlsx(GRID_ROWS + [["E9", "九", "小区", "C1"]] * 3))
    assert r.status_code == 422 and "表格太大" in r.get_data(as_text=True)
    r = _upload(client, token, "grid", "big.csv", ("code,name,level,parent_code\n" + "E9,九,estate,C1\n" * 5).encode())
    assert r.status_code == 422 and "表格太大" in r.get_data(as_text=True)
