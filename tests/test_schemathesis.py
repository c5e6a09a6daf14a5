"""Schemathesis against /api/v1/openapi.json: every documented operation, bounded examples,
signed in as a committee member. No 500s, and every error in the contract's shape.
(Driven through hypothesis directly: schemathesis' pytest plugin does not load on pytest 9.)"""
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import PASSWORD

SKIP = ("/logout", "/password", "/deactivate")  # would end the session the run relies on


def test_every_documented_operation_survives_generated_input(app, client, people):
    token = client.post("/api/v1/auth/login", json={"username": "committee", "password": PASSWORD}
                        ).get_json()["token"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith(SKIP):
            continue

        @settings(max_examples=8, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            if response.status_code >= 400 and "json" in response.headers.get("Content-Type", ""):
                body = response.json()
                assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])

        check()
        checked += 1
    assert checked >= 25
