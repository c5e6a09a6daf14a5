"""Running counts of submissions per building, form and state, for statistics over large
subtrees without reading every submission.

Counting a street's million submissions by building, form and state read every row of an
index: 270 ms on PostgreSQL, most of a statistics request. Here triggers on `submissions`
(made by migration 0013, and by `create_all` for the tests) append a change (+1 where a row
arrives, -1 where it leaves) to `submission_tally_deltas` in the writer's own transaction,
whatever wrote it: the workflow engine, a sync batch, a grid move, psql. Appending never
waits for another writer (an upsert of a shared counter would make concurrent submissions
to one building queue on its row, and could deadlock). `compact()`, run by
`flask workflow tick`, folds the changes into `submission_tallies`; a reader adds both
(`cells()`), so a count is exact at any moment, and costs in proportion to the buildings
plus the changes since the last tick — not to the submissions.

Only totals over all time are kept: statistics for a period (`from`/`to`) read the rows.
"""
from sqlalchemy import DDL, String, event, func, literal_column, select, union_all
from sqlalchemy.orm import Mapped, mapped_column

from app.core.paths import PathString, under
from app.extensions import db

TRIGGERS = ("tally_submissions_insert", "tally_submissions_update", "tally_submissions_delete")


class SubmissionTally(db.Model):
    """Submissions at one building in one form and state (`resolved`: with a resolve time)."""

    __tablename__ = "submission_tallies"

    node_path: Mapped[str] = mapped_column(PathString, primary_key=True)
    form_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(40), primary_key=True)
    submissions: Mapped[int]
    resolved: Mapped[int]


class SubmissionTallyDelta(db.Model):
    """A change of one tally not yet folded into it."""

    __tablename__ = "submission_tally_deltas"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_path: Mapped[str] = mapped_column(PathString)
    form_id: Mapped[int]
    state: Mapped[str] = mapped_column(String(40))
    submissions: Mapped[int]
    resolved: Mapped[int]


# A row counts under (node_path, form_id, state); its resolved flag is resolve_seconds IS NOT NULL.
_KEY_CHANGED = ("OLD.node_path IS DISTINCT FROM NEW.node_path OR OLD.form_id IS DISTINCT FROM NEW.form_id "
                "OR OLD.state IS DISTINCT FROM NEW.state "
                "OR (OLD.resolve_seconds IS NULL) IS DISTINCT FROM (NEW.resolve_seconds IS NULL)")
_COLUMNS = "node_path, form_id, state, submissions, resolved"


def _row(which: str, sign: str) -> str:
    return (f"({which}.node_path, {which}.form_id, {which}.state, {sign}1, "
            f"{sign}CAST({which}.resolve_seconds IS NOT NULL AS INTEGER))")


def trigger_statements(dialect: str) -> list[str]:
    """The DDL of the triggers that record every change of a tally."""
    insert = f"INSERT INTO submission_tally_deltas ({_COLUMNS}) VALUES"
    if dialect == "postgresql":
        return [f"""
            CREATE OR REPLACE FUNCTION tally_submission() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'TRUNCATE' THEN
                    DELETE FROM submission_tally_deltas;
                    DELETE FROM submission_tallies;
                    RETURN NULL;
                END IF;
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    {insert} {_row("OLD", "-")};
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    {insert} {_row("NEW", "")};
                END IF;
                RETURN NULL;
            END $$""",
            *(f"DROP TRIGGER IF EXISTS {name} ON submissions" for name in TRIGGERS),
            "DROP TRIGGER IF EXISTS tally_submissions_truncate ON submissions",
            "CREATE TRIGGER tally_submissions_insert AFTER INSERT OR DELETE ON submissions "
            "FOR EACH ROW EXECUTE FUNCTION tally_submission()",
            "CREATE TRIGGER tally_submissions_update AFTER UPDATE OF node_path, form_id, state, "
            f"resolve_seconds ON submissions FOR EACH ROW WHEN ({_KEY_CHANGED}) "
            "EXECUTE FUNCTION tally_submission()",
            "CREATE TRIGGER tally_submissions_truncate AFTER TRUNCATE ON submissions "
            "FOR EACH STATEMENT EXECUTE FUNCTION tally_submission()"]
    changed = _KEY_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
    return [*(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS),
            f"CREATE TRIGGER tally_submissions_insert AFTER INSERT ON submissions "
            f"BEGIN {insert} {_row('NEW', '')}; END",
            f"CREATE TRIGGER tally_submissions_update AFTER UPDATE OF node_path, form_id, state, "
            f"resolve_seconds ON submissions WHEN {changed} "
            f"BEGIN {insert} {_row('OLD', '-')}, {_row('NEW', '')}; END",
            f"CREATE TRIGGER tally_submissions_delete AFTER DELETE ON submissions "
            f"BEGIN {insert} {_row('OLD', '-')}; END"]


def trigger_names(dialect: str) -> set[str]:
    if dialect == "postgresql":
        return {"tally_submissions_insert", "tally_submissions_update", "tally_submissions_truncate"}
    return set(TRIGGERS)


# Counts of the rows already stored, for a database that had submissions before the triggers.
BACKFILL = (f"INSERT INTO submission_tallies ({_COLUMNS}) SELECT node_path, form_id, state, "
            "count(*), count(resolve_seconds) FROM submissions GROUP BY node_path, form_id, state")


@event.listens_for(db.metadata, "after_create")
def _create_triggers(target, connection, **kw):
    """create_all() (the tests' schema) gets the triggers the migrations make."""
    for statement in trigger_statements(connection.dialect.name):
        connection.execute(DDL(statement))


def compact(session) -> int:
    """Fold the recorded changes into the tallies; how many changes were folded."""
    folded = session.execute(select(func.count()).select_from(SubmissionTallyDelta)).scalar_one()
    if not folded:
        return 0
    upsert = (" ON CONFLICT (node_path, form_id, state) DO UPDATE SET "
              "submissions = submission_tallies.submissions + excluded.submissions, "
              "resolved = submission_tallies.resolved + excluded.resolved")
    sums = ("SELECT node_path, form_id, state, sum(submissions), sum(resolved) FROM {} "
            "GROUP BY node_path, form_id, state ORDER BY node_path, form_id, state")
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # The changes deleted are exactly the changes added: a change committed meanwhile
        # by another transaction stays for the next tick.
        folded = conn.exec_driver_sql(
            f"WITH moved AS (DELETE FROM submission_tally_deltas RETURNING {_COLUMNS}), "
            f"folded AS (INSERT INTO submission_tallies ({_COLUMNS}) {sums.format('moved')}{upsert} "
            "RETURNING 1) SELECT count(*) FROM moved").scalar_one()
    else:
        # SQLite has one writer at a time: nothing is added between these statements.
        last = conn.exec_driver_sql("SELECT max(id) FROM submission_tally_deltas").scalar_one()
        conn.exec_driver_sql(f"INSERT INTO submission_tallies ({_COLUMNS}) "
                             + sums.format(f"submission_tally_deltas WHERE id <= {int(last)}") + upsert)
        conn.exec_driver_sql(f"DELETE FROM submission_tally_deltas WHERE id <= {int(last)}")
    conn.exec_driver_sql("DELETE FROM submission_tallies WHERE submissions = 0 AND resolved = 0")
    session.commit()
    return folded


def cells(path: str):
    """(node_path, form_id, state, submissions, resolved) for every building under `path`
    with submissions, from the tallies and the changes not yet folded into them."""
    parts = [select(table.node_path, table.form_id, table.state, table.submissions, table.resolved)
             .where(under(table.node_path, path))
             for table in (SubmissionTally, SubmissionTallyDelta)]
    both = union_all(*parts).subquery()
    return db.session.execute(
        select(both.c.node_path, both.c.form_id, both.c.state,
               func.sum(both.c.submissions), func.sum(both.c.resolved))
        .group_by(both.c.node_path, both.c.form_id, both.c.state)
        .having(func.sum(both.c.submissions) != literal_column("0"))).all()
