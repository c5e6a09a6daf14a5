"""The dashboard in Chromium (issue 24): charts drawn on the server, a child node's bar opens
that node, the overdue list names who holds each item."""
from datetime import datetime

import pytest

from tests.browser import desk, expect, shot
from tests.test_console_crawl import community  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_dashboard_drill_down(browser, live_server, community, clock):  # noqa: F811  (community)
    clock.now = datetime(2026, 3, 20, 2, 0)
    context = desk(browser)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/admin/")
        page.fill("input[name=username]", "chensj")
        page.fill("input[name=password]", "correct-horse-9")
        page.click("button[type=submit]")
        expect(page.get_by_test_id("stat-total")).to_be_visible()
        expect(page.get_by_test_id("overdue-list")).to_contain_text("党员楼长 李杏珊")
        expect(page.locator("svg.columns title").first).to_have_text("每周来信")
        shot(page, "console-dashboard-figures")
        page.locator("[data-testid=figure-children] svg a", has_text="时代城小区").click()
        expect(page.locator("h1")).to_contain_text("时代城小区")
        expect(page.locator(".trail")).to_contain_text("北江社区")
        expect(page.locator(".trail")).not_to_contain_text("西南街道")   # not the committee's
        shot(page, "console-dashboard-estate")
    finally:
        clock.now = datetime(2026, 3, 2, 1, 0)
        context.close()
