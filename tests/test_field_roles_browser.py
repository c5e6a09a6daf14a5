"""Each role's journey in the field app, in a real browser (issue 23, field roles): a
volunteer's claims, replies that reach the resident, the resident's QR page, role homes and
time left in the inbox. Debian's Chromium via Playwright, as tests/test_pwa_browser.py."""
import pytest
import requests

from tests.browser import expect, outbox_count, phone_device, shot, sign_in, token_for
from tests.conftest import PASSWORD, new_uuid, suggestion

pytestmark = pytest.mark.browser


FUTURE = {"starts_at": "2030-05-01T01:00:00Z", "ends_at": "2030-05-01T05:00:00Z"}


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def _post(base, title, capacity=1, **extra):
    r = requests.post(f"{base}/api/v1/posts", headers=_auth(token_for(base, "branch")), json={
        "title": title, "grid_code": "E1", "capacity": capacity, **FUTURE, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def _claim_by_api(base, username, post_id):
    r = requests.post(f"{base}/api/v1/submissions", headers=_auth(token_for(base, username)), json={
        "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": "E1", "data": {"post": post_id}})
    assert r.status_code == 201, r.text
    return r.json()


def _claims(base, username):
    return requests.get(f"{base}/api/v1/posts/claims", headers=_auth(token_for(base, username))).json()["items"]


def test_volunteer_claims_sees_it_held_cancels_offline_and_the_waitlist_moves_up(phone, live_server, people, make_user):
    base = live_server
    make_user("waiter", ("volunteer", "C1"))
    post = _post(base, "周六清扫楼道", capacity=1)
    page = phone.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, "volunteer")
    shot(page, "roles-volunteer-home")
    for tile in ("tile-posts", "tile-claims", "tile-activities", "tile-points"):
        expect(page.get_by_test_id(tile)).to_be_visible()
    page.get_by_test_id("tile-posts").click()
    card = page.locator(f"li[data-post='{post['id']}']")
    card.get_by_test_id("claim").click()
    expect(card.get_by_test_id("held")).to_have_text("已认领")
    expect(card.get_by_test_id("cancel-claim")).to_have_text("取消认领")
    expect(page.get_by_test_id("claim-status")).to_contain_text("周六清扫楼道")
    expect(page.get_by_test_id("my-claims")).to_contain_text("周六清扫楼道")
    expect(page.get_by_test_id("my-claims")).to_contain_text("已认领")
    expect(outbox_count(page)).to_have_text("0")
    shot(page, "roles-volunteer-claimed")
    waiting = _claim_by_api(base, "waiter", post["id"])
    assert waiting["state"] == "waitlisted"

    phone.set_offline(True)
    page.goto(f"{base}/app/claims")
    claims = page.get_by_test_id("my-claims")
    expect(claims).to_contain_text("周六清扫楼道")
    claims.get_by_test_id("cancel-claim").click()
    expect(outbox_count(page)).to_have_text("1")
    expect(claims).to_contain_text("取消认领已保存")
    shot(page, "roles-volunteer-cancel-offline")
    assert _claims(base, "volunteer")[0]["state"] == "claimed"

    phone.set_offline(False)
    expect(outbox_count(page)).to_have_text("0", timeout=15000)
    assert _claims(base, "volunteer") == []
    promoted = _claims(base, "waiter")
    assert promoted[0]["id"] == waiting["id"] and promoted[0]["state"] == "claimed"


def test_second_claim_is_refused_on_screen_and_nothing_stays_in_the_outbox(phone, live_server, people):
    base = live_server
    first = _post(base, "上午值守", capacity=3)
    clash = _post(base, "重叠的岗位", capacity=3, starts_at="2030-05-01T03:00:00Z", ends_at="2030-05-01T07:00:00Z")
    page = phone.new_page()
    sign_in(page, base, "volunteer")
    page.goto(f"{base}/app/posts")
    page.locator(f"li[data-post='{first['id']}']").get_by_test_id("claim").click()
    expect(page.locator(f"li[data-post='{first['id']}']").get_by_test_id("held")).to_be_visible()
    # A clash with the post I hold: refused on the phone, with the reason.
    page.locator(f"li[data-post='{clash['id']}']").get_by_test_id("claim").click()
    status = page.get_by_test_id("claim-status")
    expect(status).to_contain_text("时间冲突")
    expect(status).to_contain_text("上午值守")
    expect(outbox_count(page)).to_have_text("0")
    shot(page, "roles-claim-refused")
    # The server refuses what the phone could not know (claimed meanwhile from another phone):
    # the reason is said and the item does not stay stuck.
    other = _post(base, "下午值守", capacity=3, starts_at="2030-05-02T06:00:00Z", ends_at="2030-05-02T08:00:00Z")
    page.goto(f"{base}/app/posts")
    page.wait_for_load_state("networkidle")   # the phone's caches are filled before the claim
    _claim_by_api(base, "volunteer", other["id"])
    page.locator(f"li[data-post='{other['id']}']").get_by_test_id("claim").click()
    expect(status).to_contain_text("您已认领过该岗位")
    expect(outbox_count(page)).to_have_text("0")
    assert page.evaluate("""async () => {
        const { items } = await import('/app/js/outbox.js');
        return (await items('volunteer')).length; }""") == 0
    assert len([c for c in _claims(base, "volunteer") if c["post"]["id"] == other["id"]]) == 1


@pytest.mark.slow
def test_captain_reply_from_the_phone_reaches_the_tracking_page_internal_never(pw, browser, phone, live_server, people):
    base = live_server
    letter = requests.post(f"{base}/api/v1/submissions", json=suggestion("B1", content="三楼楼道灯坏了")).json()
    other = requests.post(f"{base}/api/v1/submissions", json=suggestion("B1", content="楼下有人乱停车")).json()
    page = phone.new_page()
    sign_in(page, base, "captain")
    page.goto(f"{base}/app/item/{letter['id']}")
    resolve = page.locator("form.action", has=page.locator("button[data-action=resolve]"))
    box = resolve.locator("input[name=public_reply]")
    expect(box).to_be_checked()
    expect(resolve).to_contain_text("居民凭查询码可以看到")
    resolve.locator("textarea[name=comment]").fill("已联系物业，明天上午更换灯泡")
    shot(page, "roles-captain-reply")
    resolve.locator("button[data-action=resolve]").click()
    expect(outbox_count(page)).to_have_text("0", timeout=15000)
    page.goto(f"{base}/app/item/{other['id']}")
    reject = page.locator("form.action", has=page.locator("button[data-action=reject]"))
    # Ticked by default (a refused resident should hear why); an internal note is unticked.
    expect(reject.locator("input[name=public_reply]")).to_be_checked()
    reject.locator("input[name=public_reply]").uncheck()
    reject.locator("textarea[name=comment]").fill("内部备注：已电话沟通")
    reject.locator("button[data-action=reject]").click()
    expect(outbox_count(page)).to_have_text("0", timeout=15000)

    resident = browser.new_context(**phone_device(pw), locale="zh-CN", timezone_id="America/New_York")
    public = resident.new_page()
    public.goto(f"{base}/app/t/{letter['tracking_code']}")
    replies = public.get_by_test_id("replies")
    expect(replies).to_contain_text("已联系物业，明天上午更换灯泡")
    expect(replies).to_contain_text("党员楼长")
    expect(replies).to_contain_text("月")   # a date in words (Beijing time), not an ISO string
    shot(public, "roles-tracking-reply")
    public.goto(f"{base}/app/t/{other['tracking_code']}")
    expect(public.get_by_test_id("track-state")).to_be_visible()
    assert "内部备注" not in public.inner_text("body")
    public.goto(f"{base}/app/")
    public.get_by_test_id("track-link").click()
    expect(public.locator("input[name=code]")).to_be_visible()
    public.fill("input[name=code]", "nosuch12")
    public.locator("form button[type=submit]").click()
    expect(public.get_by_test_id("track-error")).to_contain_text("没有找到这个查询码")
    shot(public, "roles-tracking-unknown")
    resident.close()


def test_resident_qr_page_opens_on_the_form_and_shows_no_one_elses_letter(pw, browser, live_server, people):
    base = live_server
    secret = "我是张阿姨住302，电话13912345678，三楼楼道灯坏了好几天"
    r = requests.post(f"{base}/api/v1/submissions", json=suggestion("B1", content=secret))
    assert r.status_code == 201, r.text
    committee = token_for(base, "committee")
    requests.post(f"{base}/api/v1/notices", headers=_auth(committee), json={
        "title": "停水通知", "body": "周三上午九点至十二点停水，请提前储水。" * 3, "grid_code": "C1", "public": True})
    requests.post(f"{base}/api/v1/posts", headers=_auth(committee), json={
        "title": "儿童绘画课", "grid_code": "C1", "capacity": 2, "kind": "activity", "place": "社区活动室",
        "public_signup": True, "resident_capacity": 10, **FUTURE})
    building = requests.get(f"{base}/api/v1/notices/public?grid_code=B1").json()["building"]
    device = dict(phone_device(pw), viewport={"width": 412, "height": 915})
    context = browser.new_context(**device, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/app/s/B1")
    first = page.locator("form.tx-form select, form.tx-form textarea, form.tx-form input").first
    expect(first).to_be_visible()
    assert first.bounding_box()["y"] + first.bounding_box()["height"] <= 915
    expect(page.get_by_test_id("building-name")).to_have_text(building["name"])
    expect(page.locator("body")).to_contain_text(building["community"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 412
    body = page.inner_text("body")
    assert "楼道灯" not in body and "张阿姨" not in body and "13912345678" not in body
    shot(page, "roles-qr-page")
    page.fill("textarea[name=content]", "楼道灯坏了，晚上很黑")
    similar = page.locator(".similar-item")
    expect(similar).to_have_count(1, timeout=10000)
    expect(similar).to_contain_text("设施报修")
    body = page.inner_text("body")
    assert "张阿姨" not in body and "13912345678" not in body and secret not in body and "302" not in body
    shot(page, "roles-qr-similar")
    similar.get_by_test_id("me-too").click()
    expect(similar.get_by_test_id("me-too")).to_be_disabled()
    expect(similar).to_contain_text("1 人也遇到了")
    page.reload()
    page.fill("textarea[name=content]", "楼道灯坏了，晚上很黑")
    expect(page.locator(".similar-item").get_by_test_id("me-too")).to_be_disabled(timeout=10000)
    page.locator("details.more summary").click()
    expect(page.locator("details.more")).to_contain_text("停水通知")
    expect(page.locator("details.more")).to_contain_text("儿童绘画课")
    context.close()


def test_partner_home_has_no_mailbox_or_volunteer_tile(phone, live_server, people):
    page = phone.new_page()
    sign_in(page, live_server, "partner")
    expect(page.get_by_test_id("tile-inbox")).to_contain_text("派给本单位的事项")
    expect(page.get_by_test_id("tile-meetings")).to_be_visible()
    for tile in ("tile-posts", "tile-claims", "tile-points", "tile-activities", "tile-form-suggestion",
                 "tile-form-need", "tile-letters"):
        expect(page.get_by_test_id(tile)).to_have_count(0)
    shot(page, "roles-partner-home")


def test_captain_home_and_inbox_say_time_left_before_escalation(phone, live_server, people, clock):
    base = live_server
    requests.post(f"{base}/api/v1/submissions", json=suggestion("B1", content="电梯异响"))
    # Half an hour later, 47 h 30 min are left: "1 天 23 小时" however long the page takes
    # (the app counts down from when it fetched; with exactly 48 h left it said "2 天" or
    # "1 天 23 小时" by the second the test ran at).
    clock.advance(minutes=30)
    page = phone.new_page()
    sign_in(page, base, "captain")
    expect(page.get_by_test_id("inbox-by-state")).to_contain_text("1")
    expect(page.get_by_test_id("tile-letters")).to_be_visible()
    expect(page.get_by_test_id("tile-posts")).to_be_visible()
    shot(page, "roles-captain-home")
    page.get_by_test_id("tile-inbox").click()
    line = page.get_by_test_id("time-left").first
    expect(line).to_contain_text("在本级已等待")
    expect(line).to_contain_text("自动上报")
    expect(line).to_contain_text("还剩 1 天 23 小时将自动上报")
    shot(page, "roles-captain-inbox")
    page.goto(f"{base}/app/letters")
    expect(page.get_by_test_id("letters")).to_contain_text("电梯异响")


def test_branch_home_has_escalations_and_overdue(phone, live_server, people):
    page = phone.new_page()
    sign_in(page, live_server, "branch")
    expect(page.get_by_test_id("tile-escalated")).to_be_visible()
    expect(page.get_by_test_id("tile-overdue")).to_be_visible()
    expect(page.get_by_test_id("tile-claims")).to_have_count(0)
    shot(page, "roles-branch-home")


def test_locked_sign_in_says_for_how_long_and_who_unlocks(phone, live_server, people, app):
    app.config["LOGIN_FAIL_LIMIT_USER"] = "2/15 minutes"
    try:
        page = phone.new_page()
        page.goto(f"{live_server}/app/")
        for wrong in ("wrong-1", "wrong-2"):
            page.fill("input[name=username]", "captain")
            page.fill("input[name=password]", wrong)
            with page.expect_response("**/api/v1/auth/login"):
                page.click("form button[type=submit]")
        alert = page.locator("main [role=alert]")
        expect(alert).to_contain_text("锁定 1 分钟")
        expect(alert).to_contain_text("工作人员")
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        expect(alert).to_contain_text("1 分钟后再试")
        shot(page, "roles-sign-in-locked")
    finally:
        app.config["LOGIN_FAIL_LIMIT_USER"] = "10/15 minutes"
