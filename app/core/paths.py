"""Materialised grid paths ("/1/4/17/") in SQL.

A node's subtree is every path that starts with its own. `LIKE '/1/4/%'` cannot use a plain
index on either database (SQLite's LIKE ignores case; PostgreSQL needs the "C" collation or a
pattern-ops index), so subtree filters are written as a range, which both walk as one index
range scan: every path beneath "/1/4/" sorts in ["/1/4/", "/1/40"), '0' being the character
after '/'.
"""
from sqlalchemy import String, and_

# Paths hold only digits and '/': compared byte by byte (SQLite's default BINARY collation,
# "C" on PostgreSQL whatever the database's own collation is).
PathString = String(255).with_variant(String(255, collation="C"), "postgresql")


def upper_bound(path: str) -> str:
    return path[:-1] + "0"


def under(column, path: str):
    """SQL: `column` holds a path at or beneath `path` (which ends with '/')."""
    return and_(column >= path, column < upper_bound(path))


def unindexed(column):
    """The path as an expression that no index fits (`column || ''`), for queries that must
    walk another index in its own order rather than read a subtree by path and sort it.
    PostgreSQL keeps statistics on exactly this expression (st_submissions_path_walk,
    app/submissions/models.py), so it still estimates the subtree's share."""
    return column.op("||")("")
