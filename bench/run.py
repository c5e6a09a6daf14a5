"""Benchmarks that print figures: `make bench` or `.venv/bin/python bench/run.py --db sqlite`.

Starts the real server (gunicorn, 2 workers: sync workers on SQLite, 4 threads each on
PostgreSQL — see docs/performance.md, "Workers and threads") on a fresh database with a
realistic grid (12 communities, 240 estates, 4,800 buildings), loads N submissions, and
measures with wrk (apt-get install wrk) side by side with the server's own floor (/healthz).
"""
import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
PASSWORD = "bench-password-1"
RUSH_PEOPLE, RUSH_PLACES = 200, 70


def fresh_database(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    name = f"tongxin_bench_{os.getpid()}"
    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", f"DROP DATABASE IF EXISTS {name}",
                    "-c", f"CREATE DATABASE {name}"], check=True)
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def seed(url: str, rows: int) -> list[str]:
    """Schema by migrations, the grid, staff, and `rows` submissions inserted in bulk."""
    env = dict(os.environ, DATABASE_URL=url)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    from app import create_app
    from app.extensions import db
    from app.accounts.models import Org
    from app.accounts.services import create_user, grant_role
    from app.forms.models import Form, FormVersion
    from app.grid.services import import_grid, node_by_code

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    lines = ["code,name,level,parent_code", "S,西南街道,street,"]
    buildings = []
    for c in range(12):
        lines.append(f"C{c},社区{c},community,S")
        for e in range(20):
            lines.append(f"C{c}E{e},小区{c}-{e},estate,C{c}")
            for b in range(20):
                code = f"C{c}E{e}B{b}"
                lines.append(f"{code},楼栋{c}-{e}-{b},building,C{c}E{e}")
                buildings.append(code)
    with app.app_context():
        import_grid("\n".join(lines) + "\n")
        committee = create_user("bench_committee", PASSWORD, "社区")
        grant_role(committee, "committee", node_by_code("C0"))
        captain = create_user("bench_captain", PASSWORD, "楼长")
        grant_role(captain, "captain", node_by_code("C0E0B0"))
        street = create_user("bench_street", PASSWORD, "街道")
        grant_role(street, "committee", node_by_code("S"))
        for i in range(RUSH_PEOPLE):
            grant_role(create_user(f"bench_volunteer{i:03d}", PASSWORD, f"志愿者{i}"), "volunteer",
                       node_by_code("C0"))
        db.session.commit()
        form = db.session.execute(db.select(Form).where(Form.slug == "suggestion")).scalar_one()
        version = db.session.execute(db.select(FormVersion).where(FormVersion.form_id == form.id)).scalar_one()
        nodes = {n.code: n for n in db.session.execute(db.select(
            __import__("app.grid.models", fromlist=["GridNode"]).GridNode)).scalars()}
        start = datetime(2026, 1, 1)
        states = ["at_captain", "at_branch", "at_committee", "resolved", "closed"]
        tiers = {"at_captain": "captain", "at_branch": "branch", "at_committee": "committee",
                 "resolved": "none", "closed": "none"}
        orgs = []
        for name in ("三水燃气公司", "电信三水分公司", "三水医院", "自来水公司", "物业公司"):
            org = Org(name=name)
            db.session.add(org)
            orgs.append(org)
        db.session.commit()
        org_ids = [o.id for o in orgs]
        batch, history = [], {}
        for i in range(rows):
            node = nodes[buildings[i % len(buildings)]]
            state = states[i % len(states)]
            created = start + timedelta(minutes=i % 400000)
            resolved = state in ("resolved", "closed")
            row = dict(
                uuid=str(uuid.uuid4()), form_id=form.id, form_version_id=version.id, form_version=1,
                grid_node_id=node.id, node_path=node.path, state=state, tier=tiers[state],
                state_since=created, data={"category": "repair", "content": f"楼道灯坏了 {i}", "anonymous": True},
                content_hash=uuid.uuid4().hex, tracking_code=uuid.uuid4().hex[:12].upper(),
                created_at=created, updated_at=created, lock_version=1, supporters=0,
                resolved_at=created + timedelta(hours=i % 97) if resolved else None,
                resolve_seconds=(i % 97) * 3600 if resolved else None)
            batch.append(row)
            history[row["uuid"]] = _history(i, row, org_ids)
            if len(batch) == 5000:
                _insert(db, batch, history)
                batch, history = [], {}
        if batch:
            _insert(db, batch, history)
        # As `flask workflow tick` would have done in service: the statistics' running counts
        # folded, and on SQLite the planner's statistics made (PostgreSQL's: below).
        from app.core.database import refresh_statistics
        from app.stats import tallies
        tallies.compact(db.session)
        refresh_statistics(db.session)
        db.engine.dispose()   # the server runs alone: no connection of ours stays open
    if url.startswith("postgresql"):
        # As a database in service would be: vacuumed (index-only scans need the visibility
        # map) and analysed, rather than racing autovacuum through the measurements.
        subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", url.rsplit("/", 1)[1],
                        "-c", "VACUUM ANALYZE"], check=True)
    return buildings


def _history(i: int, row: dict, org_ids: list[int]) -> list[dict]:
    """A submission's events, as the engine would have written them: the submit; a timed
    escalation for one in seven; for the resolved, one in three dispatched to a partner unit
    and resolved from in_service, the others resolved by the captain."""
    created, path = row["created_at"], row["node_path"]
    events = [dict(action="submit", from_state=None, to_state="at_captain", at=created, system=False)]
    if i % 7 == 0:
        events.append(dict(action="escalate", from_state="at_captain", to_state="at_branch",
                           at=created + timedelta(hours=48), system=True))
    if row["resolved_at"] is not None:
        if i % 3 == 0:
            partner = org_ids[i % len(org_ids)]
            events.append(dict(action="dispatch", from_state="at_committee", to_state="dispatched",
                               at=created, system=False, partner_org_id=partner))
            events.append(dict(action="resolve", from_state="in_service", to_state="resolved",
                               at=row["resolved_at"], system=False, partner_org_id=partner))
        else:
            events.append(dict(action="resolve", from_state="at_captain", to_state="resolved",
                               at=row["resolved_at"], system=False))
    return [dict(e, node_path=path, seq=n, actor_label="bench", public_reply=False)
            for n, e in enumerate(events, start=1)]


def _insert(db, batch: list[dict], history: dict) -> None:
    from app.submissions.models import Submission, SubmissionEvent

    ids = dict(db.session.execute(db.insert(Submission).returning(Submission.uuid, Submission.id), batch).all())
    events = [dict(e, submission_id=ids[u]) for u, rows in history.items() for e in rows]
    db.session.execute(db.insert(SubmissionEvent), events)
    db.session.commit()


def fold_tallies(url: str) -> int:
    from app import create_app
    from app.extensions import db
    from app.stats import tallies

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        folded = tallies.compact(db.session)
        db.engine.dispose()
    return folded


def start_server(url: str, threads: int):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-secret-key-0123456789",
               PUBLIC_SUBMIT_LIMIT="100000/second", PUBLIC_SUBMIT_LIMIT_NODE="100000/second")
    log = open(os.path.join(tempfile.mkdtemp(), "server.log"), "w")   # the security log and errors
    print(f"server log: {log.name}")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "--threads", str(threads), "-b",
                             f"127.0.0.1:{port}", "--log-level", "error", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(base + "/healthz", timeout=1).ok:
                return proc, base
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def wrk(base: str, path: str, seconds: int, env: dict, script: str) -> dict:
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s",
                          os.path.join(ROOT, "bench", script), base + path],
                         capture_output=True, text=True, env=dict(os.environ, **env)).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return None
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": pct(50), "p99_ms": pct(99), "non2xx": int(errors.group(1)) if errors else 0}


def timed(fn, n=20):
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1), "p99_ms": round(samples[int(len(samples) * .99) - 1], 1)}


def rush(base: str, committee_headers: dict) -> None:
    """The volunteer rush: 200 people claim a 70-place post at the same moment."""
    from concurrent.futures import ThreadPoolExecutor

    # A day of its own, so that a rerun on the same database does not clash with an earlier
    # rush (the same volunteers' claims would overlap: 409). Random: two runs exactly 3,000 s
    # apart once picked the same day when it came from the clock.
    day = datetime(2030, 1, 1) + timedelta(days=random.randrange(30_000))
    post = requests.post(base + "/api/v1/posts", headers=committee_headers, json={
        "title": "党员楼长招募", "grid_code": "C0", "capacity": RUSH_PLACES,
        "starts_at": f"{day:%Y-%m-%d}T09:00:00Z", "ends_at": f"{day:%Y-%m-%d}T11:00:00Z"}).json()
    tokens = [requests.post(base + "/api/v1/auth/login", json={
        "username": f"bench_volunteer{i:03d}", "password": PASSWORD}).json()["token"]
        for i in range(RUSH_PEOPLE)]

    def claim(token):
        return requests.post(base + "/api/v1/submissions", headers={"Authorization": f"Bearer {token}"},
                             json={"uuid": str(uuid.uuid4()), "form": "volunteer-signup",
                                   "grid_code": "C0", "data": {"post": post["id"]}}, timeout=120).json()

    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=RUSH_PEOPLE) as pool:
        answers = list(pool.map(claim, tokens))
    took = time.perf_counter() - t
    states = [r.get("state") for r in answers]
    errors = [r["error"]["code"] for r in answers if "error" in r]
    if errors:
        print(f"volunteer rush: {len(errors)} claims refused: {sorted(set(errors))}")
    print(f"volunteer rush, {RUSH_PEOPLE} claims on {RUSH_PLACES} places at once: {took:.2f} s wall, "
          f"{states.count('claimed')} claimed, {states.count('waitlisted')} waitlisted")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--database", help="a database an earlier run seeded (printed as 'seeded … :'); "
                        "measure it again without seeding")
    parser.add_argument("--threads", type=int, help="threads per gunicorn worker (default: 1 on "
                        "SQLite, whose writers queue for one lock, 4 on PostgreSQL)")
    args = parser.parse_args()
    if args.database:
        url = args.database
    else:
        url = fresh_database(args.db)
        t = time.perf_counter()
        seed(url, args.rows)
        print(f"seeded {args.rows} submissions on {args.db} in {time.perf_counter() - t:.0f} s: {url}")
    threads = args.threads or (1 if url.startswith("sqlite") else 4)
    print(f"server: gunicorn, 2 workers x {threads} thread(s)")
    proc, base = start_server(url, threads)
    try:
        tokens = {u: requests.post(base + "/api/v1/auth/login", json={"username": u, "password": PASSWORD}).json()["token"]
                  for u in ("bench_committee", "bench_captain", "bench_street")}
        # Submissions come from every building of the first community, as they would.
        env = {"BENCH_TOKEN": tokens["bench_captain"],
               "BENCH_BUILDINGS": ",".join(f"C0E{e}B{b}" for e in range(20) for b in range(20))}
        wrk(base, "/healthz", 3, dict(env, BENCH_PATH="/healthz"), "get.lua")   # warm-up: every worker up
        # And a round of submissions, not counted: the rates below are of a server in service.
        # A fresh worker first loads each building's node and routing into its caches (400
        # buildings here): at a million rows the first round ran at half the rate of the
        # next ones.
        cold = wrk(base, "/api/v1/submissions", args.seconds, env, "submit.lua")
        print(f"POST /api/v1/submissions, warm-up round (not counted): {cold['rps']:.0f} req/s")
        # Best of three rounds, interleaved, so that a noisy moment on a shared machine does
        # not decide a ratio.
        rounds = {"bare": [], "token": [], "submit": []}
        for _ in range(3):
            rounds["bare"].append(wrk(base, "/healthz", args.seconds,
                                      dict(env, BENCH_PATH="/healthz", BENCH_TOKEN=""), "get.lua"))
            rounds["token"].append(wrk(base, "/healthz", args.seconds, dict(env, BENCH_PATH="/healthz"), "get.lua"))
            rounds["submit"].append(wrk(base, "/api/v1/submissions", args.seconds, env, "submit.lua"))
        bare, floor, submit = (max(rounds[k], key=lambda r: r["rps"]) for k in ("bare", "token", "submit"))
        print(f"GET /healthz: {bare['rps']:.0f} req/s (the floor: framework + one query; best of 3)")
        print(f"GET /healthz with a bearer token: {floor['rps']:.0f} req/s (+ the token's user and roles)")
        print(f"POST /api/v1/submissions: {submit['rps']:.0f} req/s, ratio {submit['rps'] / bare['rps']:.2f}x "
              f"the floor, {submit['rps'] / floor['rps']:.2f}x healthz with a token "
              f"(non-2xx {sum(r['non2xx'] for r in rounds['submit'])})")
        # A captain's outbox after a day offline: 500 letters from the captain's building.
        # Three outboxes one after another, best of three like the rates above.
        rates = []
        for _ in range(3):
            ops = [{"op": "submit", "uuid": str(uuid.uuid4()), "form": "suggestion", "grid_code": "C0E0B0",
                    "data": {"category": "repair", "content": "同步", "anonymous": True}} for _ in range(500)]
            t = time.perf_counter()
            r = requests.post(base + "/api/v1/sync", json={"ops": ops},
                              headers={"Authorization": f"Bearer {tokens['bench_captain']}"})
            took = time.perf_counter() - t
            assert r.ok and {x["status"] for x in r.json()["results"]} == {"created"}
            rates.append(500 / took)
        print(f"POST /api/v1/sync, 500 ops: {max(rates):.0f} submissions/s (best of 3; "
              f"{', '.join(f'{x:.0f}' for x in rates)})")
        h = {"Authorization": f"Bearer {tokens['bench_committee']}"}
        inbox = timed(lambda: requests.get(base + "/api/v1/inbox?limit=50", headers=h).raise_for_status(), 200)
        listing = timed(lambda: requests.get(base + "/api/v1/submissions?form=suggestion&state=at_branch&grid_code=C0E3&limit=50",
                                             headers=h).raise_for_status(), 200)
        hc = {"Authorization": f"Bearer {tokens['bench_captain']}"}
        captain_inbox = timed(lambda: requests.get(base + "/api/v1/inbox?limit=50", headers=hc).raise_for_status(), 200)
        print(f"GET /api/v1/inbox (committee of 1 of 12 communities): p50 {inbox['p50_ms']} ms, p99 {inbox['p99_ms']} ms")
        print(f"GET /api/v1/inbox (captain of 1 of 4,800 buildings): p50 {captain_inbox['p50_ms']} ms, "
              f"p99 {captain_inbox['p99_ms']} ms")
        print(f"GET /api/v1/submissions filtered page: p50 {listing['p50_ms']} ms, p99 {listing['p99_ms']} ms")
        # The changes to the statistics' running counts made by this run (its tens of
        # thousands of submissions), folded as the scheduler's tick does every minute.
        print(f"statistics tallies: {fold_tallies(url)} changes folded first")
        community = timed(lambda: requests.get(base + "/api/v1/stats?grid_code=C0", headers=h).raise_for_status(), 5)
        hs = {"Authorization": f"Bearer {tokens['bench_street']}"}
        street = timed(lambda: requests.get(base + "/api/v1/stats?grid_code=S", headers=hs).raise_for_status(), 3)
        print(f"GET /api/v1/stats community: p50 {community['p50_ms']} ms; street: p50 {street['p50_ms']} ms")
        rush(base, h)
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
