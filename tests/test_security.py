"""Security headers and cookies (issue 9, first part)."""


def test_strict_headers_on_api_and_app(client):
    for path in ("/healthz", "/app/", "/api/v1/forms"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "Referrer-Policy" in r.headers


def test_session_cookie_is_httponly_and_lax(client, people):
    from tests.conftest import PASSWORD
    r = client.post("/api/v1/auth/login", json={"username": "captain", "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_api_never_answers_html_errors(client):
    r = client.get("/api/v1/nothing-here")
    assert r.is_json and r.status_code == 404
