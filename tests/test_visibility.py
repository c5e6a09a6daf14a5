"""Every role tries to read, list and act on things outside its scope: 404, never a leak."""
import pytest

from tests.conftest import suggestion

# Who may see a suggestion filed on B1 (estate E1, community C1, street ST).
SEES_B1 = {"admin", "street", "committee", "branch", "captain"}
ALL = ["admin", "street", "committee", "committee2", "branch", "branch2", "branch3", "captain",
       "captain2", "captain4", "partner", "partner2", "volunteer", "resident"]


@pytest.fixture
def b1_letter(anon, people):
    return anon.post("/api/v1/submissions", json=suggestion("B1")).get_json()


@pytest.mark.parametrize("who", ALL)
def test_read_and_list(login, b1_letter, who):
    api = login(who)
    listed = {s["id"] for s in api.get("/api/v1/submissions").get_json()["items"]}
    detail = api.get(f"/api/v1/submissions/{b1_letter['id']}")
    by_uuid = api.get(f"/api/v1/submissions/{b1_letter['uuid']}")
    if who in SEES_B1:
        assert b1_letter["id"] in listed
        assert detail.status_code == by_uuid.status_code == 200
    else:
        assert b1_letter["id"] not in listed
        assert detail.status_code == by_uuid.status_code == 404


@pytest.mark.parametrize("who", [w for w in ALL if w not in SEES_B1])
def test_act_outside_scope_is_404(login, b1_letter, who):
    for action in ("escalate", "resolve", "reject", "close", "accept"):
        r = login(who).post(f"/api/v1/submissions/{b1_letter['id']}/transitions",
                            json={"action": action, "comment": "x"})
        assert r.status_code == 404, (who, action)


def test_admin_sees_but_does_not_act_without_a_role(login, b1_letter):
    r = login("admin").post(f"/api/v1/submissions/{b1_letter['id']}/transitions",
                            json={"action": "resolve", "comment": "x"})
    assert r.status_code == 403


def test_submitter_sees_own_only(login, people):
    mine = login("resident").post("/api/v1/submissions", json=suggestion("B4")).get_json()
    other = login("volunteer").post("/api/v1/submissions", json=suggestion("B4")).get_json()
    listed = {s["id"] for s in login("resident").get("/api/v1/submissions").get_json()["items"]}
    assert listed == {mine["id"]}
    assert login("resident").get(f"/api/v1/submissions/{other['id']}").status_code == 404


def test_grid_listing_is_scoped_for_staff(login, people):
    codes = {n["code"] for n in login("branch").get("/api/v1/grid").get_json()["items"]}
    assert codes == {"ST", "C1", "E1", "B1", "B2"}
    everyone = {n["code"] for n in login("resident").get("/api/v1/grid").get_json()["items"]}
    assert {"B4", "B5", "E3"} <= everyone


def test_stats_outside_scope_is_404(login, people):
    assert login("committee").get("/api/v1/stats?grid_code=C2").status_code == 404
    assert login("committee").get("/api/v1/stats?grid_code=C1").status_code == 200
    assert login("volunteer").get("/api/v1/stats").status_code == 403


def test_export_needs_branch_or_committee(login, people):
    assert login("captain").get("/api/v1/submissions/export?form=suggestion").status_code == 403
    assert login("partner").get("/api/v1/submissions/export?form=suggestion").status_code == 403
    assert login("branch").get("/api/v1/submissions/export?form=suggestion").status_code == 200
