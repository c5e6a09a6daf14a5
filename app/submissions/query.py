"""Submission queries narrowed by a request's filters (the list, the inbox, the export)."""
from flask import request
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.openapi import WHEN, query
from app.accounts.models import Org
from app.grid.scope import is_wide
from app.core.timezone import parse_local
from app.core.errors import ApiError
from app.core.paths import under, unindexed
from app.extensions import db
from app.forms.services import form_by_slug
from app.grid.services import node_by_code
from app.submissions.models import Submission


# Filters may be written in Chinese, names and all (a link a person can read and retype):
# `?状态=已解决&表单=居民建议&网格=时代城1栋` is `?state=resolved&form=suggestion&grid_code=B1`.
ARG_ALIASES = {"状态": "state", "表单": "form", "网格": "grid_code", "开始": "from", "结束": "to",
               "超时": "overdue", "共建单位": "partner", "类别": "category"}
TRUE_WORDS = ("1", "true", "yes", "on", "是")


def request_filters(args=None) -> dict:
    """The request's filters with Chinese names read as their codes, and states, forms and
    grid nodes given by their label or name read as codes (several states: comma-separated)."""
    from app.grid.models import GridNode
    from app.forms.models import Form
    from app.submissions.words import vocabulary

    args = request.args if args is None else args
    out = {ARG_ALIASES.get(k, k): v for k, v in args.items() if v != ""}
    if out.get("state") and not all(v.strip().isascii() and v.strip().replace("_", "").isalnum()
                                    for v in out["state"].split(",")):   # codes need no lookup
        labels: dict[str, set] = {}
        for code, label in vocabulary()["states"].items():
            for text in (label or {}).values():
                labels.setdefault(str(text).strip(), set()).add(code)
        codes = []
        for value in out["state"].split(","):
            value = value.strip()
            codes.extend(sorted(labels[value]) if value in labels else [value])
        out["state"] = ",".join(dict.fromkeys(codes))
    if out.get("form") and form_by_slug(out["form"]) is None:
        for form in db.session.execute(select(Form)).scalars():
            version = next((v for v in form.versions if v.number == form.current_version), None)
            title = (version.definition.get("title") or {}) if version else {}
            if out["form"] in title.values():
                out["form"] = form.slug
                break
    if out.get("grid_code") and node_by_code(out["grid_code"]) is None:
        named = db.session.execute(select(GridNode.code).where(GridNode.name == out["grid_code"])
                                   .limit(2)).scalars().all()
        if len(named) == 1:
            out["grid_code"] = named[0]
    return out


def filtered(user, query, residual: bool = False):
    """The query narrowed by the request's filters (form, state, grid_code, partner,
    category, from, to, overdue), as request_filters reads them.

    `residual`: the query already has the index it should walk (the inbox's, one per role).
    SQLite picks an index by how many rows its first column matches on average, so an
    index on a filter that matches many rows (a state, a form, a date range) could win over
    that walk — it walked every waiting row of a state looking for the caller's own
    submissions: 165 ms at a million rows. On SQLite those filters are then written on
    expressions of their columns, which no index fits. PostgreSQL estimates each filter
    and keeps the walk unless the filter is the narrower path (and misjudges expressions),
    so its filters stay plain; so do the narrow ones (a subtree, a partner unit)."""
    args = request_filters()
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
    if str(args.get("overdue", "")).lower() in TRUE_WORDS:
        from app.core.clock import utcnow
        from app.submissions.timers import overdue_clause
        query = query.where(overdue_clause(utcnow()))
    return query


# The filters as the document states them (GET /submissions, /inbox, /submissions/export);
# an empty value is no filter. `from` and `to` are read as `parse_local` reads them.
FILTER_PARAMETERS = [
    query("form", "a form's slug (or its title)"),
    query("state", "state codes or labels, comma-separated"),
    query("grid_code", "a node's code (or its name): its subtree"),
    query("partner", "a partner unit's name"),
    query("category", "`data.category`"),
    query("from", "created at or after (a date, or a time without offset: community time)", WHEN),
    query("to", "created before", WHEN),
    query("overdue", "1/true: held past the workflow's own timer"),
]
