"""Query plans of the hot reads, as the database chose them: `bench/plans.py DATABASE_URL`.

Run it on a database that bench/run.py seeded (it keeps the PostgreSQL one; for SQLite pass
the file it printed). `--analyze` runs each statement on PostgreSQL and prints its real
timings (EXPLAIN ANALYZE). It signs in as the bench users, makes the requests in-process, records
every statement that reads submissions (or their events and tallies), and prints the database's plan for each.
"""
import re
import sys

from sqlalchemy import event, text

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__file__)))

REQUESTS = [
    ("bench_committee", "/api/v1/inbox?limit=50"),
    ("bench_captain", "/api/v1/inbox?limit=50"),
    ("bench_street", "/api/v1/inbox?limit=50"),
    ("bench_committee", "/api/v1/submissions?form=suggestion&state=at_branch&grid_code=C0E3&limit=50"),
    ("bench_committee", "/api/v1/submissions?state=at_committee&limit=50"),
    ("bench_committee", "/api/v1/submissions?partner=三水医院&limit=50"),
    ("bench_committee", "/api/v1/stats?grid_code=C0"),
    ("bench_street", "/api/v1/stats?grid_code=S"),
]
PASSWORD = "bench-password-1"


def main(url: str, analyze: bool = False) -> None:
    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key-0123456789"})
    client = app.test_client()
    seen: list[tuple[str, object]] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        if "FROM submission" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    for username, path in REQUESTS:
        token = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}).json["token"]
        seen.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        print(f"\n## GET {path} as {username} ({engine.dialect.name})")
        with engine.connect() as conn:
            for statement, parameters in seen:
                print("\n" + re.sub(r"\s+", " ", statement)[:300])
                raw = conn.connection.driver_connection
                if engine.dialect.name == "sqlite":
                    rows = raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
                    print("\n".join("    " + r[-1] for r in rows))
                else:
                    with raw.cursor() as cur:
                        cur.execute(("EXPLAIN ANALYZE " if analyze else "EXPLAIN ") + statement, parameters)
                        print("\n".join("    " + r[0] for r in cur.fetchall()))
                conn.execute(text("SELECT 1"))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--analyze"]
    main(args[0], analyze="--analyze" in sys.argv)
