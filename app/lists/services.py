"""Resource list lookups other parts of the app ask for."""
from app.grid.scope import scope_for
from app.core.ids import as_id
from app.extensions import db
from app.lists.models import Resource


def resource_for_dispatch(actor, value) -> Resource | None:
    """The resource a dispatch names, if the actor may use it: one offered in the committee's
    community, or higher up (street-wide). Answers the workflow lookup `resource`."""
    if as_id(value) is None:
        return None
    item = db.session.get(Resource, as_id(value))
    if item is None or actor is None:
        return None
    scope = scope_for(actor)
    if scope.covers_path(item.node_path) or any(p.startswith(item.node_path) for p in scope.staff_paths):
        return item
    return None
