"""In-process cost of POST /api/v1/submissions (test client, SQLite file): the figure
docs/performance.md quotes for the domain events' share. Run: .venv/bin/python bench/submit_cost.py (BENCH_WEBHOOK=1: with an endpoint registered)"""
import os
import statistics
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

GRID = "code,name,level,parent_code\nC1,社区,community,\nE1,小区,estate,C1\nB1,1栋,building,E1\n"


def bench_app(extra_users=()):
    """An app on a fresh SQLite file with the built-in forms, a small grid and a captain of
    B1 (`cap`); `extra_users`: (username, role, node code) more."""
    tmp = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                      "SECRET_KEY": "bench-secret-key-0123456789", "TESTING": True,
                      "RATELIMIT_ENABLED": False, "PUBLIC_SUBMIT_LIMIT": "1000000/minute",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        db.create_all()
        from app.accounts.services import create_user, grant_role
        from app.forms.builtin import builtin_forms
        from app.forms.models import Form, FormVersion
        from app.grid.services import import_grid, node_by_code
        for item in builtin_forms():
            form = Form(slug=item["slug"], kind=item["kind"], public=item["public"],
                        submit_scope=item["submit_scope"], current_version=1)
            db.session.add(form)
            db.session.flush()
            db.session.add(FormVersion(form_id=form.id, number=1, definition=item["definition"],
                                       workflow=item["workflow"]))
        import_grid(GRID)
        for username, role, code in (("cap", "captain", "B1"), *extra_users):
            grant_role(create_user(username, "pw-123456789", username, ""), role, node_by_code(code))
        if os.environ.get("BENCH_WEBHOOK"):   # one endpoint for every event: one outbox row more
            from app.notifications.models import Webhook
            db.session.add(Webhook(url="http://203.0.113.9/", events=["*"], secret="whsec_AAAA"))
        db.session.commit()
    return app


def main(rounds: int = 7, per_round: int = 300) -> None:
    app = bench_app()
    client = app.test_client()
    inside = _time_events()

    def one():
        body = {"uuid": str(uuid.uuid4()), "form": "suggestion", "grid_code": "B1",
                "data": {"category": "repair", "content": "楼道灯坏了", "anonymous": True}}
        r = client.post("/api/v1/submissions", json=body)
        assert r.status_code == 201, r.get_json()

    for _ in range(200):
        one()
    times = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(per_round):
            one()
        times.append((time.process_time() - start) / per_round * 1e6)
    print(f"POST /api/v1/submissions: median {statistics.median(times):.0f} µs CPU, "
          f"best {min(times):.0f} µs per request ({rounds}×{per_round})")
    if inside:
        print(f"  of which emitting submission.created (webhook and in-app rows): "
              f"median {statistics.median(inside):.0f} µs CPU")


def _time_events() -> list:
    """Time the lean path's emit_each (absent before the domain events existed)."""
    try:
        from app.submissions import bulk
        emit_each = bulk.emit_each
    except (ImportError, AttributeError):
        return []
    spent: list = []

    def timed(*args, **kwargs):
        start = time.process_time()
        emit_each(*args, **kwargs)
        spent.append((time.process_time() - start) * 1e6)
    bulk.emit_each = timed
    return spent


if __name__ == "__main__":
    main()
