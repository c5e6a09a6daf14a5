"""The PWA's bell and the service worker's push handler in a real browser (issue 25):
the unread count shows in the header, stays offline, and a read mark made on this phone
reaches the server (so every device agrees); a push shows the item's title."""
import json

import pytest
import requests

from tests.browser import expect, sign_in
from tests.conftest import PASSWORD, suggestion
from tests.servers import wait_for

pytestmark = pytest.mark.browser


def _token(base, username):
    r = requests.post(f"{base}/api/v1/auth/login",
                      json={"username": username, "password": PASSWORD}, timeout=10)
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _unread(base, headers) -> int:
    return requests.get(f"{base}/api/v1/notifications", headers=headers, timeout=10).json()["unread"]


def test_the_bell_counts_unread_offline_and_marks_read_everywhere(phone, live_server, people):
    for _ in range(2):
        r = requests.post(f"{live_server}/api/v1/submissions", json=suggestion("B1"), timeout=10)
        assert r.status_code == 201
    page = phone.new_page()
    sign_in(page, live_server)
    bell = page.get_by_test_id("notify-count")
    expect(bell).to_have_text("2", timeout=10000)
    phone.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("notify-count")).to_have_text("2", timeout=10000)
    phone.set_offline(False)
    page.click("#notify")
    items = page.locator('[data-testid="notifications"] li')
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("查询码")
    items.first.locator("a").click()
    expect(page).to_have_url(f"{live_server}/app/item/" + r.json()["id"].__str__(), timeout=10000)
    expect(page.get_by_test_id("notify-count")).to_have_text("1", timeout=10000)
    # The phone marks at once and tells the server right after: every device agrees soon.
    other_device = _token(live_server, "captain")
    wait_for(lambda: _unread(live_server, other_device) == 1, 10, every=0.1)
    page.goto(f"{live_server}/app/notifications")
    page.get_by_test_id("read-all").click()
    expect(page.get_by_test_id("notify-count")).to_have_text("0", timeout=10000)
    wait_for(lambda: _unread(live_server, other_device) == 0, 10, every=0.1)
    expect(page.get_by_test_id("push-toggle")).to_be_visible()


def test_a_push_shows_the_items_title(phone, live_server, people):
    phone.grant_permissions(["notifications"], origin=live_server)
    page = phone.new_page()
    sign_in(page, live_server)
    cdp = phone.new_cdp_session(page)
    versions = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda e: versions.extend(e.get("registrations", [])))
    cdp.send("ServiceWorker.enable")
    registration = page.evaluate(
        "async () => (await navigator.serviceWorker.getRegistration('/app/')).scope")
    page.wait_for_timeout(500)
    reg_id = next((r["registrationId"] for r in versions if r["scopeURL"] == registration), None)
    if reg_id is None:
        pytest.skip("this Chromium does not report the service worker registration over CDP")
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": live_server, "registrationId": reg_id,
        "data": json.dumps({"title": "楼长信箱（查询码 ABCD2345）", "body": "时代城1栋有一件新的来信",
                            "url": "/app/item/1", "tag": "t1"})})
    shown = []
    for _ in range(100):   # up to 10 s, through Playwright's own waits
        shown = page.evaluate("""async () => {
            const reg = await navigator.serviceWorker.getRegistration('/app/');
            return (await reg.getNotifications()).map((n) => [n.title, n.body, n.data.url]); }""")
        if shown:
            break
        page.wait_for_timeout(100)
    assert shown == [["楼长信箱（查询码 ABCD2345）", "时代城1栋有一件新的来信", "/app/item/1"]]
