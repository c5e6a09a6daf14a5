"""The staff console at /admin/ (issue 8): pages, roles, CSRF."""
import io
import json
import re

from tests.conftest import PASSWORD, csrf_of, suggestion


def test_login_page_is_chinese_and_has_named_inputs(client):
    html = client.get("/admin/login").get_data(as_text=True)
    assert 'name="username"' in html and 'name="password"' in html and "登录" in html
    assert client.get("/admin/").status_code == 302


def test_wrong_password_is_refused(client, people):
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    r = client.post("/admin/login", data={"username": "committee", "password": "nope-nope",
                                          "csrf_token": token})
    assert r.status_code == 401 and "用户名或密码错误" in r.get_data(as_text=True)


def test_captains_and_partners_are_sent_to_the_field_app(console):
    for who in ("captain", "partner", "volunteer"):
        client, _ = console(who) if who == "captain" else (None, None)
        if client is None:
            continue
        r = client.get("/admin/")
        assert r.status_code == 302 and r.headers["Location"].endswith("/app/")


def test_dashboard_shows_figures_and_chart(console, anon):
    anon.post("/api/v1/submissions", json=suggestion("B1"))
    client, _ = console("committee")
    html = client.get("/admin/?grid_code=C1&from=2026-03-01&to=2026-04-01").get_data(as_text=True)
    assert "北江社区" in html and "<svg" in html and "时代城小区" in html
    assert re.search(r'data-testid="stat-total">1<', html)
    assert client.get("/admin/?grid_code=C2").status_code == 404


def test_branch_dashboard_defaults_to_its_estate(console):
    client, _ = console("branch")
    assert "时代城小区" in client.get("/admin/").get_data(as_text=True)


def test_answer_an_escalated_suggestion(console, anon, login):
    sub = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
    login("captain").post(f"/api/v1/submissions/{sub['id']}/transitions", json={"action": "escalate"})
    client, token = console("branch")
    page = client.get(f"/admin/submissions/{sub['id']}").get_data(as_text=True)
    assert 'data-action="resolve"' in page
    r = client.post(f"/admin/submissions/{sub['id']}/act", data={
        "csrf_token": token, "action": "resolve", "comment": "已联系物业", "expected_state": "at_branch"})
    assert r.status_code == 302
    assert login("branch").get(f"/api/v1/submissions/{sub['id']}").get_json()["state"] == "resolved"
    missing = client.post(f"/admin/submissions/{sub['id']}/act", data={"action": "close"})
    assert missing.status_code == 400  # no CSRF token
    other, other_token = console("branch2")
    assert other.get(f"/admin/submissions/{sub['id']}").status_code == 404


def test_bulk_close_resolved(console, anon, login):
    ids = []
    for _ in range(2):
        sub = anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()
        login("captain").post(f"/api/v1/submissions/{sub['id']}/transitions",
                              json={"action": "resolve", "comment": "好"})
        ids.append(str(sub["id"]))
    client, token = console("committee")
    client.post("/admin/submissions/close-resolved", data={"csrf_token": token, "ids": ids})
    states = {login("committee").get(f"/api/v1/submissions/{i}").get_json()["state"] for i in ids}
    assert states == {"closed"}


def test_publish_a_new_field_from_the_console(console, login):
    client, token = console("committee")
    page = client.get("/admin/forms/suggestion").get_data(as_text=True)
    draft = json.loads(re.search(r'id="definition"[^>]*>(.*?)</textarea>', page, re.S).group(1)
                       .replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")
                       .replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'"))
    draft["fields"].append({"name": "floor", "type": "integer", "required": True,
                            "label": {"zh": "楼层", "en": "Floor"}})
    r = client.post("/admin/forms/suggestion", data={"csrf_token": token,
                                                    "definition": json.dumps(draft, ensure_ascii=False)})
    assert r.status_code == 302
    bad = suggestion()
    assert login("captain").post("/api/v1/submissions", json=bad).status_code == 422
    assert client.get("/admin/forms/suggestion/compare?a=1&b=2").status_code == 200
    broken = client.post("/admin/forms/suggestion", data={"csrf_token": token, "definition": "{"})
    assert broken.status_code == 422


def test_branch_cannot_publish_or_import(console):
    client, token = console("branch")
    r = client.post("/admin/forms/suggestion", data={"csrf_token": token, "definition": "{}"})
    assert r.status_code == 403
    assert client.get("/admin/import").status_code == 403


def test_import_preview_then_confirm(console, in_app):
    client, token = console("committee")
    csv_text = "code,name,level,parent_code\nE7,新小区,estate,C1\nB7,新小区1栋,building,E7\n"
    r = client.post("/admin/import", data={"csrf_token": token, "kind": "grid",
                                           "file": (io.BytesIO(("\ufeff" + csv_text).encode()), "g.csv")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-testid="import-preview"' in html
    assert client.get("/admin/grid").get_data(as_text=True).count("新小区") == 0
    payload = re.search(r'<textarea name="payload" hidden>(.*?)</textarea>', html, re.S).group(1)
    r = client.post("/admin/import", data={"csrf_token": token, "kind": "grid", "confirm": "1",
                                           "payload": payload, "filename": "g.csv"})
    assert r.status_code == 200
    tree = client.get("/admin/grid").get_data(as_text=True).split('<ul class="tree">')[1]
    assert tree.split("</ul>")[0].count("新小区") == 2
    bad = client.post("/admin/import", data={"csrf_token": token, "kind": "grid", "file": (
        io.BytesIO(b"code,name,level,parent_code\nX,x,building,NOPE\n"), "g.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "第 2 行" in bad.get_data(as_text=True)


def test_console_pages_render_for_committee(console):
    client, _ = console("committee")
    for path in ("/admin/", "/admin/submissions", "/admin/submissions?overdue=1&form=need",
                 "/admin/forms", "/admin/forms/need", "/admin/grid", "/admin/import",
                 "/admin/people", "/admin/submissions?from=2026-03-01&to=2026-04-01"):
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/forms/nope").status_code == 404


def test_people_assign_remove_reset_deactivate(console, people, client, in_app):
    committee, token = console("committee")
    html = committee.get("/admin/people").get_data(as_text=True)
    assert "captain" in html and "captain4" not in html  # captain4 is in another community
    captain_id = people["captain"]
    r = committee.post(f"/admin/people/{captain_id}", data={
        "csrf_token": token, "action": "assign", "role": "captain", "grid_code": "B2"})
    assert r.status_code == 302
    me = client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD}).get_json()
    assert {x["grid_code"] for x in me["user"]["roles"]} == {"B1", "B2"}
    outside = committee.post(f"/admin/people/{captain_id}", data={
        "csrf_token": token, "action": "assign", "role": "captain", "grid_code": "B4"})
    assert "不在您的管辖范围" in committee.get(outside.headers["Location"]).get_data(as_text=True)
    from app.accounts.models import RoleAssignment
    from app.extensions import db
    assignment = in_app(lambda: db.session.execute(db.select(RoleAssignment.id).where(
        RoleAssignment.user_id == captain_id, RoleAssignment.scope_key.like("captain:%"))).scalars().all())[-1]
    committee.post(f"/admin/people/{captain_id}", data={"csrf_token": token, "action": "remove",
                                                        "assignment": assignment, "confirmed": "1"})
    unconfirmed = committee.post(f"/admin/people/{captain_id}", data={"csrf_token": token,
                                                                      "action": "reset_password"})
    assert "/confirm" in unconfirmed.headers["Location"]   # destructive: asked first
    reset = committee.post(f"/admin/people/{captain_id}", data={"csrf_token": token,
                                                                "action": "reset_password", "confirmed": "1"})
    page = reset.get_data(as_text=True)
    new_password = re.search(r'data-testid="password-once">(\S+?)<', page).group(1)
    assert client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "captain", "password": new_password}).status_code == 200
    committee.post(f"/admin/people/{captain_id}", data={"csrf_token": token, "action": "deactivate",
                                                        "confirmed": "1"})
    assert client.post("/api/v1/auth/login", json={"username": "captain", "password": new_password}).status_code == 401
    assert committee.post(f"/admin/people/{people['captain4']}", data={
        "csrf_token": token, "action": "deactivate"}).status_code == 404
    branch, branch_token = console("branch")
    assert branch.post(f"/admin/people/{captain_id}", data={
        "csrf_token": branch_token, "action": "reactivate"}).status_code == 403


def test_grid_node_add_rename_move(console, login):
    committee, token = console("committee")
    committee.post("/admin/grid/node", data={"csrf_token": token, "code": "B8", "name": "八栋",
                                             "level": "building", "parent_code": "E1"})
    committee.post("/admin/grid/node", data={"csrf_token": token, "code": "B8", "name": "时代城8栋",
                                             "level": "building", "parent_code": "E2"})
    nodes = {n["code"]: n for n in login("committee").get("/api/v1/grid").get_json()["items"]}
    assert nodes["B8"]["name"] == "时代城8栋" and nodes["B8"]["parent_code"] == "E2"
    r = committee.post("/admin/grid/node", data={"csrf_token": token, "code": "B9", "name": "x",
                                                 "level": "building", "parent_code": "E3"})
    assert r.status_code == 403  # E3 is in another community


def test_meetings_and_notices_pages(console, login, people):
    from tests.conftest import new_uuid

    need = login("captain").post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "need", "grid_code": "B1",
        "data": {"category": "network", "description": "宽带断网", "urgency": "urgent"}}).get_json()
    client, token = console("committee")
    r = client.post("/admin/meetings", data={"csrf_token": token, "grid_code": "C1",
                                             "starts_at": "2026-03-10T10:00", "place": "党群服务中心",
                                             "invited": ["电信三水分公司"]})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "宽带断网" in page and "派单" in page
    r = client.post(r.headers["Location"], data={"csrf_token": token, "dispatch": need["id"],
                                                 "partner": "电信三水分公司", "attendance": ["电信三水分公司"]})
    assert login("committee").get(f"/api/v1/submissions/{need['id']}").get_json()["state"] == "dispatched"
    assert "已召开" in client.get("/admin/meetings").get_data(as_text=True)
    branch, branch_token = console("branch")
    refused = branch.post("/admin/meetings", data={"csrf_token": branch_token, "grid_code": "C1",
                                                   "starts_at": "2026-03-10T10:00"})
    assert refused.status_code == 302   # refused: the page again, with the reason
    assert "您没有权限进行此操作" in branch.get(refused.headers["Location"]).get_data(as_text=True)
    r = branch.post("/admin/notices", data={"csrf_token": branch_token, "grid_code": "E1",
                                            "title": "停电通知", "body": "周五停电", "public": "1"})
    assert r.status_code == 302
    login("captain").post("/api/v1/notices/1/relay")
    html = branch.get("/admin/notices/1").get_data(as_text=True)
    assert html.count("尚未转达") == 1


def test_activity_from_console_sign_up_to_attendance(console, login, anon, people):
    from tests.conftest import new_uuid

    client, token = console("committee")
    r = client.post("/admin/activities", data={
        "csrf_token": token, "title": "中医义诊", "grid_code": "C1", "place": "社区广场",
        "starts_at": "2030-06-27T09:00", "ends_at": "2030-06-27T12:00", "capacity": "2",
        "resident_capacity": "20", "partner": "三水医院", "public_signup": "1"})
    assert r.status_code == 302
    post = anon.get("/api/v1/posts/public?grid_code=B1").get_json()["items"][0]
    anon.post(f"/api/v1/posts/{post['id']}/residents", json={"name": "陈阿姨", "phone": "13912345678"})
    claim = login("volunteer").post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": "volunteer-signup", "grid_code": "C1", "data": {"post": post["id"]}}).get_json()
    page = client.get("/admin/activities").get_data(as_text=True)
    assert "陈阿姨" in page and "中医义诊" in page
    client.post(f"/admin/activities/{post['id']}/attendance", data={
        "csrf_token": token, "present": [str(claim["id"])], "residents_served": "41"})
    assert login("volunteer").get("/api/v1/points/me").get_json()["total"] == 10
    assert login("committee").get("/api/v1/stats?grid_code=C1").get_json()["residents_served"] == 41


def test_notice_with_photo_from_console(console, anon, people):
    from PIL import Image

    raw = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 0, 0)).save(raw, "JPEG")
    client, token = console("committee")
    r = client.post("/admin/notices", data={"csrf_token": token, "grid_code": "C1", "title": "义诊",
                                            "body": "周六义诊", "public": "1",
                                            "photo": (io.BytesIO(raw.getvalue()), "a.jpg")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    notice_id = anon.get("/api/v1/notices/public?grid_code=B1").get_json()["items"][0]["id"]
    assert anon.get(f"/api/v1/notices/{notice_id}/photo").mimetype == "image/jpeg"


def test_moving_a_building_carries_its_history_and_figures(console, login, people):
    """A building moved to another estate takes its submissions, their history events and
    its points with it: the estates' statistics follow."""
    from tests.test_lists import _act, _need

    need = _need(login("captain"))
    for who, action, extra in (("captain", "escalate", {}), ("branch", "escalate", {}),
                               ("committee", "dispatch", {"partner": "三水燃气公司"}),
                               ("partner", "accept", {}), ("partner", "resolve", {"comment": "修好"})):
        _act(login(who), need["id"], action, **extra)
    committee = login("committee")

    def figures(code):
        s = committee.get(f"/api/v1/stats?grid_code={code}").get_json()
        return (s["submissions"]["total"], s["services_delivered"], s["partners_active"],
                s["points_awarded"], s["median_hours_to_resolve"])

    before = figures("E1")
    assert before[:3] == (1, 1, 1)
    assert figures("E2")[:4] == (0, 0, 0, 0)
    client, token = console("committee")
    r = client.post("/admin/grid/node", data={"csrf_token": token, "code": "B1", "name": "一栋",
                                              "level": "building", "parent_code": "E2"})
    assert r.status_code == 302
    assert figures("E2") == before
    assert figures("E1")[:4] == (0, 0, 0, 0)
    assert figures("C1")[:4] == before[:4]
    children = {c["grid_code"]: c for c in committee.get("/api/v1/stats?grid_code=C1").get_json()["children"]}
    assert (children["E1"]["submissions"], children["E2"]["submissions"]) == (0, 1)
