"""The worker loop: fire due timers, dispatch the outbox, sleep when idle.

Timers come first: they are the playbooks' clock (a cadence's next step, an
escalation), and a firing is a few milliseconds while a provider call may take
a second. A pass fires every due timer (for at most TIMER_SLICE seconds), then
sends a batch of messages; while timers keep falling due, the batch is a fifth
of the usual, so no timer waits behind a long send. Under more load than the
machine can carry, messages queue rather than timers: add workers.

Once a day (the first pass of each UTC day, and the first after a start) it bills
the retainers whose period has started (`opsdesk.billing.services.retainers_bill_due`):
the database says what is due and a period is billed once, so a restart or a second
worker bills nothing twice. With OPSDESK_AUDIT_RETENTION_DAYS set, it then prunes
the personal-data audit log's older views and exports
(`opsdesk.privacy.services.audit_prune`; two workers pruning delete nothing twice).

An idle worker sleeps `interval`, or less when a pending timer falls due
sooner: it wakes when the timer is due instead of up to `interval` later.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType

from django.conf import settings
from django.db import close_old_connections, connection

from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.runtime.outbox import DATABASE_GONE, dispatch_due
from opsdesk.runtime.timers import fire_due_timers, next_due

log = logging.getLogger(__name__)

TIMER_SLICE = 0.5  # seconds of timer firing per pass before the outbox gets its turn


class Worker:
    def __init__(self, *, interval: float = 1.0, batch: int | None = None):
        self.interval = interval
        self.batch = batch or settings.OPSDESK_WORKER_BATCH
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = False
        self.last_pass = clock.now()
        self.done_on: dict[str, dt.date] = {}  # a daily job's name -> the day it last ran

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("worker %s stopping after this pass (signal %s)", self.name, signum)
        self.stopping = True

    def run_once(self) -> int:
        """One pass; returns how many timers and messages it handled."""
        self.last_pass = clock.now()
        self.bill_retainers()
        self.prune_audit()
        fired = self.fire_timers()
        messages = self.batch if not fired else max(1, self.batch // 5)
        return fired + dispatch_due(clock.now(), self.name, messages)

    def daily(self, name: str, job: Callable[[dt.date], None]) -> None:
        """`job(today)` once a day. A failure waits for the next day (or restart)
        rather than retrying every pass, except an unavailable database, which is
        tried again next pass: a restart at midnight must not skip a day."""
        today = clock.now().date()
        if self.done_on.get(name) == today:
            return
        self.done_on[name] = today
        try:
            job(today)
        except DATABASE_GONE:
            del self.done_on[name]
            raise
        except Exception:
            log.exception("%s failed; next try tomorrow", name)

    def bill_retainers(self) -> None:
        # Imported here: billing builds on the runtime, not the other way round.
        from opsdesk.billing.services import retainers_bill_due

        def bill(today: dt.date) -> None:
            invoices = retainers_bill_due(today, Actor("worker"))
            if invoices:
                log.info("billed %d retainer invoice(s)", len(invoices))

        self.daily("billing retainers", bill)

    def prune_audit(self) -> None:
        days = settings.OPSDESK_AUDIT_RETENTION_DAYS
        if not days:
            return  # keep every entry
        from opsdesk.privacy.services import audit_prune

        def prune(today: dt.date) -> None:
            pruned = audit_prune(clock.now() - dt.timedelta(days=days))
            if pruned:
                log.info("pruned %d audit entries older than %d days", pruned, days)

        self.daily("pruning the audit log", prune)

    def fire_timers(self) -> int:
        """Every due timer, batch after batch, for at most TIMER_SLICE seconds."""
        fired, until = 0, time.monotonic() + TIMER_SLICE
        while True:
            n = fire_due_timers(clock.now(), self.batch)
            fired += n
            if n < self.batch or time.monotonic() >= until or self.stopping:
                return fired

    def idle_seconds(self) -> float:
        """How long to sleep after a pass that found nothing: `interval`, or until
        the next timer falls due. Timers due at the pass's `now` that are still
        pending failed or are held by another worker; they wait the interval."""
        due = next_due(self.last_pass)
        if due is None:
            return self.interval
        return max(0.0, min(self.interval, (due - clock.now()).total_seconds()))

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        log.info("worker %s started", self.name)
        while not self.stopping:
            sleep = self.run_pass()
            if sleep:
                time.sleep(sleep)

    def run_pass(self) -> float:
        """One pass of the loop that never raises; how long to sleep after it.

        A database restart, a failover or a killed backend makes the pass fail
        with OperationalError/InterfaceError: the worker logs it, drops the
        connection and tries again after `interval`, so it comes back on its own
        when the database does. Work cut off mid-way is still in the database:
        a timer's transaction rolled back (still PENDING), an outbox claim goes
        back to PENDING when its lease ends."""
        close_old_connections()  # reconnect (health check) if the last pass broke it
        try:
            busy = self.run_once()
            return 0.0 if busy else self.idle_seconds()
        except DATABASE_GONE as exc:
            log.warning("database unavailable (%s); retrying in %ss", exc, self.interval)
            connection.close()
        except Exception:
            log.exception("worker pass failed; retrying")
        return self.interval
