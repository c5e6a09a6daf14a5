"""The grid import file (contract §2, §6.2): read a CSV or .xlsx, check every row, plan what
each row will do (new / changed / unchanged, with the changes), and only when no row is bad
write it — all or nothing. The console previews the plan; the CLI and the console both apply
through `apply_grid`."""
from dataclasses import dataclass, field

from sqlalchemy import select

from app.core.sheets import Problem, find_name, read_table
from app.extensions import db
from app.grid.models import LEVELS, PARENT_LEVEL, GridNode
from app.grid.services import _GridImport

# Column codes and the other header names people write for them.
GRID_COLUMNS = {
    "code": ("编码", "网格编码", "代码", "编号"),
    "name": ("名称", "网格名称", "名字"),
    "level": ("层级", "级别", "类型", "网格层级"),
    "parent_code": ("上级编码", "上级网格编码", "上级", "父级编码", "上级代码"),
}
COLUMN_LABELS = {"code": "编码", "name": "名称", "level": "层级", "parent_code": "上级编码"}
LEVEL_WORDS = {
    "street": ("街道", "街道办", "街道办事处", "镇", "乡镇", "Street"),
    "community": ("社区", "社区居委会", "居委会", "村", "Community"),
    "estate": ("小区", "院落", "网格小区", "Estate"),
    "building": ("楼栋", "楼", "楼宇", "楼房", "栋", "Building"),
}
LEVEL_ZH = {"street": "街道", "community": "社区", "estate": "小区", "building": "楼栋"}


@dataclass
class RowPlan:
    row: int
    status: str                      # new, changed, unchanged
    code: str
    name: str
    values: dict
    changes: list = field(default_factory=list)   # [{"zh", "en"}]


@dataclass
class Plan:
    kind: str
    rows: list = field(default_factory=list)       # RowPlan
    problems: list = field(default_factory=list)   # Problem
    missing: list = field(default_factory=list)    # column codes

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict:
        out = {"new": 0, "changed": 0, "unchanged": 0}
        for r in self.rows:
            out[r.status] += 1
        return out


def missing_columns_problem(missing: list[str], labels: dict) -> Problem:
    return Problem(1, None, "缺少列：" + "、".join(f"{labels[c]}（{c}）" for c in missing),
                   "missing column(s): " + ", ".join(missing))


def plan_grid(data: bytes, filename: str = "", allow=None) -> Plan:
    """Check every row of a grid file and say what it would do; writes nothing.

    `allow(path)` (optional) says whether the importer may place a node under that node path
    (None: at the top of the grid); a refused row is an error of that row."""
    plan = Plan("grid")
    rows, plan.missing = read_table(data, filename, GRID_COLUMNS)
    if plan.missing:
        plan.problems.append(missing_columns_problem(plan.missing, COLUMN_LABELS))
        return plan
    problem = plan.problems.append
    seen: dict[str, int] = {}
    file_rows: dict[str, tuple[int, dict]] = {}
    for line, raw in rows:
        row = dict(raw)
        code = row["code"]
        if not code:
            problem(Problem(line, "code", "编码为空", "code is empty"))
        elif len(code) > 64:
            problem(Problem(line, "code", "编码超过 64 个字符", "code is longer than 64 characters"))
        elif code in seen:
            problem(Problem(line, "code", f"编码“{code}”重复（第 {seen[code]} 行也有）",
                            f"duplicate code '{code}' (also on line {seen[code]})"))
        else:
            seen[code] = line
        if not row["name"]:
            problem(Problem(line, "name", "名称为空", "name is empty"))
        elif len(row["name"]) > 200:
            problem(Problem(line, "name", "名称超过 200 个字符", "name is longer than 200 characters"))
        level = find_name(row["level"], LEVEL_WORDS)
        if level is None:
            problem(Problem(line, "level", f"未知的层级“{row['level']}”（可填：街道、社区、小区、楼栋）",
                            f"unknown level '{row['level']}' (use one of {', '.join(LEVELS)})"))
        row["level"] = level
        if code and code not in file_rows:
            file_rows[code] = (line, row)
    codes = set(file_rows) | {r["parent_code"] for _, r in file_rows.values() if r["parent_code"]}
    existing = {n.code: n for n in db.session.execute(
        select(GridNode).where(GridNode.code.in_(sorted(codes) or [""]))).scalars()}
    parents_of = {n.parent_id for n in existing.values() if n.parent_id}
    parent_codes = dict(db.session.execute(select(GridNode.id, GridNode.code).where(
        GridNode.id.in_(sorted(parents_of) or [0]))).all())
    for line, row in file_rows.values():
        plan.rows.append(_plan_row(line, row, file_rows, existing, parent_codes, allow, problem))
    return plan


def _parent_level(row, file_rows, existing, line, problem):
    """(ok, level of the parent or None) — reports an unknown parent or a cycle."""
    parent_code = row["parent_code"]
    if not parent_code:
        return True, None
    chain, current = {row["code"]}, parent_code
    while current in file_rows:      # a cycle within the file
        if current in chain:
            problem(Problem(line, "parent_code", f"上级关系形成循环（经过“{current}”）",
                            f"parent cycle through '{current}'"))
            return False, None
        chain.add(current)
        current = file_rows[current][1]["parent_code"]
        if not current:
            break
    if parent_code in file_rows:     # a parent row with a bad level is that row's error
        level = file_rows[parent_code][1]["level"]
        return level is not None, level
    if parent_code in existing:
        return True, existing[parent_code].level
    problem(Problem(line, "parent_code", f"上级编码“{parent_code}”不存在",
                    f"unknown parent_code '{parent_code}'"))
    return False, None


def _plan_row(line, row, file_rows, existing, parent_codes, allow, problem) -> RowPlan:
    code, level = row["code"], row["level"]
    ok, parent_level = _parent_level(row, file_rows, existing, line, problem)
    if ok and level and parent_level not in PARENT_LEVEL[level]:
        expected = [p for p in PARENT_LEVEL[level]]
        zh_expected = "或".join(LEVEL_ZH[p] if p else "无上级" for p in expected)
        problem(Problem(line, "parent_code",
                        f"{LEVEL_ZH[level]}的上级应为{zh_expected}，而不是"
                        f"{LEVEL_ZH[parent_level] if parent_level else '无上级'}",
                        f"a {level} needs a parent of level {' or '.join(p or 'none' for p in expected)}, "
                        f"not {parent_level or 'none'}"))
    node = existing.get(code)
    if allow is not None and not _allowed(row, node, file_rows, existing, allow):
        problem(Problem(line, "code", "这个网格不在您管辖的范围内", "this node is outside your grid"))
    if node is None:
        return RowPlan(line, "new", code, row["name"], row)
    changes = []
    if level and node.level != level:
        problem(Problem(line, "level", f"“{code}”已是{LEVEL_ZH[node.level]}，层级不能更改",
                        f"'{code}' is a {node.level}; its level cannot change"))
    if node.name != row["name"]:
        changes.append({"zh": f"名称：{node.name} → {row['name']}",
                        "en": f"name: {node.name} → {row['name']}"})
    old_parent = parent_codes.get(node.parent_id, "")
    if old_parent != row["parent_code"]:
        changes.append({"zh": f"上级：{old_parent or '无'} → {row['parent_code'] or '无'}",
                        "en": f"parent: {old_parent or 'none'} → {row['parent_code'] or 'none'}"})
    return RowPlan(line, "changed" if changes else "unchanged", code, row["name"], row, changes)


def _allowed(row, node, file_rows, existing, allow) -> bool:
    """Whether the importer may write this row: the node it changes and the node it goes
    under (a parent in the same file is checked on its own row) must be theirs."""
    if node is not None and not allow(node.path):
        return False
    parent_code = row["parent_code"]
    if parent_code in file_rows:
        return True
    if not parent_code:
        return allow(None)
    parent = existing.get(parent_code)
    return parent is None or allow(parent.path)


def apply_grid(plan: Plan) -> dict:
    """Write a plan without problems (the caller commits). Returns counts."""
    assert plan.ok and plan.kind == "grid"
    run = _GridImport({r.code: (r.row, r.values) for r in plan.rows})
    for r in plan.rows:
        run.resolve(r.code)
    db.session.flush()
    return {"created": run.created, "updated": run.updated,
            "unchanged": len(plan.rows) - run.created - run.updated}
