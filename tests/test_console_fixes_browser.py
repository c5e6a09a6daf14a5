"""The console fixes in Chromium (helper branch consolefix): no page wider than a 360 px phone,
and screenshots of the pages changed (test-artifacts/console-fix-*.png)."""
import pytest

from tests.browser import console_sign_in as _sign_in
from tests.browser import desk as _desk
from tests.browser import expect, shot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NARROW = ("/admin/import", "/admin/notices", "/admin/forms/new", "/admin/forms/suggestion",
          "/admin/password", "/admin/people/new", "/admin/grid", "/admin/audit")


def _width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_no_console_page_is_wider_than_a_360px_phone(browser, live_server, people):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    _sign_in(page, live_server)
    widths = {}
    for path in NARROW:
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("networkidle")
        widths[path] = _width(page)
        shot(page, "console-fix-360" + path.replace("/", "-"))
    assert all(w <= 360 for w in widths.values()), widths
    # the builder stacks: the phone preview below the fields, not squeezed beside them
    page.goto(f"{live_server}/admin/forms/new")
    fields = page.locator("#editor .builder > *").first.bounding_box()
    preview = page.locator("#editor .preview").bounding_box()
    assert preview["y"] >= fields["y"] + fields["height"] - 1
    context.close()


def test_screens_changed_in_words(browser, live_server, people):
    context = _desk(browser)
    page = context.new_page()
    # a wrong password keeps the account name
    page.goto(f"{live_server}/admin/login")
    page.fill("input[name=username]", "committee")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator("input[name=username]")).to_have_value("committee")
    shot(page, "console-fix-login-wrong")
    # a captain is told where to go
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=username]", "captain")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("staff-only")).to_contain_text("管理后台供社区工作人员使用")
    shot(page, "console-fix-staff-only")
    page.get_by_role("button", name="退出登录").click()
    _sign_in(page, live_server)
    # adding a person: a bad phone keeps what was typed
    page.goto(f"{live_server}/admin/people/new")
    page.fill("input[name=display_name]", "王小明")
    page.fill("input[name=username]", "wangxm")
    page.fill("input[name=phone]", "1380")
    page.click("button.primary")
    expect(page.locator(".flash.error")).to_contain_text("手机号码")
    expect(page.locator("input[name=display_name]")).to_have_value("王小明")
    expect(page.locator("input[name=phone]")).to_have_value("1380")
    shot(page, "console-fix-person-new-kept")
    # my password, from the header
    page.get_by_test_id("my-password").click()
    expect(page.locator("#password-rule")).to_contain_text("至少 8 个字符")
    page.fill("input[name=current_password]", PASSWORD)
    page.fill("input[name=new_password]", "Tongxin-2027!")
    page.fill("input[name=new_password_again]", "Tongxin-2028!")
    page.click("button.primary")
    expect(page.locator(".error").first).to_contain_text("两次输入的新密码不一致")
    shot(page, "console-fix-password-refused")
    page.goto(f"{live_server}/admin/")
    shot(page, "console-fix-dashboard")
    context.close()


def test_the_builder_preview_shows_no_english_label_in_chinese(browser, live_server, people):
    context = _desk(browser)
    page = context.new_page()
    _sign_in(page, live_server)
    page.goto(f"{live_server}/admin/forms/suggestion")
    second = page.locator(".field-row .label-input").nth(1)
    second.fill("")
    second.dispatch_event("change")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("还没有中文名称")
    assert "What would you like to tell us" not in preview.inner_text()
    shot(page, "console-fix-preview-no-english")
    context.close()
