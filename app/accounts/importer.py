"""The one importer of the people file and the grid file (contract §2, §6.2), for the CLI and
the console: read a CSV or .xlsx (Chinese headers, level and role names accepted), check every
row, plan what each row will do, and write only a plan without problems — all or nothing.

People rows: one per role assignment. A new person without a password gets a generated one;
`apply_users` returns them so that the caller shows them once (姓名、账号、初始密码)."""
import secrets

from flask_babel import force_locale
from sqlalchemy import select

from app.accounts.models import ROLES, Org, RoleAssignment, User
from app.audit.services import record
from app.accounts.services import (PHONE_RE, ROLE_LEVELS, USERNAME_RE, create_user,
                                   get_or_create_org, grant_role, normalize_phone,
                                   password_problem)
from app.core.sheets import Problem, SheetError, find_name, read_table
from app.core.i18n import select_locale
from app.extensions import db
from app.grid.importer import (LEVEL_ZH, Plan, RowPlan, apply_grid, missing_columns_problem,
                               plan_grid)
from app.grid.models import GridNode
from app.grid.services import ImportError_

__all__ = ["SheetError", "plan_file", "apply_plan", "plan_users", "apply_users", "column_label"]

USER_COLUMNS = {
    "username": ("账号", "用户名", "登录名", "登录账号"),
    "display_name": ("姓名", "名字", "显示名", "名称"),
    "phone": ("手机", "手机号", "手机号码", "电话", "联系电话"),
    "password": ("密码", "初始密码"),
    "role": ("角色", "身份", "职务"),
    "grid_code": ("网格编码", "网格", "所在网格", "所在网格编码", "编码"),
    "org": ("单位", "共建单位", "所属单位", "单位名称"),
}
USER_LABELS = {"username": "账号", "display_name": "姓名", "phone": "手机", "password": "密码",
               "role": "角色", "grid_code": "网格编码", "org": "单位"}
GRID_LABELS = {"code": "编码", "name": "名称", "level": "层级", "parent_code": "上级编码"}
ROLE_WORDS = {
    "admin": ("系统管理员", "管理员", "Administrator"),
    "committee": ("社区党委", "党委", "社区党组织", "社区党总支", "社区两委", "Community committee"),
    "branch": ("支部", "党支部", "小区党支部", "小区支部", "网格党支部", "Estate branch"),
    "captain": ("楼长", "楼栋长", "党员楼长", "楼道长", "单元长", "Building captain"),
    "member": ("在职党员", "党员", "报到党员", "Party member"),
    "volunteer": ("志愿者", "Volunteer"),
    "partner": ("共建单位", "共建", "驻区单位", "Partner unit"),
}
ROLE_ZH = {"admin": "系统管理员", "committee": "社区党委", "branch": "小区党支部",
           "captain": "党员楼长", "member": "在职党员", "volunteer": "志愿者", "partner": "共建单位"}


def column_label(kind: str, column: str | None, lang: str) -> str | None:
    if column is None:
        return None
    if lang == "en":
        return column
    return (GRID_LABELS if kind == "grid" else USER_LABELS).get(column, column)


def plan_file(kind: str, data: bytes, filename: str = "", allow=None) -> Plan:
    """Plan a grid or people file (raises SheetError when it is not a table at all)."""
    return plan_grid(data, filename, allow) if kind == "grid" else plan_users(data, filename, allow)


def apply_plan(plan: Plan) -> tuple[dict, list]:
    """Write a plan without problems (the caller commits): (counts, generated passwords as
    [(display name, username, password)])."""
    if plan.kind == "grid":
        return apply_grid(plan), []
    return apply_users(plan)


def audit_import(actor, plan: Plan, counts: dict, filename: str) -> None:
    """An applied import in the audit log: one entry for the file (its name and counts), and
    one on each person it added, so that person's own history starts with it."""
    record(actor, f"import_{plan.kind}", f"file:{filename}"[:120], filename=filename[:200], **counts)
    if plan.kind != "users":
        return
    added = sorted({r.code for r in plan.rows if r.status == "new"})
    for user in db.session.execute(select(User).where(User.username.in_(added or ["-"]))).scalars():
        record(actor, "import_person", f"user:{user.id}", filename=filename[:200])


def import_text(kind: str, text: str) -> tuple[dict, list]:
    """Import CSV text (the demo data, a one-line grid edit): raises ImportError_ with the
    first problem in the request's language (all problems in `.problems`)."""
    plan = plan_file(kind, text.encode("utf-8"), f"{kind}.csv")
    if not plan.ok:
        first = plan.problems[0]
        lang = locale()
        error = ImportError_(first.row, first.message[lang])
        error.problems = plan.problems
        raise error
    return apply_plan(plan)


def locale_text(label: dict) -> str:
    return label.get(locale()) or label["zh"]


def locale() -> str:
    try:
        return select_locale()
    except RuntimeError:
        return "zh"


def _both(fn, *args):
    """A rule's message (gettext) in both languages."""
    with force_locale("zh"):
        zh = fn(*args)
    with force_locale("en"):
        en = fn(*args)
    return zh, en


def plan_users(data: bytes, filename: str = "", allow=None) -> Plan:
    """Check every people row and say what it would do; writes nothing. `allow(path)`: may
    the importer give a role on that node (None: a role on no node — admin, partner)."""
    plan = Plan("users")
    rows, plan.missing = read_table(data, filename, USER_COLUMNS)
    if plan.missing:
        plan.problems.append(missing_columns_problem(plan.missing, USER_LABELS))
        return plan
    problem = plan.problems.append
    usernames = {r["username"] for _, r in rows if r["username"]}
    codes = {r["grid_code"] for _, r in rows if r["grid_code"]}
    users = {u.username: u for u in db.session.execute(
        select(User).where(User.username.in_(sorted(usernames) or [""]))).scalars()}
    nodes = {n.code: n for n in db.session.execute(
        select(GridNode).where(GridNode.code.in_(sorted(codes) or [""]))).scalars()}
    orgs = {o.id: o.name for o in db.session.execute(select(Org)).scalars()} if users else {}
    held = {(a.user_id, a.role, a.grid_node_id, orgs.get(a.org_id)) for a in db.session.execute(
        select(RoleAssignment).where(RoleAssignment.user_id.in_(
            [u.id for u in users.values()] or [0]))).scalars()}
    first_row: dict[str, int] = {}
    planned: set = set()
    for line, raw in rows:
        row = dict(raw)
        before = len(plan.problems)
        username = row["username"]
        if not USERNAME_RE.match(username):
            problem(Problem(line, "username", f"账号“{username}”格式不正确（2–150 位字母、数字或 . _ - @）",
                            f"invalid username '{username}'"))
        role = find_name(row["role"], ROLE_WORDS)
        if role is None:
            problem(Problem(line, "role", f"未知的角色“{row['role']}”（可填：{'、'.join(ROLE_ZH.values())}）",
                            f"unknown role '{row['role']}' (use one of {', '.join(ROLES)})"))
        row["role"] = role
        node = _row_node(line, row, role, nodes, problem)
        phone = normalize_phone(row["phone"])
        if phone and not PHONE_RE.match(phone):
            problem(Problem(line, "phone", f"手机号“{row['phone']}”不是有效的大陆手机号",
                            f"invalid mainland mobile number '{row['phone']}'"))
        row["phone"] = phone
        user = users.get(username)
        if user is None and username not in first_row and row["password"]:
            zh_en = _both(password_problem, row["password"], username)
            if zh_en[0]:
                problem(Problem(line, "password", f"密码不符合要求：{zh_en[0]}",
                                f"password refused: {zh_en[1]}"))
        if allow is not None and role and len(plan.problems) == before:
            # A committee names its partner units (as on the people page); an admin row
            # (no node) is for an admin only.
            if not (role == "partner" and node is None) and not allow(
                    node.path if node is not None else None):
                problem(Problem(line, "grid_code", "这个网格不在您管辖的范围内",
                                "this node is outside your grid"))
        if len(plan.problems) > before:
            continue
        plan.rows.append(_plan_row(line, row, user, node, held, first_row, planned))
    return plan


def _row_node(line, row, role, nodes, problem):
    """The node the row's role is held on (none for an admin, optional for a partner)."""
    code, node = row["grid_code"], None
    if code:
        node = nodes.get(code)
        if node is None:
            problem(Problem(line, "grid_code", f"网格编码“{code}”不存在", f"unknown grid_code '{code}'"))
    if role is None:
        return node
    if role == "admin":
        if code:
            problem(Problem(line, "grid_code", "系统管理员这一行的网格编码应留空",
                            "an admin row must have an empty grid_code"))
        return None
    if role == "partner":
        if not row["org"]:
            problem(Problem(line, "org", "共建单位这一行需要填写单位名称", "a partner row needs org"))
        return node
    if row["org"]:
        problem(Problem(line, "org", "只有共建单位这一行才填写单位", "org is only for partner rows"))
    if not code:
        problem(Problem(line, "grid_code", f"{ROLE_ZH[role]}这一行需要填写网格编码",
                        f"a {role} row needs grid_code"))
    elif node is not None and node.level not in ROLE_LEVELS[role]:
        problem(Problem(line, "grid_code",
                        f"{ROLE_ZH[role]}应设在{'或'.join(LEVEL_ZH[x] for x in ROLE_LEVELS[role])}，"
                        f"而“{node.name}”是{LEVEL_ZH[node.level]}",
                        f"a {role} is assigned to a {' or '.join(ROLE_LEVELS[role])}, not a {node.level}"))
    return node


def _plan_row(line, row, user, node, held, first_row, planned) -> RowPlan:
    username, role = row["username"], row["role"]
    where = node.name if node is not None else (row["org"] if role == "partner" else "")
    role_words = {"zh": ROLE_ZH[role] + (f"（{where}）" if where else ""),
                  "en": role + (f" ({where})" if where else "")}
    key = (username, role, node.id if node is not None else None, row["org"] or None)
    name = row["display_name"] or (user.display_name if user else username)
    if user is None:
        status = "new"
        changes = [] if username in first_row else [{"zh": "新建账号", "en": "new account"}]
        first_row.setdefault(username, line)
        if key not in planned:
            changes.append({"zh": f"角色：{role_words['zh']}", "en": f"role: {role_words['en']}"})
    else:
        changes = []
        if username not in first_row:
            first_row[username] = line
            if row["display_name"] and row["display_name"] != user.display_name:
                changes.append({"zh": f"姓名：{user.display_name} → {row['display_name']}",
                                "en": f"name: {user.display_name} → {row['display_name']}"})
            if row["phone"] and row["phone"] != user.phone:
                changes.append({"zh": f"手机：{user.phone or '无'} → {row['phone']}",
                                "en": f"phone: {user.phone or 'none'} → {row['phone']}"})
        if (user.id, role, key[2], key[3]) not in held and key not in planned:
            changes.append({"zh": f"新增角色：{role_words['zh']}", "en": f"adds role: {role_words['en']}"})
        status = "changed" if changes else "unchanged"
    planned.add(key)
    return RowPlan(line, status, username, name, dict(row, node_id=node.id if node else None), changes)


def apply_users(plan: Plan) -> tuple[dict, list]:
    """Write a people plan without problems (the caller commits)."""
    assert plan.ok and plan.kind == "users"
    created = roles_added = 0
    generated: dict[str, tuple] = {}
    seen: set[str] = set()
    for r in plan.rows:
        row = r.values
        username = row["username"]
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            password = row["password"] or secrets.token_urlsafe(9)
            user = create_user(username, password, row["display_name"], row["phone"])
            created += 1
            if not row["password"]:
                generated[username] = (user.display_name, username, password)
        elif username not in seen:
            if row["display_name"]:
                user.display_name = row["display_name"]
            if row["phone"]:
                user.phone = row["phone"]
        seen.add(username)
        node = db.session.get(GridNode, row["node_id"]) if row["node_id"] else None
        org = get_or_create_org(row["org"]) if row["role"] == "partner" else None
        if grant_role(user, row["role"], node, org):
            roles_added += 1
    db.session.flush()
    return ({"users_created": created, "roles_added": roles_added, "rows": len(plan.rows)},
            list(generated.values()))
