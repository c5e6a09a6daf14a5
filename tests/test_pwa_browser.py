"""The field app in a real browser: Debian's Chromium driven by Playwright (issue 7).

Skipped (with the reason) where Chromium or Playwright is missing; in CI a skip is a failure.
"""
import json
import shutil

import pytest
import requests

from tests.browser import (expect, outbox_count, phone_options, server_items, shot, sign_in,
                           token_for)
from tests.conftest import new_uuid, suggestion
from tests.servers import wait_for

pytestmark = pytest.mark.browser


def fill_letter(page, base, text):
    page.goto(f"{base}/app/new/suggestion?grid_code=B1")
    page.select_option("select[name=category]", "repair")
    page.fill("textarea[name=content]", text)
    page.check("input[name=anonymous]")
    page.click("button.primary.big")


def test_chinese_by_default_and_installable(phone, live_server, people):
    page = phone.new_page()
    page.goto(f"{live_server}/app/")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    expect(page.locator("form button[type=submit]")).to_have_text("登录")
    manifest = requests.get(f"{live_server}/app/manifest.webmanifest").json()
    assert manifest["short_name"] == "同心" and manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    assert any(i.get("purpose") == "maskable" for i in manifest["icons"])
    shot(page, "sign-in")


def test_basement_round_trip(phone, live_server, people):
    """Sign in, lose signal, record two letters and an escalation, come back up."""
    base = live_server
    captain_token = token_for(base, "captain")
    waiting = requests.post(f"{base}/api/v1/submissions", json=suggestion("B1"),
                            headers={"Authorization": f"Bearer {captain_token}"}).json()
    page = phone.new_page()
    sign_in(page, base)
    shot(page, "home")
    before = {s["id"] for s in server_items(base, captain_token)}

    phone.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("inbox-count")).to_have_text("1")
    fill_letter(page, base, "三楼楼道灯坏了一个星期")
    expect(outbox_count(page)).to_have_text("1")
    fill_letter(page, base, "建议增设电动车充电桩")
    expect(outbox_count(page)).to_have_text("2")
    shot(page, "letter-offline")
    page.goto(f"{base}/app/inbox")
    page.click(f"a[href='/app/item/{waiting['id']}']")
    page.click("button[data-action=escalate]")
    expect(outbox_count(page)).to_have_text("3")
    assert {s["id"] for s in server_items(base, captain_token)} == before

    phone.set_offline(False)
    expect(outbox_count(page)).to_have_text("0", timeout=15000)
    after = server_items(base, captain_token)
    new = [s for s in after if s["id"] not in before]
    assert sorted(s["data"]["content"] for s in new) == ["三楼楼道灯坏了一个星期", "建议增设电动车充电桩"]
    detail = requests.get(f"{base}/api/v1/submissions/{waiting['id']}",
                          headers={"Authorization": f"Bearer {captain_token}"}).json()
    assert detail["state"] == "at_branch"
    assert [h["action"] for h in detail["history"]].count("escalate") == 1

    page.goto(f"{base}/app/")
    expect(outbox_count(page)).to_have_text("0")
    page.get_by_test_id("sync-now").click()
    assert len(server_items(base, captain_token)) == len(after)
    shot(page, "home-synced")


def test_server_down_then_back_without_reload(phone, live_server, faults, people):
    base = live_server
    page = phone.new_page()
    sign_in(page, base)
    faults.down = True
    fill_letter(page, base, "服务器暂时不可用时写的信")
    # The app tried to send it and was refused: the letter stays in the outbox.
    wait_for(lambda: "/api/v1/sync" in faults.refused, 15)
    expect(outbox_count(page)).to_have_text("1")
    faults.down = False
    expect(outbox_count(page)).to_have_text("0", timeout=20000)
    texts = [s["data"]["content"] for s in server_items(base, token_for(base, "captain"))]
    assert texts.count("服务器暂时不可用时写的信") == 1


def test_lost_response_is_resent_and_answered_duplicate(phone, live_server, faults, people):
    base = live_server
    page = phone.new_page()
    sign_in(page, base)
    faults.lose["/api/v1/sync"] = 1
    fill_letter(page, base, "回执丢失的信")
    expect(outbox_count(page)).to_have_text("1")
    expect(outbox_count(page)).to_have_text("0", timeout=20000)
    path, status, body = faults.lost[0]
    assert status.startswith("200") and json.loads(body)["results"][0]["status"] == "created"
    log = page.evaluate("""async () => (await import('/app/js/outbox.js')).sentLog('captain')""")
    assert log[0]["status"] == "duplicate"
    texts = [s["data"]["content"] for s in server_items(base, token_for(base, "captain"))]
    assert texts.count("回执丢失的信") == 1


def test_invalid_item_stays_and_can_be_fixed(phone, live_server, people):
    base = live_server
    page = phone.new_page()
    sign_in(page, base)
    phone.set_offline(True)
    # A letter queued with a phone number the server refuses (as an older app might have).
    page.evaluate("""async () => {
        const ob = await import('/app/js/outbox.js');
        const session = (await (await import('/app/js/db.js')).getSession());
        const op = {op: 'submit', uuid: crypto.randomUUID(), form: 'suggestion', form_version: 1,
                    grid_code: 'B1', data: {category: 'repair', content: '号码写错的信',
                    anonymous: false, contact_phone: '12345'}};
        await ob.add({key: op.uuid, user: session.user, kind: 'submit', op, title: '楼长信箱'});
    }""")
    expect(outbox_count(page)).to_have_text("1")
    phone.set_offline(False)
    page.goto(f"{base}/app/")
    page.get_by_test_id("sync-now").click()
    item = page.locator(".outbox-item.status-invalid")
    expect(item).to_be_visible(timeout=10000)
    expect(outbox_count(page)).to_have_text("1")
    shot(page, "outbox-invalid")
    item.get_by_role("link").click()
    expect(page.locator("#e-contact_phone")).not_to_be_empty()
    page.fill("input[name=contact_phone]", "13912345678")
    page.click("button.primary.big")
    expect(outbox_count(page)).to_have_text("0", timeout=15000)
    texts = {s["data"]["content"]: s for s in server_items(base, token_for(base, "captain"))}
    assert texts["号码写错的信"]["data"]["contact_phone"] == "13912345678"


def test_item_queued_on_old_version_uploads_after_new_version(phone, live_server, people):
    base = live_server
    page = phone.new_page()
    sign_in(page, base)
    phone.set_offline(True)
    fill_letter(page, base, "旧版本表单填写的信")
    expect(outbox_count(page)).to_have_text("1")
    committee = token_for(base, "committee")
    current = requests.get(f"{base}/api/v1/forms/suggestion",
                           headers={"Authorization": f"Bearer {committee}"}).json()
    fields = current["fields"] + [{"name": "floor", "type": "integer", "required": True,
                                   "label": {"zh": "楼层", "en": "Floor"}}]
    r = requests.post(f"{base}/api/v1/forms/suggestion/versions",
                      headers={"Authorization": f"Bearer {committee}"},
                      json={"title": current["title"], "public": True, "fields": fields})
    assert r.status_code == 201
    phone.set_offline(False)
    expect(outbox_count(page)).to_have_text("0", timeout=15000)
    stored = [s for s in server_items(base, token_for(base, "captain"))
              if s["data"]["content"] == "旧版本表单填写的信"]
    assert [s["form_version"] for s in stored] == [1]


def test_outbox_survives_closing_the_browser(pw, live_server, faults, people, tmp_path):
    base = live_server
    profile = str(tmp_path / "profile")
    options = phone_options(pw, locale=None)
    context = pw.chromium.launch_persistent_context(profile, **options)
    page = context.pages[0] if context.pages else context.new_page()
    sign_in(page, base)
    faults.down = True  # the server is unreachable, so the letter must wait on the phone
    fill_letter(page, base, "关掉浏览器前写的信")
    expect(outbox_count(page)).to_have_text("1")
    context.close()

    context = pw.chromium.launch_persistent_context(profile, **options)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{base}/app/")
    expect(outbox_count(page)).to_have_text("1")
    faults.down = False
    expect(outbox_count(page)).to_have_text("0", timeout=20000)
    context.close()
    shutil.rmtree(profile, ignore_errors=True)
    texts = [s["data"]["content"] for s in server_items(base, token_for(base, "captain"))]
    assert texts.count("关掉浏览器前写的信") == 1


def test_public_qr_link_works_without_sign_in(phone, live_server, people):
    base = live_server
    page = phone.new_page()
    page.goto(f"{base}/app/s/B1")
    expect(page.locator("h2")).to_have_text("楼长信箱")
    page.select_option("select[name=category]", "suggestion")
    page.fill("textarea[name=content]", "希望小区多装几盏路灯")
    page.check("input[name=anonymous]")
    shot(page, "public-form")
    page.click("button.primary.big")
    code = page.get_by_test_id("tracking-code")
    expect(code).to_be_visible(timeout=10000)
    tracking = code.inner_text()
    code.click()
    expect(page.get_by_test_id("track-state")).to_have_text("楼长处理中")
    shot(page, "tracking")
    stored = [s for s in server_items(base, token_for(base, "captain"))
              if s["data"]["content"] == "希望小区多装几盏路灯"]
    assert len(stored) == 1 and stored[0]["tracking_code"] == tracking
    assert json.loads(json.dumps(stored[0]))["submitter_id"] is None
    assert new_uuid()


def test_photo_taken_offline_is_uploaded_before_its_letter(phone, live_server, people, tmp_path):
    from PIL import Image

    picture = tmp_path / "stairs.jpg"
    Image.new("RGB", (2400, 1800), (90, 120, 200)).save(picture, "JPEG")
    base = live_server
    page = phone.new_page()
    sign_in(page, base)
    phone.set_offline(True)
    page.goto(f"{base}/app/new/suggestion?grid_code=B1")
    page.select_option("select[name=category]", "repair")
    page.fill("textarea[name=content]", "带照片的信")
    page.check("input[name=anonymous]")
    page.set_input_files("input[name=photos]", str(picture))
    page.click("button.primary.big")
    expect(outbox_count(page)).to_have_text("1")
    phone.set_offline(False)
    expect(outbox_count(page)).to_have_text("0", timeout=20000)
    token = token_for(base, "captain")
    stored = [s for s in server_items(base, token) if s["data"]["content"] == "带照片的信"]
    assert len(stored) == 1 and len(stored[0]["data"]["photos"]) == 1
    image = requests.get(f"{base}/api/v1/uploads/{stored[0]['data']['photos'][0]}",
                         headers={"Authorization": f"Bearer {token}"})
    assert image.status_code == 200
    from io import BytesIO
    assert max(Image.open(BytesIO(image.content)).size) == 1600  # downscaled on the phone


def test_notice_readable_offline_and_relay_queued(phone, live_server, people):
    base = live_server
    branch = token_for(base, "branch")
    notice = requests.post(f"{base}/api/v1/notices", headers={"Authorization": f"Bearer {branch}"},
                           json={"title": "停水通知", "body": "周三 9:00-12:00 停水，请提前储水。",
                                 "grid_code": "E1"}).json()
    page = phone.new_page()
    sign_in(page, base)
    phone.set_offline(True)
    page.reload()
    item = page.locator(f"[data-notice='{notice['id']}']")
    expect(item).to_contain_text("停水通知")
    shot(page, "notice-offline")
    item.get_by_test_id("relay").click()
    expect(outbox_count(page)).to_have_text("1")
    expect(item.get_by_test_id("relayed")).to_be_visible()
    phone.set_offline(False)
    expect(outbox_count(page)).to_have_text("0", timeout=15000)
    status = requests.get(f"{base}/api/v1/notices/{notice['id']}/relays",
                          headers={"Authorization": f"Bearer {branch}"}).json()
    assert [i["username"] for i in status["items"] if i["relayed_at"]] == ["captain"]
    public = phone.new_page()
    public.goto(f"{base}/app/s/B1")
    expect(public.locator(".notices")).to_contain_text("停水通知")


def test_resident_signs_up_for_an_activity_from_the_qr_page(phone, live_server, people):
    base = live_server
    committee = token_for(base, "committee")
    requests.post(f"{base}/api/v1/posts", headers={"Authorization": f"Bearer {committee}"}, json={
        "title": "儿童绘画课", "grid_code": "C1", "capacity": 2, "kind": "activity", "place": "社区活动室",
        "public_signup": True, "resident_capacity": 10,
        "starts_at": "2030-07-01T01:00:00Z", "ends_at": "2030-07-01T03:00:00Z"})
    page = phone.new_page()
    page.goto(f"{base}/app/s/B1")
    page.locator("details.more summary").click()   # the form first; activities folded below (issue 23)
    card = page.locator(".activities form").first
    card.locator("input[name=name]").fill("陈妈妈")
    card.locator("input[name=phone]").fill("13912345678")
    card.locator("button").click()
    expect(card.locator(".notice")).to_have_text("报名成功！")
    shot(page, "public-activity")


def test_partner_sees_meeting_decisions_in_the_app(phone, live_server, people):
    base = live_server
    captain, committee = token_for(base, "captain"), token_for(base, "committee")
    need = requests.post(f"{base}/api/v1/submissions", headers={"Authorization": f"Bearer {captain}"}, json={
        "uuid": new_uuid(), "form": "need", "grid_code": "B1",
        "data": {"category": "utilities", "description": "燃气管道老化", "urgency": "urgent"}}).json()
    meeting = requests.post(f"{base}/api/v1/meetings", headers={"Authorization": f"Bearer {committee}"}, json={
        "grid_code": "C1", "starts_at": "2026-03-10T02:00:00Z", "place": "党群服务中心",
        "invited": ["三水燃气公司"]}).json()
    requests.post(f"{base}/api/v1/meetings/{meeting['id']}/record", headers={"Authorization": f"Bearer {committee}"},
                  json={"attendance": ["三水燃气公司"], "decisions": [{"dispatch": need["id"], "partner": "三水燃气公司"}]})
    page = phone.new_page()
    sign_in(page, base, "partner")
    page.goto(f"{base}/app/meetings")
    card = page.locator(f"[data-meeting='{meeting['id']}']")
    expect(card).to_contain_text("党群服务中心")
    expect(card.locator(f"a[href='/app/item/{need['id']}']")).to_be_visible()
