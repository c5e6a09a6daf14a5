"""Words, not codes, in the community's own time (issue 21): a crawl in Chromium.

Six people on a small grid with submissions in every state (a timer escalation, a dispatch,
claims, a duplicate and a photo) open every PWA screen and every console page reachable from
the navigation — an item's page once for each (form, state) — and visible text must hold no
internal identifier. The identifiers are generated
from the built-in form and workflow definitions, so a new state or field is covered by itself.
The phone is set to New York: it must still show the community's (Beijing) time.
"""
import io
import re
from collections import deque
from urllib.parse import urljoin, urlparse

import pytest

from tests.browser import desk, expect, phone_device, shot
from tests.conftest import PASSWORD, new_uuid

pytestmark = pytest.mark.browser

# Usernames are not identifiers of the definitions; display names are what screens show.
PEOPLE = {
    "lixs": ("李杏珊", ("captain", "B1")),
    "huangjm": ("黄建明", ("captain", "B2")),
    "zhangzb": ("张志斌", ("branch", "E1")),
    "wangsq": ("王淑琴", ("committee", "C1")),
    "zhaosf": ("赵师傅", ("partner", None, "三水燃气公司")),
    "chenzy": ("陈志远", ("volunteer", "C1")),
    "linxy": ("林晓云", ("volunteer", "C1")),
    "zhouwei": ("周伟", ("volunteer", "C1")),
    "liujm": ("刘건民".replace("건", "建"), ),
}
ROLES_TO_CRAWL = ["lixs", "zhangzb", "wangsq", "zhaosf", "chenzy", "liujm"]
CONSOLE_PEOPLE = ["wangsq", "zhangzb"]
ASCII_WORD = "A-Za-z0-9_"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
LITERALS = {"True", "False", "null", "None", "undefined", "NaN", "[object Object]"}


def identifiers() -> dict[str, str]:
    """Every code a person must never read, with where it comes from."""
    from app.accounts.models import ROLES
    from app.forms.builtin import builtin_forms
    from app.grid.models import LEVELS

    found = {}
    for role in ROLES:
        found[role] = "role"
    for level in LEVELS:
        found[level] = "grid level"
    for form in builtin_forms():
        found[form["slug"]] = "form"
        for field in form["definition"]["fields"]:
            found.setdefault(field["name"], f"field of {form['slug']}")
            for choice in field.get("choices") or []:
                found.setdefault(str(choice["value"]), f"choice of {form['slug']}.{field['name']}")
        workflow = form["workflow"]
        if workflow.get("name"):
            found.setdefault(workflow["name"], "workflow")
        for state in workflow["states"]:
            found.setdefault(state, f"state of {form['slug']}")
        for transition in workflow["transitions"]:
            found.setdefault(transition["name"], f"action of {form['slug']}")
    for literal in LITERALS:
        found[literal] = "literal"
    return found


def _pattern(words) -> re.Pattern:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    # Words are cut at ASCII letters/digits/_/- only: Chinese text around a code still finds it.
    return re.compile(rf"(?<![{ASCII_WORD}-])({alternatives})(?![{ASCII_WORD}-])")


def codes_in(text: str, known: dict[str, str], pattern: re.Pattern) -> list[str]:
    found = [f"{m.group(1)!r} ({known[m.group(1)]})" for m in pattern.finditer(text)]
    found += [f"{m.group(0)!r} (UUID)" for m in UUID.finditer(text)]
    found += [f"{m.group(0)!r} (ISO timestamp)" for m in ISO.finditer(text)]
    return sorted(set(found))


def test_identifier_list_follows_the_definitions():
    known = identifiers()
    for word in ("at_captain", "mark_duplicate", "suggestion", "volunteer-signup", "category",
                 "anonymous", "repair", "captain", "building", "True", "null"):
        assert word in known, word
    pattern = _pattern(known)
    assert codes_in("类别：repair；状态 at_captain", known, pattern) == [
        "'at_captain' (state of suggestion)", "'repair' (choice of suggestion.category)"]
    assert codes_in("时代城1栋 · 12月2日 12:14 · 楼长处理中", known, pattern) == []
    assert codes_in("2026-12-02T04:14:36Z 5b0c9d0e-1f7a-4c8e-9a0b-2c3d4e5f6a7b", known, pattern) == [
        "'2026-12-02T04:14' (ISO timestamp)", "'5b0c9d0e-1f7a-4c8e-9a0b-2c3d4e5f6a7b' (UUID)"]


# --- a small grid with submissions in every state -------------------------------------------

def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 60, 40)).save(out, "JPEG")
    return out.getvalue()


def _ok(response, *codes):
    assert response.status_code in (codes or (200, 201)), (response.status_code, response.get_json())
    return response.get_json()


def seed(login, make_user, runner, clock) -> dict:
    """Returns {name: submission id} for the interesting submissions."""
    for username, (display, *roles) in PEOPLE.items():
        make_user(username, *roles, display_name=display)
    api = {u: login(u) for u in PEOPLE}
    ids = {}

    def submit(who, form, grid_code, data):
        body = {"uuid": new_uuid(), "form": form, "grid_code": grid_code, "data": data}
        return _ok(api[who].post("/api/v1/submissions", json=body))["id"]

    def act(who, sub_id, action, **extra):
        return _ok(api[who].post(f"/api/v1/submissions/{sub_id}/transitions",
                                 json={"action": action, **extra}), 200)

    letter = {"category": "repair", "content": "三楼楼道灯坏了一个星期", "anonymous": True}
    # A letter with a photo, waiting for the captain (stored at 09:00Z: 17:00 Beijing time).
    upload = _ok(api["lixs"].client.post(
        "/api/v1/uploads", data={"file": (io.BytesIO(_jpeg()), "light.jpg")},
        headers={"Authorization": f"Bearer {api['lixs'].token}"}, content_type="multipart/form-data"))
    ids["photo"] = submit("lixs", "suggestion", "B1", dict(letter, photos=[upload["id"]],
                                                             location="3 单元 3 楼"))
    # A letter the captain ignored: the timer escalates it after 48 hours.
    ids["timer"] = submit("lixs", "suggestion", "B1", dict(letter, content="小区门口积水无人处理",
                                                             category="complaint", anonymous=False,
                                                             contact_name="刘先生", contact_phone="13912345678"))
    clock.advance(hours=1)
    ids["committee"] = submit("lixs", "suggestion", "B1", dict(letter, content="建议增设电动车充电桩",
                                                                 category="suggestion"))
    act("lixs", ids["committee"], "escalate")
    act("zhangzb", ids["committee"], "escalate")
    ids["dispatched"] = submit("lixs", "need", "B1", {"category": "utilities", "description": "燃气表漏气",
                                                      "urgency": "urgent", "households_affected": 2})
    for who, action, extra in (("lixs", "escalate", {}), ("zhangzb", "escalate", {}),
                               ("wangsq", "dispatch", {"partner": "三水燃气公司"})):
        act(who, ids["dispatched"], action, **extra)
    ids["in_service"] = submit("lixs", "need", "B1", {"category": "utilities", "description": "燃气灶打不着火",
                                                      "urgency": "normal"})
    for who, action, extra in (("lixs", "escalate", {}), ("zhangzb", "escalate", {}),
                               ("wangsq", "dispatch", {"partner": "三水燃气公司"}), ("zhaosf", "accept", {})):
        act(who, ids["in_service"], action, **extra)
    ids["resolved"] = submit("lixs", "suggestion", "B1", dict(letter, content="感谢楼长帮忙修好门禁",
                                                                category="thanks"))
    act("lixs", ids["resolved"], "resolve", comment="已联系物业")
    ids["closed"] = submit("lixs", "suggestion", "B1", dict(letter, content="垃圾桶满了", category="other"))
    act("lixs", ids["closed"], "resolve", comment="已清运")
    act("zhangzb", ids["closed"], "close")
    ids["rejected"] = submit("lixs", "suggestion", "B1", dict(letter, content="要求减免物业费"))
    act("lixs", ids["rejected"], "reject", comment="不属于社区职责，请联系物业公司")
    ids["duplicate"] = submit("lixs", "suggestion", "B1", dict(letter, content="三楼楼道灯还是不亮"))
    act("lixs", ids["duplicate"], "mark_duplicate", duplicate_of=ids["photo"])
    ids["at_captain"] = submit("huangjm", "suggestion", "B2", dict(letter, content="二楼水管漏水"))

    # Registrations: waiting for the branch, for the committee, approved, rejected.
    registration = {"real_name": "王建国", "phone": "13912345678", "workplace": "三水区税务局",
                    "party_org": "区税务局机关党支部", "skills": ["legal"],
                    "service_preferences": ["captain"], "consent": True}
    ids["registration"] = submit("liujm", "member-registration", "B1", registration)
    ids["verified"] = submit("chenzy", "member-registration", "B1", dict(registration, real_name="陈志远"))
    act("zhangzb", ids["verified"], "verify")

    # Volunteer posts and claims: claimed, waitlisted, confirmed, completed, cancelled.
    def post(title, hour, capacity):
        return _ok(api["zhangzb"].post("/api/v1/posts", json={
            "title": title, "grid_code": "B1", "capacity": capacity, "place": "时代城小区东门",
            "starts_at": f"2026-03-{10 + hour:02d}T04:00:00Z", "ends_at": f"2026-03-{10 + hour:02d}T08:00:00Z"}))["id"]
    clean = post("周末环境清洁", 0, 1)
    ids["claimed"] = submit("chenzy", "volunteer-signup", "B1", {"post": clean})
    ids["waitlisted"] = submit("linxy", "volunteer-signup", "B1", {"post": clean})
    patrol = post("夜间安全巡逻", 1, 3)
    ids["confirmed"] = submit("linxy", "volunteer-signup", "B1", {"post": patrol})
    act("zhangzb", ids["confirmed"], "confirm")
    ids["completed"] = submit("zhouwei", "volunteer-signup", "B1", {"post": patrol})
    act("zhangzb", ids["completed"], "confirm")
    act("lixs", ids["completed"], "complete")
    ids["cancelled"] = submit("chenzy", "volunteer-signup", "B1", {"post": patrol})
    act("chenzy", ids["cancelled"], "cancel")

    # Two days later the ignored letter escalates by its timer.
    result = runner.invoke(args=["workflow", "tick", "--now", "2026-03-04T09:30:00Z"])
    assert result.exit_code == 0, result.output
    clock.advance(hours=49)
    detail = api["zhangzb"].get(f"/api/v1/submissions/{ids['timer']}").get_json()
    assert detail["state"] == "at_branch" and detail["history"][-1]["system"] is True
    return ids


# --- crawling -------------------------------------------------------------------------------
# Every kind of screen is opened by every role; an item's page (the same screen for every item)
# once for each (form, state), by a role that can act on it where one can, so that its actions
# are read too — and by every role at least once.

# A PWA screen is read once the app has booted, the screen is drawn (after a tap: not the one
# left), nothing says 加载中, and the page has been still for 150 ms — thumbnails and late text
# landed. One round trip to the browser instead of one per condition.
_SETTLED = """() => new Promise((resolve, reject) => {
    const main = document.querySelector('main');
    const drawn = () => document.body.dataset.ready === '1' && main.children.length > 0
        && !main.querySelector(':scope > [data-crawl-left]') && !main.innerText.includes('加载中');
    let timer = null;
    const check = () => {
        if (!drawn()) { timer = setTimeout(check, 50); return; }
        observer.disconnect(); clearTimeout(deadline); resolve();
    };
    const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(check, 150); });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    const deadline = setTimeout(() => { observer.disconnect(); clearTimeout(timer);
        reject(new Error(`not settled: ${location.pathname}`)); }, 15000);
    timer = setTimeout(check, 150);
})"""


def _settle(page):
    """A PWA screen: until it is settled (_SETTLED). Console pages are whole when loaded."""
    if urlparse(page.url).path.startswith("/app/"):
        page.evaluate(_SETTLED)


def _phone(pw, browser):
    # A phone set to New York: the screens must still read Beijing time.
    return browser.new_context(**phone_device(pw), locale="zh-CN", timezone_id="America/New_York")


def _pwa_sign_in(page, base, username):
    page.goto(f"{base}/app/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    expect(page.get_by_test_id("inbox-count")).to_be_visible()


def _load(page, base, path):
    """A page load; False for what is not a page (a file, a download)."""
    response = page.goto(urljoin(base, path))
    return response is None or response.headers.get("content-type", "").split(";")[0] == "text/html"


def _tap(page, base, path):
    """Open a PWA screen as a tap on a link does: by the app's router, without loading the page
    again (it was loaded to sign in; the shell around the screen is read with every screen)."""
    page.evaluate("""(path) => {
        for (const el of document.querySelector('main').children) el.dataset.crawlLeft = '1';
        history.pushState({}, '', path);
        dispatchEvent(new PopStateEvent('popstate'));
    }""", path)
    return True


def _crawl(page, base, start, prefix, extra=(), limit=60, skip=(), follow=lambda path: True,
           open_page=_load):
    """Visit every same-origin link under `prefix` reachable from `start` (and `extra`) that
    `follow` accepts, each opened by `open_page`."""
    seen, pages = set(), []
    queue = deque([start, *extra])
    while queue and len(pages) < limit:
        url = queue.popleft()
        path = urlparse(url).path + (f"?{urlparse(url).query}" if urlparse(url).query else "")
        if path in seen or any(s in path for s in skip) or not follow(path):
            continue
        seen.add(path)
        if not open_page(page, base, path):
            continue
        _settle(page)
        text, hrefs = page.evaluate("""() => [document.body.innerText,
            [...document.querySelectorAll('a[href]')].map((e) => e.getAttribute('href'))]""")
        pages.append((path, text))
        for href in hrefs:
            target = urlparse(urljoin(base + path, href))
            if target.netloc == urlparse(base).netloc and target.path.startswith(prefix):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return pages


def _items_to_open(login, usernames) -> dict[str, list[int]]:
    """{username: submission ids}: one submission of every (form, state) any of them sees,
    given to the first who can act on it (else the first who sees it); and to each of them
    at least one of what they see."""
    sees, acts = {}, {}
    for username in usernames:
        api = login(username)
        sees[username] = api.get("/api/v1/submissions?limit=200").get_json()["items"]
        acts[username] = {s["id"] for s in api.get("/api/v1/inbox?limit=200").get_json()["items"]}
    chosen = {}
    for can_act in (True, False):
        for username in usernames:
            for item in sees[username]:
                if (item["id"] in acts[username]) == can_act:
                    chosen.setdefault((item["form"], item["state"]), (username, item["id"]))
    opens = {username: [i for who, i in chosen.values() if who == username] for username in usernames}
    for username in usernames:
        if not opens[username] and sees[username]:
            first = min(sees[username], key=lambda s: s["id"] not in acts[username])
            opens[username].append(first["id"])
    return opens


@pytest.mark.slow
def test_pwa_screens_show_words_in_community_time(pw, browser, live_server, grid, make_user,
                                                  login, runner, clock):
    ids = seed(login, make_user, runner, clock)
    known = identifiers()
    pattern = _pattern(known)
    problems, visited = {}, {}
    opens = _items_to_open(login, ROLES_TO_CRAWL)
    for username in ROLES_TO_CRAWL:
        context = _phone(pw, browser)
        page = context.new_page()
        _pwa_sign_in(page, live_server, username)
        items = [f"/app/item/{i}" for i in opens[username]]
        pages = _crawl(page, live_server, "/app/", "/app/", extra=items, open_page=_tap,
                       skip=("/app/sw.js", "/app/manifest", "/app/js/", "/app/css/"),
                       follow=lambda path, items=items: not path.startswith("/app/item/") or path in items)
        visited[username] = [path for path, _text in pages]
        assert set(items) <= set(visited[username]), (username, visited[username])
        for path, text in pages:
            found = codes_in(text, known, pattern)
            if found:
                problems[f"{username} {path}"] = found
        context.close()
    # The resident's QR page and a tracking page, without an account.
    context = _phone(pw, browser)
    page = context.new_page()
    tracking = login("lixs").get(f"/api/v1/submissions/{ids['resolved']}").get_json()["tracking_code"]
    for path in ("/app/s/B1", f"/app/t/{tracking}"):
        page.goto(f"{live_server}{path}")
        _settle(page)
        found = codes_in(page.inner_text("body"), known, pattern)
        if found:
            problems[f"public {path}"] = found
    context.close()
    for screen in ("/app/", "/app/inbox", "/app/posts", "/app/points", "/app/new/suggestion"):
        assert screen in visited["lixs"], (screen, visited["lixs"])
    assert "/app/meetings" in visited["zhaosf"]
    assert f"/app/item/{ids['dispatched']}" in visited["zhaosf"]
    assert not problems, "codes on PWA screens:\n" + "\n".join(f"{k}: {v}" for k, v in problems.items())


@pytest.mark.slow
def test_pwa_letter_reads_as_words_with_its_photo(pw, browser, live_server, grid, make_user,
                                                  login, runner, clock):
    ids = seed(login, make_user, runner, clock)
    context = _phone(pw, browser)
    page = context.new_page()
    _pwa_sign_in(page, live_server, "lixs")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
    page.goto(f"{live_server}/app/item/{ids['photo']}")
    _settle(page)
    fields = page.locator(".fields")
    expect(fields).to_contain_text("设施报修")          # the choice's label, not `repair`
    expect(fields).to_contain_text("匿名反映")          # the field's label, not `anonymous`
    expect(fields).to_contain_text("是")                # a boolean as 是/否
    expect(page.locator("main")).to_contain_text("17:00")   # 09:00Z in Beijing, phone in New York
    thumb = page.locator("[data-testid=photos] img.thumb").first
    expect(thumb).to_have_attribute("src", re.compile(r"^blob:"), timeout=10000)
    page.wait_for_function("() => document.querySelector('img.thumb').naturalWidth > 0")
    shot(page, "nocodes-letter")
    thumb.click()
    expect(page.get_by_test_id("photo-overlay").locator("img")).to_have_attribute(
        "src", re.compile(r"^blob:"), timeout=10000)
    shot(page, "nocodes-photo-full")
    page.get_by_test_id("photo-overlay").get_by_role("button").click()
    # Offline, the photo viewed once still shows.
    context.set_offline(True)
    page.reload()
    _settle(page)
    expect(page.locator("[data-testid=photos] img.thumb").first).to_have_attribute(
        "src", re.compile(r"^blob:"), timeout=10000)
    page.wait_for_function("() => document.querySelector('img.thumb').naturalWidth > 0")
    context.set_offline(False)

    page.goto(f"{live_server}/app/item/{ids['duplicate']}")
    _settle(page)
    expect(page.locator(".history")).to_be_visible()
    shot(page, "nocodes-history")
    # Switched to English, the same letter reads in English, still in Beijing time.
    page.goto(f"{live_server}/app/item/{ids['photo']}")
    _settle(page)
    page.click("#lang")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".fields")).to_contain_text("Repair")
    expect(page.locator("main")).to_contain_text("17:00")
    shot(page, "nocodes-letter-en")
    page.click("#lang")
    context.close()

    # The branch sees the timer's escalation as a sentence, and a claim by post and time.
    context = _phone(pw, browser)
    page = context.new_page()
    _pwa_sign_in(page, live_server, "zhangzb")
    page.goto(f"{live_server}/app/inbox")
    _settle(page)
    expect(page.locator("main")).to_contain_text("周末环境清洁")
    shot(page, "nocodes-branch-inbox")
    page.goto(f"{live_server}/app/item/{ids['timer']}")
    _settle(page)
    shot(page, "nocodes-timer")
    context.close()


@pytest.mark.slow
def test_console_pages_show_words(browser, live_server, grid, make_user, login, runner, clock):
    seed(login, make_user, runner, clock)
    known = identifiers()
    pattern = _pattern(known)
    problems = {}
    opens = _items_to_open(login, CONSOLE_PEOPLE)
    checked = set()   # a page of one thing (a number or a query in its path): read once
    for username in CONSOLE_PEOPLE:
        items = {f"/admin/submissions/{i}" for i in opens[username]}

        def follow(path, items=items):
            if re.fullmatch(r"/admin/submissions/\d+", path):
                return path in items
            return path not in checked or not re.search(r"\d|\?", path)

        context = desk(browser, timezone_id="America/New_York")
        page = context.new_page()
        page.goto(f"{live_server}/admin/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/admin/(?!login)"))
        pages = _crawl(page, live_server, "/admin/", "/admin/", extra=sorted(items), limit=80,
                       skip=("logout", "export", ".csv", ".xlsx", ".pdf", ".ics", "/static/"),
                       follow=follow)
        assert items <= {path for path, _text in pages}, (username, pages)
        for path, text in pages:
            checked.add(path)
            found = codes_in(text, known, pattern)
            if found:
                problems.setdefault(re.sub(r"/\d+$", "/<id>", path), set()).update(found)
        context.close()
    assert not problems, "codes on console pages:\n" + "\n".join(
        f"{k} shows {', '.join(sorted(v)[:8])}" for k, v in sorted(problems.items()))
