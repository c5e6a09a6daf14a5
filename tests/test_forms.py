"""Low-code forms: definitions, versions, field types, visible_if (issue 3)."""
import pytest

from tests.conftest import new_uuid, suggestion


def custom_form(fields, slug="survey", **extra):
    body = {"title": {"zh": "调查", "en": "Survey"}, "public": False, "fields": fields}
    body.update(extra)
    return slug, body


def field(name, type_, **kw):
    out = {"name": name, "type": type_, "label": {"zh": name, "en": name}, "required": False}
    out.update(kw)
    return out


def test_builtin_forms_are_listed(login, anon, people):
    slugs = {f["slug"] for f in login("captain").get("/api/v1/forms").get_json()["items"]}
    assert {"suggestion", "need", "volunteer-signup", "member-registration"} <= slugs
    public = {f["slug"] for f in anon.get("/api/v1/forms").get_json()["items"]}
    assert public == {"suggestion"}


def test_public_form_readable_without_sign_in_private_not(anon, people):
    r = anon.get("/api/v1/forms/suggestion")
    assert r.status_code == 200
    body = r.get_json()
    assert body["version"] == 1 and body["public"] is True
    assert body["title"]["zh"] == "楼长信箱"
    assert {f["name"] for f in body["fields"]} >= {"category", "content", "photos", "contact_phone"}
    assert anon.get("/api/v1/forms/need").status_code == 401
    assert anon.get("/api/v1/forms/nope").status_code == 404


def test_committee_publishes_a_version_and_next_submission_obeys_it(login, people):
    committee = login("committee")
    current = committee.get("/api/v1/forms/suggestion").get_json()
    fields = current["fields"] + [field("household_size", "integer", required=True, min=1, max=20)]
    r = committee.post("/api/v1/forms/suggestion/versions",
                       json={"title": current["title"], "public": True, "fields": fields})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["version"] == 2
    assert committee.get("/api/v1/forms/suggestion").get_json()["version"] == 2
    v1 = committee.get("/api/v1/forms/suggestion/versions/1").get_json()
    assert "household_size" not in {f["name"] for f in v1["fields"]}

    captain = login("captain")
    missing = captain.post("/api/v1/submissions", json=suggestion())
    assert missing.status_code == 422
    assert "data.household_size" in missing.get_json()["error"]["fields"]
    pinned = suggestion()
    pinned["form_version"] = 1
    r1 = captain.post("/api/v1/submissions", json=pinned)
    assert r1.status_code == 201 and r1.get_json()["form_version"] == 1
    ok = captain.post("/api/v1/submissions", json=suggestion(household_size=3))
    assert ok.status_code == 201 and ok.get_json()["form_version"] == 2


def test_only_admin_or_committee_publish(login, people):
    slug, body = custom_form([field("a", "text")])
    for who in ("captain", "branch", "partner", "volunteer"):
        assert login(who).post(f"/api/v1/forms/{slug}/versions", json=body).status_code == 403
    assert login("admin").post(f"/api/v1/forms/{slug}/versions", json=body).status_code == 201


def test_unknown_version_is_404(login, people):
    assert login("captain").get("/api/v1/forms/suggestion/versions/9").status_code == 404
    body = suggestion()
    body["form_version"] = 9
    r = login("captain").post("/api/v1/submissions", json=body)
    assert r.status_code == 422 and "form_version" in r.get_json()["error"]["fields"]


@pytest.mark.parametrize("bad_fields,path", [
    ([field("a", "colour")], "fields.0.type"),
    ([field("a", "text"), field("a", "integer")], "fields.1.name"),
    ([field("a", "select")], "fields.0.choices"),
    ([field("a", "text", visible_if={"field": "ghost", "equals": 1})], "fields.0.visible_if.field"),
    ([field("Bad Name", "text")], "fields.0.name"),
    ([field("a", "integer", min=5, max=1)], "fields.0.min"),
    ([], "fields"),
])
def test_bad_definitions_are_refused(login, people, bad_fields, path):
    slug, body = custom_form(bad_fields)
    r = login("committee").post(f"/api/v1/forms/{slug}/versions", json=body)
    assert r.status_code == 422, r.get_json()
    assert path in r.get_json()["error"]["fields"], r.get_json()


def test_bad_workflow_is_refused(login, people):
    slug, body = custom_form([field("a", "text")], workflow={
        "name": "x", "states": {"a": {"tier": "captain"}, "b": {"tier": "none"}},
        "initial": {"route": ["a"]}, "transitions": [], "timers": []})
    r = login("committee").post(f"/api/v1/forms/{slug}/versions", json=body)
    assert r.status_code == 422
    # The reason is in words, in the caller's language (issue 24: workflow errors in zh and en).
    assert any("无法到达" in m and "“b”" in m for m in r.get_json()["error"]["fields"]["workflow.states"])


ALL_TYPES = [
    field("t", "text", max_length=5, pattern="^[a-z]+$"),
    field("ta", "textarea", min_length=2),
    field("i", "integer", min=1, max=10),
    field("n", "number", min=0.5),
    field("d", "date"),
    field("dt", "datetime"),
    field("s", "select", choices=[{"value": "x", "label": {"zh": "甲", "en": "X"}}]),
    field("ms", "multiselect", choices=[{"value": "x", "label": {"zh": "甲", "en": "X"}},
                                         {"value": "y", "label": {"zh": "乙", "en": "Y"}}]),
    field("b", "boolean"),
    field("p", "phone"),
    field("e", "email"),
    field("g", "grid"),
    field("c", "consent"),
    field("ph", "photo"),
]
GOOD = {"t": "abc", "ta": "hello", "i": 3, "n": 1.5, "d": "2026-03-01",
        "dt": "2026-03-01T10:00:00+08:00", "s": "x", "ms": ["x", "y"], "b": False,
        "p": "138 0013 8000", "e": "a@example.com", "g": "B1", "c": True}
BAD = {"t": "ABCDEFG", "ta": "h", "i": 11, "n": 0.1, "d": "2026-13-01", "dt": "yesterday",
       "s": "z", "ms": ["q"], "b": "yes", "p": "12345", "e": "not-mail", "g": "NOPE", "c": False,
       "ph": ["no-such-upload"]}


@pytest.fixture
def all_types_form(login, people):
    slug, body = custom_form(ALL_TYPES, slug="all-types")
    assert login("committee").post(f"/api/v1/forms/{slug}/versions", json=body).status_code == 201
    return slug


def _submit(api, form, data, grid_code="B1"):
    return api.post("/api/v1/submissions", json={"uuid": new_uuid(), "form": form,
                                                 "grid_code": grid_code, "data": data})


def test_every_field_type_accepts_good_values(login, all_types_form):
    r = _submit(login("captain"), all_types_form, GOOD)
    assert r.status_code == 201, r.get_json()
    data = r.get_json()["data"]
    assert data["p"] == "13800138000"
    assert data["dt"].startswith("2026-03-01T10:00:00")


@pytest.mark.parametrize("name", sorted(BAD))
def test_every_field_type_rejects_bad_values(login, all_types_form, name):
    data = dict(GOOD)
    data[name] = BAD[name]
    r = _submit(login("captain"), all_types_form, data)
    assert r.status_code == 422, (name, r.get_json())
    assert list(r.get_json()["error"]["fields"]) == [f"data.{name}"]


def test_all_bad_fields_are_named_at_once(login, all_types_form):
    r = _submit(login("captain"), all_types_form, dict(BAD, extra="x"))
    fields = r.get_json()["error"]["fields"]
    assert set(fields) == {f"data.{k}" for k in BAD} | {"data.extra"}


def test_phone_message_is_clear_in_both_languages(login, all_types_form):
    api = login("captain")
    zh = _submit(api, all_types_form, dict(GOOD, p="12345")).get_json()
    assert zh["error"]["fields"]["data.p"] == ["请输入有效的中国大陆手机号码（11 位）。"]
    api.lang = "en"
    en = _submit(api, all_types_form, dict(GOOD, p="12345")).get_json()
    assert "mainland China mobile" in en["error"]["fields"]["data.p"][0]


def test_visible_if_hidden_field_is_not_required_nor_stored(login, people):
    slug, body = custom_form([
        field("has_pet", "boolean", required=True),
        field("pet_name", "text", required=True, visible_if={"field": "has_pet", "equals": True}),
    ], slug="pets")
    login("committee").post(f"/api/v1/forms/{slug}/versions", json=body)
    api = login("captain")
    hidden = _submit(api, slug, {"has_pet": False, "pet_name": "旺财"})
    assert hidden.status_code == 201
    assert "pet_name" not in hidden.get_json()["data"]
    shown = _submit(api, slug, {"has_pet": True})
    assert shown.status_code == 422
    assert "data.pet_name" in shown.get_json()["error"]["fields"]


def test_closed_form_refuses_and_reopens(login, people):
    committee = login("committee")
    assert committee.patch("/api/v1/forms/suggestion", json={"closed": True}).status_code == 200
    r = login("captain").post("/api/v1/submissions", json=suggestion())
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "form_closed"
    committee.patch("/api/v1/forms/suggestion", json={"closed": False})
    assert login("captain").post("/api/v1/submissions", json=suggestion()).status_code == 201


def test_openapi_document_lists_the_api(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/auth/login", "/api/v1/submissions", "/api/v1/sync",
                 "/api/v1/forms/{slug}/versions", "/api/v1/posts", "/api/v1/inbox"):
        assert path in spec["paths"], path


def test_openapi_document_is_valid(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").get_json())


def test_every_builtin_workflow_passes_its_own_validation():
    from app.workflow.definition import builtin_names, builtin_workflow, validate_workflow

    for name in builtin_names():
        validate_workflow(builtin_workflow(name))


def test_publishing_with_an_edited_workflow(login, people):
    from app.workflow.definition import builtin_workflow

    workflow = builtin_workflow("grievance")
    for t in workflow["transitions"]:
        if t["name"] == "escalate" and t["from"] == ["at_captain"]:
            t["roles"] = ["branch"]  # captains may no longer escalate
    slug, body = custom_form([field("a", "text")], slug="strict", workflow=workflow)
    assert login("committee").post(f"/api/v1/forms/{slug}/versions", json=body).status_code == 201
    sub = login("captain").post("/api/v1/submissions", json={
        "uuid": new_uuid(), "form": slug, "grid_code": "B1", "data": {"a": "x"}}).get_json()
    r = login("captain").post(f"/api/v1/submissions/{sub['id']}/transitions", json={"action": "escalate"})
    assert r.status_code == 403
    workflow["transitions"].append({"name": "escalate", "from": ["nowhere"], "to": "closed",
                                    "roles": ["branch"]})
    body["workflow"] = workflow
    r = login("committee").post(f"/api/v1/forms/{slug}/versions", json=body)
    assert r.status_code == 422 and any("nowhere" in m for ms in r.get_json()["error"]["fields"].values()
                                        for m in ms)
