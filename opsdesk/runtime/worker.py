"""The worker loop: fire due timers, dispatch the outbox, sleep when idle.

An idle worker sleeps `interval`, or less when a pending timer falls due
sooner: it wakes when the timer is due instead of up to `interval` later.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from types import FrameType

from django.conf import settings
from django.db import close_old_connections

from opsdesk.common import clock
from opsdesk.runtime.outbox import dispatch_due
from opsdesk.runtime.timers import fire_due_timers, next_due

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, *, interval: float = 1.0, batch: int | None = None):
        self.interval = interval
        self.batch = batch or settings.OPSDESK_WORKER_BATCH
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = False
        self.last_pass = clock.now()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("worker %s stopping after this pass (signal %s)", self.name, signum)
        self.stopping = True

    def run_once(self) -> int:
        """One pass; returns how many timers and messages it handled."""
        self.last_pass = now = clock.now()
        return fire_due_timers(now, self.batch) + dispatch_due(now, self.name, self.batch)

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
            close_old_connections()  # survive a database restart between passes
            try:
                busy = self.run_once()
                sleep = 0.0 if busy else self.idle_seconds()
            except Exception:
                log.exception("worker pass failed; retrying")
                sleep = self.interval
            if sleep:
                time.sleep(sleep)
