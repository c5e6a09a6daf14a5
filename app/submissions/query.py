"""Submission queries narrowed by a request's filters (the list, the inbox, the export)."""
from flask import request
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import Org
from app.grid.scope import is_wide
from app.core.timezone import parse_local
from app.core.errors import ApiError
from app.core.paths import under, unindexed
from app.extensions import db
from app.forms.services import form_by_slug
from app.grid.services import node_by_code
from app.submissions.models import Submission


def filtered(user, query, residual: bool = False):
    """The query narrowed by the request's filters (form, state, grid_code, partner,
    category, from, to).

    `residual`: the query already has the index it should walk (the inbox's, one per role).
    SQLite picks an index by how many rows its first column matches on average, so an
    index on a filter that matches many rows (a state, a form, a date range) could win over
    that walk — it walked every waiting row of a state looking for the caller's own
    submissions: 165 ms at a million rows. On SQLite those filters are then written on
    expressions of their columns, which no index fits. PostgreSQL estimates each filter
    and keeps the walk unless the filter is the narrower path (and misjudges expressions),
    so its filters stay plain; so do the narrow ones (a subtree, a partner unit)."""
    args = request.args
    node = node_by_code(args["grid_code"]) if args.get("grid_code") else None
    # A subtree low in the grid (an estate, a building) is itself the narrowest path: its
    # rows read by path and sorted, the other filters checked on the way.
    # A wide one (a community) is walked like the caller's own scope (Scope.path_filter).
    sqlite = db.engine.dialect.name == "sqlite"
    narrow = node is not None and not is_wide(node.path)
    residual = (residual or narrow) and sqlite

    def wide(column):
        if not residual:
            return column
        return column + 0 if column.type.python_type is int else func.coalesce(column, column)
    if args.get("form"):
        form = form_by_slug(args["form"])
        query = query.where(wide(Submission.form_id) == (form.id if form else -1))
    if args.get("state"):
        query = query.where(wide(Submission.state).in_(args["state"].split(",")))
    if args.get("grid_code"):
        walk = sqlite and node is not None and not narrow
        path = unindexed(Submission.node_path) if walk else Submission.node_path
        query = query.where(under(path, node.path if node else "/none/"))
    if args.get("partner"):
        # The unit's id, not a join or a subquery: the planners estimate a known value.
        org_id = db.session.execute(select(Org.id).where(Org.name == args["partner"])).scalar()
        query = query.where(Submission.partner_org_id == (org_id or -1))
    if args.get("category"):
        query = query.where(Submission.data["category"].as_string() == args["category"])
    for key, op in (("from", ">="), ("to", "<")):
        if args.get(key):
            try:
                when = parse_local(args[key])   # a date or naive time: community time
            except ValueError:
                raise ApiError(422, fields={key: [_("Not a valid date and time.")]}) from None
            created = wide(Submission.created_at)
            query = query.where(created >= when if op == ">=" else created < when)
    return query
