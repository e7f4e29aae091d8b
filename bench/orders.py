"""Bulk order intake: N service orders through the bulk endpoint's code path vs raw inserts.

    .venv/bin/python bench/orders.py --db both --n 100000
    .venv/bin/python bench/orders.py --db sqlite --n 5000 --profile

The domain run sends the orders to `orders_receive` in requests of 5,000 rows
(the bulk endpoint's limit), which validates each row, finds or creates the
customer, finds the zone (polygon or postcode), runs the eligibility checks
and the classification rules of playbooks/service-order.yaml, and for every
eligible routed order opens a case whose first state starts the confirmation
cadence (the WhatsApp template with its outbox row, the cadence timer, the
timeline). About one order in ten is ineligible (handed back with an outbox
row) and one in twenty lands in the exceptions queue.

The baseline, in the same run and on the same connection: the very rows the
domain wrote, cloned with new ids and inserted with `executemany` per table in
chunks of 5,000 rows, in one transaction. Target: the domain at least 20% of the raw rate.
Nothing here asserts; it prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections import Counter
from typing import Any

from _setup import (
    EN_FAMILY,
    EN_GIVEN,
    ROOT,
    TR_FAMILY,
    TR_GIVEN,
    TR_MOBILE,
    add_db_argument,
    counting,
    database_version,
    header,
    machine,
    prepare,
    run_per_database,
)

BATCH = 5000
WEDNESDAY_10AM = dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.UTC)
TARGET_SHARE = 0.20
PLAYBOOK = ROOT / "playbooks" / "service-order.yaml"
SERVICES = ("fiber_install", "modem_swap", "tv_setup")
TEAMS = ("Istanbul COBO", "Ankara COBO", "Business Desk", "Retention", "Sales")


def make_orders(n: int, seed: int, prefix: str) -> list[Any]:
    from opsdesk.orders.intake import OrderInput

    rng = random.Random(seed)
    out = []
    for i in range(n):
        turkish = rng.random() < 0.7
        given = rng.choice(TR_GIVEN if turkish else EN_GIVEN)
        family = rng.choice(TR_FAMILY if turkish else EN_FAMILY)
        phone = (
            f"+90 {rng.choice(TR_MOBILE)} {rng.randrange(100, 1000)} "
            f"{rng.randrange(10, 100)} {rng.randrange(10, 100)}"
        )
        business = rng.random() < 0.2
        r = rng.random()
        if r < 0.45:  # Istanbul, European side, by coordinates
            where = {
                "city": "İstanbul",
                "postcode": "34380",
                "latitude": rng.uniform(40.98, 41.3),
                "longitude": rng.uniform(28.5, 29.0),
            }
        elif r < 0.75:  # Istanbul, Asian side, by coordinates
            where = {
                "city": "İstanbul",
                "postcode": "34710",
                "latitude": rng.uniform(40.85, 41.2),
                "longitude": rng.uniform(29.1, 29.45),
            }
        elif r < 0.95:  # Ankara, by address only
            where = {"city": "Ankara", "postcode": f"06{rng.randrange(100, 1000)}"}
        else:  # outside every zone: the exceptions queue
            where = {"city": "İzmir", "postcode": "35210", "latitude": 38.42, "longitude": 27.14}
        documents = [{"type": "id_card", "valid_until": "2031-06-30"}]
        if business and rng.random() < 0.6:
            documents.append({"type": "tax_certificate", "valid_until": "2027-12-31"})
        out.append(
            OrderInput(
                external_ref=f"{prefix}-{i:07d}",
                given_name=given,
                family_name=family,
                phone=phone,
                email=f"c{prefix.lower()}{i}@example.com",
                language="tr" if turkish else "en",
                service_type=rng.choice(SERVICES),
                customer_type="business" if business else "residential",
                address=f"{rng.randrange(1, 200)} Example Street",
                documents=documents,
                **where,
            )
        )
    return out


def setup_service_desk() -> Any:
    from opsdesk.cases.playbooks import playbook_install
    from opsdesk.orders.services import channel_create
    from opsdesk.staff.models import Team

    playbook_install(PLAYBOOK.read_text(encoding="utf-8"))
    for name in TEAMS:
        Team.objects.get_or_create(name=name)
    channel, _ = channel_create(
        key="telesales", name="Telesales", kind="TELESALES", webhook_url="http://127.0.0.1:9/"
    )
    return channel


def receive(channel: Any, orders: list[Any]) -> tuple[float, list[Any]]:
    from opsdesk.common.actors import Actor
    from opsdesk.orders.intake import orders_receive

    actor = Actor("api:channel-telesales")
    results = []
    t0 = time.perf_counter()
    for start in range(0, len(orders), BATCH):
        results += orders_receive(channel, orders[start : start + BATCH], actor)
    return time.perf_counter() - t0, results


def table_counts() -> dict[str, int]:
    from django.apps import apps

    return {
        m._meta.db_table: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label not in ("contenttypes", "sessions", "admin")
    }


# --- the raw baseline -------------------------------------------------------------------


def clone_rows(order_ids: list[str]) -> tuple[list[tuple[str, list[tuple[Any, ...]]]], int]:
    """Per table, the rows the domain wrote for these orders, with new ids, ready
    for executemany (foreign keys remapped, values prepared by each field)."""
    from django.db import connection, models

    from opsdesk.cases.models import Case, TimelineEvent
    from opsdesk.common.ids import new_id
    from opsdesk.comms.models import Message
    from opsdesk.customers.models import Customer
    from opsdesk.orders.models import HandBack, ServiceOrder
    from opsdesk.runtime.models import OutboxItem, Timer

    orders = ServiceOrder.objects.filter(pk__in=order_ids)
    customers = orders.values("customer_id")
    cases = orders.exclude(case=None).values("case_id")
    plan: list[tuple[type[models.Model], Any]] = [
        (Customer, Customer.objects.filter(pk__in=customers)),
        (Case, Case.objects.filter(pk__in=cases)),
        (ServiceOrder, orders),
        (Message, Message.objects.filter(case_id__in=cases)),
        (OutboxItem, OutboxItem.objects.filter(message__case_id__in=cases)),
        (HandBack, HandBack.objects.filter(order_id__in=order_ids)),
        (OutboxItem, OutboxItem.objects.filter(kind="channel.hand_back")),
        (Timer, Timer.objects.filter(case_id__in=cases)),
        (TimelineEvent, TimelineEvent.objects.filter(customer_id__in=customers)),
    ]
    new_pk: dict[Any, str] = {}

    def remap(old: Any) -> Any:
        if old is None:
            return None
        if old not in new_pk:
            new_pk[old] = new_id(str(old).split("_", 1)[0])
        return new_pk[old]

    out, total = [], 0
    for model, qs in plan:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
        ]
        table = connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})"
        rows = []
        for obj in qs.order_by("pk").iterator(chunk_size=5000):
            for f in fields:
                if f.primary_key or (
                    f.is_relation
                    and f.related_model in (Customer, Case, Message, ServiceOrder, HandBack)
                ):
                    setattr(obj, f.attname, remap(getattr(obj, f.attname)))
            if model is Case:
                obj.number = f"RAW-{obj.pk}"
            if model is ServiceOrder:
                obj.external_ref = f"RAW-{obj.pk}"
            rows.append(
                tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
            )
        total += len(rows)
        out.append((sql, rows))
    return out, total


def raw_run(plan: list[tuple[str, list[tuple[Any, ...]]]]) -> float:
    """The same rows in one transaction, executemany in chunks of BATCH rows per table.

    One transaction (not one per request, as the domain commits): a share of one
    table's rows may point at rows of another table's later share, and the
    foreign keys are checked at commit. It favours the baseline (fewer commits).
    """
    from django.db import connection, transaction

    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        for sql, rows in plan:
            for start in range(0, len(rows), BATCH):
                cur.executemany(sql, rows[start : start + BATCH])
    return time.perf_counter() - t0


# --- main ---------------------------------------------------------------------------------


def run(kind: str, args: argparse.Namespace) -> int:
    bench = prepare(kind, keep=args.keep)
    try:
        return report(kind, args)
    finally:
        bench.close()


def report(kind: str, args: argparse.Namespace) -> int:
    from opsdesk.common import clock

    # A Wednesday at 10:00 in Istanbul: inside business hours, so every accepted
    # order's cadence sends its WhatsApp template at once (at night or on a
    # weekend it would only wait for the morning, and write less).
    clock.set_now(WEDNESDAY_10AM)
    n = args.n
    header(f"bulk order intake: {kind}, N={n} orders in requests of {BATCH}")
    print(f"database:  {database_version()}")
    print(f"machine:   {machine()}")
    channel = setup_service_desk()
    receive(channel, make_orders(500, args.seed + 1, "WARM"))  # caches, first statements

    orders = make_orders(n, args.seed, "TS")
    before = table_counts()
    with counting() as counter:
        elapsed, results = receive(channel, orders)
    after = table_counts()
    rows = {t: after[t] - before[t] for t in after if after[t] != before[t]}
    total_rows = sum(rows.values())
    rate = n / elapsed
    from opsdesk.orders.models import ServiceOrder

    ids = [r.order.pk for r in results if r.order is not None]
    statuses = Counter(ServiceOrder.objects.filter(pk__in=ids).values_list("status", flat=True))
    outcomes = Counter(r.outcome for r in results)
    print(f"\ndomain: orders_receive, {n // BATCH or 1} requests")
    print(f"  orders/s            {rate:9.1f}   ({elapsed:.1f} s)")
    print(f"  queries/order       {counter.count / n:9.3f}   ({counter.count} statements)")
    print(f"  rows/order          {total_rows / n:9.2f}   ({total_rows} rows)")
    print("  rows per table      " + ", ".join(f"{t} {c}" for t, c in sorted(rows.items())))
    print("  outcomes            " + ", ".join(f"{k} {v}" for k, v in outcomes.most_common()))
    print("  order statuses      " + ", ".join(f"{k} {v}" for k, v in statuses.most_common()))

    plan, cloned = clone_rows(ids)
    raw_elapsed = raw_run(plan)
    raw_rate = n / raw_elapsed
    print(
        f"\nbaseline: the same {cloned} rows inserted raw "
        f"(executemany per table in chunks of {BATCH}, one transaction, same connection)"
    )
    print(f"  orders/s            {raw_rate:9.1f}   ({raw_elapsed:.1f} s)")
    print(f"  rows/s              {cloned / raw_elapsed:9.0f}")
    share = rate / raw_rate
    verdict = "MET" if share >= TARGET_SHARE else "MISSED"
    print(
        f"\ntarget: domain >= {TARGET_SHARE:.0%} of the raw rate on {kind}: {verdict} ({share:.1%})"
    )
    if args.profile:
        import cProfile
        import pstats

        more = make_orders(args.profile_n, args.seed + 2, "PROF")
        prof = cProfile.Profile()
        prof.enable()
        receive(channel, more)
        prof.disable()
        stats = pstats.Stats(prof, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_db_argument(parser)
    parser.add_argument("--n", type=int, default=100_000, help="timed orders (default 100000)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-n", type=int, default=5000)
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    return run_per_database(args, lambda kind: run(kind, args))


if __name__ == "__main__":
    sys.exit(main())
