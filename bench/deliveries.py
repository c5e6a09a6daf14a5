"""Deliveries per second through the outbox worker (one process, SQLite file, a local
receiver answering 200 at once). Run: .venv/bin/python bench/deliveries.py [N]"""
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import insert  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def main(n: int = 1000) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tmp = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                      "SECRET_KEY": "bench-secret-key-0123456789", "OUTBOUND_ALLOW_PRIVATE": True})
    with app.app_context():
        from app.core.clock import utcnow
        from app.notifications.models import Delivery, Webhook
        from app.notifications.webhooks import new_secret
        from app.notifications.worker import run_once
        db.create_all()
        hook = Webhook(url=f"http://127.0.0.1:{server.server_port}/", events=["*"],
                       secret=new_secret(), description="")
        db.session.add(hook)
        db.session.flush()
        now = utcnow()
        body = '{"type":"submission.created","timestamp":"2026-12-02T00:00:00Z","data":{}}'
        db.session.execute(insert(Delivery), [
            {"target": f"webhook:{hook.id}", "webhook_id": hook.id, "event_id": f"evt_{i}",
             "event_type": "submission.created",
             "idempotency_key": f"msg_{i}", "ordering_key": f"submission:{i}", "payload": body,
             "state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
            for i in range(n)])
        db.session.commit()
        start = time.perf_counter()
        counts = run_once()
        spent = time.perf_counter() - start
    server.shutdown()
    print(f"worker: {counts['delivered']} of {n} delivered in {spent:.2f} s: "
          f"{counts['delivered'] / spent:.0f} deliveries/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
