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
    """The schema with every local $ref replaced (enough for jsonschema)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            return _resolve(doc, doc["components"]["schemas"][name])
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
