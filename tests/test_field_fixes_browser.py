"""The field app as a retired captain on a cheap phone finds it (a tester's walk at 360 px in
zh-CN): actions that need a pick offer it, the screen changes after an action, typed replies
and residents' tracking codes are kept on the phone, every screen has a way back. Debian's
Chromium via Playwright (tests/browser.py), on a 360 px phone of its own."""
import json
import os

import pytest
import requests

from tests.browser import expect, outbox_count, phone_device, shot, sign_in, token_for, wait_for_worker
from tests.conftest import PASSWORD, suggestion

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(pw, browser):
    """A cheap phone: 360 px wide, Chinese, Beijing time."""
    context = browser.new_context(**{**phone_device(pw), "viewport": {"width": 360, "height": 740}},
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    yield context
    context.close()


AXE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vendor", "axe.min.js")


def _axe_serious(page):
    """axe-core's serious and critical findings on the screen (none expected)."""
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    page.wait_for_timeout(300)
    page.add_script_tag(path=AXE)
    return page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
          .map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    }""")


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def _letter(base, content, grid_code="B1"):
    r = requests.post(f"{base}/api/v1/submissions", json=suggestion(grid_code, content=content))
    assert r.status_code == 201, r.text
    return r.json()


def _act(base, username, sub_id, action, **body):
    r = requests.post(f"{base}/api/v1/submissions/{sub_id}/transitions", headers=_auth(token_for(base, username)),
                      json={"action": action, **body})
    assert r.status_code == 200, r.text
    return r.json()


def _detail(base, sub_id, username="committee"):
    return requests.get(f"{base}/api/v1/submissions/{sub_id}", headers=_auth(token_for(base, username))).json()


def _in_view(locator):
    return locator.evaluate("""el => { const r = el.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight; }""")


def _focused_within(page, selector):
    return page.evaluate(f"""() => {{ const el = document.querySelector({json.dumps(selector)});
        return Boolean(el && el.contains(document.activeElement)); }}""")


def test_captain_marks_a_duplicate_by_picking_the_original_and_the_screen_moves_on(phone, live_server, people):
    base = live_server
    first = _letter(base, "三楼楼道灯坏了很久没人修")
    again = _letter(base, "三楼的灯又不亮了")
    page = phone.new_page()
    sign_in(page, base, "captain")
    page.goto(f"{base}/app/item/{again['id']}")
    form = page.locator("form.action[data-action=mark_duplicate]")
    picker = form.locator("select[name=duplicate_of]")
    expect(picker).to_contain_text("三楼楼道灯坏了很久没人修")
    expect(form.locator("label", has_text="与哪一封来信重复")).to_be_visible()
    # Without the original it is not sent: the word is beside the picker, in view, focused.
    form.locator("button[data-action=mark_duplicate]").click()
    error = form.locator(".error", has_text="请选择与哪一封来信重复")
    expect(error).to_be_visible()
    assert _in_view(error)
    assert page.evaluate("document.activeElement.name") == "duplicate_of"
    expect(outbox_count(page)).to_have_text("0")
    picker.select_option(str(first["id"]))
    shot(page, "fix-duplicate-picker")
    form.locator("button[data-action=mark_duplicate]").click()
    done = page.get_by_test_id("submitted")
    expect(done).to_have_text("已办理，现在的状态：重复诉求。", timeout=15000)
    expect(page.get_by_test_id("item-state")).to_have_text("重复诉求")
    expect(page.locator("form.action")).to_have_count(0)
    assert _in_view(done)
    assert _focused_within(page, "[data-testid=action-status]")
    expect(outbox_count(page)).to_have_text("0")
    assert "null" not in page.locator("main").inner_text()
    shot(page, "fix-duplicate-done")
    assert _detail(base, again["id"])["duplicate_of"] == first["id"]


def test_committee_reroutes_to_a_building_picked_by_name(phone, live_server, people):
    base = live_server
    letter = _letter(base, "隔壁楼的水管漏水")
    page = phone.new_page()
    sign_in(page, base, "committee")
    page.goto(f"{base}/app/item/{letter['id']}")
    form = page.locator("form.action[data-action=reroute]")
    picker = form.locator("select[name=grid_code]")
    expect(picker).to_contain_text("时代城2栋")
    assert "B2" not in picker.inner_text()   # names, not codes
    form.locator("button[data-action=reroute]").click()
    expect(form.locator(".error", has_text="请选择转交到哪个楼栋或小区")).to_be_visible()
    expect(outbox_count(page)).to_have_text("0")
    picker.select_option("B2")
    form.locator("button[data-action=reroute]").click()
    expect(page.get_by_test_id("submitted")).to_contain_text("已办理", timeout=15000)
    shot(page, "fix-reroute-done")
    assert _detail(base, letter["id"])["grid_code"] == "B2"


def test_dispatch_picks_a_partner_and_a_refusal_can_be_corrected_and_resent(phone, live_server, people):
    base = live_server
    letter = _letter(base, "燃气管道有异味")
    _act(base, "captain", letter["id"], "escalate")
    _act(base, "branch", letter["id"], "escalate")
    page = phone.new_page()
    sign_in(page, base, "committee")
    page.goto(f"{base}/app/item/{letter['id']}")
    form = page.locator("form.action[data-action=dispatch]")
    partner = form.locator("select[name=partner]")
    expect(partner).to_contain_text("三水燃气公司")
    expect(partner).to_contain_text("电信三水分公司")
    partner.select_option("三水燃气公司")
    # The first answer is a refusal (as when the unit was renamed meanwhile).
    refused = {"done": False}

    def refuse_once(route):
        if refused["done"]:
            return route.continue_()
        refused["done"] = True
        ops = json.loads(route.request.post_data)["ops"]
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"results": [
            {"status": "invalid", "index": 0, "op_id": ops[0]["op_id"],
             "errors": {"code": "validation_error", "message": "部分内容填写有误。",
                        "fields": {"partner": ["没有这个共建单位。"]}}}]}))
    page.route("**/api/v1/sync", refuse_once)
    button = form.locator("button[data-action=dispatch]")
    button.click()
    status = page.get_by_test_id("action-status")
    expect(status).to_contain_text("这条内容没有被接收", timeout=15000)
    expect(form.locator(".error", has_text="没有这个共建单位")).to_be_visible()
    assert "null" not in status.inner_text()
    expect(button).to_be_enabled()
    expect(outbox_count(page)).to_have_text("0")   # refused here, said here: not stuck in 待上传
    shot(page, "fix-dispatch-refused")
    button.click()
    expect(page.get_by_test_id("submitted")).to_contain_text("已派单", timeout=15000)
    detail = _detail(base, letter["id"])
    assert detail["state"] == "dispatched" and detail["partner"] == "三水燃气公司"


def test_a_typed_reply_survives_going_back_and_goes_once_sent(phone, live_server, people):
    base = live_server
    letter = _letter(base, "电梯按钮失灵")
    page = phone.new_page()
    sign_in(page, base, "captain")
    page.goto(f"{base}/app/item/{letter['id']}")
    resolve = page.locator("form.action[data-action=resolve]")
    resolve.locator("textarea[name=comment]").fill("已报修，物业明天来换按钮")
    page.locator("main a", has_text="返回").last.click()
    expect(page.get_by_test_id("flash")).to_contain_text("处理意见已保存")
    page.goto(f"{base}/app/drafts")
    expect(page.get_by_test_id("draft-list")).to_contain_text("办结答复")
    page.get_by_test_id("draft-list").locator("a", has_text="继续填写").click()
    expect(page.locator("form.action[data-action=resolve] textarea[name=comment]")).to_have_value("已报修，物业明天来换按钮")
    page.reload()
    comment = page.locator("form.action[data-action=resolve] textarea[name=comment]")
    expect(comment).to_have_value("已报修，物业明天来换按钮")
    page.locator("form.action[data-action=resolve] button[data-action=resolve]").click()
    expect(page.get_by_test_id("submitted")).to_contain_text("已解决", timeout=15000)
    page.goto(f"{base}/app/drafts")
    expect(page.get_by_test_id("draft-count").first).to_have_text("0")


def test_a_second_tap_after_my_own_action_says_so_calmly(phone, live_server, people):
    base = live_server
    letter = _letter(base, "垃圾桶满了")
    page = phone.new_page()
    sign_in(page, base, "captain")
    page.goto(f"{base}/app/item/{letter['id']}")
    old = phone.new_page()       # the same item, still open on the old state (another tab)
    old.goto(f"{base}/app/item/{letter['id']}")
    expect(old.locator("button[data-action=escalate]")).to_be_visible()
    page.locator("button[data-action=escalate]").click()
    expect(page.get_by_test_id("submitted")).to_contain_text("已办理", timeout=15000)
    old.locator("button[data-action=escalate]").click()
    said = old.get_by_test_id("refused")
    expect(said).to_contain_text("您刚才已经办理过了", timeout=15000)
    expect(said).to_contain_text("党支部处理中")
    assert "他人" not in old.locator("main").inner_text()
    expect(old.get_by_test_id("item-state")).to_contain_text("党支部处理中")
    expect(outbox_count(old)).to_have_text("0")
    shot(old, "fix-stale-mine")


def test_reject_tells_the_resident_by_default(phone, live_server, people):
    base = live_server
    letter = _letter(base, "要求社区给我家装空调")
    page = phone.new_page()
    sign_in(page, base, "captain")
    page.goto(f"{base}/app/item/{letter['id']}")
    reject = page.locator("form.action[data-action=reject]")
    expect(reject.locator("input[name=public_reply]")).to_be_checked()
    # Without the reason: the word beside the box, in view, the box focused; nothing sent.
    reject.locator("button[data-action=reject]").click()
    error = reject.locator(".error", has_text="请填写处理意见。")
    expect(error).to_be_visible()
    assert _in_view(error)
    assert page.evaluate("document.activeElement.name") == "comment"
    expect(outbox_count(page)).to_have_text("0")
    reject.locator("textarea[name=comment]").fill("空调属于个人财产，社区不能出资安装")
    reject.locator("button[data-action=reject]").click()
    expect(page.get_by_test_id("submitted")).to_contain_text("不予受理", timeout=15000)
    track = requests.get(f"{base}/api/v1/track/{letter['tracking_code']}").json()
    assert any("空调属于个人财产" in r["comment"] for r in track["replies"])


def test_password_from_the_home_screen(phone, live_server, people, make_user):
    base = live_server
    make_user("oldcap", ("captain", "B2"))
    page = phone.new_page()
    sign_in(page, base, "oldcap")
    page.get_by_test_id("password-link").click()
    expect(page.locator("main")).to_contain_text("至少 8 个字符")
    page.fill("input[name=current_password]", PASSWORD)
    page.fill("input[name=new_password]", "short")
    page.fill("input[name=new_password_again]", "short")
    page.locator("main button[type=submit]").click()
    expect(page.locator("main .error", has_text="至少要 8 个字符")).to_be_visible()
    page.fill("input[name=new_password]", "lao-louzhang-2026")
    page.fill("input[name=new_password_again]", "lao-louzhang-2027")
    page.locator("main button[type=submit]").click()
    expect(page.locator("main .error", has_text="两次输入的新密码不一样")).to_be_visible()
    page.fill("input[name=current_password]", "not-my-password")
    page.fill("input[name=new_password_again]", "lao-louzhang-2026")
    page.locator("main button[type=submit]").click()
    expect(page.locator("main .error", has_text="现在的密码不对")).to_be_visible()
    page.fill("input[name=current_password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.get_by_test_id("password-status")).to_contain_text("密码已修改", timeout=15000)
    shot(page, "fix-password")
    r = requests.post(f"{base}/api/v1/auth/login", json={"username": "oldcap", "password": "lao-louzhang-2026"})
    assert r.status_code == 200
    page.goto(f"{base}/app/inbox")   # still signed in on this phone
    expect(page.locator("main h2")).to_contain_text("待办")
    wait_for_worker(page)


def test_resident_offline_letter_gets_its_tracking_code_once_sent_and_keeps_it(phone, live_server, people):
    base = live_server
    page = phone.new_page()
    page.goto(f"{base}/app/s/B1")
    wait_for_worker(page)
    expect(page.get_by_test_id("my-letters")).to_be_hidden()
    phone.set_offline(True)
    page.reload()
    page.select_option("select[name=category]", "repair")
    page.fill("textarea[name=content]", "二单元门口的路灯不亮了")
    page.check("input[name=anonymous]")
    page.click("button.primary.big")
    status = page.get_by_test_id("form-status")
    expect(status).to_contain_text("已保存在手机上")
    expect(page.get_by_test_id("my-letters")).to_contain_text("还没送出")
    shot(page, "fix-public-offline")
    phone.set_offline(False)
    code = status.get_by_test_id("tracking-code")
    expect(code).to_be_visible(timeout=15000)
    tracking = code.inner_text()
    assert code.get_attribute("href") == f"/app/t/{tracking}"
    expect(status).not_to_contain_text("有信号后自动上传")
    letters = page.get_by_test_id("my-letters")
    expect(letters).to_contain_text(tracking)
    expect(letters).not_to_contain_text("还没送出")
    page.reload()   # a later visit on this phone: the code is still there
    letters = page.get_by_test_id("my-letters")
    expect(letters).to_contain_text("你提交过的事项")
    expect(letters).to_contain_text("二单元门口的路灯不亮了")
    shot(page, "fix-public-my-letters")
    letters.locator("a", has_text=tracking).click()
    expect(page.get_by_test_id("track-state")).to_have_text("楼长处理中")
    stored = requests.get(f"{base}/api/v1/track/{tracking}").json()
    assert stored["tracking_code"] == tracking


def test_every_screen_has_the_way_back_in_the_same_place_and_points_say_it_once(phone, live_server, people):
    base = live_server
    letter = _letter(base, "楼道堆放杂物")
    _act(base, "captain", letter["id"], "resolve", comment="已清理")
    page = phone.new_page()
    sign_in(page, base, "captain")
    for path in ("inbox", "drafts", "new/suggestion", "posts", "claims", "points", "notifications", "sent", "outbox"):
        page.goto(f"{base}/app/{path}")
        back = page.get_by_test_id("back-home")
        expect(back).to_have_text("← 返回首页")
        # The first thing on the screen, under the bar: always at the same place.
        assert page.evaluate("document.querySelector('main section').firstElementChild.classList.contains('back')"), path
        assert _in_view(back), path
    page.goto(f"{base}/app/claims")
    expect(page.locator("main")).not_to_contain_text("下面的岗位列表")
    page.get_by_test_id("go-posts").click()
    expect(page.locator("main h2")).to_have_text("志愿岗位")
    page.goto(f"{base}/app/points")
    line = page.get_by_test_id("points-line")
    expect(line).to_have_text(f"办结来信 #{letter['id']}：+5")
    shot(page, "fix-points")
    page.get_by_test_id("back-home").click()
    expect(page.get_by_test_id("inbox-count")).to_be_visible()


def test_registration_form_marks_building_required_sorts_naturally_and_shows_the_first_error(phone, live_server, people, app):
    from app.extensions import db
    from app.grid.services import import_grid
    with app.app_context():
        import_grid("code,name,level,parent_code\nB10,时代城10栋,building,E1\n")
        db.session.commit()
    base = live_server
    page = phone.new_page()
    sign_in(page, base, "resident")
    page.goto(f"{base}/app/new/member-registration")
    expect(page.locator("label[for=f-grid_code]")).to_have_text("楼栋 *")
    names = page.locator("select[name=grid_code] option").all_inner_texts()[1:]
    assert names.index("时代城1栋") < names.index("时代城2栋") < names.index("时代城10栋"), names
    submit = page.locator("button.primary.big")
    submit.scroll_into_view_if_needed()
    submit.click()
    assert page.evaluate("document.activeElement.name") == "grid_code"
    assert _in_view(page.locator("#e-grid_code"))
    page.select_option("select[name=grid_code]", "B1")
    submit.scroll_into_view_if_needed()
    submit.click()
    assert page.evaluate("document.activeElement.name") == "real_name"
    error = page.locator("#e-real_name")
    expect(error).to_have_text("此项为必填项。")
    assert _in_view(error)
    shot(page, "fix-registration-error")


def test_offline_hints_fit_the_screen_and_the_person(phone, live_server, people):
    base = live_server
    page = phone.new_page()
    page.goto(f"{base}/app/new/registration")   # online, signed out: sign in first
    page.goto(f"{base}/app/s/B1")
    wait_for_worker(page)
    # A resident with nothing waiting sees no captain's outbox and no storage hint.
    expect(page.get_by_test_id("outbox-count")).to_be_hidden()
    expect(page.get_by_test_id("persist")).to_be_hidden()
    phone.set_offline(True)
    page.goto(f"{base}/app/")
    expect(page.locator("#net")).to_have_text("没有信号：第一次登录需要有信号，请到有信号的地方再登录。")
    page.fill("input[name=username]", "captain")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    expect(page.locator("main .error")).to_contain_text("第一次登录需要有信号")
    assert "填写的内容会保存在手机上" not in page.locator("body").inner_text()
    shot(page, "fix-offline-sign-in")
    page.goto(f"{base}/app/s/B1")
    expect(page.locator("#net")).to_contain_text("写好的信会先存在这部手机上")
    expect(page.get_by_test_id("outbox-count")).to_be_hidden()
    page.select_option("select[name=category]", "repair")
    page.fill("textarea[name=content]", "单元门禁坏了")
    page.check("input[name=anonymous]")
    page.click("button.primary.big")
    chip = page.locator("#sync-button")
    expect(chip).to_be_visible()
    expect(chip).to_contain_text("等待送出 1")
    expect(page.get_by_test_id("persist")).to_contain_text("还有没送出的信")
    shot(page, "fix-offline-public-waiting")
    phone.set_offline(False)
    expect(chip).to_be_hidden(timeout=15000)


def test_an_unknown_form_online_says_it_does_not_exist(phone, live_server, people):
    base = live_server
    page = phone.new_page()
    sign_in(page, base, "captain")
    page.goto(f"{base}/app/new/registration")
    missing = page.get_by_test_id("form-missing")
    expect(missing).to_have_text("没有这个表单，或者它已经停止填写。")
    expect(page.get_by_test_id("back-home")).to_be_visible()


def test_notifications_name_the_letter_by_its_form_and_first_words(phone, live_server, people):
    base = live_server
    letter = _letter(base, "五楼消防通道被电动车堵住了，请尽快处理")
    page = phone.new_page()
    sign_in(page, base, "captain")
    page.goto(f"{base}/app/notifications")
    row = page.locator("li[data-notification]", has=page.locator("[data-testid=notification-letter]")).first
    expect(row.get_by_test_id("notification-letter")).to_contain_text("「楼长信箱」：五楼消防通道被电动车堵住了")
    shot(page, "fix-notifications")
    body = requests.get(f"{base}/api/v1/notifications", headers=_auth(token_for(base, "captain"))).json()
    mine = [n for n in body["items"] if n["submission_id"] == letter["id"]]
    assert mine and mine[0]["excerpt"].startswith("五楼消防通道") and mine[0]["form_title"] == "楼长信箱"
    assert {"id", "text", "submission_id", "tracking_code", "read", "created_at"} <= set(mine[0])


def test_the_item_screen_speaks_english_too(phone, live_server, people):
    base = live_server
    letter = _letter(base, "Water leaking in the stairwell")
    _act(base, "captain", letter["id"], "escalate")
    _act(base, "branch", letter["id"], "escalate")
    page = phone.new_page()
    sign_in(page, base, "committee")
    page.evaluate("localStorage.setItem('tongxin-lang', 'en')")
    page.goto(f"{base}/app/item/{letter['id']}")
    main = page.locator("main")
    expect(main).to_contain_text("Send to which building or estate")
    expect(main).to_contain_text("Partner unit")
    expect(page.get_by_test_id("back-home")).to_have_text("← Back to inbox")
    text = main.inner_text()
    for key in ("pick_target", "partner_needed", "back_inbox", "no_originals", "whole_estate"):
        assert key not in text
    page.locator("form.action[data-action=dispatch] button[data-action=dispatch]").click()
    expect(main.locator(".error", has_text="Choose the partner unit to dispatch to.")).to_be_visible()
    shot(page, "fix-item-english")


def test_axe_finds_nothing_serious_on_the_new_screens(pw, browser, live_server, people):
    base = live_server
    context = browser.new_context(**phone_device(pw), locale="zh-CN", bypass_csp=True)
    letter = _letter(base, "楼顶漏水")
    _letter(base, "楼顶又漏水了")
    _act(base, "captain", letter["id"], "escalate")
    _act(base, "branch", letter["id"], "escalate")
    page = context.new_page()
    problems = {}
    page.goto(f"{base}/app/s/B1")
    page.select_option("select[name=category]", "repair")
    page.fill("textarea[name=content]", "电梯里有异味")
    page.check("input[name=anonymous]")
    page.click("button.primary.big")
    expect(page.get_by_test_id("tracking-code")).to_be_visible(timeout=15000)
    problems["public, sent"] = _axe_serious(page)
    sign_in(page, base, "committee")
    page.goto(f"{base}/app/item/{letter['id']}")
    page.locator("form.action[data-action=dispatch] button[data-action=dispatch]").click()
    problems["item with pickers and an error"] = _axe_serious(page)
    page.locator("form.action[data-action=dispatch] select[name=partner]").select_option("三水燃气公司")
    page.locator("form.action[data-action=dispatch] button[data-action=dispatch]").click()
    expect(page.get_by_test_id("submitted")).to_be_visible(timeout=15000)
    problems["item after an action"] = _axe_serious(page)
    for path in ("/app/password", "/app/notifications", "/app/claims"):
        page.goto(base + path)
        problems[path] = _axe_serious(page)
    context.close()
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
