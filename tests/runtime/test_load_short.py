"""The load test's short version: bench/load.py for 20 seconds at a few users.

The same world, servers and locustfile as the benchmark, on the database the suite runs
on (a database of its own next to the test database: the servers are other processes,
so they cannot see a test transaction). gunicorn runs two sync workers on both
databases: SQLite in WAL mode with BEGIN IMMEDIATE queues writers from several
processes, as production on SQLite does, and the suite runs on both (`make test`).
Asserted: no failed request, every request type of the mix answered, the workers did
what they were given and nothing is left due, no error in the servers' logs. No
latency or throughput is asserted (the figures are the benchmark's, docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
EVERY_REQUEST = {
    "ui GET /tasks/",
    "ui GET /customers/",
    "ui GET /customers/<id>/ (workspace)",
    "ui POST task new (htmx)",
    "ui POST task complete (htmx)",
    "api POST /customers",
    "api POST /requests",
    "api POST /orders",
    "api GET /orders/<id>",
    "webhook WhatsApp inbound message",
    "webhook WhatsApp status",
    "webhook Twilio status",
    "webhook Twilio inbound SMS",
}


@contextlib.contextmanager
def own_database(tmp_path: Path) -> Iterator[str]:
    """An empty database of the suite's kind: (its DATABASE_URL), dropped afterwards."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        yield f"sqlite:///{tmp_path / 'load.sqlite3'}"
        return
    url = urlsplit(os.environ["DATABASE_URL"])
    name = f"{db['NAME']}_load_{os.getpid()}"[:63]
    server = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(url._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_short_load_run_has_no_failures_and_the_workers_drain(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["OPSDESK_ALLOW_INSECURE_KEY"] = "1"
    with own_database(tmp_path) as url:
        argv = [
            sys.executable, "bench/load.py", "--database-url", url,
            "--seconds", "20", "--users", "6", "--spawn-rate", "6", "--tour",
            "--customers", "40", "--web-workers", "2", "--workers", "2",
            "--warmup-seconds", "0", "--baseline-seconds", "0", "--ratelimit-seconds", "0",
            "--json", str(out),
        ]  # fmt: skip
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    measured = report["measured"]
    assert measured["failures"] == [], measured["failures"]
    assert measured["total"]["failures"] == 0
    counts = {name: row["requests"] for name, row in measured["rows"].items()}
    assert set(counts) == EVERY_REQUEST
    assert all(n > 0 for n in counts.values()), counts
    backlog = report["backlog"]
    # The load gave the workers work (messages the playbooks sent), and they did all of it.
    assert backlog["after_drain"]["outbox_done"] > backlog["before"]["outbox_done"]
    assert backlog["after_drain"]["outbox_due"] == 0
    assert backlog["after_drain"]["timers_due"] == 0
    assert backlog["after_drain"]["outbox_dead"] == 0
    assert report["exited"] == []
    assert report["log_errors"] == []
