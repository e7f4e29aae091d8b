"""Workers as real processes: killed with SIGKILL at random points, and several at once.

Nothing may be lost (every due timer fires, every message is dealt with) and
nothing may happen twice (no timer fires twice, no message reaches the
provider twice).
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from opsdesk.cases.models import TimelineEvent
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.runtime.models import OutboxItem, Timer
from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = 60


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user, host, port = s["USER"] or "postgres", s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    return f"postgresql://{user}@{host}:{port}/{s['NAME']}"


def worker_env(server: FakeWhatsAppCloud) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
        "OPSDESK_ALLOW_INSECURE_KEY": "1",
        "DATABASE_URL": database_url(),
        "OPSDESK_WHATSAPP_ADAPTER": "whatsapp_cloud",
        "OPSDESK_WHATSAPP_API_BASE": server.url,
        "OPSDESK_WHATSAPP_PHONE_NUMBER_ID": server.phone_number_id,
        "OPSDESK_WHATSAPP_ACCESS_TOKEN": server.token,
        # A dead worker's claims expire fast, so the test need not wait minutes.
        "OPSDESK_SEND_LEASE_SECONDS": "2",
        "OPSDESK_WORKER_BATCH": "5",
        "OPSDESK_LOG_LEVEL": "WARNING",
    }


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "opsdesk.cli", "worker", "--interval", "0.05"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def seed(frozen_clock: Any) -> None:
    """Customers onboarded in the past: their reminder timers are due by the wall clock."""
    families = ["Yıldız", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk"]
    for i in range(CUSTOMERS):
        customer_create(
            CustomerInput(
                given_name="Deniz",
                family_name=families[i % len(families)],
                phone=f"+90532{1234500 + i:07d}",
                whatsapp=True,
                email=f"deniz{i}@example.com",
                nationality="TR",
                language="tr",
                fields={"service_type": "immigration"},
            ),
            Actor("test"),
        )
    assert Timer.objects.filter(status="PENDING").count() == CUSTOMERS  # all in intake
    frozen_clock.set_now(None)  # the workers run on the wall clock, weeks later


def settled() -> bool:
    return (
        not Timer.objects.filter(status="PENDING", due_at__lte=_now()).exists()
        and not OutboxItem.objects.filter(status__in=("PENDING", "SENDING")).exists()
    )


def _now() -> Any:
    from opsdesk.common import clock

    return clock.now()


def assert_nothing_lost_nothing_twice(server: FakeWhatsAppCloud, kills: int) -> None:
    # Every due reminder fired exactly once.
    fired = Timer.objects.filter(name="document_reminder", status="FIRED").count()
    assert fired == CUSTOMERS
    per_case = collections.Counter(
        TimelineEvent.objects.filter(type="TIMER_FIRED").values_list("case_id", flat=True)
    )
    assert set(per_case.values()) == {1}
    assert Message.objects.filter(template="document_reminder").count() == CUSTOMERS
    # No message reached the provider twice.
    keys = collections.Counter(r["biz_opaque_callback_data"] for r in server.requests)
    assert [k for k, n in keys.items() if n > 1] == []
    # Every message is dealt with: sent, or (killed mid-send) parked as UNKNOWN for an operator.
    statuses = collections.Counter(Message.objects.values_list("status", flat=True))
    assert set(statuses) <= {"SENT", "UNKNOWN"}
    assert statuses["SENT"] + statuses["UNKNOWN"] == CUSTOMERS * 4
    assert statuses["UNKNOWN"] <= kills
    sent_ids = set(Message.objects.filter(status="SENT").values_list("pk", flat=True))
    assert sent_ids <= set(keys)


def test_killed_workers_lose_nothing_and_send_nothing_twice(
    onboarding: Any, staff: Any, frozen_clock: Any, whatsapp_server: FakeWhatsAppCloud
) -> None:
    seed(frozen_clock)
    env = worker_env(whatsapp_server)
    rng = random.Random(20261122)
    kills = 0
    deadline = time.monotonic() + 90
    while not settled() and time.monotonic() < deadline:
        proc = start_worker(env)
        time.sleep(rng.uniform(0.6, 1.1))  # start-up takes about half a second
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        time.sleep(2.1 if kills % 4 == 0 else 0)  # now and then let claims expire
    # A last worker, left alone, finishes what the killed ones could not.
    time.sleep(2.1)
    proc = start_worker(env)
    time.sleep(1.5)  # past start-up, so SIGTERM meets the worker's handler
    try:
        while not settled() and time.monotonic() < deadline + 30:
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0  # SIGTERM ends the pass cleanly
    print(f"{kills} kills")
    assert kills >= 3
    assert_nothing_lost_nothing_twice(whatsapp_server, kills)


def test_several_workers_never_fire_the_same_timer_twice(
    onboarding: Any, staff: Any, frozen_clock: Any, whatsapp_server: FakeWhatsAppCloud
) -> None:
    seed(frozen_clock)
    env = worker_env(whatsapp_server)
    procs = [start_worker(env) for _ in range(3)]
    try:
        deadline = time.monotonic() + 60
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=20)
    assert_nothing_lost_nothing_twice(whatsapp_server, kills=0)
