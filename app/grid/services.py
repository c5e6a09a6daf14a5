"""Grid operations: lookups, ancestors, import."""
import csv
import io

from sqlalchemy import func, literal, select, update

from app.core.paths import under
from app.extensions import db
from app.grid.models import LEVELS, PARENT_LEVEL, GridNode

GRID_COLUMNS = ["code", "name", "level", "parent_code"]


class ImportError_(Exception):
    """A bad import file: the line and the reason."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def node_by_code(code: str | None) -> GridNode | None:
    if not code:
        return None
    return db.session.execute(select(GridNode).where(GridNode.code == code)).scalar_one_or_none()


def ancestors(node: GridNode) -> list[GridNode]:
    """The node and its ancestors, root first."""
    ids = node.ancestor_ids
    rows = db.session.execute(select(GridNode).where(GridNode.id.in_(ids))).scalars().all()
    by_id = {n.id: n for n in rows}
    return [by_id[i] for i in ids if i in by_id]


def ancestor_at(node: GridNode, level: str) -> GridNode | None:
    for n in ancestors(node):
        if n.level == level:
            return n
    return None


def read_csv_rows(text: str, columns: list[str]) -> list[tuple[int, dict]]:
    """Parse a UTF-8 CSV (BOM accepted) into (line number, row) pairs; checks the header."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportError_(1, f"missing column(s): {', '.join(missing)}")
    reader.fieldnames = header
    rows = []
    for row in reader:
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        rows.append((reader.line_num, {k: (row.get(k) or "").strip() for k in header}))
    return rows


def _set_path(node: GridNode, parent: GridNode | None) -> None:
    node.parent_id = parent.id if parent else None
    node.path = (parent.path if parent else "/") + f"{node.id}/"


def import_grid(text: str) -> dict:
    """Create or update grid nodes from CSV text; raises ImportError_ and flushes nothing
    usable on error (the caller rolls back). Returns counts."""
    rows = read_csv_rows(text, GRID_COLUMNS)
    _check_grid_rows(rows)
    run = _GridImport({row["code"]: (line, row) for line, row in rows})
    for code in run.file_rows:
        run.resolve(code)
    db.session.flush()
    return {"created": run.created, "updated": run.updated,
            "unchanged": len(rows) - run.created - run.updated}


def _check_grid_rows(rows) -> None:
    """Each row on its own: a code (unique in the file), a name and a known level."""
    seen: dict[str, int] = {}
    for line, row in rows:
        code, level = row["code"], row["level"]
        if not code:
            raise ImportError_(line, "code is empty")
        if len(code) > 64:
            raise ImportError_(line, "code is longer than 64 characters")
        if not row["name"]:
            raise ImportError_(line, "name is empty")
        if level not in LEVELS:
            raise ImportError_(line, f"unknown level '{level}' (use one of {', '.join(LEVELS)})")
        if code in seen:
            raise ImportError_(line, f"duplicate code '{code}' (also on line {seen[code]})")
        seen[code] = line


class _GridImport:
    """One import run: resolves each row's parent first (from the file or the database)."""

    def __init__(self, file_rows: dict):
        self.file_rows = file_rows
        self.existing = {n.code: n for n in db.session.execute(
            select(GridNode).where(GridNode.code.in_(list(file_rows) or [""]))).scalars()}
        self.created = self.updated = 0
        self.done: dict[str, GridNode] = {}

    def resolve(self, code: str, chain: tuple = ()) -> GridNode:
        if code in self.done:
            return self.done[code]
        line, row = self.file_rows[code]
        if code in chain:
            raise ImportError_(line, f"parent cycle through '{code}'")
        parent = self._parent(line, row, chain + (code,))
        parent_level = parent.level if parent else None
        if parent_level not in PARENT_LEVEL[row["level"]]:
            expected = " or ".join(p or "none" for p in PARENT_LEVEL[row["level"]])
            raise ImportError_(line, f"a {row['level']} needs a parent of level {expected}, "
                                     f"not {parent_level or 'none'}")
        node = self._save(line, row, parent)
        self.done[code] = node
        return node

    def _parent(self, line: int, row: dict, chain: tuple) -> GridNode | None:
        parent_code = row["parent_code"]
        if not parent_code:
            return None
        if parent_code in self.file_rows:
            return self.resolve(parent_code, chain)
        parent = node_by_code(parent_code)
        if parent is None:
            raise ImportError_(line, f"unknown parent_code '{parent_code}'")
        return parent

    def _save(self, line: int, row: dict, parent: GridNode | None) -> GridNode:
        code = row["code"]
        node = self.existing.get(code)
        if node is None:
            node = GridNode(code=code, name=row["name"], level=row["level"])
            db.session.add(node)
            db.session.flush()
            _set_path(node, parent)
            self.created += 1
            return node
        if node.level != row["level"]:
            raise ImportError_(line, f"'{code}' is a {node.level}; its level cannot change")
        changed = node.name != row["name"] or node.parent_id != (parent.id if parent else None)
        node.name = row["name"]
        if node.parent_id != (parent.id if parent else None):
            move_node(node, parent)
        self.updated += int(changed)
        return node


# Path columns of rows filed under a grid node, registered by their features at app start
# (app/hooks.py): a move rewrites them with the subtree. Keyed by table and column.
_filed_under: dict[tuple[str, str], object] = {}


def register_filed_under(column) -> None:
    """A feature's path column (e.g. Post.node_path) that a grid move must rewrite."""
    _filed_under[(column.class_.__tablename__, column.key)] = column


def move_node(node: GridNode, new_parent: GridNode | None) -> None:
    """Re-parent a node: rewrite the paths of its subtree and of everything filed under it."""
    old = node.path
    _set_path(node, new_parent)
    new = node.path
    db.session.flush()
    db.session.execute(
        update(GridNode).where(under(GridNode.path, old), GridNode.id != node.id)
        .values(path=literal(new) + func.substr(GridNode.path, len(old) + 1))
        .execution_options(synchronize_session=False))
    for col in _filed_under.values():
        db.session.execute(
            update(col.class_).where(under(col, old))
            .values({col.key: literal(new) + func.substr(col, len(old) + 1)})
            .execution_options(synchronize_session=False))
    db.session.expire_all()
