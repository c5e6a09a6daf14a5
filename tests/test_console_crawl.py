"""No codes in the console (issue 21): every page reachable from the navigation, and every
submission's page, as each console role, shows words — never a state, action, role, level,
form or field code of the built-in definitions, True/False/None/null, a UUID or an ISO time.
The identifiers come from the definitions, so a new state is covered without editing this."""
import io
import re
from datetime import datetime

import pytest
from PIL import Image

from tests.conftest import PASSWORD, new_uuid, suggestion


def identifiers() -> set[str]:
    from app.core.words import LEVELS, ROLES
    from app.forms.builtin import builtin_forms
    from app.workflow.definition import builtin_names, builtin_workflow

    found = set(ROLES) | set(LEVELS) | {"True", "False", "None", "null"}
    for name in builtin_names():
        workflow = builtin_workflow(name)
        found |= set(workflow["states"])
        found |= {t["name"] for t in workflow["transitions"]}
    for form in builtin_forms():
        found.add(form["slug"])
        for field in form["definition"]["fields"]:
            found.add(field["name"])
            found |= {c["value"] for c in field.get("choices") or []}
    return found


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def visible_text(html: str) -> str:
    """What a person reads: no tags, attributes, scripts, or collapsed JSON editors."""
    html = re.sub(r"<(script|style|textarea)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"&[a-z]+;|&#\d+;", " ", html)


def leaks(text: str, codes: set[str]) -> list[str]:
    found = [c for c in codes if re.search(rf"(?<![A-Za-z0-9_]){re.escape(c)}(?![A-Za-z0-9_])", text)]
    return found + UUID.findall(text) + ISO.findall(text)


@pytest.fixture
def community(app, grid, make_user, login, anon, clock, runner):
    """A small realistic grid with submissions in many states, by people with real names."""
    make_user("lixs", ("captain", "B1"), display_name="党员楼长 李杏珊")
    make_user("zhengxr", ("branch", "E1"), display_name="时代城党支部 郑雄荣")
    make_user("chensj", ("committee", "C1"), display_name="北江社区党委 陈书记")
    make_user("wangsf", ("partner", None, "三水燃气公司"), display_name="燃气公司 王师傅")
    make_user("chenxl", ("volunteer", "C1"), display_name="志愿者 陈晓琳")
    make_user("guanli", ("admin",), display_name="系统管理员 关丽")
    clock.now = datetime(2026, 3, 2, 1, 0)
    captain, branch, committee = login("lixs"), login("zhengxr"), login("chensj")
    raw = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(raw, "JPEG")
    photo = anon.client.post("/api/v1/uploads", data={"file": (io.BytesIO(raw.getvalue()), "p.jpg")},
                             content_type="multipart/form-data").get_json()["id"]
    first = anon.post("/api/v1/submissions", json=suggestion("B1", photos=[photo], anonymous=False,
                                                             contact_name="张阿姨")).get_json()
    timed = captain.post("/api/v1/submissions", json=suggestion("B1", content="电梯异响")).get_json()
    served = captain.post("/api/v1/submissions", json=suggestion("B1", content="燃气管道老化")).get_json()
    dup = captain.post("/api/v1/submissions", json=suggestion("B1", content="楼道灯又坏了")).get_json()
    act = lambda api, sub, **body: api.post(f"/api/v1/submissions/{sub['id']}/transitions", json=body)  # noqa: E731
    assert act(captain, served, action="escalate", comment="需支部协调").status_code == 200
    assert act(branch, served, action="escalate").status_code == 200
    assert act(committee, served, action="dispatch", partner="三水燃气公司").status_code == 200
    partner = login("wangsf")
    assert act(partner, served, action="accept").status_code == 200
    assert act(partner, served, action="resolve", comment="已更换管道").status_code == 200
    assert act(captain, dup, action="mark_duplicate", duplicate_of=first["id"]).status_code == 200
    assert act(captain, first, action="resolve", comment="已修好").status_code == 200
    runner.invoke(args=["workflow", "tick", "--now", "2026-03-04T02:00:00Z"])
    captain.post("/api/v1/submissions", json={"uuid": new_uuid(), "form": "need", "grid_code": "B1", "data": {
        "category": "utilities", "description": "老旧小区燃气管道需要改造", "urgency": "urgent"}})
    post = branch.post("/api/v1/posts", json={"title": "楼道清扫", "grid_code": "E1", "capacity": 2,
                                              "starts_at": "2026-03-10T09:00", "ends_at": "2026-03-10T12:00"}).get_json()
    login("chenxl").post("/api/v1/submissions", json={"uuid": new_uuid(), "form": "volunteer-signup",
                                                      "grid_code": "E1", "data": {"post": post["id"]}})
    committee.post("/api/v1/meetings", json={"grid_code": "C1", "starts_at": "2026-03-10T09:00",
                                             "place": "党群服务中心", "invited": ["三水燃气公司"]})
    committee.post("/api/v1/notices", json={"grid_code": "C1", "title": "停水通知", "body": "周三停水"})
    return timed


NAV = ["/admin/", "/admin/submissions", "/admin/forms", "/admin/grid", "/admin/meetings",
       "/admin/notices", "/admin/activities", "/admin/people", "/admin/import"]


@pytest.mark.parametrize("username", ["chensj", "zhengxr", "guanli"])
def test_console_pages_show_no_codes(app, community, username):
    codes = identifiers()
    client = app.test_client()
    assert client.post("/admin/login", data={"username": username, "password": PASSWORD}).status_code == 302
    pages = list(NAV)
    seen = set()
    while pages:
        url = pages.pop(0)
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url)
        assert r.status_code in (200, 403), (url, r.status_code)
        html = r.get_data(as_text=True)
        assert not leaks(visible_text(html), codes), (username, url, leaks(visible_text(html), codes))
        for link in re.findall(r'href="(/admin/(?:submissions/\d+|forms/[a-z-]+|meetings/\d+|notices/\d+))"', html):
            pages.append(link)
    assert any(u.startswith("/admin/submissions/") for u in seen)
