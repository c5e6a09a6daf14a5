"""Deliveries per second through the outbox worker for each kind of target this round added:
Web Push (each message encrypted per RFC 8291 and signed with VAPID) and a work group through
apprise's JSON target, next to plain signed webhooks — one worker process, a SQLite file, a
local receiver answering at once. Run: .venv/bin/python bench/notify_deliveries.py [N]"""
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import delete, insert  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


def main(n: int = 500) -> None:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    tmp = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "TESTING": True,
                      "SECRET_KEY": "bench-secret-key-0123456789", "OUTBOUND_ALLOW_PRIVATE": True,
                      "QUIET_HOURS": None})
    with app.app_context():
        from app.accounts.models import User
        from app.core.clock import utcnow
        from app.grid.models import GridNode
        from app.notifications.models import Channel, Delivery, PushSubscription, Webhook
        from app.notifications.webhooks import new_secret
        from app.notifications.worker import run_once
        db.create_all()
        user = User(username="bench", password_hash="x", display_name="bench")
        node = GridNode(code="E1", name="时代城小区", level="estate", path="/1/")
        db.session.add_all([user, node])
        db.session.flush()
        key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # noqa: E731
        sub = PushSubscription(user_id=user.id, endpoint=url + "push", p256dh=b64(key),
                               auth=b64(os.urandom(16)))
        hook = Webhook(url=url + "hook", events=["*"], secret=new_secret(), description="")
        channel = Channel(grid_node_id=node.id, node_path=node.path, events=["*"],
                          url=url.replace("http://", "json://") + "group", description="")
        db.session.add_all([sub, hook, channel])
        db.session.flush()
        params = {"tracking_code": "ABCD2345", "form_title": {"zh": "楼长信箱"},
                  "grid_name": "时代城1栋"}
        kinds = {
            "webhook": ({"webhook_id": hook.id}, f"webhook:{hook.id}",
                        '{"type":"submission.created","timestamp":"2026-12-02T00:00:00Z","data":{}}'),
            "push": ({}, f"push:{sub.id}", json.dumps({"kind": "new_item", "params": params})),
            "channel": ({"channel_id": channel.id}, f"channel:{channel.id}",
                        json.dumps({"kind": "new_item", "params": params})),
        }
        db.session.commit()
        for name, (columns, target, body) in kinds.items():
            now = utcnow()
            db.session.execute(insert(Delivery), [
                {"target": target, **columns, "event_id": f"evt_{name}_{i}",
                 "event_type": "submission.created", "idempotency_key": f"{name}_{i}",
                 "ordering_key": None, "payload": body, "state": "pending", "attempts": 0,
                 "next_attempt_at": now, "created_at": now} for i in range(n)])
            db.session.commit()
            start = time.perf_counter()
            counts = run_once()
            spent = time.perf_counter() - start
            print(f"{name:8s}: {counts['delivered']} of {n} delivered in {spent:.2f} s: "
                  f"{counts['delivered'] / spent:.0f} deliveries/s")
            db.session.execute(delete(Delivery))
            db.session.commit()
    server.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
