"""Drafts, outbox and sent lists, honest feedback, insecure context, large text and
accessibility of the field app (issue 23; the poison item from issue 22), in a real browser.

Debian's Chromium driven by Playwright, as tests/test_pwa_browser.py; skipped (with the reason)
where either is missing. axe-core is vendored in tests/vendor/ and injected by the tests.
"""
import json
import os
import re
import shutil
import subprocess

import pytest
import requests

from tests.browser import (ARGS, CHROMIUM, ROOT, expect, outbox_count, phone_device, phone_options,
                           server_items, sign_in, token_for)
from tests.browser import shot as screenshot
from tests.conftest import suggestion

AXE = os.path.join(ROOT, "tests", "vendor", "axe.min.js")

pytestmark = pytest.mark.browser


def shot(page, name):
    screenshot(page, f"lists-{name}")


@pytest.mark.slow
def test_half_filled_need_survives_leaving_reload_and_restart_then_is_sent(pw, live_server, people, tmp_path):
    base = live_server
    profile = str(tmp_path / "profile")
    context = pw.chromium.launch_persistent_context(profile, **phone_options(pw))
    page = context.pages[0] if context.pages else context.new_page()
    sign_in(page, base)
    page.goto(f"{base}/app/new/need?grid_code=B1")
    page.select_option("select[name=category]", "network")
    page.fill("textarea[name=description]", "三楼王阿姨家的网络断了三天")
    page.click("a.brand")  # a phone call, the back button: the person leaves the form
    expect(page.get_by_test_id("flash")).to_contain_text("草稿")
    expect(page.get_by_test_id("draft-count")).to_have_text("1")
    shot(page, "home-with-draft")
    page.reload()
    expect(page.get_by_test_id("draft-count")).to_have_text("1")
    context.close()

    context = pw.chromium.launch_persistent_context(profile, **phone_options(pw))
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{base}/app/")
    expect(page.get_by_test_id("draft-count")).to_have_text("1")
    page.click("a[href='/app/drafts']")
    expect(page.locator(".draft-item")).to_contain_text("三楼王阿姨家的网络断了三天")
    shot(page, "drafts")
    page.get_by_role("link", name="继续填写").click()
    expect(page.locator("textarea[name=description]")).to_have_value("三楼王阿姨家的网络断了三天")
    expect(page.locator("select[name=category]")).to_have_value("network")
    expect(page.get_by_test_id("draft-note")).to_contain_text("恢复")
    shot(page, "draft-restored")
    page.select_option("select[name=urgency]", "urgent")
    page.fill("input[name=contact_phone]", "13912345678")
    page.click("button.primary.big")
    status = page.get_by_test_id("form-status")
    expect(status).to_contain_text("已提交", timeout=15000)
    token = token_for(base, "captain")
    stored = [s for s in server_items(base, token, "need")
              if s["data"]["description"] == "三楼王阿姨家的网络断了三天"]
    assert len(stored) == 1
    expect(status).to_contain_text(f"编号 {stored[0]['id']}")
    shot(page, "need-sent")
    page.goto(f"{base}/app/")
    expect(page.get_by_test_id("draft-count")).to_have_text("0")
    page.click("a[href='/app/sent']")
    sent = page.get_by_test_id("sent-list")
    row = sent.locator(".sent-item", has_text="三楼王阿姨家的网络断了三天")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("sent-state")).to_have_text(stored[0]["state_label"])
    shot(page, "sent")
    # The state moves on the server; the sent list shows it, and keeps it offline.
    requests.post(f"{base}/api/v1/submissions/{stored[0]['id']}/transitions",
                  headers={"Authorization": f"Bearer {token}"}, json={"action": "escalate"})
    now = requests.get(f"{base}/api/v1/submissions/{stored[0]['id']}",
                       headers={"Authorization": f"Bearer {token}"}).json()
    page.reload()
    expect(row.get_by_test_id("sent-state")).to_have_text(now["state_label"])
    context.set_offline(True)
    page.reload()
    expect(row.get_by_test_id("sent-state")).to_have_text(now["state_label"])
    context.close()
    shutil.rmtree(profile, ignore_errors=True)


def test_double_tap_makes_one_item_and_online_submission_says_submitted(phone, live_server, people):
    base = live_server
    page = phone.new_page()
    page.goto(f"{base}/app/s/B1")
    page.select_option("select[name=category]", "suggestion")
    page.fill("textarea[name=content]", "双击提交按钮的建议")
    page.check("input[name=anonymous]")
    page.dblclick("button.primary.big")
    page.locator("button.primary.big").click(click_count=3, delay=10)
    status = page.get_by_test_id("form-status")
    expect(status).to_contain_text("已提交", timeout=15000)
    expect(page.get_by_test_id("tracking-code")).to_be_visible()
    token = token_for(base, "captain")
    stored = [s for s in server_items(base, token) if s["data"]["content"] == "双击提交按钮的建议"]
    assert len(stored) == 1
    expect(status).to_contain_text(f"编号 {stored[0]['id']}")
    assert page.get_by_test_id("tracking-code").inner_text() == stored[0]["tracking_code"]
    assert "上传" not in status.inner_text()  # it was sent: no "will upload later"
    shot(page, "public-submitted")

    sign_in(page, base)
    page.goto(f"{base}/app/new/suggestion?grid_code=B1")
    page.select_option("select[name=category]", "repair")
    page.fill("textarea[name=content]", "楼长双击提交的信")
    page.check("input[name=anonymous]")
    page.dblclick("button.primary.big")
    expect(page.get_by_test_id("form-status")).to_contain_text("已提交", timeout=15000)
    expect(outbox_count(page)).to_have_text("0")
    stored = [s for s in server_items(base, token) if s["data"]["content"] == "楼长双击提交的信"]
    assert len(stored) == 1
    expect(page.get_by_test_id("form-status")).to_contain_text(f"编号 {stored[0]['id']}")


def test_offline_submission_says_it_waits(phone, live_server, people):
    base = live_server
    page = phone.new_page()
    sign_in(page, base)
    phone.set_offline(True)
    page.goto(f"{base}/app/new/suggestion?grid_code=B1")
    page.select_option("select[name=category]", "repair")
    page.fill("textarea[name=content]", "地下室没信号时写的信")
    page.check("input[name=anonymous]")
    page.click("button.primary.big")
    expect(page.get_by_test_id("form-status")).to_contain_text("有信号后自动上传")
    page.get_by_role("button", name=re.compile("待上传")).click()
    item = page.locator(".outbox-item", has_text="地下室没信号时写的信")
    expect(item).to_contain_text("楼长信箱")
    expect(item).to_contain_text("保存于")
    shot(page, "outbox-waiting")
    item.get_by_role("link", name="查看或修改").click()
    expect(page.locator("textarea[name=content]")).to_have_value("地下室没信号时写的信")
    phone.set_offline(False)
    expect(outbox_count(page)).to_have_text("0", timeout=20000)


def test_poison_item_is_set_aside_and_the_rest_go_through(phone, live_server, people):
    base = live_server
    page = phone.new_page()
    sign_in(page, base)

    def poison(route):
        if "坏数据" in (route.request.post_data or ""):
            route.fulfill(status=500, body="boom")
        else:
            route.continue_()
    phone.route("**/api/v1/sync", poison)
    phone.set_offline(True)
    for text in ["第一封好信", "坏数据的信", "第二封好信"]:
        page.goto(f"{base}/app/new/suggestion?grid_code=B1")
        page.select_option("select[name=category]", "repair")
        page.fill("textarea[name=content]", text)
        page.check("input[name=anonymous]")
        page.click("button.primary.big")
        expect(page.get_by_test_id("form-status")).to_contain_text("有信号后自动上传")
    expect(outbox_count(page)).to_have_text("3")
    phone.set_offline(False)
    expect(outbox_count(page)).to_have_text("1", timeout=30000)
    texts = [s["data"]["content"] for s in server_items(base, token_for(base, "captain"))]
    assert "第一封好信" in texts and "第二封好信" in texts and "坏数据的信" not in texts
    page.goto(f"{base}/app/outbox")
    item = page.locator(".outbox-item.status-failing")
    expect(item).to_contain_text("坏数据的信")
    expect(item.locator(".error")).to_contain_text("服务器处理这一条时多次出错")
    shot(page, "outbox-poison")
    phone.unroute("**/api/v1/sync")
    item.get_by_role("button", name="重试").click()
    expect(outbox_count(page)).to_have_text("0", timeout=20000)


def test_plain_http_on_a_lan_says_so_and_keeps_the_letter(pw, live_server, people):
    """A name other than localhost over http is not a secure context: no crypto.randomUUID,
    no service worker. The page says so, and the letter is still saved and sent."""
    port = live_server.rsplit(":", 1)[1]
    browser = pw.chromium.launch(executable_path=CHROMIUM,
                                 args=ARGS + ["--host-resolver-rules=MAP tongxin.lan 127.0.0.1"])
    try:
        context = browser.new_context(**phone_device(pw), locale="zh-CN")
        page = context.new_page()
        page.goto(f"http://tongxin.lan:{port}/app/s/B1")
        assert page.evaluate("window.isSecureContext") is False
        assert page.evaluate("typeof crypto.randomUUID") == "undefined"
        expect(page.get_by_test_id("insecure")).to_contain_text("https://")
        page.select_option("select[name=category]", "repair")
        page.fill("textarea[name=content]", "局域网里用 http 写的信")
        page.check("input[name=anonymous]")
        shot(page, "insecure")
        page.click("button.primary.big")
        expect(page.get_by_test_id("form-status")).to_contain_text("已提交", timeout=15000)
        stored = [s for s in server_items(live_server, token_for(live_server, "captain"))
                  if s["data"]["content"] == "局域网里用 http 写的信"]
        assert len(stored) == 1
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", stored[0]["uuid"])
        context.close()
    finally:
        browser.close()


def axe_problems(page):
    page.add_script_tag(path=AXE)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
          .map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    }""")
    return result


def check_screen(page, name, problems):
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    page.wait_for_timeout(300)
    found = axe_problems(page)
    if found:
        problems[name] = found
    h1 = page.locator("h1").count()
    if h1 != 1:
        problems.setdefault(name, []).append({"id": "h1", "help": f"{h1} <h1> on the screen"})


@pytest.mark.slow
def test_axe_finds_no_serious_violation_on_any_screen(pw, browser, live_server, people):
    base = live_server
    # The app's CSP allows no injected script; the test lifts it to inject axe-core.
    phone = browser.new_context(**phone_device(pw), locale="zh-CN", bypass_csp=True)
    token = token_for(base, "captain")
    letter = requests.post(f"{base}/api/v1/submissions", json=suggestion("B1", content="楼道堆满杂物"),
                           headers={"Authorization": f"Bearer {token}"}).json()
    page = phone.new_page()
    problems = {}
    page.goto(f"{base}/app/")
    check_screen(page, "sign-in", problems)
    page.goto(f"{base}/app/s/B1")
    check_screen(page, "public form", problems)
    page.goto(f"{base}/app/t/{letter['tracking_code']}")
    check_screen(page, "tracking", problems)
    sign_in(page, base)
    for path in ["/app/", "/app/new/suggestion?grid_code=B1", "/app/new/need", "/app/inbox",
                 f"/app/item/{letter['id']}", "/app/posts", "/app/points", "/app/meetings",
                 "/app/outbox", "/app/drafts", "/app/sent"]:
        page.goto(base + path)
        check_screen(page, path, problems)
    page.goto(f"{base}/app/")
    page.click("#sign-out")
    # Signing out finishes (the session is forgotten) before the next person signs in.
    expect(page.locator("input[name=username]")).to_be_visible()
    sign_in(page, base, "volunteer")
    page.goto(f"{base}/app/posts")
    check_screen(page, "volunteer posts", problems)
    phone.close()
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_outbox_button_name_includes_its_visible_text(phone, live_server, people):
    page = phone.new_page()
    sign_in(page, live_server)
    button = page.locator("#sync-button")
    visible = button.inner_text().replace("⇪", "").split()
    name = page.evaluate("""() => {
        const b = document.getElementById('sync-button');
        return b.getAttribute('aria-label') || b.textContent.replace(/\\s+/g, ' ');
    }""")
    assert all(word in name for word in visible)
    expect(page.get_by_role("button", name=re.compile("待上传 0"))).to_be_visible()


def no_sideways_scroll(page):
    """Nothing wider than the 360 px screen (a phone would zoom out or scroll sideways)."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > width + 1)
          .map((el) => `${el.tagName}.${el.className}#${el.id}`);
        return document.documentElement.scrollWidth <= width && !wide.length ? true : wide.join(', ') || 'scroll';
    }""")


def test_large_text_at_360_px_has_no_sideways_scroll_and_is_remembered(pw, browser, live_server, people):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    base = live_server
    page.goto(f"{base}/app/s/B1")
    # A resident with nothing waiting on this phone is not told about browser data.
    expect(page.get_by_test_id("persist")).to_be_hidden()
    page.click("#large-text")
    expect(page.locator("#large-text")).to_have_attribute("aria-pressed", "true")
    base_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert base_size >= 20
    page.reload()
    expect(page.locator("html.large-text")).to_have_count(1)
    expect(page.get_by_test_id("persist")).to_be_hidden()  # said once, not on every screen
    assert no_sideways_scroll(page) is True, no_sideways_scroll(page)
    shot(page, "large-public")
    sign_in(page, base)
    for path in ["/app/", "/app/new/suggestion?grid_code=B1", "/app/new/need", "/app/inbox",
                 "/app/posts", "/app/points", "/app/outbox", "/app/drafts", "/app/sent"]:
        page.goto(base + path)
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        assert no_sideways_scroll(page) is True, (path, no_sideways_scroll(page))
    page.goto(f"{base}/app/")
    shot(page, "large-home")
    context.close()


def test_make_run_takes_host_and_port():
    out = subprocess.run(["make", "-n", "run", "HOST=127.0.0.2", "PORT=5077"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert "--host 127.0.0.2 --port 5077" in out
    assert "http://127.0.0.2:5077/app/" in out and "http://127.0.0.2:5077/admin/" in out
    assert "tongxin-demo" in out
    default = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    assert "--host 127.0.0.1 --port 5000" in default


def test_an_action_taken_online_says_done_not_later(phone, live_server, people):
    base = live_server
    token = token_for(base, "captain")
    letter = requests.post(f"{base}/api/v1/submissions", json=suggestion("B1", content="电梯异响"),
                           headers={"Authorization": f"Bearer {token}"}).json()
    page = phone.new_page()
    sign_in(page, base)
    page.goto(f"{base}/app/item/{letter['id']}")
    page.dblclick("button[data-action=escalate]")
    status = page.get_by_test_id("submitted")
    expect(status).to_contain_text("已办理", timeout=15000)
    detail = requests.get(f"{base}/api/v1/submissions/{letter['id']}",
                          headers={"Authorization": f"Bearer {token}"}).json()
    expect(status).to_contain_text(detail["state_label"])
    assert [h["action"] for h in detail["history"]].count("escalate") == 1
    assert "有信号后" not in page.locator("main").inner_text()
    shot(page, "action-done")


def test_lists_speak_english_too_without_keys_or_codes(phone, live_server, people):
    base = live_server
    page = phone.new_page()
    sign_in(page, base)
    page.evaluate("localStorage.setItem('tongxin-lang', 'en')")
    page.goto(f"{base}/app/new/suggestion?grid_code=B1")
    page.fill("textarea[name=content]", "Half a letter")
    page.click("a.brand")
    expect(page.get_by_test_id("flash")).to_contain_text("draft")
    for path, words in [("/app/", "Drafts"), ("/app/drafts", "Continue"), ("/app/outbox", "Waiting"),
                        ("/app/sent", "Sent")]:
        page.goto(base + path)
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        text = page.locator("body").inner_text()
        assert words in text, path
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), (path, text)
    assert page.evaluate("document.documentElement.lang") == "en"


def test_resident_public_form_keeps_its_draft_over_a_reload(phone, live_server, people):
    page = phone.new_page()
    page.goto(f"{live_server}/app/s/B1")
    page.select_option("select[name=category]", "suggestion")
    page.fill("textarea[name=content]", "写到一半来了电话")
    # The autosave runs a quarter second after the last key: wait until it is on the phone.
    assert page.evaluate("""async () => {
        const { getDraft } = await import('/app/js/drafts.js');
        const { PUBLIC } = await import('/app/js/outbox.js');
        for (let look = 0; look < 400; look += 1) {   // up to 10 s
          const draft = await getDraft(PUBLIC, 's:B1');
          if (draft && JSON.stringify(draft.values).includes('写到一半来了电话')) return true;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        return false; }""")
    page.reload()
    expect(page.locator("textarea[name=content]")).to_have_value("写到一半来了电话")
    expect(page.get_by_test_id("draft-note")).to_contain_text("恢复")
    page.get_by_test_id("draft-clear").click()
    expect(page.locator("textarea[name=content]")).to_have_value("")
    page.reload()
    expect(page.locator("textarea[name=content]")).to_have_value("")
