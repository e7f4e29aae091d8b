"""Faults, the long run: database outages and provider failures while work goes on.

A gunicorn web process and an `opsdesk worker` run against PostgreSQL through a TCP
proxy (tests/runtime/test_db_restart.py: `DatabaseProxy`) and send WhatsApp messages
to the fake Cloud API (tests/fakes/whatsapp_cloud.py). While the API creates customers
and the worker fires due reminders and sends messages, each round breaks something:
the database "restarts" (every connection reset, new ones refused for 1.5-4 s) or has
its backends killed (pg_terminate_backend), and the provider answers 500s, 429s with
Retry-After, or stalls and drops requests. At the end the worker must have finished
everything: every message sent once (duplicates 0), nothing lost (0).

Prints rounds, items sent, duplicates, lost, and how long web and worker took to
recover after each outage (p50 / max). PostgreSQL only (SQLite has no server to
restart). About 2-3 minutes:

    .venv/bin/python bench/faults.py [--rounds 12] [--seed 9]
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# A database of its own, so it never drops another benchmark's.
os.environ.setdefault("OPSDESK_BENCH_PG_DATABASE", "opsdesk_bench_faults")

from _setup import percentile, postgres_available, prepare

SEEDED = 100  # customers onboarded ten days ago: their reminders are due
OUTAGE = (1.5, 4.0)  # seconds a restart keeps the database away
ROUND = 6.0  # seconds of load per round besides the outage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    if (why := postgres_available()) is not None:
        sys.exit(f"PostgreSQL is needed (a restart needs a server): {why}")
    bench = prepare("postgres")
    try:
        run(args.rounds, random.Random(args.seed))
    finally:
        bench.close()


def run(rounds: int, rng: random.Random) -> None:
    import datetime as dt

    import httpx
    from django.db import connection

    from opsdesk.access.tokens import token_create
    from opsdesk.common import clock
    from opsdesk.common.actors import Actor
    from opsdesk.customers.services import CustomerInput, customer_create
    from opsdesk.staff.services import agent_create
    from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud
    from tests.runtime.test_db_restart import (
        DatabaseProxy,
        Load,
        running_worker,
        serving,
        stack_env,
    )

    integration = agent_create(username="app-web", name="App", password=None, role="integration")
    _, token = token_create(integration.user, "app-web")
    clock.set_now(clock.now() - dt.timedelta(days=10))
    for i in range(SEEDED):
        customer_create(
            CustomerInput(
                given_name="Deniz",
                family_name="Yıldız",
                phone=f"+90532{1000000 + i:07d}",
                whatsapp=True,
                nationality="TR",
                language="tr",
                fields={"service_type": "immigration"},
            ),
            Actor("bench"),
        )
    clock.set_now(None)
    connection.close()  # the proxy's test kills backends: not ours

    provider = FakeWhatsAppCloud().start()
    provider.delay_next(0.01, count=1_000_000)  # a provider call takes a little while
    web_recovery: list[float] = []
    worker_recovery: list[float] = []
    kinds: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    log = Path(tempfile.mkdtemp(prefix="opsdesk-faults-")) / "worker.log"
    with DatabaseProxy() as proxy:
        env = stack_env(proxy, provider)
        env["OPSDESK_SEND_LEASE_SECONDS"] = "10"
        with (
            serving(env, log.with_name("web.log"), "--workers", "2") as (base, web),
            running_worker(env, log) as worker,
        ):
            probe = httpx.Client(base_url=base, timeout=10)
            load = Load(base, token, every=0.05).__enter__()
            for n in range(1, rounds + 1):
                fault = rng.choice(("500", "429", "stall"))
                kinds[fault] += 1
                if fault == "500":
                    provider.fail_next(500, count=rng.randint(2, 6))
                elif fault == "429":
                    provider.fail_next(429, retry_after=1, count=rng.randint(2, 6))
                else:
                    provider.hang_next(1.0, count=rng.randint(1, 3))
                time.sleep(ROUND / 2)
                outage = "restart" if n % 3 else "terminate"
                kinds[outage] += 1
                sent_before = len(provider.requests)
                if outage == "restart":
                    proxy.cut()
                    time.sleep(rng.uniform(*OUTAGE))
                    proxy.restore()
                else:
                    terminate_backends()
                back = time.perf_counter()
                web_recovery.append(until(lambda: probe.get("/readyz").status_code == 200) - back)
                sent = until(lambda n=sent_before: len(provider.requests) > n)  # type: ignore[misc]
                worker_recovery.append(sent - back)
                print(
                    f"round {n:2d}: provider {fault:5s} database {outage:9s} "
                    f"web back in {web_recovery[-1]:5.2f} s, "
                    f"worker in {worker_recovery[-1]:5.2f} s",
                    flush=True,
                )
                time.sleep(ROUND / 2)
            load.__exit__(None, None, None)  # no new work: what is there must get done
            load_results = list(load.results)
            # The last retries wait their backoff (5 s doubling): give them time.
            until(settled, limit=180)
            alive = worker.poll() is None and web.poll() is None
            probe.close()
    provider.stop()
    report(provider, load_results, web_recovery, worker_recovery, kinds, alive, started, log)


def terminate_backends() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()


def settled() -> bool:
    from opsdesk.common import clock
    from opsdesk.runtime.models import OutboxItem, Timer

    return (
        not Timer.objects.filter(status="PENDING", due_at__lte=clock.now()).exists()
        and not OutboxItem.objects.filter(status__in=("PENDING", "SENDING")).exists()
    )


def until(condition: Any, limit: float = 60.0) -> float:
    """Poll `condition` until true; the moment it was (perf_counter)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        try:
            if condition():
                return time.perf_counter()
        except Exception:
            pass
        time.sleep(0.05)
    return float("nan")


def report(
    provider: Any,
    load_results: list[tuple[str, int]],
    web_recovery: list[float],
    worker_recovery: list[float],
    kinds: collections.Counter[str],
    alive: bool,
    started: float,
    log: Path,
) -> None:
    from opsdesk.common import clock
    from opsdesk.comms.models import Message
    from opsdesk.customers.models import Customer
    from opsdesk.runtime.models import OutboxItem, Timer

    keys = collections.Counter(r["biz_opaque_callback_data"] for r in provider.requests)
    duplicates = sum(n - 1 for n in keys.values() if n > 1)
    statuses = collections.Counter(Message.objects.values_list("status", flat=True))
    outbox = collections.Counter(OutboxItem.objects.values_list("status", flat=True))
    phones = set(Customer.objects.values_list("phone", flat=True))
    confirmed = [p for p, s in load_results if s == 201]
    missing_customers = sum(p not in phones for p in confirmed)
    not_sent = sum(n for s, n in statuses.items() if s != "SENT")
    due_left = Timer.objects.filter(status="PENDING", due_at__lte=clock.now()).count()
    not_done = sum(n for s, n in outbox.items() if s != "DONE")
    http = collections.Counter(s for _, s in load_results)
    print()
    print(f"rounds             {len(web_recovery)} ({dict(kinds)})")
    print(
        f"API creates        {len(load_results)}: {dict(sorted(http.items()))} "
        "(500: during an outage, answered at once)"
    )
    print(f"items sent         {len(keys)} messages, {sum(keys.values())} provider calls accepted")
    print(f"duplicates         {duplicates}  (must be 0)")
    print(
        f"lost               {missing_customers + not_sent + not_done + due_left}  (must be 0: "
        f"{missing_customers} confirmed customers missing, {not_sent} messages not sent "
        f"{dict(statuses)}, outbox {dict(outbox)}, {due_left} due timers not fired)"
    )
    print(
        f"web recovery       p50 {percentile(web_recovery, 50):.2f} s  "
        f"max {max(web_recovery):.2f} s  (to /readyz 200)"
    )
    print(
        f"worker recovery    p50 {percentile(worker_recovery, 50):.2f} s  "
        f"max {max(worker_recovery):.2f} s  (to its next accepted send)"
    )
    print(f"processes          {'never restarted' if alive else 'DIED'}; worker log {log}")
    print(f"took               {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
