"""What a screen offers to pick for an action that needs more than a comment: the original of
a duplicate (recent letters of the same building), the building or estate a reroute sends to,
the partner unit a dispatch goes to. Given with a submission's detail, so the field app can
offer them offline too; the checks stay in transitions.py."""
import re

from sqlalchemy import or_, select

from app.accounts.services import partner_units
from app.core.clock import isoformat
from app.core.i18n import pick
from app.core.paths import under
from app.extensions import db
from app.grid.models import GridNode
from app.grid.scope import scope_for
from app.submissions.models import Submission
from app.submissions.scope import submission_filter

RECENT = 20
WORDS = 30


def add_choices(user, sub: Submission, actions: list[dict]) -> None:
    """Give each action that needs a pick its choices (`originals`, `targets`, `partners`)."""
    for action in actions:
        if action.get("duplicate_of") == "required":
            action["originals"] = _originals(user, sub)
        if action.get("reroute"):
            action["targets"] = _targets(user, sub)
        if action.get("partner") == "required":
            action["partners"] = partner_units()


def natural_key(name: str) -> list:
    """"2栋" before "10栋": digits compare as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name or "")]


def first_words(data: dict, limit: int = WORDS) -> str:
    text = next((str(data[k]) for k in ("content", "description", "title") if data.get(k)), "")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _originals(user, sub: Submission) -> list[dict]:
    rows = db.session.execute(
        select(Submission).where(submission_filter(user), Submission.grid_node_id == sub.grid_node_id,
                                 Submission.form_id == sub.form_id, Submission.id != sub.id,
                                 Submission.duplicate_of_id.is_(None))
        .order_by(Submission.created_at.desc()).limit(RECENT)).unique().scalars().all()
    return [{"id": s.id, "excerpt": first_words(s.data or {}), "created_at": isoformat(s.created_at),
             "state_label": pick(s.version.workflow["states"].get(s.state, {}).get("label"))}
            for s in rows]


def _targets(user, sub: Submission) -> list[dict]:
    paths = scope_for(user).staff_paths
    if not paths:
        return []
    nodes = db.session.execute(select(GridNode).where(
        GridNode.level.in_(("building", "estate")), GridNode.id != sub.grid_node_id,
        or_(*[under(GridNode.path, p) for p in paths]))).scalars().all()
    names = {n.id: n.name for n in nodes}
    parents = {n.parent_id for n in nodes if n.parent_id not in names}
    if parents:
        names |= {n.id: n.name for n in db.session.execute(
            select(GridNode).where(GridNode.id.in_(parents))).scalars()}
    out = [{"code": n.code, "name": n.name, "level": n.level,
            "parent_name": names.get(n.parent_id) if n.level == "building" else None} for n in nodes]
    return sorted(out, key=lambda n: (natural_key(n["parent_name"] or n["name"]),
                                      n["level"] != "estate", natural_key(n["name"])))
