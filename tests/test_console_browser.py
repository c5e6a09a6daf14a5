"""The staff console in Chromium: the form builder and the CSV import (issue 8)."""
import pytest
import requests

from tests.browser import console_sign_in, desk, expect, shot, token_for
from tests.conftest import suggestion

pytestmark = pytest.mark.browser


def test_form_builder_adds_a_required_field(browser, live_server, people):
    context = desk(browser)
    page = context.new_page()
    console_sign_in(page, live_server)
    shot(page, "console-dashboard")
    page.goto(f"{live_server}/admin/forms/suggestion")
    page.click("#adder details summary")   # the machine name and English label are optional now
    page.fill("#new-name", "floor")
    page.select_option("#new-type", "integer")
    page.fill("#new-zh", "楼层")
    page.fill("#new-en", "Floor")
    page.check("#new-required")
    page.click("#add-field")
    expect(page.get_by_test_id("preview").locator("input[name=floor]")).to_be_visible()
    shot(page, "console-form-builder")
    page.click("#publish")
    expect(page.locator(".flash")).to_contain_text("已发布第 2 版")
    token = token_for(live_server, "captain")
    r = requests.post(f"{live_server}/api/v1/submissions", json=suggestion("B1"),
                      headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422 and "data.floor" in r.json()["error"]["fields"]
    ok = requests.post(f"{live_server}/api/v1/submissions", json=suggestion("B1", floor=3),
                       headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 201 and ok.json()["form_version"] == 2
    context.close()


def test_csv_upload_preview_then_confirm(browser, live_server, people, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("username,display_name,phone,password,role,grid_code,org\n"
                    "newcap,新楼长,13900000001,new-captain-pass,captain,B2,\n", encoding="utf-8-sig")
    context = desk(browser)
    page = context.new_page()
    console_sign_in(page, live_server)
    page.goto(f"{live_server}/admin/import")
    page.check("input[name=kind][value=users]")
    page.set_input_files("input[name=file]", str(path))
    page.click("form[enctype] button[type=submit]")
    expect(page.get_by_test_id("import-preview")).to_contain_text("新建账号")
    shot(page, "console-import-preview")
    assert requests.post(f"{live_server}/api/v1/auth/login", json={
        "username": "newcap", "password": "new-captain-pass"}).status_code == 401
    page.click("#confirm")
    expect(page.get_by_test_id("import-done")).to_contain_text("已导入")
    r = requests.post(f"{live_server}/api/v1/auth/login",
                      json={"username": "newcap", "password": "new-captain-pass"})
    assert r.status_code == 200
    assert r.json()["user"]["roles"][0]["grid_code"] == "B2"
    context.close()


def test_field_list_and_workflow_editor_without_json(browser, live_server, people):
    context = desk(browser)
    page = context.new_page()
    console_sign_in(page, live_server)
    page.goto(f"{live_server}/admin/forms/need")
    rows = page.locator("#field-list li")
    expect(rows.first).to_have_attribute("data-name", "category")
    page.locator("#field-list li[data-name='household'] [data-role=remove]").click()
    page.locator("#field-list li[data-name='urgency'] [data-role=up]").click()
    page.locator("#field-list li[data-name='description'] [data-role=required]").uncheck()
    expect(page.get_by_test_id("preview").locator("input[name=household]")).to_have_count(0)
    escalate = page.locator("#transition-editor tr[data-transition='escalate:at_captain']")
    escalate.locator("input[data-role=captain]").uncheck()
    page.locator("#transition-editor tr[data-timer='0'] input[data-role=after]").fill("24h")
    page.locator("#transition-editor tr[data-timer='0'] input[data-role=after]").dispatch_event("change")
    shot(page, "console-workflow-editor")
    page.click("#publish")
    expect(page.locator(".flash")).to_contain_text("已发布第 2 版")
    token = token_for(live_server, "committee")
    form = requests.get(f"{live_server}/api/v1/forms/need", headers={"Authorization": f"Bearer {token}"}).json()
    names = [f["name"] for f in form["fields"]]
    assert "household" not in names and names.index("urgency") < names.index("households_affected")
    assert not next(f for f in form["fields"] if f["name"] == "description")["required"]
    esc = next(t for t in form["workflow"]["transitions"] if t["name"] == "escalate" and t["from"] == ["at_captain"])
    assert esc["roles"] == ["branch"]
    assert form["workflow"]["timers"][0]["after"] == "24h"
    context.close()
