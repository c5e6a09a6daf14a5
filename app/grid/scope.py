"""The one place that decides who sees what (STYLE §5).

Staff (committee, branch, captain) see the subtree of each node where they hold the role;
partners see what was dispatched to their unit; everyone sees what they submitted;
admins see everything. Lists return a query filter; single objects outside scope are 404.

It reads the caller's role rows (user.roles) against the grid and knows no account model;
the submissions' side (submitter, partner unit) is app/submissions/scope.py.
"""
from dataclasses import dataclass, field

from flask import g
from sqlalchemy import false, or_, true

from app.core.paths import under, unindexed
from app.grid.models import LEVELS, STAFF_ROLES, TIER_RANK


@dataclass
class Scope:
    user_id: int | None = None
    is_admin: bool = False
    staff: list[tuple[str, str]] = field(default_factory=list)  # (role, node path)
    org_ids: list[int] = field(default_factory=list)
    # Staff nodes at the grid's lowest level (buildings): their subtree is their one path.
    leaf_paths: set[str] = field(default_factory=set)
    # The node of every grid role the caller holds, staff or not (member, volunteer…): what
    # is published above or below one of them reaches the caller (notices, a leaderboard).
    role_paths: list[str] = field(default_factory=list)

    @property
    def staff_paths(self) -> list[str]:
        return [p for _, p in self.staff]

    def covers_path(self, path: str, min_tier: str | None = None) -> bool:
        """Whether the caller holds a staff role (at least min_tier) over this node path."""
        if self.is_admin:
            return True
        rank = TIER_RANK.get(min_tier, 0)
        return any(path.startswith(p) and TIER_RANK[r] >= rank for r, p in self.staff)

    def near(self, path: str) -> bool:
        """Whether the node path lies above or below a node where the caller holds a role."""
        return any(p.startswith(path) or path.startswith(p) for p in self.role_paths)

    def manages(self, path: str, min_tier: str = "branch") -> bool:
        """Whether the caller holds a grid role of at least min_tier over this node. Unlike
        covers_path, an admin without a grid role does not count: admins configure, the
        grid's own staff publish posts, notices and resources."""
        rank = TIER_RANK[min_tier]
        return any(path.startswith(p) and TIER_RANK[r] >= rank for r, p in self.staff)

    def path_filter(self, column, min_tier: str | None = None, walk: bool = False):
        """SQL filter: rows whose node path lies under one of the caller's staff nodes.

        `walk`: the query will walk an index in its own order (newest first) and stop after
        a page; a subtree high in the grid (see WALK_DEPTH) is then written on an expression
        of the path so that no planner reads and sorts the whole subtree instead."""
        if self.is_admin:
            return true()
        rank = TIER_RANK.get(min_tier, 0)
        paths = sorted({p for r, p in self.staff if TIER_RANK[r] >= rank})
        # Drop paths already covered by a shorter one.
        paths = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
        if not paths:
            return false()
        return or_(*[under(unindexed(column) if walk and is_wide(p) else column, p) for p in paths])


# Roles held this high in the grid (street "/1/", community "/1/2/") cover a large share of
# the rows: a page of them is found soonest by walking an index in the page's order and
# skipping other subtrees' rows. Lower down (an estate, a building) the subtree's few rows
# are read by path and sorted. Both planners guess the share of a path range badly (SQLite
# read and sorted a community's 83,000 rows for a page: 158 ms at a million), so queries
# write a wide subtree on an expression of the path, which no index fits.
WALK_DEPTH = 2


def is_wide(path: str) -> bool:
    return path.count("/") - 1 <= WALK_DEPTH


def scope_for(user) -> Scope:
    """The caller's scope (cached for the request)."""
    if user is None:
        return Scope()
    cached = g.get("_scope")
    if cached is not None and cached.user_id == user.id:
        return cached
    scope = Scope(user_id=user.id)
    for r in user.roles:
        if r.node is not None:
            scope.role_paths.append(r.node.path)
        if r.role == "admin":
            scope.is_admin = True
        elif r.role in STAFF_ROLES and r.node is not None:
            scope.staff.append((r.role, r.node.path))
            if r.node.level == LEVELS[-1]:
                scope.leaf_paths.add(r.node.path)
        elif r.role == "partner" and r.org_id:
            scope.org_ids.append(r.org_id)
    g._scope = scope
    return scope
