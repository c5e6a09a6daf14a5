"""Console defects found walking the demo (helper branch consolefix): what was typed survives a
refusal, one's own password, sign-in, letters counted as letters, the audit log in words."""
import html as htmllib
import io
import re

import pytest

from tests.conftest import PASSWORD, csrf_of


def _value(html: str, name: str) -> str | None:
    found = re.search(rf'<input name="{name}" value="([^"]*)"', html)
    return found.group(1) if found else None


# -- 2. what was typed stays after a refusal -------------------------------------------------

def test_add_person_refused_keeps_what_was_typed_but_not_passwords(console):
    client, token = console("committee")
    r = client.post("/admin/people/new", data={
        "csrf_token": token, "display_name": "王小明", "username": "wangxm", "phone": "1380",
        "role": "captain", "grid_code": "B1"})
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "请输入有效的中国大陆手机号码" in html
    assert _value(html, "display_name") == "王小明"
    assert _value(html, "username") == "wangxm"
    assert _value(html, "phone") == "1380"
    assert re.search(r'<option value="B1"[^>]* selected', html)
    assert 'value="captain" selected' in html


def test_notice_refused_keeps_title_and_body(console):
    client, token = console("committee")
    r = client.post("/admin/notices", data={
        "csrf_token": token, "title": "停水通知", "body": "明天上午九点到十二点停水，请提前储水。",
        "grid_code": "NOPE", "public": "0"})
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert _value(html, "title") == "停水通知"
    assert "明天上午九点到十二点停水，请提前储水。</textarea>" in html


def test_grid_node_refused_keeps_code_and_name(console):
    client, token = console("committee")
    r = client.post("/admin/grid/node", data={
        "csrf_token": token, "code": "B77", "name": "新楼", "level": "nowhere", "parent_code": "E1"})
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert _value(html, "code") == "B77" and _value(html, "name") == "新楼"


def test_person_edit_refused_keeps_the_new_name(console, people):
    client, token = console("committee")
    r = client.post(f"/admin/people/{people['captain']}/edit", data={
        "csrf_token": token, "display_name": "改过的名字", "phone": "12"})
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert _value(html, "display_name") == "改过的名字" and _value(html, "phone") == "12"


def test_typed_values_are_shown_once_and_only_on_their_page(console):
    client, token = console("committee")
    r = client.post("/admin/people/new", data={"csrf_token": token, "display_name": "王小明",
                                                "username": "wangxm", "phone": "1380"})
    assert "王小明" not in client.get("/admin/notices").get_data(as_text=True)
    assert _value(client.get(r.headers["Location"]).get_data(as_text=True), "display_name") == ""


def test_a_very_long_refused_notice_is_shown_again_at_once(console):
    client, token = console("committee")
    body = "通知内容很长。" * 400
    r = client.post("/admin/notices", data={"csrf_token": token, "title": "长通知", "body": body,
                                            "grid_code": "NOPE", "public": "0"})
    assert r.status_code == 422 and body + "</textarea>" in r.get_data(as_text=True)
    assert len(r.headers.get("Set-Cookie", "")) < 4000


def test_a_passed_action_still_redirects(console):
    client, token = console("committee")
    r = client.post("/admin/notices", data={
        "csrf_token": token, "title": "通知", "body": "内容", "grid_code": "C1", "public": "0"})
    assert r.status_code == 302


# -- 1. change my own password -------------------------------------------------------------

def test_header_links_to_change_my_password(console):
    client, _ = console("branch")
    html = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/password"' in html and "修改密码" in html
    page = client.get("/admin/password").get_data(as_text=True)
    assert "至少 8 个字符" in page and 'name="new_password_again"' in page


def test_change_my_password_ends_my_other_sessions(console, app):
    client, token = console("branch")
    other, _ = console("branch")
    api = app.test_client()
    assert api.post("/api/v1/auth/login", json={"username": "branch", "password": PASSWORD}).status_code == 200
    r = client.post("/admin/password", data={"csrf_token": token, "current_password": PASSWORD,
                                             "new_password": "Tongxin-2027!", "new_password_again": "Tongxin-2027!"})
    assert r.status_code == 302
    assert "密码已修改" in client.get("/admin/").get_data(as_text=True)     # this browser stays in
    assert other.get("/admin/").status_code == 302                        # the other is signed out
    assert api.get("/api/v1/auth/me").status_code == 401
    fresh = app.test_client()
    fresh_token = csrf_of(fresh.get("/admin/login").get_data(as_text=True))
    assert fresh.post("/admin/login", data={"username": "branch", "password": "Tongxin-2027!",
                                            "csrf_token": fresh_token}).status_code == 302


@pytest.mark.parametrize("current,new,again,words", [
    ("wrong-one-1", "Tongxin-2027!", "Tongxin-2027!", "当前密码不正确"),
    (PASSWORD, "Tongxin-2027!", "Tongxin-2028!", "两次输入的新密码不一致"),
    (PASSWORD, "short", "short", "密码至少需要 8 个字符"),
    (PASSWORD, "password1", "password1", "该密码过于常见"),
])
def test_change_my_password_refusals_are_in_words(console, current, new, again, words):
    client, token = console("branch")
    r = client.post("/admin/password", data={"csrf_token": token, "current_password": current,
                                             "new_password": new, "new_password_again": again})
    html = r.get_data(as_text=True)
    assert r.status_code in (403, 422) and words in html, html
    assert new not in html                                            # no password echoed back
    assert client.get("/admin/").status_code == 200                   # still signed in


# -- 3. console sign-in ----------------------------------------------------------------------

def test_wrong_password_keeps_the_username(client, people):
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    r = client.post("/admin/login", data={"username": "committee", "password": "nope-nope",
                                          "csrf_token": token})
    html = r.get_data(as_text=True)
    assert r.status_code == 401 and 'name="username" value="committee"' in html
    assert "nope-nope" not in html


def test_a_captain_signing_in_is_told_the_console_is_for_staff(client, people):
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    r = client.post("/admin/login", data={"username": "captain", "password": PASSWORD,
                                          "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/staff-only")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "管理后台供社区工作人员使用" in html and 'href="/app/"' in html
    assert 'href="/admin/submissions"' not in html        # no console menu that leads nowhere
    assert "退出" in html                                   # and a way out


def test_staff_are_not_kept_on_the_staff_only_page(console):
    client, _ = console("branch")
    assert client.get("/admin/staff-only").headers["Location"].endswith("/admin/")


# -- 6. the audit log in words: imports and exports ------------------------------------------

def _import(client, token, kind, csv_text, filename):
    r = client.post("/admin/import", data={"csrf_token": token, "kind": kind,
                                           "file": (io.BytesIO(csv_text.encode()), filename)},
                    content_type="multipart/form-data")
    payload = re.search(r'<textarea name="payload" hidden>(.*?)</textarea>', r.get_data(as_text=True), re.S).group(1)
    r = client.post("/admin/import", data={"csrf_token": token, "kind": kind, "confirm": "1",
                                           "payload": payload, "filename": filename})
    assert r.status_code == 200


def _audit_rows(html):
    body = html.split('<table class="audit">')[1].split("</table>")[0]
    return [htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]]


def test_imports_are_in_the_audit_log_with_file_and_counts(console, in_app):
    client, token = console("committee")
    _import(client, token, "grid", "code,name,level,parent_code\nE7,新小区,estate,C1\nB7,新小区1栋,building,E7\n",
            "新网格.csv")
    _import(client, token, "users", "username,display_name,phone,password,role,grid_code,org\n"
            "newcap,新楼长,13800001111,,captain,B1,\n", "楼长名单.csv")
    rows = _audit_rows(client.get("/admin/audit").get_data(as_text=True))
    assert any("导入了网格" in r and "文件 新网格.csv" in r and "新建网格 2 个" in r for r in rows), rows
    assert any("导入了人员" in r and "文件 楼长名单.csv" in r and "新建账号 1 个" in r for r in rows), rows
    assert not any("其他变更" in r for r in rows)
    from app.accounts.models import User
    from app.extensions import db
    new_id = in_app(lambda: db.session.execute(db.select(User.id).where(User.username == "newcap")).scalar_one())
    person = _audit_rows(client.get(f"/admin/people/{new_id}").get_data(as_text=True))
    assert any("通过导入添加了此人" in r and "楼长名单.csv" in r for r in person), person


def test_an_export_is_in_the_audit_log_with_its_form_filters_and_rows(console, login):
    from tests.conftest import submit_need
    submit_need(login("captain"), description="燃气管道老化")
    client, token = console("committee")
    assert client.get("/api/v1/submissions/export?form=need&format=csv&grid_code=E1").status_code == 200
    rows = _audit_rows(client.get("/admin/audit").get_data(as_text=True))
    export = next(r for r in rows if "导出了事项" in r)
    assert "表单「" in export and "所属网格：时代城小区" in export and "共 1 行" in export, export
    assert "CSV" in export


# -- 8. the console's icon -------------------------------------------------------------------

def test_console_pages_name_the_apps_icon(client):
    html = client.get("/admin/login").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)
    r = client.get(href)
    assert r.status_code == 200 and r.mimetype == "image/png"


# -- 5. no English on a Chinese screen -------------------------------------------------------

def test_a_field_without_its_chinese_label_is_named_by_position_and_name(console):
    import json

    client, token = console("committee")
    page = client.get("/admin/forms/suggestion").get_data(as_text=True)
    draft = json.loads(htmllib.unescape(re.search(r'id="definition"[^>]*>(.*?)</textarea>', page, re.S).group(1)))
    draft["fields"][1]["label"]["zh"] = ""
    english, name = draft["fields"][1]["label"]["en"], draft["fields"][1]["name"]
    r = client.post("/admin/forms/suggestion", data={"csrf_token": token, "definition": json.dumps(draft)},
                    headers={"Accept-Language": "zh-CN"})
    errors = re.search(r'data-testid="publish-errors".*?</div>', r.get_data(as_text=True), re.S).group(0)
    assert r.status_code == 422 and english not in errors, errors
    assert f"第 2 个字段（{name}，还没有中文名称）" in htmllib.unescape(errors)


def test_the_grid_node_name_box_says_name_not_field_name(console):
    client, _ = console("committee")
    html = client.get("/admin/grid").get_data(as_text=True)
    assert "<label>名称 <input name=\"name\"" in html and "字段名" not in html
