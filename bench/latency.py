"""Latency benchmark: the customer workspace and "my tasks" on a large database.

    .venv/bin/python bench/latency.py --db both --customers 100000 --events 1000000

Loads, fast (COPY on PostgreSQL, batched executemany on SQLite), customers with
their cases, orders, documents, flags, tasks, messages, timers and timeline
events; then renders `/customers/<id>/` and `/tasks/` in-process with Django's
test client, signed in as an agent, and reports server-side time (p50/p95/p99)
and queries per page. Loading happens in two steps so the same run shows the
query counts on a small database (1% of the data) and on the full one: they
must be equal. The baseline, same client, same run: the login page.
Target: p95 under 100 ms on SQLite and PostgreSQL. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from _setup import (
    DOCUMENTS,
    EN_FAMILY,
    EN_GIVEN,
    MIDDLE,
    TR_FAMILY,
    TR_GIVEN,
    TR_MOBILE,
    UK_MOBILE,
    Bench,
    add_db_argument,
    counting,
    database_version,
    fmt_ms,
    header,
    machine,
    prepare,
    run_per_database,
    summary_ms,
)

TARGET_P95_MS = 100.0
OPEN_PER_AGENT = 40  # open cases per agent: open work is bounded by people, not by history
UNASSIGNED_OPEN = 60  # open cases waiting in profile review, no agent yet
FLUSH_ROWS = 100_000  # timeline rows buffered before a flush
UTC = dt.UTC


# --- tables ------------------------------------------------------------------------------


class Table:
    """Bulk insert into one model's table, with every column the model has.

    `given` are the attnames each row provides, in order; every other column gets
    the model field's default, and a NOT NULL column without one is an error, so
    the loader cannot silently skip a required column.
    """

    def __init__(self, model: Any, given: Sequence[str], loader: Loader) -> None:
        from django.db import models

        self.model, self.loader = model, loader
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
        ]
        by_attname = {f.attname: f for f in fields}
        unknown = set(given) - set(by_attname)
        if unknown:
            raise ValueError(f"{model.__name__}: no columns {sorted(unknown)}")
        tail = []
        for f in fields:
            if f.attname in given:
                continue
            default = f.get_default()
            if default is None and not f.null:
                raise ValueError(
                    f"{model.__name__}.{f.attname} is NOT NULL: the loader must set it"
                )
            tail.append((f, default))
        self.columns = [by_attname[a].column for a in given] + [f.column for f, _ in tail]
        self.tail = tuple(loader.prep(f, v) for f, v in tail)
        self.rows: list[tuple[Any, ...]] = []
        self.loaded = 0

    def add(self, *values: Any) -> None:
        self.rows.append(values + self.tail)

    def flush(self) -> None:
        if self.rows:
            self.loader.write(self.model._meta.db_table, self.columns, self.rows)
            self.loaded += len(self.rows)
            self.rows = []


# --- the data -----------------------------------------------------------------------------


@dataclass
class Scale:
    customers: int
    events: int
    heavy: int  # customers with `heavy_events` timeline events each
    heavy_events: int
    heavy_messages: int
    open_cases: int  # cases still open, assigned round-robin to the agents
    unassigned: int  # open cases in profile review, no agent


@dataclass
class Loaded:
    normal: list[str] = field(default_factory=list)  # customers the agent may see, ~10 events
    heavy: list[str] = field(default_factory=list)  # the agent may see them, thousands of events
    rows: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


EVENT_FILLER = (
    ("DOCUMENT_RECEIVED", '{{"document_id": "{d}", "doc_type": "Biometric photo"}}'),
    ("MESSAGE_SENT", '{{"template": "welcome", "channel": "WHATSAPP", "message_id": "{m}"}}'),
    ("NOTE", '{{"text": "Called the customer, documents promised for next week"}}'),
    ("MESSAGE_RECEIVED", '{{"channel": "WHATSAPP", "message_id": "{m}"}}'),
    ("TIMER_FIRED", '{{"name": "document_reminder"}}'),
    (
        "MESSAGE_QUEUED",
        '{{"template": "document_reminder", "channel": "WHATSAPP", "message_id": "{m}"}}',
    ),
    ("TIMER_SET", '{{"name": "document_reminder", "due_at": "2026-11-03T15:00:00+00:00"}}'),
    ("CUSTOMER_UPDATED", '{{"fields": ["email", "phone"]}}'),
)
ACTORS = ("system", "user:ayse", "worker", "api:app-web", "user:john", "system", "worker")


class Loader:
    def __init__(self, bench: Bench, agents: list[Any], seed: int) -> None:
        from django.db import connection

        self.bench, self.agents = bench, agents
        self.vendor = connection.vendor
        self.rng = random.Random(seed)
        self.base = dt.datetime(2024, 11, 1, 7, 0, tzinfo=UTC)
        self.visible_teams = {bench.team.pk, None}

    # --- values in the form the database takes ---

    def prep(self, f: Any, value: Any) -> Any:
        from django.db import models

        if value is None:
            return None
        if isinstance(f, models.JSONField):
            return json.dumps(value)
        if isinstance(value, dt.datetime):
            return self.ts(value)
        return value

    def ts(self, moment: dt.datetime) -> Any:
        if self.vendor == "sqlite":  # Django stores naive UTC text in SQLite
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        return moment

    def write(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        from django.db import connection

        cols = ", ".join(f'"{c}"' for c in columns)
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                with cur.cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cur.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)

    # --- loading ---

    def tables(self) -> dict[str, Table]:
        from opsdesk.cases.models import Case, Flag, TimelineEvent
        from opsdesk.comms.models import Message
        from opsdesk.customers.models import Customer, Document, Order
        from opsdesk.runtime.models import Timer
        from opsdesk.tasks.models import Task

        t = {
            "customer": Table(
                Customer,
                (
                    "id",
                    "given_name",
                    "middle_name",
                    "family_name",
                    "phone",
                    "whatsapp",
                    "email",
                    "nationality",
                    "language",
                    "source",
                    "created_at",
                    "updated_at",
                ),
                self,
            ),
            "case": Table(
                Case,
                (
                    "id",
                    "number",
                    "customer_id",
                    "playbook_id",
                    "state",
                    "status",
                    "fields",
                    "agent_id",
                    "team_id",
                    "opened_at",
                    "updated_at",
                    "closed_at",
                ),
                self,
            ),
            "order": Table(
                Order,
                ("id", "customer_id", "service_type", "notes", "placed_at", "reviewed_at"),
                self,
            ),
            "document": Table(
                Document, ("id", "customer_id", "doc_type", "received_at", "source"), self
            ),
            "flag": Table(
                Flag,
                (
                    "id",
                    "case_id",
                    "code",
                    "field",
                    "message",
                    "status",
                    "created_at",
                    "resolved_at",
                ),
                self,
            ),
            "task": Table(
                Task,
                (
                    "id",
                    "customer_id",
                    "case_id",
                    "key",
                    "title",
                    "description",
                    "priority",
                    "status",
                    "due_at",
                    "assignee_id",
                    "checklist",
                    "created_at",
                    "completed_at",
                ),
                self,
            ),
            "message": Table(
                Message,
                (
                    "id",
                    "customer_id",
                    "case_id",
                    "channel",
                    "direction",
                    "template",
                    "language",
                    "to_address",
                    "subject",
                    "body",
                    "whatsapp_template",
                    "whatsapp_params",
                    "status",
                    "actor",
                    "created_at",
                    "sent_at",
                    "updated_at",
                ),
                self,
            ),
            "timer": Table(
                Timer, ("case_id", "name", "due_at", "status", "created_at", "fired_at"), self
            ),
            "event": Table(
                TimelineEvent, ("customer_id", "case_id", "type", "actor", "payload", "at"), self
            ),
        }
        return t

    def load(self, first: int, scale: Scale) -> Loaded:
        """Customers first .. first + scale.customers - 1, flushed in FK order."""
        from django.db import connection, transaction

        out = Loaded()
        started = time.perf_counter()
        tables = self.tables()
        order = (
            "customer",
            "case",
            "order",
            "document",
            "flag",
            "task",
            "message",
            "timer",
            "event",
        )
        normal_count = scale.customers - scale.heavy
        normal_events = scale.events - scale.heavy * scale.heavy_events
        per, extra = divmod(normal_events, max(normal_count, 1))

        def flush() -> None:
            with transaction.atomic():
                for name in order:
                    tables[name].flush()

        self._fast_load(True)
        try:
            for k in range(scale.customers):
                heavy = k < scale.heavy
                n_events = scale.heavy_events if heavy else per + (k - scale.heavy < extra)
                cid, team = self.customer(tables, first + k, k, scale, heavy, n_events)
                if team in self.visible_teams:
                    (out.heavy if heavy else out.normal).append(cid)
                if len(tables["event"].rows) >= FLUSH_ROWS:
                    flush()
            flush()
        finally:
            self._fast_load(False)
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE staff_agent SET open_cases = (SELECT COUNT(*) FROM cases_case "
                "WHERE cases_case.agent_id = staff_agent.id AND cases_case.status = 'OPEN')"
            )
        out.rows = Counter({t.model._meta.db_table: t.loaded for t in tables.values()})
        out.seconds = time.perf_counter() - started
        return out

    def _fast_load(self, on: bool) -> None:
        """Load-phase settings only: no fsync; the connection is closed afterwards."""
        from django.db import connection

        with connection.cursor() as cur:
            if self.vendor == "sqlite":
                if on:
                    cur.execute("PRAGMA synchronous=OFF")
                    cur.execute("PRAGMA cache_size=-262144")
                else:
                    cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            elif on:
                cur.execute("SET synchronous_commit = off")
        if not on:
            connection.close()

    def customer(
        self, t: dict[str, Table], i: int, k: int, scale: Scale, heavy: bool, n_events: int
    ) -> tuple[str, str | None]:
        from opsdesk.common.ids import new_id

        rng, ts = self.rng, self.ts
        turkish = rng.random() < 0.6
        given = rng.choice(TR_GIVEN if turkish else EN_GIVEN)
        family = rng.choice(TR_FAMILY if turkish else EN_FAMILY)
        middle = rng.choice(MIDDLE) if rng.random() < 0.15 else ""
        if turkish:
            phone = f"+90{rng.choice(TR_MOBILE)}{rng.randrange(1000000, 10000000)}"
        else:
            phone = f"+44{rng.choice(UK_MOBILE)}{rng.randrange(100000, 1000000)}"
        lang = "tr" if turkish else "en"
        created = self.base + dt.timedelta(minutes=10 * i)
        cid = new_id("cus")
        t["customer"].add(
            cid,
            given,
            middle,
            family,
            phone,
            True,
            f"customer{i}@example.com",
            "" if rng.random() < 0.05 else ("TR" if turkish else "GB"),
            lang,
            "APP_WEB" if rng.random() < 0.5 else "STAFF",
            ts(created),
            ts(created),
        )

        # The case: the first `open_cases` customers of a load are still open,
        # the next `unassigned` wait in profile review; the rest are history.
        service = "immigration" if rng.random() < 0.65 else "insurance"
        required = DOCUMENTS[service]
        if k < scale.open_cases:
            status, state = "OPEN", ("intake" if rng.random() < 0.7 else "collecting_documents")
            agent = self.agents[k % len(self.agents)]
        elif k < scale.open_cases + scale.unassigned:
            status, state, agent = "OPEN", "profile_review", None
        else:
            status = "CLOSED"
            state = "onboarded" if rng.random() < 0.85 else "withdrawn"
            agent = self.agents[rng.randrange(len(self.agents))]
        team = agent.team_id if agent else None
        case_id = new_id("case")
        closed = created + dt.timedelta(days=9) if status == "CLOSED" else None
        fields = {"service_type": service, "deadline": None, "intake_notes": None}
        t["case"].add(
            case_id,
            f"ONB-{created.year}-{i:07d}",
            cid,
            self.bench.version.pk,
            state,
            status,
            json.dumps(fields),
            agent.pk if agent else None,
            team,
            ts(created),
            ts(closed or created),
            ts(closed) if closed else None,
        )
        if rng.random() < 0.5:
            t["order"].add(
                new_id("ord"),
                cid,
                service,
                "Came through the app",
                ts(created),
                ts(created + dt.timedelta(hours=3)) if status == "CLOSED" else None,
            )
        docs = list(required) if state == "onboarded" else required[: rng.randrange(0, 3)]
        doc_ids = []
        for n, doc in enumerate(docs):
            doc_ids.append(new_id("doc"))
            t["document"].add(
                doc_ids[-1], cid, doc, ts(created + dt.timedelta(days=n + 1)), "APP_WEB"
            )
        if state == "profile_review":
            t["flag"].add(
                new_id("flg"),
                case_id,
                "nationality_missing",
                "nationality",
                "Nationality is missing; record it from the passport",
                "OPEN",
                ts(created),
                None,
            )
        elif rng.random() < 0.1:
            t["flag"].add(
                new_id("flg"),
                case_id,
                "email_missing",
                "email",
                "Email is missing; ask the customer for an email address",
                "RESOLVED",
                ts(created),
                ts(created + dt.timedelta(hours=2)),
            )

        # Tasks and timers.
        task_ids = []
        if agent is not None:
            name = " ".join(p for p in (given, middle, family) if p)
            intake_open = status == "OPEN" and state == "intake"
            specs = [("intake", f"Review {name} — initial document check", intake_open)]
            if state == "collecting_documents" or (status == "CLOSED" and rng.random() < 0.5):
                specs.append(("follow_up", f"Follow up with {name} on documents", status == "OPEN"))
            if heavy:
                specs += [("", f"Call {name} back", False)] * 20
            for n, (key, title, is_open) in enumerate(specs):
                task_ids.append(new_id("tsk"))
                due = created + dt.timedelta(days=2 + n, hours=rng.randrange(0, 48))
                t["task"].add(
                    task_ids[-1],
                    cid,
                    case_id,
                    key,
                    title,
                    f"Service type: {service}",
                    "HIGH" if rng.random() < 0.2 else "MEDIUM",
                    "OPEN" if is_open else "DONE",
                    ts(due),
                    agent.pk,
                    '[{"text": "Name matches the passport", "done": false}]',
                    ts(created),
                    None if is_open else ts(due - dt.timedelta(hours=5)),
                )
            pending = status == "OPEN" and bool(docs != list(required))
            t["timer"].add(
                case_id,
                "document_reminder",
                ts(created + dt.timedelta(days=3)),
                "PENDING" if pending else "FIRED",
                ts(created),
                None if pending else ts(created + dt.timedelta(days=3)),
            )

        # Messages: welcome, required documents, expectations; heavy customers chat.
        msg_ids = []
        if agent is not None:
            n_msgs = scale.heavy_messages if heavy else 3
            for n in range(n_msgs):
                msg_ids.append(new_id("msg"))
                inbound = heavy and n >= 3 and n % 2 == 1
                email = n == 2 and not heavy
                template = ("welcome", "missing_documents", "expectations")[n] if n < 3 else ""
                at = created + dt.timedelta(minutes=5 * n + 1)
                t["message"].add(
                    msg_ids[-1],
                    cid,
                    case_id,
                    "EMAIL" if email else "WHATSAPP",
                    "INBOUND" if inbound else "OUTBOUND",
                    template,
                    lang,
                    f"customer{i}@example.com" if email else phone,
                    "What happens next" if email else "",
                    f"Hello {given}, welcome to Ikamet! Message {n} of your onboarding.",
                    "onboarding_welcome" if n == 0 else "",
                    "[]" if n else json.dumps([given]),
                    "RECEIVED" if inbound else ("QUEUED" if status == "OPEN" else "READ"),
                    "system" if not inbound else "worker",
                    ts(at),
                    None if status == "OPEN" else ts(at),
                    ts(at),
                )

        # Timeline: the intake story first, then a filler cycle.
        step = dt.timedelta(minutes=5 if heavy else 30)
        ev = t["event"]
        intro = [
            (None, "CUSTOMER_CREATED", '{"source": "APP_WEB"}'),
            (
                case_id,
                "CASE_OPENED",
                f'{{"number": "ONB-{i}", "playbook": "customer-onboarding v1"}}',
            ),
        ]
        if agent is not None:
            intro += [
                (
                    case_id,
                    "AGENT_ASSIGNED",
                    f'{{"agent_id": "{agent.pk}", "agent_name": '
                    f'{json.dumps(agent.name)}, "reason": "handles {service}; speaks {lang}"}}',
                ),
                (
                    case_id,
                    "MESSAGE_QUEUED",
                    f'{{"template": "welcome", "channel": "WHATSAPP", '
                    f'"message_id": "{msg_ids[0]}"}}',
                ),
                (
                    case_id,
                    "TASK_CREATED",
                    f'{{"key": "intake", "task_id": "{task_ids[0]}", '
                    f'"title": "Review", "due_at": "2026-10-30T15:00:00+00:00"}}',
                ),
            ]
        else:
            intro.append(
                (
                    case_id,
                    "FLAG_RAISED",
                    '{"code": "nationality_missing", '
                    '"field": "nationality", "message": "Nationality is missing"}',
                )
            )
        m0 = msg_ids[0] if msg_ids else ""
        d0 = doc_ids[0] if doc_ids else ""
        for n in range(n_events):
            at = ts(created + n * step)
            if n < len(intro):
                c, kind, payload = intro[n]
            else:
                kind, payload = EVENT_FILLER[n % len(EVENT_FILLER)]
                payload = payload.format(m=m0, d=d0)
                c = case_id
            ev.add(cid, c, kind, ACTORS[n % len(ACTORS)], payload, at)
        return cid, team


def create_other_team(bench: Bench) -> list[Any]:
    """A second team: its customers are invisible to the benchmark agent."""
    from opsdesk.staff.models import Team
    from opsdesk.staff.services import agent_create

    izmir = Team.objects.create(name="Izmir", calendar=bench.team.calendar)
    return [
        agent_create(
            username=u,
            name=n,
            password=None,
            team=izmir,
            languages=["tr", "en"],
            service_types=["immigration", "insurance"],
            capacity=1000,
        )
        for u, n in (("deniz", "Deniz Aksoy"), ("ali", "Ali Vural"))
    ]


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    connection.close()


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Measured:
    label: str
    seconds: list[float]
    queries: list[int]
    statuses: Counter[int]
    size: int
    error: str = ""  # the first server error, if any

    def line(self) -> str:
        stats = summary_ms(self.seconds)
        qs = sorted(set(self.queries))
        codes = ", ".join(f"{c}x{n}" for c, n in sorted(self.statuses.items()))
        return (
            f"  {self.label:28s} n={len(self.seconds):<4d} {fmt_ms(stats, ('p50', 'p95', 'p99'))}"
            f"  queries {qs[0] if len(qs) == 1 else qs}  HTTP {codes}  {self.size // 1024} KiB"
            + (f"\n    !! {self.error}" if self.error else "")
        )

    @property
    def p95(self) -> float:
        return summary_ms(self.seconds)["p95"]


def measure(client: Any, label: str, urls: Iterable[str], warmup: int = 5) -> Measured:
    urls = list(urls)
    for url in urls[:warmup]:
        client.get(url)
    seconds, queries, statuses, size = [], [], Counter(), 0
    clock = time.perf_counter
    error = ""
    for url in urls:
        with counting() as counter:
            t0 = clock()
            response = client.get(url)
            seconds.append(clock() - t0)
        queries.append(counter.count)
        statuses[response.status_code] += 1
        size = max(size, len(response.content))
        if response.status_code >= 500 and not error:
            exc = getattr(response, "exc_info", None)
            error = f"{exc[0].__name__}: {exc[1]}" if exc else response.reason_phrase
    return Measured(label, seconds, queries, statuses, size, error)


def slowest_queries(client: Any, url: str, top: int) -> list[str]:
    """One request with every statement timed: the `top` slowest, for the report."""
    with counting(keep=True) as counter:
        t0 = time.perf_counter()
        client.get(url)
        total = time.perf_counter() - t0
    in_db = sum(s for s, _ in counter.timings)
    lines = [
        f"  {url}: {1000 * total:.1f} ms, {counter.count} queries, "
        f"{1000 * in_db:.1f} ms in the database"
    ]
    for seconds, sql in sorted(counter.timings, reverse=True)[:top]:
        text = " ".join(sql.split())
        lines.append(
            f"    {1000 * seconds:7.2f} ms  {text[:150]}{'...' if len(text) > 150 else ''}"
        )
    return lines


def pages(
    bench: Bench, loaded: Loaded, rng: random.Random, n: int, heavy_n: int, slow: int
) -> list[Measured]:
    from django.test import Client

    agent = bench.agents[0]
    # Errors become 500 responses (counted and reported) instead of ending the run.
    client = Client(SERVER_NAME="localhost", raise_request_exception=False)
    client.force_login(agent.user)
    anonymous = Client(SERVER_NAME="localhost", raise_request_exception=False)
    normal = [f"/customers/{rng.choice(loaded.normal)}/" for _ in range(n)]
    heavy = [f"/customers/{rng.choice(loaded.heavy)}/" for _ in range(heavy_n)]
    out = [
        measure(anonymous, "baseline GET /login/", ["/login/"] * n),
        measure(client, "workspace (~10 events)", normal),
        measure(client, "workspace (heavy customer)", heavy),
        measure(client, "my tasks /tasks/", ["/tasks/"] * n),
    ]
    for m in out:
        print(m.line())
    if slow:
        print(f"slowest queries of one request each (top {slow}):")
        for url in (normal[0], heavy[0], "/tasks/"):
            print("\n".join(slowest_queries(client, url, slow)))
    return out


# --- main ---------------------------------------------------------------------------------


def run(kind: str, args: argparse.Namespace) -> int:
    bench = prepare(kind, keep=args.keep)
    try:
        return report(bench, args)
    finally:
        bench.close()


def report(bench: Bench, args: argparse.Namespace) -> int:
    header(
        f"latency benchmark: {kind_name(bench.kind)}, {args.customers} customers, "
        f"{args.events} timeline events"
    )
    print(f"database:  {database_version()}   ({bench.url})")
    print(f"machine:   {machine()}")
    agents = [*bench.agents, *create_other_team(bench)]
    loader = Loader(bench, agents, args.seed)
    rng = random.Random(args.seed)
    open_cases = OPEN_PER_AGENT * len(agents)
    small = Scale(
        customers=max(args.customers // 100, open_cases + UNASSIGNED_OPEN + 100),
        events=args.events // 100,
        heavy=1,
        heavy_events=args.heavy_events // 5,
        heavy_messages=args.heavy_messages // 5,
        open_cases=open_cases,
        unassigned=UNASSIGNED_OPEN,
    )
    small.events = max(small.events, small.customers * 10)
    rest = Scale(
        customers=args.customers - small.customers,
        events=args.events - small.events,
        heavy=args.heavy - 1,
        heavy_events=args.heavy_events,
        heavy_messages=args.heavy_messages,
        open_cases=0,
        unassigned=0,
    )
    print(
        f"benchmark agent: {bench.agents[0].name} ({bench.agents[0].user.username}), "
        f"team {bench.team.name}; {len(agents)} agents in 2 teams"
    )

    header("step 1: small dataset")
    first = loader.load(0, small)
    analyze()
    print(f"loaded {first.rows.total()} rows in {first.seconds:.1f} s: " + rows_line(first.rows))
    small_pages = pages(bench, first, rng, args.small_requests, args.small_requests // 4, 0)

    header("step 2: full dataset")
    second = loader.load(small.customers, rest)
    t0 = time.perf_counter()
    analyze()
    print(
        f"loaded {second.rows.total()} more rows in {second.seconds:.1f} s "
        f"(+{time.perf_counter() - t0:.1f} s ANALYZE): " + rows_line(second.rows)
    )
    total = first.rows + second.rows
    print(
        f"total: {total['customers_customer']} customers, "
        f"{total['cases_timelineevent']} timeline events, {total.total()} rows"
    )
    merged = Loaded(normal=first.normal + second.normal, heavy=first.heavy + second.heavy)
    full_pages = pages(bench, merged, rng, args.requests, args.requests // 4, args.slow)

    header(f"verdict ({kind_name(bench.kind)})")
    print("query counts, small dataset -> full dataset (must be equal):")
    equal = True
    for s, f in zip(small_pages, full_pages, strict=True):
        same = set(s.queries) == set(f.queries) and len(set(f.queries)) == 1
        equal &= same or s.label.startswith("baseline")
        print(
            f"  {f.label:28s} {sorted(set(s.queries))} -> {sorted(set(f.queries))}  "
            f"{'equal' if same else 'DIFFERENT'}"
        )
    print(f"  => query counts {'independent of the data size' if equal else 'DEPEND on data'}")
    base = full_pages[0]
    print(
        f"baseline (login page): p50 {summary_ms(base.seconds)['p50']:.2f} ms, "
        f"p95 {base.p95:.2f} ms"
    )
    ok = True
    for m in full_pages[1:]:
        errors = sum(n for code, n in m.statuses.items() if code != 200)
        met = m.p95 < TARGET_P95_MS and not errors
        ok &= met
        print(
            f"  {m.label:28s} p95 {m.p95:7.2f} ms  target < {TARGET_P95_MS:.0f} ms: "
            f"{'MET' if met else 'MISSED'}"
            + (f" ({errors} non-200 responses)" if errors else "")
            + f"  ({m.p95 / base.p95:.1f}x the baseline)"
        )
    print(f"overall: {'targets met' if ok and equal else 'target MISSED'}")
    return 0


def kind_name(kind: str) -> str:
    return {"sqlite": "SQLite", "postgres": "PostgreSQL"}[kind]


def rows_line(rows: Counter[str]) -> str:
    return ", ".join(f"{t} {n}" for t, n in sorted(rows.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_db_argument(parser)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--heavy", type=int, default=20, help="customers with thousands of events")
    parser.add_argument("--heavy-events", type=int, default=5000)
    parser.add_argument("--heavy-messages", type=int, default=300)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--small-requests", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261028)
    parser.add_argument("--slow", type=int, default=5, help="slowest queries shown per page")
    args = parser.parse_args()
    if args.heavy < 1 or args.customers < 1000 or args.events < args.customers:
        parser.error("needs --heavy >= 1, --customers >= 1000 and --events >= --customers")
    return run_per_database(args, lambda kind: run(kind, args))


if __name__ == "__main__":
    sys.exit(main())
