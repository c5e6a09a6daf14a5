"""Which submissions a caller may see: the submission side of the one scope (STYLE §5)."""
from sqlalchemy import false, or_, true

from app.grid.scope import scope_for
from app.submissions.models import Submission


def submission_filter(user, walk: bool = False):
    """Filter for the Submission rows the caller may see (`walk`: see Scope.path_filter)."""
    if user is None:
        return false()
    scope = scope_for(user)
    if scope.is_admin:
        return true()
    clauses = [Submission.submitter_id == user.id]
    if scope.staff:
        clauses.append(scope.path_filter(Submission.node_path, walk=walk))
    if scope.org_ids:
        clauses.append(Submission.partner_org_id.in_(scope.org_ids))
    return or_(*clauses)
