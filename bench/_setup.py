"""Shared helpers for the benchmarks in bench/: a fresh database, Django, staff.

Not a benchmark itself (`make bench` runs every bench/*.py, so running this file
only prints a note). Usage from a benchmark::

    from _setup import Bench, prepare
    bench = prepare("sqlite")  # fresh database, migrated, playbook installed, agents
    ...
    bench.close()

Django is configured once per process, so `--db both` re-runs the benchmark
script once per database in a child process (see `run_per_database`).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOK = ROOT / "playbooks" / "customer-onboarding.yaml"
PG_SERVER_URL = os.environ.get(
    "OPSDESK_BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# Override to run two PostgreSQL benchmarks at once (each drops and creates its database).
PG_DATABASE = os.environ.get("OPSDESK_BENCH_PG_DATABASE", "opsdesk_bench")
DATABASES = ("sqlite", "postgres")

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --- databases -------------------------------------------------------------------------


def pg_url(database: str = PG_DATABASE) -> str:
    base, _, _ = PG_SERVER_URL.rpartition("/")
    return f"{base}/{database}"


def postgres_available() -> str | None:
    """None if the server answers, else why not."""
    try:
        import psycopg

        psycopg.connect(PG_SERVER_URL, connect_timeout=3).close()
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).strip()}"
    return None


def fresh_database(kind: str) -> tuple[str, Callable[[], None]]:
    """A new empty database: (DATABASE_URL, cleanup)."""
    if kind == "sqlite":
        tmp = Path(tempfile.mkdtemp(prefix="opsdesk-bench-"))
        return f"sqlite:///{tmp / 'bench.sqlite3'}", lambda: shutil.rmtree(tmp, True)
    if kind == "postgres":
        import psycopg

        # Two runs would drop each other's database (and share the CPUs): the
        # second waits on an advisory lock held, on this connection, until cleanup.
        lock = psycopg.connect(PG_SERVER_URL, autocommit=True)
        key = int.from_bytes(hashlib.sha256(PG_DATABASE.encode()).digest()[:7], "big")
        if not lock.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0]:
            print(f"waiting: another benchmark run is using {PG_DATABASE} ...", flush=True)
            lock.execute("SELECT pg_advisory_lock(%s)", [key])
        lock.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        lock.execute(f"CREATE DATABASE {PG_DATABASE}")

        def drop() -> None:
            from django.conf import settings

            if settings.configured:
                from django.db import connections

                connections.close_all()
            lock.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            lock.close()  # releases the advisory lock

        return pg_url(), drop
    raise ValueError(f"unknown database {kind!r}; use sqlite or postgres")


def configure_django(database_url: str) -> None:
    """Point Django at `database_url` and set it up (once per process)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "opsdesk.settings"
    os.environ["OPSDESK_ALLOW_INSECURE_KEY"] = "1"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("OPSDESK_LOG_LEVEL", "WARNING")
    import django

    django.setup()


# --- data ------------------------------------------------------------------------------

# Realistic intake data: Turkish and English passport names, mobile prefixes
# that phonenumbers accepts, the playbook's required documents.
TR_GIVEN = (
    "Ayşe",
    "Mehmet",
    "Fatma",
    "Mustafa",
    "Emine",
    "Ahmet",
    "Zeynep",
    "Çağrı",
    "Gökhan",
    "Şule",
    "İbrahim",
    "Özlem",
    "Hüseyin",
    "Gülay",
    "Barış",
    "Elif",
)
TR_FAMILY = (
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Yıldız",
    "Öztürk",
    "Aydın",
    "Arslan",
    "Doğan",
    "Kılıç",
    "Koç",
    "Kurt",
    "Özdemir",
    "Aslan",
    "Çetin",
)
EN_GIVEN = (
    "Oliver",
    "Amelia",
    "Harry",
    "Isla",
    "George",
    "Ava",
    "Jack",
    "Emily",
    "Noah",
    "Sophie",
    "Thomas",
    "Grace",
    "William",
    "Chloe",
)
EN_FAMILY = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "O'Brien",
    "Clarke-Hughes",
    "Evans",
    "Walker",
    "Robinson",
    "Wright",
    "Thompson",
)
MIDDLE = ("Nur", "Can", "James", "Rose", "Deniz", "Marie")
TR_MOBILE = ("532", "533", "535", "542", "505", "555", "544", "507")
UK_MOBILE = ("7400", "7412", "7500", "7723", "7800", "7812", "7900", "7947")
DOCUMENTS = {
    "immigration": (
        "Passport (all pages)",
        "Biometric photo",
        "Residence permit card",
        "Rental contract or proof of address",
        "Health insurance policy",
    ),
    "insurance": ("Passport (photo page)", "Residence permit card", "Previous insurance policy"),
}

# (username, name, languages, service types): both service types, both languages,
# and some agents with only one of each, so assignment has real choices to make.
AGENTS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("ayse", "Ayşe Yılmaz", ("tr", "en"), ("immigration",)),
    ("mehmet", "Mehmet Demir", ("tr",), ("immigration", "insurance")),
    ("john", "John Carter", ("en",), ("immigration", "insurance")),
    ("zeynep", "Zeynep Kaya", ("tr", "en"), ("insurance",)),
    ("emma", "Emma Wilson", ("en",), ("immigration",)),
    ("burak", "Burak Şahin", ("tr", "en"), ("immigration", "insurance")),
    ("olivia", "Olivia Brown", ("en", "de"), ("insurance",)),
    ("elif", "Elif Çelik", ("tr",), ("immigration",)),
    ("james", "James Taylor", ("en", "tr"), ("immigration",)),
    ("gulsen", "Gülşen Öztürk", ("tr", "en"), ("insurance", "immigration")),
)


@dataclass
class Bench:
    kind: str  # "sqlite" or "postgres"
    url: str
    version: Any  # the installed PlaybookVersion
    team: Any
    agents: list[Any]
    cleanup: Callable[[], None]
    setup_seconds: float = 0.0
    keep: bool = False  # leave the database behind for a look (--keep)

    def close(self) -> None:
        if self.keep:
            print(f"\nkept the database: DATABASE_URL={self.url}")
            return
        self.cleanup()


def create_staff(capacity: int = 1000) -> tuple[Any, list[Any]]:
    from opsdesk.staff.models import BusinessCalendar, Team
    from opsdesk.staff.services import agent_create

    calendar = BusinessCalendar.objects.create(name="Istanbul office", country="TR")
    team = Team.objects.create(name="Istanbul", calendar=calendar)
    agents = [
        agent_create(
            username=username,
            name=name,
            password=None,
            team=team,
            languages=languages,
            service_types=services,
            capacity=capacity,
        )
        for username, name, languages, services in AGENTS
    ]
    return team, agents


def prepare(kind: str, keep: bool = False) -> Bench:
    """Fresh database, migrations, the shipped playbook, a team of ten agents."""
    started = time.perf_counter()
    url, cleanup = fresh_database(kind)
    configure_django(url)
    from django.core.management import call_command

    from opsdesk.cases.playbooks import playbook_install

    try:
        call_command("migrate", verbosity=0)
        version, _ = playbook_install(PLAYBOOK.read_text(encoding="utf-8"))
        team, agents = create_staff()
    except BaseException:
        cleanup()
        raise
    return Bench(kind, url, version, team, agents, cleanup, time.perf_counter() - started, keep)


# --- measuring ----------------------------------------------------------------------


@dataclass
class QueryCounter:
    """Counts statements through django.db.connection.execute_wrapper;
    with `keep`, also records each statement and its time (seconds)."""

    count: int = 0
    statements: list[str] = field(default_factory=list)
    timings: list[tuple[float, str]] = field(default_factory=list)
    keep: bool = False

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        if not self.keep:
            return execute(sql, params, many, context)
        self.statements.append(sql)
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timings.append((time.perf_counter() - t0, sql))


@contextmanager
def counting(keep: bool = False) -> Iterator[QueryCounter]:
    from django.db import connection

    counter = QueryCounter(keep=keep)
    with connection.execute_wrapper(counter):
        yield counter


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "mean": statistics.fmean(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms),
    }


def fmt_ms(stats: dict[str, float], keys: Sequence[str] = ("mean", "p50", "p95", "p99")) -> str:
    return "  ".join(f"{k} {stats[k]:7.2f} ms" for k in keys)


# --- reporting -----------------------------------------------------------------------


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("select sqlite_version()")
            return f"SQLite {cur.fetchone()[0]}"
        cur.execute("show server_version")
        return f"PostgreSQL {cur.fetchone()[0]}"


def machine() -> str:
    import django

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"sqlite3 library {sqlite3.sqlite_version}; load average {load} "
        "(other processes share the CPUs)"
    )


def header(title: str) -> None:
    print()
    print("=" * 78)
    print(title)
    print("=" * 78, flush=True)


# --- per-database driver ---------------------------------------------------------------


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgres", "both"),
        default="both",
        help="database to run on; 'both' runs SQLite then PostgreSQL, each in a child process",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help=f"keep the database afterwards (SQLite: a temp file; PostgreSQL: {PG_DATABASE})",
    )


def run_per_database(args: argparse.Namespace, main: Callable[[str], int]) -> int:
    """Run `main(kind)` here for one database, or once per database in child processes."""
    if args.db != "both":
        if args.db == "postgres" and (why := postgres_available()):
            print(f"!! PostgreSQL not reachable at {PG_SERVER_URL}: {why}", file=sys.stderr)
            return 1
        return main(args.db)
    status = 0
    for kind in DATABASES:
        if kind == "postgres" and (why := postgres_available()):
            print(f"!! skipping PostgreSQL: not reachable at {PG_SERVER_URL}: {why}")
            status = 1
            continue
        argv = [sys.executable, sys.argv[0], *replace_db(sys.argv[1:], kind)]
        status |= subprocess.call(argv) != 0
    return status


def replace_db(argv: list[str], kind: str) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--db":
            skip = True
            continue
        if arg.startswith("--db="):
            continue
        out.append(arg)
    return [*out, "--db", kind]


if __name__ == "__main__":
    print("bench/_setup.py holds shared helpers; run bench/intake.py or bench/latency.py")
