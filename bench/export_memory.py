"""Peak memory of an XLSX/CSV export, at two sizes, to show it stays flat in the row count.

    .venv/bin/python bench/export_memory.py --rows 10000 100000
"""
import argparse
import os
import sys
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from run import PASSWORD, fresh_database, seed  # noqa: E402


def measure(rows: int, fmt: str) -> tuple[float, float, int]:
    url = fresh_database("sqlite")
    seed(url, rows)
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    client = app.test_client()
    token = client.post("/api/v1/auth/login", json={"username": "bench_street", "password": PASSWORD}
                        ).get_json()["token"]
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(f"/api/v1/submissions/export?form=suggestion&format={fmt}",
                          headers={"Authorization": f"Bearer {token}"}, buffered=False)
    size = 0
    for chunk in response.response:
        size += len(chunk)
    took = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, took, size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--format", default="xlsx", choices=["xlsx", "csv"])
    args = parser.parse_args()
    for rows in args.rows:
        peak, took, size = measure(rows, args.format)
        print(f"{args.format} export of {rows} rows: peak Python memory {peak:.1f} MiB, "
              f"{took:.1f} s, {size / 2**20:.1f} MiB file")


if __name__ == "__main__":
    main()
