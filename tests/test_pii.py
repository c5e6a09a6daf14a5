"""Residents' personal information (issue 22, PIPL): contact details in full only to those
who must call back, masked elsewhere (API, console, exports), every full view audited,
erased after the retention period or at the resident's request — the letter stays."""
import csv
import io
import pytest

from tests.conftest import PASSWORD, suggestion, transition

PHONE, MASKED = "13912345678", "139****5678"
NAME, MASKED_NAME = "王阿姨", "王**"


@pytest.fixture
def letter(anon, people):
    """A signed letter from a resident of B1 (no account), held by B1's captain."""
    r = anon.post("/api/v1/submissions", json=suggestion(
        anonymous=False, contact_name=NAME, contact_phone=PHONE, content="楼道灯坏了"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _contacts(api, sub_id):
    data = api.get(f"/api/v1/submissions/{sub_id}").get_json()["data"]
    return data.get("contact_phone"), data.get("contact_name")


def _audit(login, action="read_sensitive"):
    return login("admin").get(f"/api/v1/audit?action={action}").get_json()["items"]


def test_the_holder_and_the_committee_see_them_in_full_the_others_masked(login, letter):
    sub_id = letter["id"]
    assert letter["data"]["contact_phone"] == MASKED   # the anonymous answer shows no phone
    assert _contacts(login("captain"), sub_id) == (PHONE, NAME)       # holds it: calls back
    assert _contacts(login("committee"), sub_id) == (PHONE, NAME)     # the committee over it
    assert _contacts(login("branch"), sub_id) == (MASKED, MASKED_NAME)   # not its tier now
    assert _contacts(login("admin"), sub_id) == (MASKED, MASKED_NAME)    # runs the system
    assert login("committee2").get(f"/api/v1/submissions/{sub_id}").status_code == 404
    # Lists never show them, not even to the holder.
    for who in ("captain", "committee", "branch"):
        items = login(who).get("/api/v1/submissions?form=suggestion").get_json()["items"]
        item = next(i for i in items if i["id"] == sub_id)
        assert item["data"]["contact_phone"] == MASKED, who
        assert item["data"]["contact_name"] == MASKED_NAME, who
    # The letter moves up: now the branch calls back, the captain no longer sees them.
    transition(login("captain"), sub_id, "escalate")
    assert _contacts(login("branch"), sub_id) == (PHONE, NAME)
    assert _contacts(login("captain"), sub_id) == (MASKED, MASKED_NAME)


def test_a_partner_unit_sees_them_while_it_holds_the_letter(login, people, letter):
    sub_id = letter["id"]
    transition(login("captain"), sub_id, "escalate")
    transition(login("branch"), sub_id, "escalate")
    transition(login("committee"), sub_id, "dispatch", partner="三水燃气公司")
    assert _contacts(login("partner"), sub_id) == (PHONE, NAME)
    assert login("partner2").get(f"/api/v1/submissions/{sub_id}").status_code == 404
    assert _contacts(login("branch"), sub_id) == (MASKED, MASKED_NAME)
    # Each transition's answer that showed them in full is a view too.
    vias = [e["detail"].get("via") for e in _audit(login)]
    # The committee's dispatch answered them in full; the captain's and the branch's escalations
    # answered them masked (the letter had left their tier).
    assert vias.count("transition") == 1
    assert None in vias                    # the partner's detail


def test_every_full_view_is_audited_and_masked_ones_are_not(login, people, letter):
    sub_id = letter["id"]
    login("branch").get(f"/api/v1/submissions/{sub_id}")      # masked
    login("admin").get(f"/api/v1/submissions/{sub_id}")       # masked
    login("captain").get(f"/api/v1/submissions/{sub_id}")     # full
    login("committee").get(f"/api/v1/submissions/{sub_id}")   # full
    entries = _audit(login)
    assert len(entries) == 2
    assert {e["target"] for e in entries} == {f"submission:{sub_id}"}
    assert all(set(e["detail"]["fields"]) == {"contact_phone", "contact_name"} for e in entries)


def _console(app, username):
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/admin/login", data={"username": username, "password": PASSWORD,
                                          "csrf_token": token})
    assert r.status_code == 302
    return client


def test_the_console_masks_them_and_audits_a_full_view(app, login, people, letter):
    sub_id = letter["id"]
    branch = _console(app, "branch")
    page = branch.get(f"/admin/submissions/{sub_id}").get_data(as_text=True)
    assert PHONE not in page and NAME not in page and MASKED in page
    listing = branch.get("/admin/submissions?form=suggestion").get_data(as_text=True)
    assert PHONE not in listing and NAME not in listing
    assert _audit(login) == []
    committee = _console(app, "committee")
    page = committee.get(f"/admin/submissions/{sub_id}").get_data(as_text=True)
    assert PHONE in page and NAME in page
    listing = committee.get("/admin/submissions?form=suggestion").get_data(as_text=True)
    assert PHONE not in listing and NAME not in listing
    entries = _audit(login)
    assert len(entries) == 1 and entries[0]["detail"]["via"] == "console"


def _export(api, query):
    r = api.get(f"/api/v1/submissions/export?form=suggestion&format=csv{query}")
    assert r.status_code == 200, r.data[:300]
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    return dict(zip(rows[0], rows[1]))


def test_exports_mask_them_unless_asked_for_by_a_role_that_needs_them(login, people, letter):
    committee, branch = login("committee"), login("branch")
    row = _export(committee, "")
    assert (row["联系电话"], row["联系人称呼"]) == (MASKED, MASKED_NAME)
    row = _export(committee, "&contacts=full")
    assert (row["联系电话"], row["联系人称呼"]) == (PHONE, NAME)
    row = _export(branch, "&contacts=full")   # the captain holds it, not the branch
    assert (row["联系电话"], row["联系人称呼"]) == (MASKED, MASKED_NAME)
    exports = _audit(login, "export")
    assert [e["detail"]["contacts"] for e in exports] == [True, True, False]


def test_a_background_export_with_contacts_is_chosen_and_audited(
        app, login, people, letter, runner, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(tmp_path))
    committee = login("committee")
    plain = committee.post("/api/v1/exports", json={"form": "suggestion"}).get_json()["id"]
    full = committee.post("/api/v1/exports", json={"form": "suggestion",
                                                   "contacts": True}).get_json()["id"]
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    got = {}
    for job_id in (plain, full):
        url = committee.get(f"/api/v1/exports/{job_id}").get_json()["url"]
        rows = list(csv.reader(io.StringIO(committee.get(
            url.replace("http://localhost", "")).data.decode("utf-8-sig"))))
        got[job_id] = dict(zip(rows[0], rows[1]))["联系电话"]
    assert got == {plain: MASKED, full: PHONE}
    assert [e["detail"]["contacts"] for e in _audit(login, "export")] == [True, False]


def _close(login, sub_id):
    transition(login("captain"), sub_id, "resolve", comment="已修好")
    transition(login("branch"), sub_id, "close")


def test_the_tick_erases_contacts_of_letters_closed_longer_than_the_retention(
        app, anon, login, people, letter, runner, clock):
    start = clock.now
    try:
        old, still_open = letter["id"], anon.post("/api/v1/submissions", json=suggestion(
            anonymous=False, contact_phone="13900000000")).get_json()["id"]
        _close(login, old)
        days = app.config["CONTACT_RETENTION_DAYS"]
        assert days == 3 * 365
        clock.advance(days=days - 1)
        recent = anon.post("/api/v1/submissions", json=suggestion(
            anonymous=False, contact_phone="13911111111")).get_json()["id"]
        _close(login, recent)
        out = runner.invoke(args=["workflow", "tick", "--now", clock.now.isoformat()]).output
        assert "erased" not in out, out
        assert _contacts(login("committee"), old) == (PHONE, NAME)
        clock.advance(days=2)
        out = runner.invoke(args=["workflow", "tick", "--now", clock.now.isoformat()]).output
        assert "contact details erased (retention): 1 letters" in out, out
        body = login("committee").get(f"/api/v1/submissions/{old}").get_json()
        assert "contact_phone" not in body["data"] and "contact_name" not in body["data"]
        assert body["data"]["content"] == "楼道灯坏了" and body["state"] == "closed"
        assert body["resolved_at"] is not None and len(body["history"]) >= 3
        assert _contacts(login("committee"), recent)[0] == "13911111111"   # closed lately
        assert _contacts(login("committee"), still_open)[0] == "13900000000"   # still open
        entries = _audit(login, "erase_contacts")
        assert [(e["target"], e["detail"]["reason"]) for e in entries] == [
            (f"submission:{old}", "retention")]
        out = runner.invoke(args=["workflow", "tick", "--now", clock.now.isoformat()]).output
        assert "erased" not in out   # once
        # The figures still count the letter.
        stats = login("committee").get("/api/v1/stats?grid_code=C1")
        assert stats.status_code == 200
    finally:
        clock.now = start


def test_a_resident_with_the_tracking_code_has_them_erased(anon, login, people, letter):
    code, sub_id = letter["tracking_code"], letter["id"]
    assert anon.post("/api/v1/track/NOPE/erase").status_code == 404
    r = anon.post(f"/api/v1/track/{code.lower()}/erase")
    assert r.status_code == 200, r.get_json()
    assert sorted(r.get_json()["erased"]) == ["contact_name", "contact_phone"]
    assert _contacts(login("captain"), sub_id) == (None, None)
    body = login("captain").get(f"/api/v1/submissions/{sub_id}").get_json()
    assert body["data"]["content"] == "楼道灯坏了" and body["state"] == "at_captain"
    again = anon.post(f"/api/v1/track/{code}/erase")
    assert again.status_code == 200 and again.get_json()["erased"] == []
    assert anon.get(f"/api/v1/track/{code}").status_code == 200
    entries = _audit(login, "erase_contacts")
    assert [(e["detail"]["reason"], e["actor_id"]) for e in entries] == [("resident", None)] * 2


def test_masked_at_every_step_of_the_export_job_window(login, people, letter, clock):
    """A masked reader never sees a full value through the API, whatever the query."""
    for url in ("/api/v1/submissions", "/api/v1/submissions?form=suggestion&state=at_captain",
                "/api/v1/inbox"):
        r = login("branch").get(url)
        assert PHONE not in r.get_data(as_text=True) and NAME not in r.get_data(as_text=True)
