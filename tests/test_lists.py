"""Resources and the lists that filter by them (issue 6, contract §3)."""
from tests.conftest import submit_need, transition

_need, _act = submit_need, transition   # the names other test files import


def test_partner_publishes_own_resources_committee_any(login, people):
    body = {"title": "宽带上门维修", "category": "network", "grid_code": "C1"}
    r = login("partner2").post("/api/v1/resources", json=body)
    assert r.status_code == 201 and r.get_json()["org"] == "电信三水分公司"
    r = login("partner2").post("/api/v1/resources", json=dict(body, org="三水燃气公司"))
    assert r.status_code == 403
    r = login("committee").post("/api/v1/resources", json=dict(body, org="三水医院"))
    assert r.status_code == 201 and r.get_json()["org"] == "三水医院"
    assert login("captain").post("/api/v1/resources", json=dict(body, org="x")).status_code == 403
    assert login("committee").post("/api/v1/resources", json={"title": "x"}).status_code == 422
    titles = [x["org"] for x in login("branch").get("/api/v1/resources").get_json()["items"]]
    assert sorted(titles) == ["三水医院", "电信三水分公司"]
    assert login("committee2").get("/api/v1/resources").get_json()["items"] == []
    mine = login("partner2").get("/api/v1/resources").get_json()["items"]
    assert [x["org"] for x in mine] == ["电信三水分公司"]


def test_dispatch_names_a_resource_and_lists_filter(login, people):
    res = login("partner").post("/api/v1/resources", json={
        "title": "燃气检查", "category": "utilities", "grid_code": "C1"}).get_json()
    other = login("committee2").post("/api/v1/resources", json={
        "title": "外社区资源", "category": "utilities", "grid_code": "C2", "org": "某单位"}).get_json()
    need = submit_need(login("captain"))
    transition(login("captain"), need["id"], "escalate")
    transition(login("branch"), need["id"], "escalate")
    bad = login("committee").post(f"/api/v1/submissions/{need['id']}/transitions",
                                  json={"action": "dispatch", "resource": other["id"]})
    assert bad.status_code == 422 and "resource" in bad.get_json()["error"]["fields"]
    mismatch = login("committee").post(f"/api/v1/submissions/{need['id']}/transitions",
                                       json={"action": "dispatch", "resource": res["id"],
                                             "partner": "电信三水分公司"})
    assert mismatch.status_code == 422
    done = transition(login("committee"), need["id"], "dispatch", resource=res["id"])
    assert done["partner"] == "三水燃气公司" and done["resource"] == res["id"]
    committee = login("committee")
    service_list = committee.get("/api/v1/submissions?form=need&partner=三水燃气公司").get_json()["items"]
    assert [s["id"] for s in service_list] == [need["id"]]
    assert committee.get("/api/v1/submissions?form=need&partner=电信三水分公司").get_json()["items"] == []
    assert len(committee.get("/api/v1/submissions?form=need&category=network").get_json()["items"]) == 1
    assert committee.get("/api/v1/submissions?form=need&category=health").get_json()["items"] == []
