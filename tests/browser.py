"""Chromium for the browser tests (a pytest plugin, loaded by conftest.py): fixtures and helpers
every tests/test_*_browser.py shares.

Debian's Chromium driven by Python Playwright (never `playwright install`: the browser comes
from apt). One Playwright and one Chromium per test process — per xdist worker — for the whole
session; each test gets fresh contexts (`phone`, `desk`), and whatever context a test leaves
open is closed when it ends. A test marked `browser` is skipped, with the reason, where
Chromium or Playwright is missing; in CI that skip is a failure (conftest.py).
"""
import os

import pytest
import requests

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARTIFACTS = os.path.join(ROOT, "test-artifacts")
SCREENSHOTS = bool(os.environ.get("TEST_SCREENSHOTS"))   # make screenshots
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - reported as a skip below
    expect = sync_playwright = None


def _missing() -> str | None:
    if sync_playwright is None:
        return "browser tests: playwright is not installed"
    if not os.path.exists(CHROMIUM):
        return f"browser tests: no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A browser test without Chromium or Playwright is skipped, saying which is missing."""
    reason = _missing()
    if reason and item.get_closest_marker("browser"):
        pytest.skip(reason)


@pytest.fixture(scope="session")
def pw():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(pw):
    """The worker's one Chromium, started when a test first needs it."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield browser
    browser.close()


@pytest.fixture
def browser(chromium):
    """The shared Chromium; the contexts a test opens are closed when it ends (even on a
    failure), so the next test starts with none."""
    yield chromium
    for context in list(chromium.contexts):
        context.close()


def phone_device(pw) -> dict:
    """A Pixel 7 (viewport, touch, mobile user agent), drawn at one device pixel per CSS pixel
    unless pictures are taken: the layout is the same, and Chromium rasterises 7 times fewer
    pixels for every frame."""
    device = dict(pw.devices["Pixel 7"])
    if not SCREENSHOTS:
        device["device_scale_factor"] = 1
    return device


@pytest.fixture
def phone(pw, browser):
    context = browser.new_context(**phone_device(pw), locale="zh-CN")
    yield context
    context.close()


def phone_options(pw, **extra):
    """Launch options for a Chromium of a test's own (a persistent profile, other flags)."""
    options = dict(executable_path=CHROMIUM, args=ARGS, locale="zh-CN", **phone_device(pw))
    options.pop("default_browser_type", None)
    options.update(extra)
    return options


def desk(browser, **extra):
    """A new context the size of a desk's screen, for the console."""
    return browser.new_context(**{"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN",
                                  **extra})


def artifact(name: str) -> str:
    os.makedirs(ARTIFACTS, exist_ok=True)
    return os.path.join(ARTIFACTS, f"{name}.png")


def shot(target, name):
    """A screenshot of a page (its full length) or of one element, in test-artifacts/ —
    only under `make screenshots` (README's pictures are taken from there): a full-page
    capture of a phone screen costs Chromium about as much as the rest of a short test."""
    if not SCREENSHOTS:
        return
    if hasattr(target, "goto"):
        target.screenshot(path=artifact(name), full_page=True)
    else:
        target.screenshot(path=artifact(name))


def outbox_count(page):
    return page.get_by_test_id("outbox-count")


def wait_for_worker(page):
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)


def sign_in(page, base, username="captain"):
    """Sign in to the field app, and wait until its service worker controls the page."""
    page.goto(f"{base}/app/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    expect(page.get_by_test_id("inbox-count")).to_be_visible()
    wait_for_worker(page)


def console_sign_in(page, base, username="committee", start="/admin/"):
    page.goto(f"{base}{start}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("stat-total")).to_be_visible()


def token_for(base, username):
    return requests.post(f"{base}/api/v1/auth/login",
                         json={"username": username, "password": PASSWORD}).json()["token"]


def server_items(base, token, form="suggestion"):
    r = requests.get(f"{base}/api/v1/submissions?form={form}&limit=200",
                     headers={"Authorization": f"Bearer {token}"})
    return r.json()["items"]
