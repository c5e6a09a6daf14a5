"""One set of rules (issue 24): each rule the API and the console share is tested through both
doors with the same outcome — who manages whom, the notice photo's owner, transitions, overdue
by the workflows' own timers, filters in words; console views never commit; every people
action is in the audit log; the pages added here show no codes."""
import ast
import io
import pathlib
import re
import pytest
from PIL import Image

from tests.conftest import PASSWORD, csrf_of, suggestion
from tests.test_console_crawl import community as crawl_community

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _user(in_app, user_id):
    from app.accounts.models import User
    from app.extensions import db
    return in_app(lambda: (lambda u: {"active": u.active, "name": u.display_name, "phone": u.phone,
                                      "roles": sorted((r.role, r.node.code if r.node else None)
                                                      for r in u.roles)})(db.session.get(User, user_id)))


def _delete(api, url):
    return api.client.delete(url, headers={"Authorization": f"Bearer {api.token}"})


# --- Who may deactivate whom: admin anyone; a committee the people of its grid below it. ---

DEACTIVATE = [  # actor, target, allowed
    ("admin", "captain", True),
    ("admin", "committee", True),
    ("committee", "captain", True),        # a captain of its own community
    ("committee", "branch", True),
    ("street", "captain", True),           # the street's committee: every community below it
    ("committee2", "captain", False),      # another community's captain
    ("committee", "committee", False),     # not oneself
    ("street", "committee", False),        # a committee member: admins manage peers
    ("committee", "admin", False),
    ("branch", "captain", False),          # a branch does not manage people
]


@pytest.mark.parametrize("door", ["api", "console"])
@pytest.mark.parametrize("actor,target,allowed", DEACTIVATE)
def test_who_may_deactivate_whom_is_one_rule(door, actor, target, allowed, login, console, people, in_app):
    if door == "api":
        status = login(actor).post(f"/api/v1/users/{people[target]}/deactivate").status_code
        assert (status == 200) == allowed, status
    else:
        client, token = console(actor)
        r = client.post(f"/admin/people/{people[target]}", data={
            "csrf_token": token, "action": "deactivate", "confirmed": "1"})
        assert r.status_code in (302, 403, 404)
    assert _user(in_app, people[target])["active"] is (not allowed)


@pytest.mark.parametrize("door", ["api", "console"])
@pytest.mark.parametrize("actor,allowed", [("committee", True), ("committee2", False), ("branch", False)])
def test_unlock_reset_and_roles_follow_the_same_rule(door, actor, allowed, app, login, console, people, in_app,
                                                     client):
    """Unlock, reset and a role on B2: allowed for the committee of the captain's community only."""
    app.config["LOGIN_FAIL_LIMIT_USER"] = "2/15 minutes"
    try:
        for i in range(3):
            client.post("/api/v1/auth/login", json={"username": "captain", "password": f"wrong-{i}"})
        captain = people["captain"]
        if door == "api":
            api = login(actor)
            unlocked = api.post(f"/api/v1/users/{captain}/unlock").status_code == 200
            role = api.post(f"/api/v1/users/{captain}/roles", json={"role": "captain", "grid_code": "B2"})
            reset = api.post(f"/api/v1/users/{captain}/password")
            assert unlocked == allowed and (role.status_code == 201) == allowed
            assert (reset.status_code == 200) == allowed
        else:
            web, token = console(actor)
            web.post(f"/admin/people/{captain}", data={"csrf_token": token, "action": "unlock"})
            web.post(f"/admin/people/{captain}/roles", data={"csrf_token": token, "role": "captain",
                                                              "grid_code": "B2"})
            web.post(f"/admin/people/{captain}", data={"csrf_token": token, "action": "reset_password",
                                                       "confirmed": "1"})
        from app.accounts import throttle
        with app.test_request_context():
            assert throttle.is_locked("captain") is (not allowed)
        assert (("captain", "B2") in _user(in_app, captain)["roles"]) is allowed
        # allowed: unlocked but the password was reset; refused: still locked
        signed_in = client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD})
        assert signed_in.status_code == (401 if allowed else 429)
    finally:
        app.config["LOGIN_FAIL_LIMIT_USER"] = "10/15 minutes"


@pytest.mark.parametrize("door", ["api", "console"])
def test_adding_a_person_is_one_rule(door, login, console, people, in_app):
    body = {"username": "liuxm", "display_name": "刘小梅", "phone": "13812345678", "role": "captain",
            "grid_code": "B2"}
    outside = dict(body, username="zhaoyi", grid_code="B4")   # another community
    peer = dict(body, username="qianer", role="committee", grid_code="C1")   # admins only
    if door == "api":
        api = login("committee")
        r = api.post("/api/v1/users", json=body)
        assert r.status_code == 201 and len(r.get_json()["password"]) >= 8
        user_id = r.get_json()["id"]
        assert api.post("/api/v1/users", json=body).status_code == 409
        assert api.post("/api/v1/users", json=outside).status_code == 403
        assert api.post("/api/v1/users", json=peer).status_code == 403
    else:
        web, token = console("committee")
        r = web.post("/admin/people/new", data={"csrf_token": token, **body})
        assert r.status_code == 200 and re.search(r'data-testid="password-once">\S{8,}<', r.get_data(as_text=True))
        user_id = int(re.search(r'/admin/people/(\d+)"', r.get_data(as_text=True)).group(1))
        again = web.post("/admin/people/new", data={"csrf_token": token, **body})
        assert "该用户名已被使用" in web.get(again.headers["Location"]).get_data(as_text=True)
        refused = web.post("/admin/people/new", data={"csrf_token": token, **outside})
        assert "不在您的管辖范围" in web.get(refused.headers["Location"]).get_data(as_text=True)
        web.post("/admin/people/new", data={"csrf_token": token, **peer})
    assert _user(in_app, user_id) == {"active": True, "name": "刘小梅", "phone": "13812345678",
                                      "roles": [("captain", "B2")]}
    from app.accounts.models import User
    from app.extensions import db
    assert in_app(lambda: db.session.execute(db.select(User.username).where(
        User.username.in_(["zhaoyi", "qianer"]))).scalars().all()) == []


@pytest.mark.parametrize("door", ["api", "console"])
def test_editing_name_and_phone_is_one_rule(door, login, console, people, in_app):
    captain = people["captain"]
    if door == "api":
        api = login("committee")
        assert api.patch(f"/api/v1/users/{captain}", json={"phone": "123"}).status_code == 422
        assert api.patch(f"/api/v1/users/{captain}", json={"display_name": "李楼长", "phone": "139 1234 5678"}
                         ).status_code == 200
    else:
        web, token = console("committee")
        bad = web.post(f"/admin/people/{captain}/edit", data={"csrf_token": token, "phone": "123"})
        assert "11 位" in web.get(bad.headers["Location"]).get_data(as_text=True)
        web.post(f"/admin/people/{captain}/edit", data={"csrf_token": token, "display_name": "李楼长",
                                                        "phone": "139 1234 5678"})
    assert _user(in_app, captain)["name"] == "李楼长" and _user(in_app, captain)["phone"] == "13912345678"


# --- The notice photo must be the publisher's own upload (it was checked in the API only). ---

def _photo(api) -> str:
    raw = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(raw, "JPEG")
    r = api.client.post("/api/v1/uploads", data={"file": (io.BytesIO(raw.getvalue()), "p.jpg")},
                        content_type="multipart/form-data",
                        headers={"Authorization": f"Bearer {api.token}"} if api.token else {})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


@pytest.mark.parametrize("door", ["api", "console"])
def test_notice_photo_must_be_the_publishers_own(door, login, console, people, in_app):
    from app.extensions import db
    from app.notices.models import Notice

    someone_elses = _photo(login("branch"))
    own = _photo(login("committee"))
    for photo, ok in ((someone_elses, False), (own, True)):
        body = {"grid_code": "C1", "title": f"停水通知 {ok}", "body": "周三停水", "photo": photo}
        if door == "api":
            assert (login("committee").post("/api/v1/notices", json=body).status_code == 201) is ok
        else:
            web, token = console("committee")
            r = web.post("/admin/notices", data={"csrf_token": token, **body})
            if not ok:
                assert "请先上传" in web.get(r.headers["Location"]).get_data(as_text=True)
    titles = in_app(lambda: sorted((n.title, n.photo_id) for n in db.session.execute(
        db.select(Notice)).scalars()))
    assert titles == [("停水通知 True", own)]


# --- Transitions: one call (submissions.take_action) with one schema, from every door. ---

@pytest.mark.parametrize("door", ["api", "console"])
def test_a_transition_refused_and_taken_the_same_way(door, login, console, people, in_app):
    from app.extensions import db
    from app.submissions.models import Submission

    captain = login("captain")
    first = captain.post("/api/v1/submissions", json=suggestion("B1", content="楼道灯坏了")).get_json()
    again = captain.post("/api/v1/submissions", json=suggestion("B1", content="楼道灯又坏了")).get_json()
    branch = login("branch")
    steps = [(again["id"], {"action": "resolve"}, False),                    # a comment is required
             (again["id"], {"action": "mark_duplicate", "duplicate_of": first["id"]}, True),
             (first["id"], {"action": "resolve", "comment": "已修好", "expected_state": "at_branch"}, False),
             (first["id"], {"action": "resolve", "comment": "已修好", "expected_state": "at_captain"}, True)]
    for sub_id, body, ok in steps:
        if door == "api":
            r = branch.post(f"/api/v1/submissions/{sub_id}/transitions", json=body)
            assert (r.status_code == 200) is ok, r.get_json()
        else:
            web, token = console("branch")
            r = web.post(f"/admin/submissions/{sub_id}/act", data={"csrf_token": token, **body})
            page = web.get(r.headers["Location"]).get_data(as_text=True)
            assert ('class="flash error"' in page) is (not ok)
    states = in_app(lambda: dict(db.session.execute(db.select(Submission.id, Submission.state)).all()))
    assert states[first["id"]] == "resolved" and states[again["id"]] == "duplicate"


@pytest.mark.parametrize("door", ["api", "console"])
def test_reroute_names_the_node_the_same_way(door, login, console, people, in_app):
    """The console now passes what the API passes (grid_code, duplicate_of, resource…)."""
    from app.extensions import db
    from app.submissions.models import Submission

    sub = login("captain").post("/api/v1/submissions", json=suggestion("B1")).get_json()
    for grid_code, ok in (("B4", False), ("B2", True)):    # B4: another community
        body = {"action": "reroute", "grid_code": grid_code, "comment": "不是本楼"}
        if door == "api":
            assert (login("branch").post(f"/api/v1/submissions/{sub['id']}/transitions", json=body)
                    .status_code == 200) is ok
        else:
            web, token = console("committee")
            page = web.get(f"/admin/submissions/{sub['id']}").get_data(as_text=True)
            assert 'name="grid_code"' in page   # the reroute form offers the grid picker
            web.post(f"/admin/submissions/{sub['id']}/act", data={"csrf_token": token, **body})
    code = in_app(lambda: db.session.get(Submission, sub["id"]).node.code)
    assert code == "B2"


def test_every_engine_call_with_an_actor_goes_through_take_action():
    """apply_transition is called only by take_action and by the system (timers, promotion)."""
    allowed = {"app/submissions/services.py", "app/submissions/timers.py", "app/volunteering/services.py",
               "app/submissions/transitions.py"}
    callers = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "apply_transition":
                callers.add(str(path.relative_to(ROOT)))
    assert callers <= allowed, callers - allowed
    volunteering = (ROOT / "app/volunteering/services.py").read_text(encoding="utf-8")
    assert "apply_transition(nxt, \"promote\", system=True)" in volunteering


# --- Overdue = past the workflow's own timer in a state someone holds. ---

def _listed(door, login, console, query: dict) -> set[int]:
    if door == "api":
        return {i["id"] for i in login("committee").get("/api/v1/submissions", query_string=query).get_json()["items"]}
    web, _ = console("committee")
    html = web.get("/admin/submissions", query_string=query).get_data(as_text=True)
    return {int(x) for x in re.findall(r'href="/admin/submissions/(\d+)"', html)}


@pytest.mark.parametrize("door", ["api", "console"])
def test_overdue_is_the_workflows_own_timer(door, login, console, people, clock):
    start = clock.now
    try:
        captain = login("captain")
        waiting = captain.post("/api/v1/submissions", json=suggestion("B1")).get_json()
        resolved = captain.post("/api/v1/submissions", json=suggestion("B1", content="已处理")).get_json()
        captain.post(f"/api/v1/submissions/{resolved['id']}/transitions", json={"action": "resolve", "comment": "好"})
        up = captain.post("/api/v1/submissions", json=suggestion("B1", content="电梯")).get_json()
        captain.post(f"/api/v1/submissions/{up['id']}/transitions", json={"action": "escalate"})
        clock.advance(hours=47)                     # the captain has 48 hours
        assert _listed(door, login, console, {"overdue": "1"}) == set()
        clock.advance(hours=2)                      # 49 h: past the captain's timer, not the branch's 72 h
        assert _listed(door, login, console, {"overdue": "1"}) == {waiting["id"]}
        clock.advance(days=10)                      # resolved is held by nobody: never overdue
        assert _listed(door, login, console, {"overdue": "1"}) == {waiting["id"], up["id"]}
    finally:
        clock.now = start


@pytest.mark.parametrize("door", ["api", "console"])
def test_filters_in_words(door, login, console, people):
    captain = login("captain")
    waiting = captain.post("/api/v1/submissions", json=suggestion("B2")).get_json()   # with captain2
    done = captain.post("/api/v1/submissions", json=suggestion("B1", content="修好了")).get_json()
    captain.post(f"/api/v1/submissions/{done['id']}/transitions", json={"action": "resolve", "comment": "好"})
    by_code = _listed(door, login, console, {"state": "resolved"})
    assert _listed(door, login, console, {"状态": "已解决"}) == by_code == {done["id"]}
    assert _listed(door, login, console, {"state": "已解决"}) == {done["id"]}
    assert _listed(door, login, console, {"网格": "时代城2栋"}) == {waiting["id"]}
    assert _listed(door, login, console, {"表单": "楼长信箱", "状态": "已解决"}) == {done["id"]}


def test_the_console_list_remembers_its_filters_in_the_url(console, people):
    web, _ = console("committee")
    html = web.get("/admin/submissions", query_string={"状态": "已解决", "overdue": "1"}).get_data(as_text=True)
    assert re.search(r'<option value="resolved" selected>', html)
    assert 'name="overdue" value="1" checked' in html
    assert "state=resolved" in html and "overdue=1" in html   # the export links carry them too


# --- Console views do not commit; a refusal is a message on the page. ---

def test_no_console_view_module_commits():
    found = []
    for path in sorted((ROOT / "app/console").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
                found.append(f"{path.name}:{node.lineno}")
    assert found == [], "console views let the request commit (app.TongxinFlask.dispatch_request)"


def test_a_refused_console_action_commits_nothing_and_says_why(console, people, in_app, monkeypatch):
    """The service wrote something, then refused: the decorator rolls it back and flashes."""
    from app.accounts import people as rules
    from app.core.errors import ApiError

    def half_done(actor, user, args):
        user.display_name = "改了一半"
        raise ApiError(409, "已被他人修改")
    monkeypatch.setattr(rules, "update_person", half_done)
    web, token = console("committee")
    r = web.post(f"/admin/people/{people['captain']}/edit", data={"csrf_token": token, "display_name": "x"})
    assert r.status_code == 302
    assert "已被他人修改" in web.get(r.headers["Location"]).get_data(as_text=True)
    assert _user(in_app, people["captain"])["name"] != "改了一半"


# --- People: each action confirmed where it destroys, each in the audit log in words. ---

def test_destructive_actions_ask_first_without_javascript(console, people, in_app):
    web, token = console("committee")
    captain = people["captain"]
    for action in ("deactivate", "reset_password", "end_sessions"):
        r = web.post(f"/admin/people/{captain}", data={"csrf_token": token, "action": action})
        assert r.status_code == 302 and "/confirm?" in r.headers["Location"]
        page = web.get(r.headers["Location"]).get_data(as_text=True)
        assert 'name="confirmed" value="1"' in page and "<script" not in page.split("<main>")[1]
    assert _user(in_app, captain)["active"] is True


def test_every_people_action_is_in_the_audit_log(console, login, people, in_app):
    web, token = console("committee")
    r = web.post("/admin/people/new", data={"csrf_token": token, "username": "sunli", "display_name": "孙丽",
                                            "role": "volunteer", "grid_code": "E1"})
    uid = int(re.search(r'/admin/people/(\d+)"', r.get_data(as_text=True)).group(1))
    web.post(f"/admin/people/{uid}/edit", data={"csrf_token": token, "display_name": "孙丽丽"})
    web.post(f"/admin/people/{uid}/roles", data={"csrf_token": token, "role": "captain", "grid_code": "B1"})
    from app.accounts.models import RoleAssignment
    from app.extensions import db
    role_id = in_app(lambda: db.session.execute(db.select(RoleAssignment.id).where(
        RoleAssignment.user_id == uid, RoleAssignment.role == "volunteer")).scalar_one())
    web.post(f"/admin/people/{uid}", data={"csrf_token": token, "action": "remove", "assignment": role_id,
                                           "confirmed": "1"})
    for action in ("unlock", "reset_password", "end_sessions", "deactivate", "reactivate"):
        web.post(f"/admin/people/{uid}", data={"csrf_token": token, "action": action, "confirmed": "1"})
    logged = [e["action"] for e in login("admin").get("/api/v1/audit").get_json()["items"]
              if e["target"] == f"user:{uid}"]
    assert sorted(logged) == sorted(["create_person", "update_person", "assign_role", "remove_role",
                                     "unlock_sign_in", "reset_password", "end_sessions", "deactivate",
                                     "reactivate"])
    page = web.get("/admin/audit").get_data(as_text=True)
    for words in ("添加了人员", "修改了姓名或电话", "分配了角色", "移除了角色", "解除了登录锁定", "重置了密码",
                  "结束了此人的所有登录", "停用了账号", "恢复了账号", "孙丽丽", "时代城1栋"):
        assert words in page, words
    assert "解除了登录锁定" in web.get(f"/admin/people/{uid}").get_data(as_text=True)
    # another community's committee does not read this person's history
    other, _ = console("committee2")
    assert "孙丽丽" not in other.get("/admin/audit").get_data(as_text=True)


def test_grid_picker_without_javascript_is_a_select_of_indented_names(console, people):
    web, _ = console("committee")
    html = web.get("/admin/people/new").get_data(as_text=True)
    select = re.search(r'<select name="grid_code"[^>]*>(.*?)</select>', html, re.S).group(1)
    names = [(len(d), n) for d, n in re.findall(r">(\u3000*)([^<（]+)（", select)]
    assert names == [(0, "北江社区"), (1, "时代城小区"), (2, "时代城1栋"), (2, "时代城2栋"),
                     (1, "江景花园"), (2, "江景花园1座")]   # its own community only, as a tree
    assert 'list="partner-units"' in html and "gridpicker.js" in html


# --- The pages added here speak words, never codes (the crawl of issue 21). ---

community = crawl_community   # the crawl's realistic community, as a fixture here too


@pytest.mark.parametrize("username", ["chensj", "guanli"])
def test_people_pages_show_no_codes(app, community, username, in_app):
    from tests.test_console_crawl import identifiers, leaks, visible_text

    codes = identifiers()
    client = app.test_client()
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    assert client.post("/admin/login", data={"username": username, "password": PASSWORD,
                                             "csrf_token": token}).status_code == 302
    token = csrf_of(client.get("/admin/people").get_data(as_text=True))
    from app.accounts.models import User
    from app.extensions import db
    captain = in_app(lambda: db.session.execute(db.select(User.id).where(User.username == "lixs")).scalar_one())
    client.post(f"/admin/people/{captain}/roles", data={"csrf_token": token, "role": "volunteer", "grid_code": "C1"})
    pages = ["/admin/people", "/admin/people/new", f"/admin/people/{captain}", "/admin/audit",
             "/admin/submissions?overdue=1", "/admin/notices", "/admin/activities"]
    pages += [f"/admin/people/{captain}/confirm?action={a}" for a in ("deactivate", "reset_password", "end_sessions")]
    for url in pages:
        r = client.get(url)
        assert r.status_code == 200, url
        assert not leaks(visible_text(r.get_data(as_text=True)), codes), (url, leaks(visible_text(r.get_data(as_text=True)), codes))
    reset = client.post(f"/admin/people/{captain}", data={"csrf_token": token, "action": "reset_password",
                                                          "confirmed": "1"})
    assert not leaks(visible_text(reset.get_data(as_text=True)), codes - {"reset_password"})
