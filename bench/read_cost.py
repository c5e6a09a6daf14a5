"""In-process cost of the reads docs/performance.md keeps (test client, SQLite file, CPU per
request): the captain's inbox (50 of 300 letters, some with timers due), the filtered list
and the community's statistics, signed in with a bearer token. Best of 7 rounds.
Run: .venv/bin/python bench/read_cost.py"""
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.submit_cost import bench_app  # noqa: E402


def main(rounds: int = 7, per_round: int = 40) -> None:
    app = bench_app(extra_users=(("com", "committee", "C1"),))
    client = app.test_client(use_cookies=False)
    token = client.post("/api/v1/auth/login", json={"username": "cap", "password": "pw-123456789"}
                        ).get_json()["token"]
    for i in range(300):
        body = {"uuid": str(uuid.uuid4()), "form": "suggestion", "grid_code": "B1",
                "data": {"category": ("repair", "complaint", "suggestion")[i % 3],
                         "content": f"楼道灯坏了 {i}", "anonymous": True}}
        assert client.post("/api/v1/submissions", json=body,
                           headers={"Authorization": f"Bearer {token}"}).status_code == 201
    committee = client.post("/api/v1/auth/login", json={"username": "com", "password": "pw-123456789"}
                            ).get_json()["token"]
    reads = [("GET /api/v1/inbox (captain, 50 of 300)", "/api/v1/inbox?limit=50", token),
             ("GET /api/v1/submissions?form=suggestion", "/api/v1/submissions?form=suggestion", token),
             ("GET /api/v1/stats?grid_code=C1 (committee)", "/api/v1/stats?grid_code=C1", committee)]
    for label, url, bearer in reads:
        headers = {"Authorization": f"Bearer {bearer}"}
        assert client.get(url, headers=headers).status_code == 200
        best = None
        for _ in range(rounds):
            start = time.process_time()
            for _ in range(per_round):
                client.get(url, headers=headers)
            spent = (time.process_time() - start) / per_round * 1e3
            best = spent if best is None else min(best, spent)
        print(f"{label}: best {best:.2f} ms CPU per request ({rounds}×{per_round})")


if __name__ == "__main__":
    main()
