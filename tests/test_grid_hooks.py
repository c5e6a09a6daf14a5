"""A grid move rewrites the paths of every row filed under the node, through the columns
each feature registered at app start (issue 20: the grid names no feature)."""
from app.grid import services as grid_services

FUTURE = {"starts_at": "2030-05-01T01:00:00Z", "ends_at": "2030-05-01T05:00:00Z"}


def _post_codes(api, grid_code):
    return [p["id"] for p in api.get(f"/api/v1/posts?grid_code={grid_code}").get_json()["items"]]


def test_every_feature_with_rows_under_a_node_registered_its_path(app):
    registered = set(grid_services._filed_under)
    assert {("submissions", "node_path"), ("submission_events", "node_path"), ("posts", "node_path"),
            ("resources", "node_path"), ("point_entries", "node_path"), ("notices", "node_path"),
            ("meetings", "node_path")} <= registered
    # …and that is every mapped column named node_path but the statistics' tallies, which
    # database triggers on submissions keep (app/stats/tallies.py), a move included.
    from app.extensions import db
    with_paths = {(m.local_table.name, "node_path") for m in db.Model.registry.mappers
                  if "node_path" in m.columns}
    assert with_paths - registered == {("submission_tallies", "node_path"),
                                       ("submission_tally_deltas", "node_path")}


def test_a_post_follows_its_building_when_it_moves(login, people, runner, tmp_path):
    branch = login("branch")
    r = branch.post("/api/v1/posts", json={"title": "楼道清洁", "grid_code": "B1", "capacity": 2, **FUTURE})
    assert r.status_code == 201, r.get_json()
    post_id = r.get_json()["id"]
    committee = login("committee")
    assert post_id in _post_codes(committee, "E1")

    path = tmp_path / "move.csv"
    path.write_text("code,name,level,parent_code\nB1,时代城1栋,building,E2\n", encoding="utf-8")
    result = runner.invoke(args=["grid", "import", str(path)])
    assert result.exit_code == 0, result.output

    assert post_id in _post_codes(committee, "E2")
    assert post_id not in _post_codes(committee, "E1")
