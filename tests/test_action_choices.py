"""A submission's detail offers what an action needs picked (field fixes #2, #6): the
original of a duplicate, the building a reroute sends to, the partner a dispatch goes to."""
from tests.conftest import PASSWORD, Api, suggestion, transition


def _api(client, username):
    token = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}).get_json()["token"]
    return Api(client, token)


def _action(detail, name):
    return next(a for a in detail["actions"] if a["action"] == name)


def test_duplicate_offers_recent_letters_of_the_same_building_only(client, people):
    captain = _api(client, "captain")
    first = captain.post("/api/v1/submissions", json=suggestion("B1", content="楼道灯坏了很久")).get_json()
    captain.post("/api/v1/submissions", json=suggestion("B2", content="别的楼的事"))
    again = captain.post("/api/v1/submissions", json=suggestion("B1", content="楼道灯又坏了")).get_json()
    mark = _action(captain.get(f"/api/v1/submissions/{again['id']}").get_json(), "mark_duplicate")
    assert mark["duplicate_of"] == "required"
    assert [o["id"] for o in mark["originals"]] == [first["id"]]
    assert mark["originals"][0]["excerpt"] == "楼道灯坏了很久" and mark["originals"][0]["state_label"]


def test_reroute_offers_buildings_and_estates_in_the_callers_grid_by_name(client, people):
    committee = _api(client, "committee")
    letter = committee.post("/api/v1/submissions", json=suggestion("B1")).get_json()
    reroute = _action(committee.get(f"/api/v1/submissions/{letter['id']}").get_json(), "reroute")
    codes = [n["code"] for n in reroute["targets"]]
    assert "B1" not in codes and {"E1", "B2", "E2", "B3"} <= set(codes)
    assert not {"B4", "B5", "E3"} & set(codes)          # another community's
    assert codes.index("E1") < codes.index("B2")       # an estate, then its buildings


def test_dispatch_offers_the_partner_units_and_takes_the_picked_name(client, people):
    letter = _api(client, "captain").post("/api/v1/submissions", json=suggestion("B1")).get_json()
    transition(_api(client, "captain"), letter["id"], "escalate")
    transition(_api(client, "branch"), letter["id"], "escalate")
    committee = _api(client, "committee")
    dispatch = _action(committee.get(f"/api/v1/submissions/{letter['id']}").get_json(), "dispatch")
    names = [p["name"] for p in dispatch["partners"]]
    assert {"三水燃气公司", "电信三水分公司"} <= set(names)
    done = transition(committee, letter["id"], "dispatch", partner=names[0])
    assert done["partner"] == names[0]


def test_the_inbox_does_not_carry_the_choices(client, people):
    captain = _api(client, "captain")
    captain.post("/api/v1/submissions", json=suggestion("B1"))
    items = captain.get("/api/v1/inbox").get_json()["items"]
    assert items and all("originals" not in a for i in items for a in i["actions"])


def test_a_partner_unit_with_no_account_is_said_to_be_one(client, console, people, in_app):
    """A dispatch to a unit nobody acts for would wait for ever: the picker says so."""
    from app.accounts.services import get_or_create_org

    in_app(lambda: get_or_create_org("新建的物业公司"))
    letter = _api(client, "captain").post("/api/v1/submissions", json=suggestion("B1")).get_json()
    transition(_api(client, "captain"), letter["id"], "escalate")
    transition(_api(client, "branch"), letter["id"], "escalate")
    committee = _api(client, "committee")
    dispatch = _action(committee.get(f"/api/v1/submissions/{letter['id']}").get_json(), "dispatch")
    people = {p["name"]: p["people"] for p in dispatch["partners"]}
    assert people["新建的物业公司"] == 0
    assert people["三水燃气公司"] == 1 and people["电信三水分公司"] == 1
    desk, _token = console("committee")
    page = desk.get(f"/admin/submissions/{letter['id']}").get_data(as_text=True)
    assert 'value="新建的物业公司" label="暂无账号，派发后无人接收"' in page
    assert 'value="三水燃气公司">' in page
