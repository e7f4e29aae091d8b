"""Load test: agents in the UI, API intake and provider webhooks against gunicorn, on loopback.

    .venv/bin/python bench/load.py                       # PostgreSQL, 10 minutes, users from a ramp
    .venv/bin/python bench/load.py --minutes 3 --users 40

Builds a fresh database (PostgreSQL `opsdesk_load` unless --db sqlite or --database-url),
migrates, loads the shipped playbooks and the demo world (`opsdesk demo`'s seed), then
hundreds more customers spread over the playbooks (onboarding by the app-web integration,
service orders from the telesales channel, travel-concierge requests), more agents, and
a signed-in session per agent. Starts `opsdesk serve` (gunicorn, --web-workers sync
workers) and two `opsdesk worker` processes with this environment, waits until the
workers have caught up with the world's backlog, and runs locust headless
(bench/load_locustfile.py) with the weighted mix:

    agents (5)        /tasks/, /customers/, a customer's workspace, a task created and
                      completed with htmx POSTs (session + CSRF)
    integrations (2)  POST /api/v1/customers, /api/v1/requests, /api/v1/orders,
                      GET /api/v1/orders/<id> (bearer tokens)
    webhooks (3)      WhatsApp Cloud inbound messages and statuses (X-Hub-Signature-256),
                      Twilio SMS status callbacks and inbound SMS (X-Twilio-Signature)

Without --users, a step ramp (--ramp, --ramp-seconds each) picks the load: the largest
step with no failure and p95 under the target, the machine's sustained load. Then the
measured run, the worker backlog when it ends and how long it took to drain, and, at the
same user count: the baseline (GET /healthz) and the cost of the database rate-limit
counter (the customer-link page with the limits on, then with every limit off: gunicorn
restarted with OPSDESK_RATE_LIMIT_*=0). Prints everything; --json writes it for the
short version in the tests. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("OPSDESK_BENCH_PG_DATABASE", "opsdesk_load")

from _setup import (
    EN_FAMILY,
    EN_GIVEN,
    ROOT,
    TR_FAMILY,
    TR_GIVEN,
    TR_MOBILE,
    UK_MOBILE,
    configure_django,
    database_version,
    fresh_database,
    header,
    machine,
    postgres_available,
)

LOCUSTFILE = Path(__file__).resolve().parent / "load_locustfile.py"
MIX = ("AgentUser", "ApiUser", "WebhookUser")
TARGET_P95_MS = 200.0
WHATSAPP_SECRET = "load-whatsapp-app-secret"
TWILIO_TOKEN = "load-twilio-auth-token"
START_TIMEOUT = 60.0  # seconds gunicorn gets to answer /healthz
DRAIN_TIMEOUT = 300.0  # seconds the workers get to empty their backlog
UI_CUSTOMERS_PER_AGENT = 40
RATE_SCOPES = ("CUSTOMER_LINK", "PAYMENT_PAGE", "FORM", "SIGNIN", "WEBHOOK")
# Limits high enough that no request of the run is refused: every public request is
# still counted in the database (the cost measured), none is over.
HIGH_LIMIT = "100000000"


# --- the world --------------------------------------------------------------------------


@dataclass
class World:
    data: dict[str, Any]  # what the locustfile reads (OPSDESK_LOAD_WORLD)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _name(rng: random.Random) -> tuple[str, str, str]:
    if rng.random() < 0.6:
        return rng.choice(TR_GIVEN), rng.choice(TR_FAMILY), "tr"
    return rng.choice(EN_GIVEN), rng.choice(EN_FAMILY), "en"


def _phone(rng: random.Random, seen: set[str]) -> str:
    while True:
        if rng.random() < 0.7:
            phone = f"+90{rng.choice(TR_MOBILE)}{rng.randint(1_000_000, 9_999_999)}"
        else:
            phone = f"+44{rng.choice(UK_MOBILE)}{rng.randint(100_000, 999_999)}"
        if phone not in seen:  # one customer per phone: replies find the right one
            seen.add(phone)
            return phone


def build_world(customers: int, seed: int, host: str, port: int) -> World:
    """Migrate, install the playbooks, seed the demo, add `customers` more and sessions."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from opsdesk.access.tokens import token_create
    from opsdesk.cases.models import Case, CaseStatus
    from opsdesk.common import clock
    from opsdesk.common.actors import Actor
    from opsdesk.comms.models import Channel, Direction, Message
    from opsdesk.customers.models import Customer
    from opsdesk.customers.services import CustomerInput, customer_create
    from opsdesk.intake.services import request_receive
    from opsdesk.orders.intake import OrderInput, orders_receive
    from opsdesk.orders.models import SalesChannel
    from opsdesk.portal.links import case_token
    from opsdesk.staff.models import Agent, Role, Team
    from opsdesk.staff.services import agent_create
    from opsdesk.web.management.demo_data import INTEGRATION_USERNAME
    from opsdesk.web.management.demo_data import seed as seed_demo

    started = time.perf_counter()
    rng = random.Random(seed)
    call_command("migrate", verbosity=0)
    call_command("playbook", "load", stdout=io.StringIO())
    result = seed_demo()
    assert result.created, result.reason
    channel = SalesChannel.objects.get(key="telesales")
    channel_token = result.channel_tokens["telesales"]
    now = clock.now()

    # More people on the desks the new work goes to, so most of it gets an agent.
    more = {
        "Immigration desk": 4,
        "Insurance desk": 3,
        "Istanbul COBO": 3,
        "Account coordinators": 2,
    }
    for team_name, n in more.items():
        team = Team.objects.get(name=team_name)
        for i in range(n):
            given, family, lang = _name(rng)
            agent_create(
                username=f"load-{team.pk}-{i}",
                name=f"{given} {family}",
                password=None,
                team=team,
                languages=("tr", "en"),
                service_types=("immigration", "insurance") if "desk" in team_name else (),
                capacity=60,
            )

    integration = Agent.objects.get(user__username=INTEGRATION_USERNAME).user
    api = Actor.of_user(integration, via="api")
    coordinator = Actor.of_user(Agent.objects.get(user__username="koray").user)
    phones: set[str] = set(Customer.objects.exclude(phone="").values_list("phone", flat=True))
    ui: set[str] = set()  # customers the agents work on; the webhooks write for the others
    n_orders, n_requests = customers * 35 // 100, customers * 15 // 100
    for i in range(customers - n_orders - n_requests):
        given, family, lang = _name(rng)
        service = "immigration" if rng.random() < 0.65 else "insurance"
        with clock.frozen(now - dt.timedelta(hours=rng.uniform(1, 24 * 7))):
            made = customer_create(
                CustomerInput(
                    given_name=given,
                    family_name=family,
                    phone=_phone(rng, phones),
                    whatsapp=rng.random() < 0.9,
                    email=f"load{i}@example.com",
                    nationality="TR" if lang == "tr" else "GB",
                    language=lang,
                    source="APP_WEB",
                    fields={"service_type": service},
                    order={"service_type": service, "notes": "Permit"} if i % 2 else None,
                    documents=["Passport (all pages)"] if i % 3 == 0 else [],
                ),
                api,
            )
        if i % 2 == 0:
            ui.add(made.pk)
    rows = []
    for i in range(n_orders):
        given, family, lang = _name(rng)
        rows.append(
            OrderInput(
                external_ref=f"LOAD-{i:05d}",
                given_name=given,
                family_name=family,
                phone=_phone(rng, phones),
                whatsapp=rng.random() < 0.7,  # the others are asked by SMS
                language="tr",
                service_type=rng.choice(("fiber_install", "modem_swap")),
                address=f"Cumhuriyet Cad. No: {i % 200 + 1}",
                city="İstanbul",
                postcode="34380",
                latitude=41.06,
                longitude=28.99,
                documents=[{"type": "id_card", "valid_until": "2031-03-31"}],
            )
        )
    with clock.frozen(now - dt.timedelta(hours=2)):
        for i, res in enumerate(orders_receive(channel, rows, Actor(f"api:channel-{channel.key}"))):
            if res.order is not None and i % 2 == 0:
                ui.add(res.order.customer_id)
    for i in range(n_requests):
        given, family, lang = _name(rng)
        departure = now.date() + dt.timedelta(days=rng.randint(10, 60))
        phone_only = i % 3 == 1  # no email, no WhatsApp: the receipt goes by SMS
        case = request_receive(
            playbook="travel-concierge",
            channel=rng.choice(("PHONE", "WEB")),
            customer={
                "given_name": given,
                "family_name": family,
                "phone": _phone(rng, phones),
                "email": "" if phone_only else f"trip{i}@example.com",
                "language": "en",
                "whatsapp": not phone_only,
            },
            fields={
                "service_type": rng.choice(("airport_transfer", "business_travel", "relocation")),
                "departure": departure,
                "return_date": departure + dt.timedelta(days=5),
                "destinations": "İstanbul",
            },
            text="",
            actor=coordinator,
        )
        if i % 2 == 0:
            ui.add(case.customer_id)

    # A session per agent with open work on the agents' customers.
    agents = []
    for agent in Agent.objects.filter(role__in=[Role.AGENT, Role.MANAGER]).select_related("user"):
        mine = list(
            Case.objects.filter(agent=agent, status=CaseStatus.OPEN, customer_id__in=ui)
            .order_by("opened_at")
            .values_list("customer_id", "id")[:UI_CUSTOMERS_PER_AGENT]
        )
        if not mine:
            continue
        user = agent.user
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        agents.append(
            {
                "username": user.username,
                "session": session.session_key,
                "customers": [{"id": c, "case": k} for c, k in mine],
            }
        )

    others = Customer.objects.exclude(pk__in=ui).exclude(phone="")
    outbound = Message.objects.filter(direction=Direction.OUTBOUND).exclude(customer_id__in=ui)
    open_cases = Case.objects.filter(status=CaseStatus.OPEN).exclude(customer_id__in=ui)
    with clock.frozen(now):
        _, api_token = token_create(integration, "load test")
    data = {
        "host": host,
        "public_url": f"http://{host}:{port}",
        "whatsapp_secret": WHATSAPP_SECRET,
        "twilio_token": TWILIO_TOKEN,
        "api_token": api_token,
        "channel_token": channel_token,
        "agents": agents,
        "whatsapp_phones": list(others.filter(whatsapp=True).values_list("phone", flat=True)),
        "sms_phones": list(others.values_list("phone", flat=True)),
        "whatsapp_messages": list(
            outbound.filter(channel=Channel.WHATSAPP).values_list("id", flat=True)
        ),
        "sms_messages": list(outbound.filter(channel=Channel.SMS).values_list("id", flat=True)),
        "case_links": [case_token(pk) for pk in open_cases.values_list("id", flat=True)[:200]],
    }
    for key in ("agents", "whatsapp_phones", "sms_phones", "whatsapp_messages", "sms_messages"):
        assert data[key], f"the world has no {key}"
    return World(data, row_counts(), time.perf_counter() - started)


def row_counts() -> dict[str, int]:
    from opsdesk.cases.models import Case, TimelineEvent
    from opsdesk.comms.models import Message
    from opsdesk.customers.models import Customer
    from opsdesk.runtime.models import OutboxItem, Timer
    from opsdesk.staff.models import Agent
    from opsdesk.tasks.models import Task

    models = (Customer, Case, Task, Message, TimelineEvent, OutboxItem, Timer, Agent)
    return {m._meta.label: m._default_manager.count() for m in models}


def cases_per_playbook() -> dict[str, int]:
    from django.db.models import Count

    from opsdesk.cases.models import Case

    rows = Case.objects.values_list("playbook__key").annotate(n=Count("id")).order_by("-n")
    return dict(rows)


# --- the servers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Servers:
    """`opsdesk serve` and the `opsdesk worker`s, each its own process group."""

    def __init__(self, env: dict[str, str], port: int, web_workers: int, workers: int, logs: Path):
        self.env, self.port, self.web_workers, self.workers = env, port, web_workers, workers
        self.logs = logs
        self.web: subprocess.Popen[bytes] | None = None
        self.worker_procs: list[subprocess.Popen[bytes]] = []
        self.restarts = 0

    def _spawn(self, argv: list[str], name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        return subprocess.Popen(
            [sys.executable, "-m", "opsdesk.cli", *argv],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_web(self, env: dict[str, str] | None = None) -> None:
        argv = ["serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.web_workers)]
        self.web = self._spawn(argv, "gunicorn", env or self.env)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.logs / 'gunicorn.log'}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
            ):
                sock.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if sock.recv(12).endswith(b"200"):
                    return
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def restart_web(self, env: dict[str, str]) -> None:
        stop(self.web)
        self.restarts += 1
        self.start_web(env)

    def start_workers(self) -> None:
        for i in range(self.workers):
            self.worker_procs.append(self._spawn(["worker"], f"worker-{i}", self.env))

    def alive(self) -> list[str]:
        dead = [] if self.web and self.web.poll() is None else ["gunicorn"]
        dead += [f"worker-{i}" for i, p in enumerate(self.worker_procs) if p.poll() is not None]
        return dead

    def close(self) -> None:
        for proc in [self.web, *self.worker_procs]:
            stop(proc)


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def server_env(url: str, var_dir: Path, port: int, *, limits: bool) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
        "DATABASE_URL": url,
        "OPSDESK_VAR_DIR": str(var_dir),
        "OPSDESK_LOG_LEVEL": "WARNING",
        "OPSDESK_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "OPSDESK_WHATSAPP_APP_SECRET": WHATSAPP_SECRET,
        "OPSDESK_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    for scope in RATE_SCOPES:
        env[f"OPSDESK_RATE_LIMIT_{scope}"] = HIGH_LIMIT if limits else "0"
    return env


# --- backlog ----------------------------------------------------------------------------


def backlog() -> dict[str, int]:
    """What the workers have been given and not yet done: due outbox items and timers."""
    from django.db import close_old_connections

    from opsdesk.common import clock
    from opsdesk.runtime.models import OutboxItem, OutboxStatus, Timer, TimerStatus

    close_old_connections()
    now = clock.now()
    return {
        "outbox_due": OutboxItem.objects.filter(
            status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING], next_attempt_at__lte=now
        ).count(),
        "timers_due": Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=now).count(),
        "outbox_dead": OutboxItem.objects.filter(status=OutboxStatus.DEAD).count(),
        "outbox_done": OutboxItem.objects.filter(status=OutboxStatus.DONE).count(),
    }


def drain(timeout: float = DRAIN_TIMEOUT) -> tuple[dict[str, int], float]:
    """Wait until nothing is due; (the backlog when we stopped waiting, seconds waited)."""
    started = time.monotonic()
    while True:
        left = backlog()
        if left["outbox_due"] == 0 and left["timers_due"] == 0:
            return left, time.monotonic() - started
        if time.monotonic() - started > timeout:
            return left, time.monotonic() - started
        time.sleep(0.5)


# --- locust -----------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    mean: float
    max: float


@dataclass
class Run:
    label: str
    users: int
    seconds: float
    rows: list[Row]
    total: Row
    failures: list[dict[str, str]]

    def by_name(self) -> dict[str, Row]:
        return {r.name: r for r in self.rows}


def run_locust(
    label: str,
    classes: tuple[str, ...],
    users: int,
    spawn_rate: float,
    seconds: int,
    base: str,
    world_file: Path,
    out: Path,
    wait: str,
    tour: bool = False,
) -> Run:
    prefix = out / label.replace(" ", "_")
    argv = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(users), "-r", str(spawn_rate), "-t", f"{seconds}s", "-H", base,
        "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
        "--exit-code-on-error", "0", "--loglevel", "ERROR", *classes,
    ]  # fmt: skip
    env = {
        **os.environ,
        "OPSDESK_LOAD_WORLD": str(world_file),
        "OPSDESK_LOAD_WAIT": wait,
        "OPSDESK_LOAD_TOUR": "1" if tour else "0",
    }
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"locust failed ({done.returncode}):\n{done.stderr[-3000:]}")
    rows, total = [], None
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            row = Row(
                name=rec["Name"],
                requests=int(rec["Request Count"]),
                failures=int(rec["Failure Count"]),
                rps=float(rec["Requests/s"]),
                p50=_num(rec["50%"]),
                p95=_num(rec["95%"]),
                p99=_num(rec["99%"]),
                mean=_num(rec["Average Response Time"]),
                max=_num(rec["Max Response Time"]),
            )
            if rec["Name"] == "Aggregated":
                total = row
            else:
                rows.append(row)
    with open(f"{prefix}_failures.csv", encoding="utf-8") as f:
        failures = [dict(rec) for rec in csv.DictReader(f)]
    with open(f"{prefix}_exceptions.csv", encoding="utf-8") as f:
        failures += [{"Error": rec.get("Message", ""), **rec} for rec in csv.DictReader(f)]
    assert total is not None, "locust wrote no Aggregated row"
    return Run(label, users, min(elapsed, seconds), rows, total, failures)


def _num(value: str) -> float:
    return float(value) if value not in ("", "N/A") else 0.0


def print_run(run: Run) -> None:
    print(
        f"{'request':44s} {'count':>7s} {'fail':>5s} {'req/s':>7s} "
        f"{'p50':>6s} {'p95':>6s} {'p99':>6s} {'max':>7s}  (ms)"
    )
    for r in sorted(run.rows, key=lambda r: r.name):
        print(_line(r))
    for group in ("ui", "api", "webhook"):
        members = [r for r in run.rows if r.name.startswith(group + " ")]
        if members:
            n = sum(r.requests for r in members)
            fails = sum(r.failures for r in members)
            print(f"  {group}: {n} requests, {fails} failures, {n / run.seconds:.1f} req/s")
    print(_line(run.total))
    if run.failures:
        print(f"FAILURES ({sum(int(f.get('Occurrences', 1) or 1) for f in run.failures)}):")
        for f in run.failures[:30]:
            print(f"  {f.get('Occurrences', '')}x {f.get('Name', '')}: {f.get('Error', '')[:300]}")


def _line(r: Row) -> str:
    return (
        f"{r.name[:44]:44s} {r.requests:7d} {r.failures:5d} {r.rps:7.1f} "
        f"{r.p50:6.0f} {r.p95:6.0f} {r.p99:6.0f} {r.max:7.0f}"
    )


def choose_users(steps: list[Run]) -> tuple[int, str]:
    """The largest step with no failures and p95 under target, whose throughput still
    grew over the step before (more users past saturation only queue)."""
    chosen, why = steps[0].users, "the first step (no step met the target)"
    best_rps = 0.0
    for run in steps:
        ok = run.total.failures == 0 and run.total.p95 < TARGET_P95_MS
        if not ok:
            break
        rps = run.total.requests / run.seconds
        if rps < best_rps * 1.05:
            why = f"{chosen} users: {run.users} gave no more throughput"
            break
        chosen, best_rps = run.users, rps
        why = f"the largest step with 0 failures and p95 < {TARGET_P95_MS:.0f} ms"
    return chosen, why


# --- main -------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--database-url", help="an empty database to use instead of a fresh one")
    parser.add_argument("--minutes", type=float, default=10.0, help="the measured run (10)")
    parser.add_argument("--seconds", type=int, help="the measured run in seconds (overrides)")
    parser.add_argument("--users", type=int, help="concurrent users; default: from the ramp")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second")
    parser.add_argument("--ramp", default="10,20,40,80", help="user counts of the ramp steps")
    parser.add_argument("--ramp-seconds", type=int, default=45)
    parser.add_argument(
        "--warmup-seconds", type=int, default=30, help="untimed warm-up after gunicorn starts"
    )
    parser.add_argument("--baseline-seconds", type=int, default=60, help="0: no baseline run")
    parser.add_argument(
        "--ratelimit-seconds", type=int, default=60, help="each rate-limit run; 0: none"
    )
    parser.add_argument(
        "--web-workers",
        type=int,
        default=4,
        help="gunicorn sync workers (4: two per core; requests wait on the database half "
        "the time, and locust, PostgreSQL and the two opsdesk workers share the cores)",
    )
    parser.add_argument("--workers", type=int, default=2, help="`opsdesk worker` processes")
    parser.add_argument("--customers", type=int, default=400, help="customers added to the demo")
    parser.add_argument("--wait", default="0.5,1.5", help="think time per user: min,max seconds")
    parser.add_argument(
        "--tour",
        action="store_true",
        help="each user runs every one of its tasks once first (the short test's coverage)",
    )
    parser.add_argument("--seed", type=int, default=20261028)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args()
    seconds = args.seconds if args.seconds else int(args.minutes * 60)

    if args.database_url:
        url, cleanup = args.database_url, lambda: None
    else:
        if args.db == "postgres" and (why := postgres_available()):
            print(f"!! PostgreSQL not reachable: {why}", file=sys.stderr)
            return 1
        url, cleanup = fresh_database(args.db)
    work = Path(tempfile.mkdtemp(prefix="opsdesk-load-"))
    (work / "var" / "static").mkdir(parents=True)
    port = free_port()
    os.environ["OPSDESK_SECRET_KEY"] = secrets.token_urlsafe(40)  # links sign with it
    os.environ["OPSDESK_VAR_DIR"] = str(work / "var")
    configure_django(url)
    box: list[Servers] = []  # the servers _main started, stopped whatever happens
    try:
        return _main(args, seconds, url, work, port, box)
    finally:
        for servers in box:
            servers.close()
        if args.keep:
            print(f"\nkept: DATABASE_URL={url}, logs and CSVs in {work}")
        else:
            cleanup()
            shutil.rmtree(work, ignore_errors=True)


def _main(
    args: argparse.Namespace, seconds: int, url: str, work: Path, port: int, box: list[Servers]
) -> int:
    base = f"http://127.0.0.1:{port}"
    header(
        f"load test: {base}, {args.web_workers} gunicorn workers, {args.workers} opsdesk workers"
    )
    print(f"database:  {database_version()}")
    print(f"machine:   {machine()}")
    world = build_world(args.customers, args.seed, "127.0.0.1", port)
    world_file = work / "world.json"
    world_file.write_text(json.dumps(world.data), encoding="utf-8")
    print(f"world:     built in {world.seconds:.1f} s: " + _counts(world.rows))
    print(f"           cases per playbook: {_counts(cases_per_playbook())}")
    d = world.data
    print(
        f"           {len(d['agents'])} agents signed in (each on up to "
        f"{UI_CUSTOMERS_PER_AGENT} of their customers); webhooks for "
        f"{len(d['whatsapp_phones'])} WhatsApp and {len(d['sms_phones'])} SMS customers, "
        f"{len(d['whatsapp_messages'])} + {len(d['sms_messages'])} outbound messages"
    )
    from django.db import connections

    connections.close_all()
    servers = Servers(server_env(url, work / "var", port, limits=True), port, args.web_workers,
                      args.workers, work)  # fmt: skip
    box.append(servers)
    servers.start_web()
    servers.start_workers()
    left, waited = drain()
    print(f"workers:   caught up with the world's backlog in {waited:.1f} s ({left})")

    def locust(label: str, classes: tuple[str, ...], users: int, secs: int, wait: str = "") -> Run:
        return run_locust(
            label, classes, users, args.spawn_rate, secs, base, world_file, work,
            wait or args.wait, tour=args.tour and classes == MIX,
        )  # fmt: skip

    if args.warmup_seconds:
        # A fresh gunicorn worker loads and checks the playbooks and compiles the templates
        # on its first requests (seconds on a busy machine): not the sustained load.
        # Untimed, but its failures are errors like any other.
        warm = locust("warm-up", MIX, 8, args.warmup_seconds)
        print(
            f"warm-up:   {warm.total.requests} requests in {args.warmup_seconds} s, "
            f"max {warm.total.max:.0f} ms, {warm.total.failures} failures"
        )
        if warm.failures:
            print_run(warm)
        left, waited = drain()

    report: dict[str, Any] = {
        "warmup": _run_json(warm) if args.warmup_seconds else None,
        "database": database_version(),
        "web_workers": args.web_workers,
        "workers": args.workers,
        "world": world.rows,
        "cases_per_playbook": cases_per_playbook(),
    }
    users = args.users
    if users is None:
        header(f"ramp: {args.ramp} users, {args.ramp_seconds} s each, wait {args.wait} s")
        steps = []
        for n in (int(x) for x in args.ramp.split(",")):
            run = locust(f"ramp {n}", MIX, n, args.ramp_seconds)
            steps.append(run)
            t = run.total
            print(
                f"  {n:4d} users: {t.requests / run.seconds:7.1f} req/s  p50 {t.p50:5.0f}  "
                f"p95 {t.p95:5.0f}  p99 {t.p99:5.0f} ms  failures {t.failures}"
            )
            if t.failures or t.p95 >= TARGET_P95_MS:
                break
        users, why = choose_users(steps)
        print(f"chosen: {users} users ({why})")
        report["ramp"] = [_run_json(r) for r in steps]
        left, waited = drain()

    header(f"measured run: {users} users for {seconds} s (spawn {args.spawn_rate}/s)")
    before = backlog()
    run = locust("measured", MIX, users, seconds)
    after = backlog()
    left, waited = drain()
    print_run(run)
    tput = run.total.requests / run.seconds
    print(f"sustained throughput: {tput:.1f} req/s over {run.seconds:.0f} s")
    print(
        f"workers: backlog when the load stopped: {after['outbox_due']} outbox items and "
        f"{after['timers_due']} timers due; drained in {waited:.1f} s -> {left['outbox_due']} "
        f"outbox, {left['timers_due']} timers due; {after['outbox_done'] - before['outbox_done']}"
        f" outbox items done during the run, {left['outbox_dead']} dead letters"
    )
    dead = servers.alive()
    if dead:
        print(f"!! exited during the run: {', '.join(dead)}")
    report["measured"] = _run_json(run)
    report["backlog"] = {"before": before, "at_stop": after, "after_drain": left}
    report["drain_seconds"] = waited
    report["exited"] = dead

    if args.baseline_seconds:
        header(f"baseline: GET /healthz, {users} users, {args.baseline_seconds} s")
        base_run = locust("baseline", ("HealthUser",), users, args.baseline_seconds)
        print_run(base_run)
        report["baseline"] = _run_json(base_run)
    if args.ratelimit_seconds:
        # No think time: the users keep gunicorn busy, so the counter's cost shows in
        # the throughput as well as in the latency.
        header(
            f"rate-limit counter: customer link page, {users} users without think time, "
            "limits on vs off"
        )
        on = locust("limits on", ("CustomerLinkUser",), users, args.ratelimit_seconds, "0,0")
        servers.restart_web(server_env(url, work / "var", port, limits=False))
        if args.warmup_seconds:
            locust("warm-up off", ("CustomerLinkUser",), 8, min(args.warmup_seconds, 15))
        off = locust("limits off", ("CustomerLinkUser",), users, args.ratelimit_seconds, "0,0")
        servers.restart_web(servers.env)
        for label, r in (("limits on (one upsert per request)", on), ("limits off", off)):
            t = r.total
            print(
                f"  {label:36s} {t.requests / r.seconds:7.1f} req/s  p50 {t.p50:5.0f}  "
                f"p95 {t.p95:5.0f}  p99 {t.p99:5.0f} ms  failures {t.failures}"
            )
        report["ratelimit"] = {"on": _run_json(on), "off": _run_json(off)}

    logged = _log_errors(work)
    if logged:
        print(f"\n!! error lines in the server logs ({len(logged)}), first ones:")
        for line in logged[:20]:
            print("  " + line)
    report["log_errors"] = logged[:200]
    header("verdict")
    warm_failures = warm.total.failures if args.warmup_seconds else 0
    met = run.total.failures == warm_failures == 0 and run.total.p95 < TARGET_P95_MS and not logged
    print(
        f"{users} users, {tput:.1f} req/s sustained, p50 {run.total.p50:.0f} / p95 "
        f"{run.total.p95:.0f} / p99 {run.total.p99:.0f} ms, {run.total.failures} failures "
        f"({warm_failures} in the warm-up), {len(logged)} error lines in the logs: "
        f"target (0 errors, p95 < {TARGET_P95_MS:.0f} ms) {'MET' if met else 'MISSED'}"
    )
    if "baseline" in report:
        b = report["baseline"]["total"]
        print(f"baseline GET /healthz at {users} users: p50 {b['p50']:.0f} / p95 {b['p95']:.0f} ms")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return 0


def _run_json(run: Run) -> dict[str, Any]:
    return {
        "users": run.users,
        "seconds": run.seconds,
        "total": vars(run.total),
        "rows": {r.name: vars(r) for r in run.rows},
        "failures": run.failures,
    }


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k.split('.')[-1]} {v}" for k, v in counts.items())


def _log_errors(work: Path) -> list[str]:
    """Lines of the servers' logs that report an error (a 500's traceback, a crash)."""
    found = []
    for log in sorted(work.glob("*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if any(word in line for word in ("Traceback", "ERROR", "CRITICAL", "WORKER TIMEOUT")):
                found.append(f"{log.stem}: {line.strip()[:300]}")
    return found


if __name__ == "__main__":
    sys.exit(main())
