"""The console's form builder and workflow editor in words (issue 24): a form made from
Chinese labels alone, a copy of a built-in one, errors that name a field by its position and
label, publishing, closing and reopening, timers as a number and a unit — every step through
the API's own service functions, so that the API sees exactly what the console published."""
import html as htmllib
import json
import re

import pytest

from app.workflow.definition import parse_duration
from tests.conftest import new_uuid
from tests.test_console_crawl import identifiers, leaks
from tests.test_console_crawl import visible_text as _visible


def visible_text(html: str) -> str:
    """What staff read; the fixture users are named after their roles, so their names go."""
    return _visible(re.sub(r'<span class="who">.*?</span>', " ", html))


def _textarea(page: str, name: str) -> str:
    return htmllib.unescape(re.search(rf'id="{name}"[^>]*>(.*?)</textarea>', page, re.S).group(1))


def _blank(client) -> tuple[dict, dict]:
    page = client.get("/admin/forms/new").get_data(as_text=True)
    return json.loads(_textarea(page, "definition")), json.loads(_textarea(page, "workflow"))


def _post(client, url, token, definition, workflow=None, **extra):
    data = {"csrf_token": token, "definition": json.dumps(definition, ensure_ascii=False)}
    if workflow is not None:
        data["workflow"] = json.dumps(workflow, ensure_ascii=False)
    return client.post(url, data=data | extra, headers={"Accept-Language": extra.pop("lang", "zh-CN")})


LABELS_ONLY = [
    {"type": "text", "label": {"zh": "姓名"}, "required": True},
    {"type": "select", "label": {"zh": "需要的帮助"}, "required": True,
     "choices": [{"label": {"zh": "买菜"}}, {"label": {"zh": "陪诊"}}]},
    {"type": "photo", "label": {"zh": "现场照片"}},
    {"type": "date", "label": {"zh": "希望日期"}},
]


def _submit(api, slug, **data):
    return api.post("/api/v1/submissions", json={"uuid": new_uuid(), "form": slug,
                                                 "grid_code": "B1", "data": data})


def test_a_form_from_nothing_with_chinese_labels_only(console, login):  # noqa: F811
    client, token = console("committee")
    definition, workflow = _blank(client)
    assert definition["fields"] == [] and workflow["timers"]
    definition["title"] = {"zh": "邻里互助登记", "en": ""}
    definition["fields"] = LABELS_ONLY
    r = _post(client, "/admin/forms/new", token, definition, workflow)
    assert r.status_code == 302, r.get_data(as_text=True)
    assert r.headers["Location"].endswith("/admin/forms/lin-li-hu-zhu-deng-ji")
    captain = login("captain")
    form = captain.get("/api/v1/forms/lin-li-hu-zhu-deng-ji").get_json()
    assert [f["name"] for f in form["fields"]] == ["xing_ming", "xu_yao_de_bang_zhu", "xian_chang_zhao_pian",
                                                   "xi_wang_ri_qi"]
    assert [c["value"] for c in form["fields"][1]["choices"]] == ["mai_cai", "pei_zhen"]
    # The API validates submissions by the new form.
    bad = _submit(captain, "lin-li-hu-zhu-deng-ji", xing_ming="张阿姨", xu_yao_de_bang_zhu="修车",
                  xi_wang_ri_qi="明天")
    assert bad.status_code == 422
    assert {"data.xu_yao_de_bang_zhu", "data.xi_wang_ri_qi"} <= set(bad.get_json()["error"]["fields"])
    ok = _submit(captain, "lin-li-hu-zhu-deng-ji", xing_ming="张阿姨", xu_yao_de_bang_zhu="pei_zhen",
                 xi_wang_ri_qi="2026-12-10")
    assert ok.status_code == 201, ok.get_json()
    # The form's page and the list show it in words.
    page = client.get("/admin/forms/lin-li-hu-zhu-deng-ji").get_data(as_text=True)
    assert "邻里互助登记" in page and not leaks(visible_text(page), identifiers())
    assert "邻里互助登记" in client.get("/admin/forms").get_data(as_text=True)


def test_machine_names_are_unique_ascii_and_editable(console, login):  # noqa: F811
    client, token = console("committee")
    definition, workflow = _blank(client)
    definition["title"] = {"zh": "测试表", "en": "Test"}
    definition["fields"] = [{"type": "text", "label": {"zh": "电话"}},
                            {"type": "text", "label": {"zh": "电话"}},
                            {"type": "text", "label": {"zh": "2号楼 Phone（备用）"}},
                            {"type": "text", "name": "beizhu", "label": {"zh": "备注"}}]
    assert _post(client, "/admin/forms/new", token, definition, workflow, slug="ce-shi").status_code == 302
    names = [f["name"] for f in login("committee").get("/api/v1/forms/ce-shi").get_json()["fields"]]
    assert names == ["dian_hua", "dian_hua_2", "f_2_hao_lou_phone_bei_yong", "beizhu"]
    # A second form with the same title gets another link name.
    definition["fields"] = definition["fields"][:1]
    r = _post(client, "/admin/forms/new", token, definition, workflow)
    assert r.headers["Location"].endswith("/admin/forms/ce-shi-biao")
    r = _post(client, "/admin/forms/new", token, definition, workflow)
    assert r.headers["Location"].endswith("/admin/forms/ce-shi-biao-2")


def test_the_api_derives_names_the_same_way(people, login):
    committee = login("committee")
    r = committee.post("/api/v1/forms/lin-li/versions", json={
        "title": {"zh": "邻里"}, "fields": [{"type": "text", "label": {"zh": "联系电话"}}]})
    assert r.status_code == 201 and r.get_json()["fields"][0]["name"] == "lian_xi_dian_hua"


def test_a_copy_of_a_built_in_form(console, login):  # noqa: F811
    client, token = console("committee")
    page = client.get("/admin/forms/new?from=need").get_data(as_text=True)
    assert not leaks(visible_text(page), identifiers())
    definition = json.loads(_textarea(page, "definition"))
    workflow = json.loads(_textarea(page, "workflow"))
    assert definition["title"]["zh"].endswith("（副本）")
    definition["title"] = {"zh": "老旧小区改造需求", "en": "Renovation needs"}
    r = _post(client, "/admin/forms/new", token, definition, workflow)
    assert r.status_code == 302
    copy = login("committee").get("/api/v1/forms/lao-jiu-xiao-qu-gai-zao-xu-qiu").get_json()
    need = login("committee").get("/api/v1/forms/need").get_json()
    assert [f["name"] for f in copy["fields"]] == [f["name"] for f in need["fields"]]
    assert copy["workflow"] == need["workflow"] and copy["version"] == 1


def test_a_bad_field_is_named_by_position_and_label(console):  # noqa: F811
    client, token = console("committee")
    definition, workflow = _blank(client)
    definition["title"] = {"zh": "登记表", "en": ""}
    definition["fields"] = [{"type": "text", "label": {"zh": f"第{i}项"}} for i in range(1, 8)]
    definition["fields"].append({"type": "text", "name": "8号", "label": {"zh": "联系电话"}})
    definition["fields"].append({"type": "select", "label": {"zh": "类别"}, "choices": []})
    r = _post(client, "/admin/forms/new", token, definition, workflow)
    assert r.status_code == 422
    errors = visible_text(re.search(r'data-testid="publish-errors".*?</div>', r.get_data(as_text=True), re.S).group(0))
    assert "第 8 个字段「联系电话」" in errors and "第 9 个字段「类别」" in errors
    assert "选择题需要至少一个选项" in errors
    assert "fields.7" not in errors and "fields.8" not in errors
    # Nothing was published, and the draft is still on the page.
    assert client.get("/admin/forms/deng-ji-biao").status_code == 404
    assert "联系电话" in _textarea(r.get_data(as_text=True), "definition")
    # In English too.
    r = client.post("/admin/forms/new?lang=en", data={"csrf_token": token, "definition": json.dumps(
        definition, ensure_ascii=False), "workflow": json.dumps(workflow)})
    assert "Field 8 “联系电话”" in r.get_data(as_text=True)


def test_publish_close_and_reopen(console, login):  # noqa: F811
    client, token = console("committee")
    definition, workflow = _blank(client)
    definition["title"] = {"zh": "邻里互助登记", "en": ""}
    definition["fields"] = LABELS_ONLY
    assert _post(client, "/admin/forms/new", token, definition, workflow).status_code == 302
    slug = "lin-li-hu-zhu-deng-ji"
    captain = login("captain")
    assert any(f["slug"] == slug for f in captain.get("/api/v1/forms").get_json()["items"])
    r = client.post(f"/admin/forms/{slug}/closed", data={"csrf_token": token, "closed": "1"})
    assert r.status_code == 302
    page = client.get(f"/admin/forms/{slug}").get_data(as_text=True)
    assert "已停止接收提交" in page and "重新开始接收提交" in page
    assert not any(f["slug"] == slug for f in captain.get("/api/v1/forms").get_json()["items"])
    refused = _submit(captain, slug, xing_ming="张阿姨", xu_yao_de_bang_zhu="mai_cai")
    assert refused.status_code == 409
    client.post(f"/admin/forms/{slug}/closed", data={"csrf_token": token, "closed": "0"})
    assert _submit(captain, slug, xing_ming="张阿姨", xu_yao_de_bang_zhu="mai_cai").status_code == 201
    # A branch secretary may look but not close, and not create.
    branch, btoken = console("branch")
    assert branch.post(f"/admin/forms/{slug}/closed", data={"csrf_token": btoken, "closed": "1"}).status_code == 403
    assert branch.get("/admin/forms/new").status_code == 403


def test_publishing_a_second_version_and_comparing_the_draft(console, login):  # noqa: F811
    client, token = console("committee")
    page = client.get("/admin/forms/suggestion").get_data(as_text=True)
    definition = json.loads(_textarea(page, "definition"))
    definition["fields"].append({"type": "integer", "label": {"zh": "楼层"}, "required": True})
    r = _post(client, "/admin/forms/suggestion/compare", token, definition)
    text = visible_text(r.get_data(as_text=True))
    assert r.status_code == 200 and "楼层" in text and "新增" in text and "草稿" in text
    assert not leaks(text, identifiers())
    r = _post(client, "/admin/forms/suggestion", token, definition)
    assert r.status_code == 302
    form = login("captain").get("/api/v1/forms/suggestion").get_json()
    assert form["version"] == 2 and form["fields"][-1]["name"] == "lou_ceng"
    text = visible_text(client.get("/admin/forms/suggestion/compare?a=1&b=2").get_data(as_text=True))
    assert "楼层" in text and not leaks(text, identifiers())


def test_a_timer_of_three_days_is_72_hours_in_the_api(console, login):  # noqa: F811
    client, token = console("committee")
    page = client.get("/admin/forms/need").get_data(as_text=True)
    definition = json.loads(_textarea(page, "definition"))
    workflow = json.loads(_textarea(page, "workflow"))
    workflow["timers"][0]["after"] = "3d"      # what the editor writes for `3` and `天`
    assert _post(client, "/admin/forms/need", token, definition, workflow).status_code == 302
    form = login("committee").get("/api/v1/forms/need").get_json()
    assert form["workflow"]["timers"][0]["after"] == "3d"
    assert parse_duration(form["workflow"]["timers"][0]["after"]).total_seconds() == 72 * 3600


@pytest.mark.parametrize("lang, words", [("zh", ["第 1 条计时规则", "时限格式不正确"]),
                                         ("en", ["Timer 1", "Not a valid time limit"])])
def test_a_timer_in_words_is_refused_in_the_reader_language(console, lang, words):  # noqa: F811
    client, token = console("committee")
    page = client.get("/admin/forms/need").get_data(as_text=True)
    definition = json.loads(_textarea(page, "definition"))
    workflow = json.loads(_textarea(page, "workflow"))
    workflow["timers"][0]["after"] = "一天"
    r = client.post(f"/admin/forms/need?lang={lang}", data={
        "csrf_token": token, "definition": json.dumps(definition, ensure_ascii=False),
        "workflow": json.dumps(workflow, ensure_ascii=False)})
    assert r.status_code == 422
    text = visible_text(r.get_data(as_text=True))
    assert all(w in text for w in words), text
    assert "timers.0" not in text and "bad duration" not in text


def test_the_diagram_is_redrawn_from_the_draft(console):  # noqa: F811
    client, token = console("committee")
    _definition, workflow = _blank(client)
    workflow["states"]["wai_bao"] = {"tier": "partner", "label": {"zh": "外包处理", "en": "Outsourced"}}
    r = client.post("/admin/forms/diagram", data={"csrf_token": token, "workflow": json.dumps(workflow)})
    assert r.status_code == 200 and "<svg" in r.get_data(as_text=True) and "外包处理" in r.get_data(as_text=True)
    assert client.post("/admin/forms/diagram", data={"csrf_token": token, "workflow": "{"}).status_code == 204
    assert client.get("/admin/forms/name?label=联系电话&taken=lian_xi_dian_hua").get_json() == {
        "name": "lian_xi_dian_hua_2"}


def test_new_pages_show_no_codes(console):  # noqa: F811
    codes = identifiers()
    for username in ("committee", "admin"):
        client, _token = console(username)
        for url in ["/admin/forms", "/admin/forms/new", *(f"/admin/forms/new?from={s}" for s in
                    ("suggestion", "need", "volunteer-signup", "member-registration")),
                    "/admin/forms/need", "/admin/forms/volunteer-signup"]:
            r = client.get(url)
            assert r.status_code == 200, url
            assert not leaks(visible_text(r.get_data(as_text=True)), codes), (url, leaks(
                visible_text(r.get_data(as_text=True)), codes))


def test_a_state_nothing_leads_to_is_named_by_its_label(console):  # noqa: F811
    client, token = console("committee")
    page = client.get("/admin/forms/need").get_data(as_text=True)
    definition = json.loads(_textarea(page, "definition"))
    workflow = json.loads(_textarea(page, "workflow"))
    workflow["states"]["wu_ye"] = {"tier": "committee", "label": {"zh": "物业处理中", "en": "With the property manager"}}
    r = _post(client, "/admin/forms/need", token, definition, workflow)
    assert r.status_code == 422
    text = visible_text(r.get_data(as_text=True))
    assert "没有任何操作通向状态“物业处理中”" in text and "wu_ye" not in text
    r = client.post("/admin/forms/need?lang=en", data={"csrf_token": token, "definition": json.dumps(
        definition, ensure_ascii=False), "workflow": json.dumps(workflow, ensure_ascii=False)})
    assert "No action leads to the state “With the property manager”" in r.get_data(as_text=True)
