"""grid import / users import / seed-demo through the CLI (contract §1, §2)."""
from sqlalchemy import func, select

from app.accounts.models import RoleAssignment, User
from app.extensions import db
from app.grid.models import GridNode

GOOD_GRID = """code,name,level,parent_code
XN,西南街道,street,
XN-BJ,北江社区,community,XN
XN-BJ-SDC,时代城小区,estate,XN-BJ
XN-BJ-SDC-B07,时代城7栋,building,XN-BJ-SDC
"""


def _write(tmp_path, name, text, bom=False):
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return str(path)


def _count(in_app, model):
    return in_app(lambda: db.session.execute(select(func.count()).select_from(model)).scalar_one())


def test_grid_import_with_bom_and_chinese(runner, tmp_path, in_app):
    result = runner.invoke(args=["grid", "import", _write(tmp_path, "g.csv", GOOD_GRID, bom=True)])
    assert result.exit_code == 0, result.output
    assert "created 4" in result.output
    node = in_app(lambda: db.session.execute(select(GridNode).where(
        GridNode.code == "XN-BJ-SDC-B07")).scalar_one().name)
    assert node == "时代城7栋"


def test_grid_reimport_updates_and_never_duplicates(runner, tmp_path, in_app):
    path = _write(tmp_path, "g.csv", GOOD_GRID)
    assert runner.invoke(args=["grid", "import", path]).exit_code == 0
    renamed = GOOD_GRID.replace("时代城7栋", "时代城七栋")
    result = runner.invoke(args=["grid", "import", _write(tmp_path, "g2.csv", renamed)])
    assert result.exit_code == 0 and "updated 1" in result.output
    assert _count(in_app, GridNode) == 4


def test_subtree_paths_are_materialised(runner, tmp_path, in_app):
    runner.invoke(args=["grid", "import", _write(tmp_path, "g.csv", GOOD_GRID)])

    def check():
        nodes = {n.code: n for n in db.session.execute(select(GridNode)).scalars()}
        assert nodes["XN-BJ-SDC-B07"].path.startswith(nodes["XN-BJ"].path)
        assert nodes["XN-BJ-SDC-B07"].path.count("/") == 5
    in_app(check)


def _fails(runner, tmp_path, text, line, words, in_app):
    result = runner.invoke(args=["grid", "import", _write(tmp_path, "bad.csv", text)])
    assert result.exit_code != 0
    assert f"line {line}" in result.output and words in result.output, result.output
    assert _count(in_app, GridNode) == 0  # all or nothing


def test_bad_parent_is_refused_with_its_line(runner, tmp_path, in_app):
    _fails(runner, tmp_path, GOOD_GRID + "X1,某楼,building,NOPE\n", 6, "unknown parent_code", in_app)


def test_bad_level_is_refused(runner, tmp_path, in_app):
    _fails(runner, tmp_path, GOOD_GRID.replace("estate,XN-BJ", "village,XN-BJ"), 4, "unknown level",
           in_app)


def test_wrong_parent_level_is_refused(runner, tmp_path, in_app):
    _fails(runner, tmp_path, GOOD_GRID + "X2,某楼,building,XN-BJ\n", 6, "needs a parent of level estate",
           in_app)


def test_duplicate_code_in_one_file_is_refused(runner, tmp_path, in_app):
    _fails(runner, tmp_path, GOOD_GRID + "XN-BJ,又一个,community,XN\n", 6, "duplicate code", in_app)


def test_missing_column_is_refused(runner, tmp_path, in_app):
    _fails(runner, tmp_path, "code,name,level\nA,b,street\n", 1, "missing column", in_app)


USERS = """username,display_name,phone,password,role,grid_code,org
li,李杏珊,13800000005,good-password-1,captain,XN-BJ-SDC-B07,
li,李杏珊,13800000005,,member,XN-BJ,
zheng,郑雄荣,,good-password-2,branch,XN-BJ-SDC,
gas,燃气公司刘工,,good-password-3,partner,,三水燃气公司
root,管理员,,good-password-4,admin,,
auto,自动密码,,,volunteer,XN-BJ,
"""


def test_users_import_and_reimport(runner, tmp_path, in_app):
    runner.invoke(args=["grid", "import", _write(tmp_path, "g.csv", GOOD_GRID)])
    path = _write(tmp_path, "u.csv", USERS, bom=True)
    result = runner.invoke(args=["users", "import", path])
    assert result.exit_code == 0, result.output
    assert "generated password for auto:" in result.output
    assert _count(in_app, User) == 5
    assert _count(in_app, RoleAssignment) == 6
    again = runner.invoke(args=["users", "import", path])
    assert again.exit_code == 0
    assert "generated password" not in again.output
    assert _count(in_app, User) == 5 and _count(in_app, RoleAssignment) == 6
    more = USERS + "zheng,郑雄荣,,,volunteer,XN-BJ,\n"
    runner.invoke(args=["users", "import", _write(tmp_path, "u2.csv", more)])
    assert _count(in_app, RoleAssignment) == 7


def test_imported_user_can_sign_in(runner, tmp_path, client):
    runner.invoke(args=["grid", "import", _write(tmp_path, "g.csv", GOOD_GRID)])
    runner.invoke(args=["users", "import", _write(tmp_path, "u.csv", USERS)])
    r = client.post("/api/v1/auth/login", json={"username": "li", "password": "good-password-1"})
    assert r.status_code == 200
    roles = {(x["role"], x["grid_code"]) for x in r.get_json()["user"]["roles"]}
    assert roles == {("captain", "XN-BJ-SDC-B07"), ("member", "XN-BJ")}


def test_users_import_is_all_or_nothing(runner, tmp_path, in_app):
    runner.invoke(args=["grid", "import", _write(tmp_path, "g.csv", GOOD_GRID)])
    bad = USERS + "x1,某人,,good-password-9,captain,NOPE,\n"
    result = runner.invoke(args=["users", "import", _write(tmp_path, "u.csv", bad)])
    assert result.exit_code != 0 and "line 8" in result.output and "unknown grid_code" in result.output
    assert _count(in_app, User) == 0


def test_users_import_checks_role_and_level(runner, tmp_path):
    runner.invoke(args=["grid", "import", _write(tmp_path, "g.csv", GOOD_GRID)])
    header = USERS.splitlines()[0] + "\n"
    r1 = runner.invoke(args=["users", "import", _write(
        tmp_path, "a.csv", header + "xx,x,,good-password-9,mayor,XN,\n")])
    assert r1.exit_code != 0 and "unknown role" in r1.output
    r2 = runner.invoke(args=["users", "import", _write(
        tmp_path, "b.csv", header + "xx,x,,good-password-9,captain,XN-BJ,\n")])
    assert r2.exit_code != 0 and "line 2" in r2.output and "building" in r2.output
    r3 = runner.invoke(args=["users", "import", _write(
        tmp_path, "c.csv", header + "xx,x,12345,good-password-9,captain,XN-BJ-SDC-B07,\n")])
    assert r3.exit_code != 0 and "mobile" in r3.output


def test_seed_demo_loads_once_and_demo_roles_sign_in(runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0 and "--force" in again.output
    for username in ("admin", "street", "committee", "branch", "captain", "member", "volunteer",
                     "partner"):
        r = client.post("/api/v1/auth/login", json={"username": username, "password": "tongxin-demo"})
        assert r.status_code == 200, username
    assert runner.invoke(args=["seed-demo", "--force"]).exit_code == 0
