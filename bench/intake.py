"""Intake benchmark: N onboardings through the domain layer vs the same rows inserted raw.

    .venv/bin/python bench/intake.py --db both --n 2000
    .venv/bin/python bench/intake.py --db sqlite --n 500 --profile

Each onboarding is one `customer_create` call (its own transaction, every SOP
step that runs at intake: profile flags, agent assignment, welcome / missing
documents / expectations messages with their outbox rows, the intake task with
its business-day due date, the document reminder timer). The baseline, in the
same run and on the same connection: the very rows those onboardings wrote,
cloned with new ids and inserted with one `executemany` per table, one
transaction per customer. Target (one process, this 2-core machine): 500
onboardings/s on SQLite, 300/s on PostgreSQL. Nothing here asserts; it prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
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

TARGETS = {"sqlite": 500.0, "postgres": 300.0}
WARMUP = 50

NOTES = (
    "Wants to renew the residence permit before summer",
    "Family of four; spouse applies separately",
    "Came through a partner agency",
    "Prefers WhatsApp, no calls",
    "",
)


def make_customers(n: int, seed: int) -> list[Any]:
    """`n` varied, realistic intake forms (about three in four with a clean profile)."""
    from opsdesk.customers.services import CustomerInput

    rng = random.Random(seed)
    today = dt.date.today()
    out = []
    for i in range(n):
        turkish = rng.random() < 0.6
        given = rng.choice(TR_GIVEN if turkish else EN_GIVEN)
        family = rng.choice(TR_FAMILY if turkish else EN_FAMILY)
        middle = rng.choice(MIDDLE) if rng.random() < 0.15 else ""
        if turkish:
            digits = f"{rng.randrange(100, 1000)} {rng.randrange(10, 100)} {rng.randrange(10, 100)}"
            phone, local = f"+90 {rng.choice(TR_MOBILE)} {digits}", f"0532 {digits}"
        else:
            mobile = rng.choice(UK_MOBILE)
            phone = f"+44 {mobile} {rng.randrange(100000, 1000000)}"
            local = f"0{mobile} {rng.randrange(100000, 1000000)}"
        whatsapp = True
        r = rng.random()
        if r < 0.03:
            phone = ""  # flag: phone_missing
        elif r < 0.06:
            phone = local  # flag: phone_no_country_code
        elif r < 0.08:
            whatsapp = False  # flag: phone_not_whatsapp
        slug = f"{given}.{family}".lower().replace("'", "").replace(" ", "")
        slug = slug.translate(str.maketrans("çğıöşüİ", "cgiosui"))
        email = "" if rng.random() < 0.05 else f"{slug}{i}@example.com"
        nationality = (
            ""
            if rng.random() < 0.12
            else ("TR" if turkish else rng.choice(("GB", "GB", "US", "DE", "IE")))
        )
        service = "immigration" if rng.random() < 0.65 else "insurance"
        fields: dict[str, Any] = {"service_type": service}
        if rng.random() < 0.3:
            fields["deadline"] = (today + dt.timedelta(days=rng.randrange(5, 120))).isoformat()
        if rng.random() < 0.4:
            fields["intake_notes"] = rng.choice(NOTES) or "Called twice about the appointment"
        has_order = rng.random() < 0.5
        required = DOCUMENTS[service]
        r = rng.random()
        documents = (
            list(required)
            if r < 0.1
            else rng.sample(required, rng.randrange(1, len(required)))
            if r < 0.45
            else []
        )
        out.append(
            CustomerInput(
                given_name=given,
                middle_name=middle,
                family_name=family,
                phone=phone,
                whatsapp=whatsapp,
                email=email,
                nationality=nationality,
                language="tr" if turkish and rng.random() < 0.85 else "en",
                source="APP_WEB" if has_order else "STAFF",
                fields=fields,
                order={"service_type": service, "notes": rng.choice(NOTES)} if has_order else None,
                documents=documents,
            )
        )
    return out


# --- the domain run -------------------------------------------------------------------


@dataclass
class DomainRun:
    customer_ids: list[str]
    seconds: list[float]
    elapsed: float
    queries: int
    rows: dict[str, int]  # table -> rows inserted by the timed onboardings
    states: Counter[str]


def table_counts() -> dict[str, int]:
    from django.apps import apps

    return {
        m._meta.db_table: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label not in ("contenttypes", "sessions", "admin")
    }


def onboard(bench: Bench, inputs: list[Any]) -> tuple[list[str], list[float]]:
    from opsdesk.common.actors import Actor
    from opsdesk.customers.services import customer_create

    staff = Actor.of_user(bench.agents[0].user)
    app_web = Actor("api:app-web")
    ids, seconds = [], []
    clock = time.perf_counter
    for data in inputs:
        actor = app_web if data.source == "APP_WEB" else staff
        t0 = clock()
        customer = customer_create(data, actor)
        seconds.append(clock() - t0)
        ids.append(customer.pk)
    return ids, seconds


def domain_run(bench: Bench, inputs: list[Any]) -> DomainRun:
    from opsdesk.cases.models import Case

    before = table_counts()
    with counting() as counter:
        t0 = time.perf_counter()
        ids, seconds = onboard(bench, inputs)
        elapsed = time.perf_counter() - t0
    after = table_counts()
    rows = {t: after[t] - before[t] for t in after if after[t] != before[t]}
    states = Counter(Case.objects.filter(customer_id__in=ids).values_list("state", flat=True))
    return DomainRun(ids, seconds, elapsed, counter.count, rows, states)


# --- the raw baseline -------------------------------------------------------------------


def clone_plan(
    customer_ids: list[str],
) -> tuple[list[tuple[str, list[list[tuple[Any, ...]]]]], int]:
    """What the baseline inserts: per table, per customer, the rows the domain wrote.

    Rows are re-read through the ORM, given new ids (foreign keys remapped) and
    turned into database parameters with each field's get_db_prep_save, so the
    timed loop only runs executemany. Returns ([(sql, [rows of customer i])], rows).
    """
    from django.db import connection, models

    from opsdesk.cases.models import Case, Flag, TimelineEvent
    from opsdesk.common.ids import new_id
    from opsdesk.comms.models import Message
    from opsdesk.customers.models import Customer, Document, Order
    from opsdesk.runtime.models import OutboxItem, Timer
    from opsdesk.tasks.models import Task

    index = {cid: i for i, cid in enumerate(customer_ids)}
    # Insert order respects the foreign keys; `owner` finds the customer of a row.
    plan: list[tuple[type[models.Model], Any, str]] = [
        (Customer, Customer.objects.filter(pk__in=customer_ids), "pk"),
        (Order, Order.objects.filter(customer_id__in=customer_ids), "customer_id"),
        (Document, Document.objects.filter(customer_id__in=customer_ids), "customer_id"),
        (Case, Case.objects.filter(customer_id__in=customer_ids), "customer_id"),
        (Flag, Flag.objects.filter(case__customer_id__in=customer_ids), "case__customer_id"),
        (Message, Message.objects.filter(customer_id__in=customer_ids), "customer_id"),
        (
            OutboxItem,
            OutboxItem.objects.filter(message__customer_id__in=customer_ids),
            "message__customer_id",
        ),
        (Task, Task.objects.filter(customer_id__in=customer_ids), "customer_id"),
        (Timer, Timer.objects.filter(case__customer_id__in=customer_ids), "case__customer_id"),
        (TimelineEvent, TimelineEvent.objects.filter(customer_id__in=customer_ids), "customer_id"),
    ]
    new_pk: dict[str, str] = {}

    def remap(old: str | None) -> str | None:
        if old is None:
            return None
        if old not in new_pk:
            new_pk[old] = new_id(old.split("_", 1)[0])
        return new_pk[old]

    out, total = [], 0
    for model, qs, owner in plan:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
        ]
        table = connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})"
        per_customer: list[list[tuple[Any, ...]]] = [[] for _ in customer_ids]
        owner_values = dict(qs.values_list("pk", owner)) if owner != "pk" else None
        for obj in qs.order_by("pk"):
            who = obj.pk if owner_values is None else owner_values[obj.pk]
            for f in fields:
                if f.primary_key or (
                    f.is_relation
                    and f.related_model is not None
                    and f.related_model in (Customer, Case, Message)
                ):
                    setattr(obj, f.attname, remap(getattr(obj, f.attname)))
            if model is Case:
                obj.number = f"RAW-{obj.pk}"
            per_customer[index[who]].append(
                tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
            )
            total += 1
        out.append((sql, per_customer))
    return out, total


def raw_run(plan: list[tuple[str, list[list[tuple[Any, ...]]]]], n: int) -> tuple[float, int]:
    from django.db import connection, transaction

    with counting() as counter:
        t0 = time.perf_counter()
        for i in range(n):
            with transaction.atomic(), connection.cursor() as cur:
                for sql, per_customer in plan:
                    if per_customer[i]:
                        cur.executemany(sql, per_customer[i])
        elapsed = time.perf_counter() - t0
    return elapsed, counter.count


# --- query breakdown and profile --------------------------------------------------------

_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


def query_breakdown(data: Any) -> list[str]:
    from opsdesk.common.actors import Actor
    from opsdesk.customers.services import customer_create

    with counting(keep=True) as counter:
        customer_create(data, Actor("api:app-web"))
    lines: Counter[str] = Counter()
    for sql in counter.statements:
        verb = sql.split(None, 1)[0].upper()
        match = _TABLE.search(sql)
        lines[f"{verb:9s} {match.group(1) if match else ''}"] += 1
    return [f"  {count:3d} x {what}" for what, count in sorted(lines.items())]


def profile(bench: Bench, inputs: list[Any], profiler: str, top: int) -> None:
    header(f"profile ({profiler}) of {len(inputs)} more onboardings")
    if profiler == "pyinstrument":
        try:
            from pyinstrument import Profiler
        except ImportError:
            print(
                "pyinstrument is not installed (.venv/bin/pip install pyinstrument); "
                "falling back to cProfile"
            )
            profiler = "cprofile"
        else:
            p = Profiler(interval=0.0005)
            p.start()
            onboard(bench, inputs)
            p.stop()
            text = p.output_text(unicode=True, color=False, show_all=False)
            print("\n".join(text.splitlines()[: top * 2]))
            return
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    onboard(bench, inputs)
    prof.disable()
    stats = pstats.Stats(prof, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


# --- main ---------------------------------------------------------------------------------


def run(kind: str, args: argparse.Namespace) -> int:
    bench = prepare(kind, keep=args.keep)
    try:
        return report(bench, args)
    finally:
        bench.close()


def report(bench: Bench, args: argparse.Namespace) -> int:
    n, kind = args.n, bench.kind
    header(f"intake benchmark: {kind}, N={n} onboardings (+{WARMUP} warm-up)")
    print(f"database:  {database_version()}   ({bench.url})")
    print(f"machine:   {machine()}")
    print(f"setup (create db, migrate, playbook, 10 agents): {bench.setup_seconds:.1f} s")
    inputs = make_customers(WARMUP + n + 1, seed=args.seed)
    onboard(bench, inputs[:WARMUP])

    result = domain_run(bench, inputs[WARMUP : WARMUP + n])
    rows_total = sum(result.rows.values())
    stats = summary_ms(result.seconds)
    rate = n / result.elapsed
    print(f"\ndomain layer: customer_create x {n}, one transaction each")
    print(f"  onboardings/s       {rate:9.1f}")
    print(f"  ms per onboarding   {fmt_ms(stats, ('mean', 'p50', 'p95', 'p99', 'max'))}")
    print(f"  queries/onboarding  {result.queries / n:9.2f}   ({result.queries} statements)")
    print(f"  rows/onboarding     {rows_total / n:9.2f}   ({rows_total} rows inserted)")
    print("  rows per table      " + ", ".join(f"{t} {c}" for t, c in sorted(result.rows.items())))
    print("  case states         " + ", ".join(f"{s} {c}" for s, c in result.states.most_common()))

    plan, cloned = clone_plan(result.customer_ids)
    raw_elapsed, raw_queries = raw_run(plan, n)
    raw_rate = n / raw_elapsed
    print(
        f"\nbaseline: the same {cloned} rows inserted raw (executemany per table, "
        "one transaction per customer, same connection)"
    )
    print(f"  customers/s         {raw_rate:9.1f}   ({1000 * raw_elapsed / n:.3f} ms per customer)")
    print(f"  rows/s              {cloned / raw_elapsed:9.0f}")
    print(f"  statements/customer {raw_queries / n:9.2f}")
    print(f"  domain rows/s       {rows_total / result.elapsed:9.0f}")
    print(f"  ratio               domain is {raw_rate / rate:.1f}x slower than the raw inserts")

    target = TARGETS[kind]
    verdict = "MET" if rate >= target else "MISSED"
    print(
        f"\ntarget {target:.0f} onboardings/s on {kind}: {verdict} ({rate:.1f}/s, "
        f"{100 * rate / target:.0f}% of target)"
    )

    header("queries of one onboarding with a clean profile (reaches intake), an order, 2 documents")
    clean = inputs[-1]
    clean.phone, clean.whatsapp, clean.email = "+90 532 111 22 33", True, "bench@example.com"
    clean.nationality, clean.given_name, clean.family_name = "TR", "Ayşe", "Yılmaz"
    clean.order = {"service_type": "immigration", "notes": ""}
    clean.fields = {"service_type": "immigration"}
    clean.documents = ["Passport (all pages)", "Biometric photo"]
    lines = query_breakdown(clean)
    print(f"  {sum(int(x.split(' x ')[0]) for x in lines)} statements:")
    print("\n".join(lines))

    if args.profile:
        more = make_customers(args.profile_n, seed=args.seed + 1)
        profile(bench, more, args.profiler, args.top)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_db_argument(parser)
    parser.add_argument("--n", type=int, default=2000, help="timed onboardings (default 2000)")
    parser.add_argument("--seed", type=int, default=20261028)
    parser.add_argument("--profile", action="store_true", help="profile extra onboardings")
    parser.add_argument("--profile-n", type=int, default=500)
    parser.add_argument("--profiler", choices=("pyinstrument", "cprofile"), default="pyinstrument")
    parser.add_argument("--top", type=int, default=40, help="profile lines to print")
    args = parser.parse_args()
    return run_per_database(args, lambda kind: run(kind, args))


if __name__ == "__main__":
    sys.exit(main())
