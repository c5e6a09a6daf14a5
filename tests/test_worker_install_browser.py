"""The field app's offline worker installs even when its first try fails (a weak signal: one
shell file does not arrive), without the person reloading the page."""
import pytest

from tests.browser import expect

pytestmark = pytest.mark.browser

ONLY_IN_PRECACHE = "/app/icons/maskable-512.png"  # named by the manifest, fetched by the worker


def test_a_failed_first_install_is_tried_again_until_the_worker_controls_the_page(
        phone, live_server, faults, people):
    faults.lose[ONLY_IN_PRECACHE] = 1
    page = phone.new_page()
    page.goto(f"{live_server}/app/s/B1")
    expect(page.locator("body[data-ready='1']")).to_have_count(1)
    # The first install fails on the lost file; the app tries again by itself.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    assert [path for path, _status, _body in faults.lost] == [ONLY_IN_PRECACHE]
    # Now it works offline: the public page opens with no signal.
    phone.set_offline(True)
    page.reload()
    expect(page.locator("body[data-ready='1']")).to_have_count(1)
    phone.set_offline(False)
