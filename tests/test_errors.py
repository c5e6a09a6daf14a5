"""One error shape everywhere, in Chinese by default and English on request."""
import pytest

from tests.conftest import suggestion


def _shape(r, status, code=None):
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.is_json
    err = r.get_json()["error"]
    assert set(err) <= {"code", "message", "fields", "state", "post"}
    assert isinstance(err["message"], str) and err["message"]
    if code:
        assert err["code"] == code
    return err


def test_malformed_json_is_400(login, people):
    api = login("captain")
    r = api.client.post("/api/v1/submissions", data="{not json",
                        headers={"Authorization": f"Bearer {api.token}",
                                 "Content-Type": "application/json"})
    _shape(r, 400, "bad_request")


def test_malformed_json_on_login_is_400(client):
    r = client.post("/api/v1/auth/login", data="{", headers={"Content-Type": "application/json"})
    _shape(r, 400, "bad_request")


def test_401_403_404_405(login, anon, people):
    _shape(anon.get("/api/v1/submissions"), 401, "unauthorized")
    api = login("captain")
    _shape(api.post("/api/v1/forms/suggestion/versions", json={}), 403, "forbidden")
    _shape(api.get("/api/v1/no-such-thing"), 404, "not_found")
    _shape(api.get("/api/v1/submissions/999999"), 404, "not_found")
    r = api.client.delete("/api/v1/auth/me", headers={"Authorization": f"Bearer {api.token}"})
    _shape(r, 405, "method_not_allowed")


def test_413_for_oversized_body(login, people):
    api = login("captain")
    body = suggestion(content="长" * 10)
    body["data"]["content"] = "x" * (2 * 1024 * 1024)
    _shape(api.post("/api/v1/submissions", json=body), 413, "too_large")


def test_422_names_each_bad_field(login, people):
    api = login("captain")
    r = api.post("/api/v1/submissions", json={"uuid": "not-a-uuid", "form": "suggestion",
                                              "grid_code": "B1", "data": {}, "extra": 1})
    err = _shape(r, 422, "validation_error")
    assert set(err["fields"]) >= {"uuid", "extra"}


def test_messages_are_chinese_by_default_and_english_on_request(client, people):
    zh = client.post("/api/v1/auth/login", json={"username": "x", "password": "y"})
    assert zh.get_json()["error"]["message"] == "用户名或密码错误。"
    en = client.post("/api/v1/auth/login", json={"username": "x", "password": "y"},
                     headers={"Accept-Language": "en-US,en;q=0.9"})
    assert en.get_json()["error"]["message"] == "Wrong username or password."
    zh_cn = client.post("/api/v1/auth/login", json={"username": "x", "password": "y"},
                        headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert zh_cn.get_json()["error"]["message"] == "用户名或密码错误。"


@pytest.mark.parametrize("lang,expected", [("zh-CN", "此项为必填项。"),
                                           ("en", "This field is required.")])
def test_field_messages_follow_the_language(login, people, lang, expected):
    api = login("captain")
    api.lang = lang
    body = suggestion()
    del body["data"]["content"]
    err = _shape(api.post("/api/v1/submissions", json=body), 422)
    assert err["fields"]["data.content"] == [expected]


def test_marshmallow_messages_are_translated(client):
    r = client.post("/api/v1/auth/login", json={"username": "x"})
    err = _shape(r, 422)
    assert err["fields"]["password"] == ["此项为必填项。"]


def test_unknown_app_asset_is_json_404(client):
    _shape(client.get("/app/no-such-file.js"), 404)


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}
