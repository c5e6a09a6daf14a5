"""People in the console, in Chromium (issue 24): a committee member unlocks a captain locked
out by wrong passwords, and adds a person, choosing the building with the grid picker."""
import pytest
import requests

from tests.browser import console_sign_in, desk, expect, shot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in_api(base, username, password=PASSWORD):
    return requests.post(f"{base}/api/v1/auth/login", json={"username": username, "password": password})


def test_committee_unlocks_a_locked_captain(browser, live_server, people, app):
    app.config["LOGIN_FAIL_LIMIT_USER"] = "3/15 minutes"
    try:
        for i in range(4):
            _sign_in_api(live_server, "captain", f"wrong-{i}")
        assert _sign_in_api(live_server, "captain").status_code == 429
        context = desk(browser)
        page = context.new_page()
        console_sign_in(page, live_server, start="/admin/login")
        page.click("nav >> text=人员")
        row = page.locator("tr.person[data-username=captain]")
        expect(row).to_contain_text("已锁定")
        shot(page, "console-people")
        row.get_by_role("link", name="管理").click()
        expect(page.locator("h1")).to_contain_text("已锁定")
        shot(page, "console-person-locked")
        page.get_by_role("button", name="解除登录锁定").click()
        expect(page.locator(".flash")).to_contain_text("已解除")
        expect(page.locator("h1")).not_to_contain_text("已锁定")
        expect(page.locator("table.audit")).to_contain_text("解除了登录锁定")
        assert _sign_in_api(live_server, "captain").status_code == 200
        # deactivating asks first, on a page of its own; cancelling changes nothing
        page.get_by_role("button", name="停用", exact=True).click()
        expect(page.locator("h1")).to_contain_text("停用")
        shot(page, "console-person-confirm")
        page.get_by_role("link", name="取消").click()
        assert _sign_in_api(live_server, "captain").status_code == 200
        context.close()
    finally:
        app.config["LOGIN_FAIL_LIMIT_USER"] = "10/15 minutes"


def test_committee_adds_a_person_with_the_grid_picker(browser, live_server, people):
    context = desk(browser)
    page = context.new_page()
    console_sign_in(page, live_server, start="/admin/login")
    page.goto(f"{live_server}/admin/people")
    page.get_by_role("link", name="添加人员").click()
    page.fill("input[name=display_name]", "刘小梅")
    page.fill("input[name=username]", "liuxm")
    page.fill("input[name=phone]", "13812345678")
    page.select_option("select[name=role]", label="党员楼长")
    # the grid picker: a tree with a search by name, not a code to type
    expect(page.locator("select[name=grid_code]")).to_be_hidden()
    page.locator(".picker-toggle").click()
    page.locator(".picker-search").fill("2栋")
    expect(page.locator(".picker-tree li.match")).to_have_count(1)
    shot(page, "console-grid-picker")
    page.locator(".picker-tree li.match .picker-choose").first.click()
    expect(page.locator(".picker-toggle")).to_have_text("时代城2栋")
    assert page.locator("select[name=grid_code]").input_value() == "B2"
    page.get_by_role("button", name="添加", exact=True).click()
    password = page.get_by_test_id("password-once").inner_text()
    shot(page, "console-person-added")
    r = _sign_in_api(live_server, "liuxm", password)
    assert r.status_code == 200
    assert [(x["role"], x["grid_code"]) for x in r.json()["user"]["roles"]] == [("captain", "B2")]
    page.get_by_role("link", name="完成").click()
    expect(page.locator("h1")).to_contain_text("刘小梅")
    expect(page.locator("table.audit")).to_contain_text("添加了人员")
    context.close()


def test_the_grid_picker_works_without_javascript(browser, live_server, people):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/admin/login")
    page.fill("input[name=username]", "committee")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/admin/people/new")
    select = page.locator("select[name=grid_code]")
    expect(select).to_be_visible()
    page.fill("input[name=display_name]", "周明")
    page.fill("input[name=username]", "zhouming")
    page.select_option("select[name=role]", label="志愿者")
    select.select_option(label="\u3000时代城小区（小区）")
    shot(page, "console-person-new-nojs")
    page.get_by_role("button", name="添加", exact=True).click()
    password = page.get_by_test_id("password-once").inner_text()
    r = _sign_in_api(live_server, "zhouming", password)
    assert [(x["role"], x["grid_code"]) for x in r.json()["user"]["roles"]] == [("volunteer", "E1")]
    context.close()


def test_pickers_on_notices_and_filters_in_the_url(browser, live_server, people):
    """A notice goes to an estate chosen by name; a link with 状态=已解决 reproduces the view."""
    from tests.conftest import suggestion
    from tests.browser import token_for

    token = token_for(live_server, "captain")
    headers = {"Authorization": f"Bearer {token}"}
    done = requests.post(f"{live_server}/api/v1/submissions", json=suggestion("B1", content="路灯修好了"),
                         headers=headers).json()
    requests.post(f"{live_server}/api/v1/submissions/{done['id']}/transitions",
                  json={"action": "resolve", "comment": "已修好"}, headers=headers)
    requests.post(f"{live_server}/api/v1/submissions", json=suggestion("B1", content="电梯异响"), headers=headers)
    context = desk(browser)
    page = context.new_page()
    console_sign_in(page, live_server, start="/admin/login")
    page.goto(f"{live_server}/admin/notices")
    page.locator(".picker-toggle").click()
    page.locator(".picker-search").fill("时代城小区")
    page.keyboard.press("Enter")
    expect(page.locator(".picker-toggle")).to_have_text("时代城小区")
    page.fill("input[name=title]", "停水通知")
    page.fill("textarea[name=body]", "周三上午停水")
    shot(page, "console-notice-picker")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator("table")).to_contain_text("时代城小区")
    page.goto(f"{live_server}/admin/submissions?状态=已解决")
    expect(page.locator("select[name=state]")).to_have_value("resolved")
    expect(page.locator("tbody")).to_contain_text("路灯修好了")
    expect(page.locator("tbody")).not_to_contain_text("电梯异响")
    shot(page, "console-submissions-filtered")
    page.check("input[name=overdue]")
    page.get_by_role("button", name="筛选").click()
    assert "overdue=1" in page.url and "state=resolved" in page.url
    context.close()
