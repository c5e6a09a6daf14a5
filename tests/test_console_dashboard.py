"""The console dashboard's figures (issue 24): weekly trends, categories, the overdue list with
who holds each item, times per estate and captain, partners; text alternatives and numbers."""
import html as htmllib
import re
from datetime import datetime

from tests.conftest import PASSWORD
from tests.test_console_crawl import community  # noqa: F401  (fixture)


def _sign_in(app, username="chensj"):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").get_data(as_text=True)).group(1)
    assert client.post("/admin/login", data={"username": username, "password": PASSWORD,
                                             "csrf_token": token}).status_code == 302
    return client


def _section(html, testid):
    match = re.search(rf'data-testid="{testid}">(.*?)</section>', html, re.S)
    assert match, testid
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


def test_dashboard_figures(app, community, clock):  # noqa: F811
    clock.now = datetime(2026, 3, 20, 2, 0)
    try:
        html = _sign_in(app).get("/admin/?grid_code=C1&from=2026-03-01&to=2026-03-21").get_data(as_text=True)
    finally:
        clock.now = datetime(2026, 3, 2, 1, 0)
    trend = _section(html, "figure-trend")
    # Weeks of 23 Feb (the period's first days), 2, 9 and 16 March.
    assert "3月2日" in trend and "3月16日" in trend
    # letters received, resolved, escalated by timer; the volunteer's claim apart (not a letter)
    assert re.search(r"3月2日\s+5\s+2\s+1\s+1", trend), trend
    assert 'aria-labelledby="chart-t' in html and "<desc id=" in html
    assert "3月2日 这一周：收到 5 件，解决 2 件，超时自动上报 1 件；" in htmllib.unescape(html)
    categories = _section(html, "figure-categories")
    assert "水电燃气" in categories
    overdue = _section(html, "overdue-list")
    assert "电梯异响" not in overdue   # the list shows codes and places, not contents
    assert "小区党支部处理中" in overdue and "时代城党支部 郑雄荣" in overdue   # the branch holds it
    assert "楼长处理中" in overdue and "党员楼长 李杏珊" in overdue
    times = _section(html, "figure-times")
    assert "时代城小区" in times
    captains = _section(html, "figure-captains")
    assert "党员楼长 李杏珊" in captains and "时代城1栋" in captains
    partners = _section(html, "figure-partners")
    assert re.search(r"三水燃气公司\s+1\s+1", partners), partners
    children = _section(html, "figure-children")
    assert "时代城小区" in children
    assert '<a href="?grid_code=E1&amp;from=2026-03-01&amp;to=2026-03-21">' in html   # drill down


def test_drill_down_and_scope(app, community):  # noqa: F811
    client = _sign_in(app, "zhengxr")               # the branch of E1
    html = client.get("/admin/?grid_code=E1").get_data(as_text=True)
    assert "时代城1栋" in html and ">北江社区</a>" not in html   # no link above the branch's node
    assert client.get("/admin/?grid_code=C1").status_code == 404
    bad = client.get("/admin/?grid_code=E1&from=2026-03-10&to=2026-03-01")
    assert bad.status_code == 400
    assert client.get("/admin/?grid_code=E1&from=nonsense").status_code == 400


def test_dashboard_in_english(app, community):  # noqa: F811
    html = _sign_in(app).get("/admin/?grid_code=C1&lang=en").get_data(as_text=True)
    assert "Submissions per week" in html and "Partner units" in html and "received" in html
