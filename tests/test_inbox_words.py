"""The inbox names what waits in words (issue 21): a claim names its volunteer."""
from tests.test_volunteering import _claim, _post


def test_a_claim_in_the_branch_inbox_names_its_volunteer(login, people, queries):
    post = _post(login("branch"))
    volunteer = login("volunteer")
    assert _claim(volunteer, post["id"]).status_code == 201
    name = "volunteer"   # its display name (make_user)
    items = login("branch").get("/api/v1/inbox").get_json()["items"]
    claims = [i for i in items if i["post"] == post["id"]]
    assert claims and claims[0]["submitter_name"] == name
    # A page without claims asks nothing more.
    letters = login("captain")
    with queries() as seen:
        body = letters.get("/api/v1/inbox").get_json()
    assert all("submitter_name" not in i for i in body["items"])
    assert not any("users.id, users.display_name" in q.statement for q in seen)
