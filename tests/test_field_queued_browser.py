"""An action taken without signal waits in the outbox: the item's screen says so, and offers no
other action on the old state until it has gone."""
import pytest
import requests

from tests.browser import expect, outbox_count, shot, sign_in, token_for
from tests.conftest import suggestion

pytestmark = pytest.mark.browser


def test_an_item_with_a_queued_action_says_so_and_offers_no_other(phone, live_server, people):
    base = live_server
    token = token_for(base, "captain")
    letter = requests.post(f"{base}/api/v1/submissions", json=suggestion("B1", content="车棚漏雨"),
                           headers={"Authorization": f"Bearer {token}"}).json()
    page = phone.new_page()
    sign_in(page, base)
    page.goto(f"{base}/app/item/{letter['id']}")
    expect(page.locator("button[data-action=escalate]")).to_be_visible()

    phone.set_offline(True)
    page.click("button[data-action=escalate]")
    expect(outbox_count(page)).to_have_text("1")
    page.goto(f"{base}/app/inbox")
    page.goto(f"{base}/app/item/{letter['id']}")
    waiting = page.get_by_test_id("action-waiting")
    expect(waiting).to_contain_text("上报")
    expect(waiting).to_contain_text("有信号后自动上传")
    expect(page.locator(".actions button")).to_have_count(0)
    expect(page.locator("a[href='/app/outbox']").first).to_be_visible()
    shot(page, "item-action-waiting")

    phone.set_offline(False)
    expect(outbox_count(page)).to_have_text("0", timeout=15000)
    page.goto(f"{base}/app/item/{letter['id']}")
    expect(page.get_by_test_id("action-waiting")).to_have_count(0)
    expect(page.get_by_test_id("item-state")).not_to_have_text(letter["state_label"])
