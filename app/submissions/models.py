"""Submissions and their append-only history."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.paths import PathString
from app.core.clock import system_now
from app.extensions import db
from app.grid.models import GridNode


def _present(column: str) -> dict:
    """Index only the rows where `column` is set. Cheaper to write, and truthful to
    SQLite's planner, which otherwise counts the NULLs as one huge group and judges the
    index useless (a partner unit's page walked every submission: 180 ms at a million).
    Any comparison with the column (=, IN, a join) implies it is set, so queries that
    filter on it can use the index as they are."""
    where = text(f"{column} IS NOT NULL")
    return {"sqlite_where": where, "postgresql_where": where}


class Submission(db.Model):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"))
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"))
    form_version: Mapped[int]
    grid_node_id: Mapped[int] = mapped_column(ForeignKey("grid_nodes.id"))
    # Copy of the node's materialised path: scope filters need no join.
    node_path: Mapped[str] = mapped_column(PathString)
    state: Mapped[str] = mapped_column(String(40))
    # The tier that holds the current state (captain/branch/committee/partner/none).
    tier: Mapped[str] = mapped_column(String(16))
    state_since: Mapped[datetime]
    partner_org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))
    # The resource (资源清单) a dispatch matched this need to, if any.
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"))
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    # "post:<id>:user:<id>" while a claim is live, NULL otherwise: one live claim per person.
    claim_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    data: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    client_created_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    updated_at: Mapped[datetime] = mapped_column(default=system_now)
    resolved_at: Mapped[datetime | None]
    # Whole seconds from submission to first resolution: statistics sort this column.
    resolve_seconds: Mapped[int | None]
    lock_version: Mapped[int] = mapped_column(default=1)
    # Residents who said "me too" on the public page instead of filing a new letter.
    supporters: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the resident's contact details were erased (retention or the resident's request):
    # the letter and its figures remain.
    contacts_erased_at: Mapped[datetime | None]

    node: Mapped[GridNode] = relationship(lazy="joined")
    # Loaded once per request through the identity map (a version's JSON is large; joining
    # it into every row of a list would parse it again for each row).
    form = relationship("Form", lazy="select")
    version = relationship("FormVersion", lazy="select")
    partner = relationship("Org", lazy="joined")
    submitter = relationship("User", lazy="joined")

    __table_args__ = (
        # A list filtered by form, state or both, newest first, whatever the value's share
        # (SQLite's planner knows only averages: a rare state walked every row, 200 ms).
        Index("ix_submissions_form_state", "form_id", "state", "id"),
        Index("ix_submissions_form_id", "form_id", "id"),
        Index("ix_submissions_state_id", "state", "id"),
        Index("ix_submissions_path_id", "node_path", "id"),
        # A subtree's waiting rows at one tier; a building's (one path) in waiting order.
        Index("ix_submissions_tier_path", "tier", "node_path", "state_since", "id"),
        # The inbox walks one tier in waiting order and stops after a page.
        Index("ix_submissions_tier_since", "tier", "state_since", "id"),
        Index("ix_submissions_state_since", "state", "state_since"),
        Index("ix_submissions_submitter", "submitter_id", "id"),
        # Partial (see _present): most submissions have no partner unit or post.
        Index("ix_submissions_partner", "partner_org_id", "id", **_present("partner_org_id")),
        Index("ix_submissions_post", "post_id", "state", "id", **_present("post_id")),
        Index("ix_submissions_created", "created_at"),
        # Statistics read a subtree's rows from this index alone (app/stats/services.py).
        Index("ix_submissions_stats", "node_path", "form_id", "state", "created_at", "resolve_seconds"),
        # Percentiles of a large subtree walk this index in order instead of sorting.
        Index("ix_submissions_resolve", "resolve_seconds", "node_path", "created_at",
              **_present("resolve_seconds")),
    )
    # Optimistic lock: every UPDATE checks and bumps lock_version, so of two people acting
    # on one submission at once, one wins and the other gets StaleDataError (→ 409).
    __mapper_args__ = {"version_id_col": lock_version}


# The inbox and the statistics filter a subtree on `node_path || ''` so that only the index
# they should walk fits (app/submissions/routes.py, inbox_queries). PostgreSQL guesses that
# a range on an expression matches 0.5% of the rows unless it has statistics on it: with
# that guess it read and sorted a community's whole committee tier instead of walking
# (25 ms against 0.5 ms at 100,000 rows). Expression statistics need PostgreSQL 14.
def create_path_walk_statistics(connection) -> None:
    if connection.dialect.name == "postgresql" and connection.dialect.server_version_info >= (14,):
        connection.exec_driver_sql("CREATE STATISTICS IF NOT EXISTS st_submissions_path_walk "
                                   "ON ((node_path || '')) FROM submissions")


event.listen(Submission.__table__, "after_create",
             lambda target, connection, **kw: create_path_walk_statistics(connection))


class SubmissionEvent(db.Model):
    """One entry of a submission's history; never updated. `seq` makes concurrent
    appends collide on the unique constraint instead of interleaving."""

    __tablename__ = "submission_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    seq: Mapped[int]
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    from_tier: Mapped[str | None] = mapped_column(String(16))
    # Seconds the submission spent in from_state: each tier keeps its own clock.
    waited_seconds: Mapped[int | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    comment: Mapped[str | None] = mapped_column(Text)
    public_reply: Mapped[bool] = mapped_column(default=False)
    partner_org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))
    at: Mapped[datetime] = mapped_column(default=system_now)
    system: Mapped[bool] = mapped_column(default=False)

    # The submission's node path, kept with each event so that statistics count a subtree's
    # events from an index without joining submissions (rewritten with the submission's).
    node_path: Mapped[str] = mapped_column(PathString, default="", server_default="")

    __table_args__ = (UniqueConstraint("submission_id", "seq", name="uq_event_seq"),
                      Index("ix_events_action_at", "action", "at"),
                      Index("ix_events_action_path", "action", "node_path", "at", "from_state", "system"),
                      Index("ix_events_partner_path", "partner_org_id", "node_path", "at",
                            **_present("partner_org_id")))


class AppliedOp(db.Model):
    """Transition ops from the offline outbox already applied, by client op_id."""

    __tablename__ = "applied_ops"

    id: Mapped[int] = mapped_column(primary_key=True)
    op_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    __table_args__ = (UniqueConstraint("user_id", "op_id", name="uq_applied_op"),)


class ExportJob(db.Model):
    """A big export written in the background (contract §6.6): its filters, its progress and
    the file, kept for EXPORT_KEEP_HOURS and readable by its requester only. The id is a
    random token, so a guessed id finds nothing either."""

    __tablename__ = "export_jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    form: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(10))
    filters: Mapped[dict] = mapped_column(JSON)
    # Residents' contact details in full (the exporter's role needs them, chosen and audited).
    contacts: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str] = mapped_column(String(10), default="zh")
    root: Mapped[str] = mapped_column(String(500))   # the site's address, for photo links
    state: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(default=0.0)
    rows: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # A runner's lease: one killed mid-file leaves the job to be taken again after it.
    locked_until: Mapped[datetime | None]

    __table_args__ = (Index("ix_export_jobs_state", "state"),
                      Index("ix_export_jobs_user", "user_id"))
