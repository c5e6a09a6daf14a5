"""Big exports as background jobs (issue 22, contract §6.6): 202 → progress → done →
download by the requester only, expiry; small exports stay immediate."""
import csv
import io

import pytest
from openpyxl import load_workbook

from tests.conftest import submit_need


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(tmp_path / "exports"))
    return tmp_path / "exports"


def _work(runner):
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_background_export_runs_to_a_file_only_its_requester_reads(
        login, people, runner, folder, monkeypatch):
    from app.submissions import export
    monkeypatch.setattr(export, "BATCH", 2)   # several batches: progress moves
    for i in range(5):
        submit_need(login("captain"), description=f"需求{i}")
    branch = login("branch")
    r = branch.post("/api/v1/exports", json={"format": "csv", "form": "need"})
    assert r.status_code == 202, r.get_json()
    job_id = r.get_json()["id"]
    status = branch.get(f"/api/v1/exports/{job_id}").get_json()
    assert status["state"] == "queued" and status["progress"] == 0 and status["url"] is None
    assert branch.get(f"/api/v1/exports/{job_id}/file").status_code == 404   # not yet

    assert "exports written 1" in _work(runner)
    status = branch.get(f"/api/v1/exports/{job_id}").get_json()
    assert status["state"] == "done" and status["progress"] == 1 and status["rows"] == 5
    assert status["url"].endswith(f"/api/v1/exports/{job_id}/file")
    path = status["url"].replace("http://localhost", "")
    got = branch.get(path)
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert got.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(got.data.decode("utf-8-sig"))))
    assert len(rows) == 6 and "需求描述" in rows[0]
    assert sorted(dict(zip(rows[0], row))["需求描述"] for row in rows[1:]) == [
        f"需求{i}" for i in range(5)]

    # Nobody else: not the committee over it, not another branch, not anonymous.
    for who in ("committee", "branch2", "admin"):
        assert login(who).get(f"/api/v1/exports/{job_id}").status_code == 404
        assert login(who).get(path).status_code == 404
    assert login("branch").client.application.test_client().get(path).status_code == 401
    assert branch.get("/api/v1/exports/nope").status_code == 404


def test_xlsx_is_written_in_the_background_and_opens(login, people, runner, folder):
    for i in range(3):
        submit_need(login("captain"), description=f"需求{i}")
    committee = login("committee")
    job_id = committee.post("/api/v1/exports", json={
        "format": "xlsx", "form": "need", "grid_code": "B1"}).get_json()["id"]
    _work(runner)
    status = committee.get(f"/api/v1/exports/{job_id}").get_json()
    assert status["state"] == "done"
    r = committee.get(status["url"].replace("http://localhost", ""))
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data), read_only=True).active
    assert len(list(sheet.iter_rows(values_only=True))) == 4


def test_filters_apply_and_the_request_is_checked(login, people, runner, folder):
    submit_need(login("captain"), description="甲")
    submit_need(login("captain4"), "B4", description="乙")
    branch = login("branch")
    assert login("captain").post("/api/v1/exports", json={"form": "need"}).status_code == 403
    anon = login("branch").client.application.test_client()
    assert anon.post("/api/v1/exports", json={"form": "need"}).status_code == 401
    for body, field in (({"format": "pdf", "form": "need"}, "format"), ({}, "form"),
                        ({"form": 5}, "form"), ({"form": "need", "contacts": 1}, "contacts"),
                        ({"form": "need", "nonsense": "x"}, "nonsense")):
        r = branch.post("/api/v1/exports", json=body)
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], (body, r.data)
    assert branch.post("/api/v1/exports", json=["x"]).status_code == 422
    assert branch.post("/api/v1/exports", json={"form": "nope"}).status_code == 404
    job_id = branch.post("/api/v1/exports", json={"form": "need", "state": "closed"}).get_json()["id"]
    _work(runner)
    status = branch.get(f"/api/v1/exports/{job_id}").get_json()
    assert status["state"] == "done" and status["rows"] == 0


def test_a_runner_killed_mid_file_leaves_the_job_to_another(app, login, people, clock, folder):
    from datetime import timedelta

    from app.extensions import db
    from app.submissions import export_jobs

    submit_need(login("captain"))
    branch = login("branch")
    job_id = branch.post("/api/v1/exports", json={"form": "need"}).get_json()["id"]
    with app.app_context():
        assert export_jobs.claim() == job_id   # this runner dies without writing
        assert export_jobs.claim() is None     # the lease holds it
        later = clock() + timedelta(seconds=export_jobs.LEASE_SECONDS + 1)
        assert export_jobs.claim(later) == job_id
        assert export_jobs.run(job_id) == "done"
        db.session.remove()
    assert branch.get(f"/api/v1/exports/{job_id}").get_json()["state"] == "done"


def test_expired_exports_are_removed_by_the_tick(app, login, people, runner, clock, folder):
    submit_need(login("captain"))
    branch = login("branch")
    job_id = branch.post("/api/v1/exports", json={"form": "need"}).get_json()["id"]
    _work(runner)
    url = branch.get(f"/api/v1/exports/{job_id}").get_json()["url"].replace("http://localhost", "")
    assert list(folder.iterdir())
    assert branch.get(url).status_code == 200
    start = clock.now
    try:
        clock.advance(hours=app.config["EXPORT_KEEP_HOURS"] - 1)
        result = runner.invoke(args=["workflow", "tick", "--now", clock.now.isoformat()])
        assert "expired exports" not in result.output
        assert branch.get(url).status_code == 200
        clock.advance(hours=2)
        assert branch.get(url).status_code == 404   # expired, even before the tick
        result = runner.invoke(args=["workflow", "tick", "--now", clock.now.isoformat()])
        assert "expired exports removed: 1" in result.output, result.output
        assert branch.get(f"/api/v1/exports/{job_id}").status_code == 404
        assert not [p for p in folder.iterdir() if p.is_file()]
    finally:
        clock.now = start


def test_a_big_export_is_refused_inline_and_a_small_one_streams(app, login, people, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX_ROWS", 2)
    for i in range(3):
        submit_need(login("captain"), description=f"需求{i}")
    branch = login("branch")
    r = branch.get("/api/v1/submissions/export?form=need&format=xlsx")
    assert r.status_code == 413
    assert "后台导出" in r.get_json()["error"]["message"] or "background" in \
        r.get_json()["error"]["message"]
    r = branch.get("/api/v1/submissions/export?form=need&format=csv&grid_code=B4")
    assert r.status_code == 200 and r.is_streamed


def test_the_console_starts_an_export_and_shows_its_progress_and_link(
        app, client, people, runner, folder):
    from tests.conftest import PASSWORD
    submit = client.application.test_client()
    page = submit.get("/admin/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    submit.post("/admin/login", data={"username": "branch", "password": PASSWORD,
                                      "csrf_token": token})
    listing = submit.get("/admin/submissions?form=need").get_data(as_text=True)
    assert "导出" in listing and "/admin/exports" in listing
    token = listing.split('name="csrf_token" value="')[1].split('"')[0]
    r = submit.post("/admin/exports", data={"form": "need", "format": "xlsx",
                                           "csrf_token": token})
    assert r.status_code == 302
    page = submit.get(r.headers["Location"]).get_data(as_text=True)
    assert "排队" in page or "正在" in page
    _work(runner)
    page = submit.get(r.headers["Location"]).get_data(as_text=True)
    assert "/api/v1/exports/" in page and "/file" in page and "下载" in page
    assert submit.post("/admin/exports", data={"form": "need", "format": "xlsx"}).status_code == 400
