"""/api/v1/openapi.json tells the truth (issue 22): every route is in it, its error schema
is the one the API answers, every operation documents a success response and how to sign
in; strict types (no integer as a boolean) and no empty PATCH."""
import re

import pytest
from jsonschema import Draft4Validator

from tests.test_volunteering import _post

PUBLIC = {("post", "/api/v1/auth/login"), ("post", "/api/v1/submissions"),
          ("get", "/api/v1/track/{code}"), ("get", "/api/v1/forms"), ("get", "/api/v1/meta"),
          ("post", "/api/v1/track/{code}/erase")}

PROTECTED = {("get", "/api/v1/submissions"), ("post", "/api/v1/exports"),
             ("get", "/api/v1/exports/{job_id}"), ("get", "/api/v1/audit"),
             ("patch", "/api/v1/forms/{slug}"), ("get", "/api/v1/submissions/export")}


@pytest.fixture
def doc(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.get_json()


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, op


def test_every_api_route_is_in_the_document(app, doc):
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or "openapi" in rule.rule:
            continue
        path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method.lower() not in doc["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == []


def _resolve(doc, schema):
    """The schema with every local $ref replaced, OpenAPI 3.0's `nullable` as JSON Schema
    says it (enough for jsonschema)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            return _resolve(doc, doc["components"]["schemas"][name])
        if schema.get("nullable"):
            rest = {k: v for k, v in schema.items() if k != "nullable"}
            return {"anyOf": [_resolve(doc, rest), {"type": "null"}], "nullable": True}
        return {k: _resolve(doc, v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_resolve(doc, v) for v in schema]
    return schema


def test_the_documented_error_is_what_the_api_answers(doc, login, anon, people):
    error = doc["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]
    schema = _resolve(doc, error["schema"])
    assert set(schema["properties"]) == {"error"}
    assert {"code", "message", "fields"} <= set(schema["properties"]["error"]["properties"])
    validator = Draft4Validator(schema)
    answers = [anon.get("/api/v1/submissions"),                                     # 401
               login("captain").get("/api/v1/submissions/999999"),                  # 404
               login("captain").post("/api/v1/submissions", json={"form": "x"}),    # 422
               login("captain").get("/api/v1/audit")]                               # 403
    for r in answers:
        assert r.status_code in (401, 403, 404, 422)
        assert not list(validator.iter_errors(r.get_json())), r.get_json()
    # The old made-up shape does not pass.
    assert list(validator.iter_errors({"code": 404, "status": "Not Found", "message": "x"}))


def test_every_operation_documents_success_errors_and_security(doc):
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["cookieAuth"]["in"] == "cookie"
    assert doc["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    for path, method, op in _operations(doc):
        codes = set(op["responses"])
        assert any(c.startswith("2") for c in codes), (method, path)
        assert "default" in codes, (method, path)
        optional = {} in op.get("security", doc["security"])
        if (method, path) in PUBLIC:
            assert optional, (method, path)
        if (method, path) in PROTECTED:
            assert not optional, (method, path)
    exports = doc["paths"]["/api/v1/exports"]["post"]
    assert "202" in exports["responses"]
    assert "text/csv" in doc["paths"]["/api/v1/submissions/export"]["get"]["responses"]["200"][
        "content"]


def test_an_integer_is_not_a_boolean(login, people):
    r = login("committee").patch("/api/v1/forms/suggestion", json={"closed": 0})
    assert r.status_code == 422 and "closed" in r.get_json()["error"]["fields"]
    post = _post(login("branch"))
    r = login("branch").patch(f"/api/v1/posts/{post['id']}", json={"open": 1})
    assert r.status_code == 422 and "open" in r.get_json()["error"]["fields"]
    assert login("committee").patch("/api/v1/forms/suggestion",
                                    json={"closed": False}).status_code == 200


def test_an_empty_patch_is_refused(login, people):
    post = _post(login("branch"))
    for body in ({}, None):
        r = login("branch").patch(f"/api/v1/posts/{post['id']}", json=body)
        assert r.status_code in (400, 422), (body, r.get_json())
    r = login("branch").patch(f"/api/v1/posts/{post['id']}", json={})
    assert r.get_json()["error"]["fields"] == {"_schema": ["请至少提交一项要修改的内容。"]}
    assert login("committee").patch("/api/v1/forms/suggestion", json={}).status_code == 422


@pytest.mark.parametrize("who", ["committee", "captain", "admin"])
def test_what_a_get_answers_is_what_the_document_says(doc, login, people, who):
    """Every GET without path parameters, signed in as several roles: a 2xx body matches
    its documented success schema, an error body the error schema."""
    api = login(who)
    error = Draft4Validator(_resolve(doc, doc["components"]["schemas"]["Error"]))
    checked = 0
    for path, method, op in _operations(doc):
        if method != "get" or "{" in path or path.endswith("/export"):
            continue
        r = api.get(path)
        body = r.get_json(silent=True)
        if r.status_code >= 400:
            assert body is not None and not list(error.iter_errors(body)), (path, body)
            continue
        documented = op["responses"].get(str(r.status_code))
        assert documented is not None, (path, r.status_code)
        schema = documented.get("content", {}).get(r.mimetype, {}).get("schema")
        assert schema is not None, (path, r.mimetype)
        problems = [e.message for e in Draft4Validator(_resolve(doc, schema)).iter_errors(body)]
        assert problems == [], (path, problems[:3])
        checked += 1
    assert checked >= 10


def test_the_password_rule_is_in_the_document(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["Signup"]["properties"]["password"]["minLength"] == 8
    assert schemas["Password"]["properties"]["new_password"]["minLength"] == 8


# Every operation the contract names (CONTRACT.md §3 and §6) that answers JSON.
CONTRACT = {
    ("post", "/api/v1/auth/login"), ("get", "/api/v1/auth/me"), ("post", "/api/v1/auth/signup"),
    ("get", "/api/v1/forms"), ("get", "/api/v1/forms/{slug}"),
    ("get", "/api/v1/forms/{slug}/versions/{number}"), ("post", "/api/v1/forms/{slug}/versions"),
    ("post", "/api/v1/submissions"), ("get", "/api/v1/submissions"),
    ("get", "/api/v1/submissions/{ident}"), ("post", "/api/v1/submissions/{ident}/transitions"),
    ("get", "/api/v1/inbox"), ("post", "/api/v1/sync"), ("post", "/api/v1/uploads"),
    ("post", "/api/v1/posts"), ("get", "/api/v1/posts"), ("post", "/api/v1/resources"),
    ("get", "/api/v1/resources"), ("get", "/api/v1/points/me"),
    ("get", "/api/v1/points/leaderboard"), ("get", "/api/v1/stats"), ("get", "/api/v1/meta"),
    ("get", "/api/v1/notifications"), ("post", "/api/v1/notifications/read"),
    ("get", "/api/v1/push/key"), ("post", "/api/v1/push/subscriptions"),
    ("post", "/api/v1/grid/{code}/channels"), ("get", "/api/v1/grid/{code}/channels"),
    ("post", "/api/v1/webhooks"), ("get", "/api/v1/webhooks/{webhook_id}/deliveries"),
    ("get", "/api/v1/me/calendar"), ("post", "/api/v1/me/calendar/renew"),
    ("post", "/api/v1/exports"), ("get", "/api/v1/exports/{job_id}"),
    ("get", "/api/v1/track/{code}"),
}
# The keys the contract names in each answer.
NAMED = {
    ("post", "/api/v1/auth/login"): {"token", "csrf_token", "user"},
    ("post", "/api/v1/submissions"): {"id", "uuid", "form", "form_version", "grid_code",
                                      "state", "data", "tracking_code", "display"},
    ("get", "/api/v1/submissions"): {"items", "next_cursor"},
    ("get", "/api/v1/submissions/{ident}"): {"history", "allowed_actions", "display"},
    ("post", "/api/v1/sync"): {"results"},
    ("post", "/api/v1/uploads"): {"id"},
    ("get", "/api/v1/meta"): {"timezone", "version", "vocabulary"},
    ("get", "/api/v1/push/key"): {"public_key"},
    ("post", "/api/v1/webhooks"): {"id", "secret"},
    ("get", "/api/v1/me/calendar"): {"url"},
    ("post", "/api/v1/exports"): {"id"},
    ("get", "/api/v1/exports/{job_id}"): {"state", "progress", "url"},
    ("get", "/api/v1/notifications"): {"items", "unread"},
    ("get", "/api/v1/inbox"): {"items", "next_cursor"},
    ("post", "/api/v1/submissions/{ident}/transitions"): {"state", "history", "allowed_actions"},
    ("get", "/api/v1/stats"): {"submissions", "needs", "resources", "services_delivered",
                               "median_hours_to_resolve", "sla_escalations", "posts"},
    ("post", "/api/v1/auth/signup"): {"user"},
    ("post", "/api/v1/forms/{slug}/versions"): {"version"},
}


def test_every_contract_answer_names_and_types_its_keys(doc):
    """A contract route's 2xx JSON body is an object whose properties are named and typed
    (not a bare `object`), with the contract's keys among them; nested answers too."""
    seen = set()
    for path, method, op in _operations(doc):
        if (method, path) not in CONTRACT:
            continue
        seen.add((method, path))
        for code, response in op["responses"].items():
            if not code.startswith("2") or code == "204":
                continue
            schema = _resolve(doc, response["content"]["application/json"]["schema"])
            properties = schema.get("properties") or {}
            assert properties, (method, path, code)
            untyped = [name for name, p in properties.items()
                       if not {"type", "anyOf", "allOf"} & set(p)]
            assert untyped == [], (method, path, code)
            assert NAMED.get((method, path), set()) <= set(properties), (method, path, code)
            assert schema.get("additionalProperties", True) is not False, (method, path, code)
    assert seen == CONTRACT
    item = _resolve(doc, doc["components"]["schemas"]["SubmissionDetail"])
    assert item["properties"]["history"]["items"]["properties"]["actor"]["nullable"] is True
    assert item["properties"]["resolved_at"]["nullable"] is True
    post = _resolve(doc, doc["components"]["schemas"]["PostList"])["properties"]["items"]["items"]
    assert {"capacity", "claimed", "waitlisted"} <= set(post["required"])
    resource = _resolve(doc, doc["components"]["schemas"]["ResourceItem"])
    assert {"title", "category", "org", "grid_code"} <= set(resource["required"])
    user = _resolve(doc, doc["components"]["schemas"]["SignedIn"])["properties"]["user"]
    assert {"id", "username", "display_name", "roles"} <= set(user["properties"])
    assert {"role", "grid_code", "org"} <= set(user["properties"]["roles"]["items"]["properties"])


def test_what_the_view_checks_is_in_the_document(doc):
    """Rules the views enforce in words are stated: the role list, the phone and username
    shapes, dates as date-time, a PATCH that must change something, the upload's file."""
    schemas = doc["components"]["schemas"]
    assert schemas["PersonCreate"]["properties"]["role"]["enum"][0] == "admin"
    assert "pattern" in schemas["Signup"]["properties"]["phone"]
    assert "pattern" in schemas["Signup"]["properties"]["username"]
    assert schemas["PostCreate"]["properties"]["starts_at"]["format"] == "date-time"
    assert schemas["PostPatch"]["minProperties"] == 1
    upload = doc["paths"]["/api/v1/uploads"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["required"] == ["file"]
    assert schemas["SubmissionCreate"]["properties"]["form_version"]["maximum"] == 2**31 - 1
