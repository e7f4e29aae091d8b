"""The worker loop: fire due timers, dispatch the outbox, sleep when idle."""

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
from opsdesk.runtime.timers import fire_due_timers

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, *, interval: float = 1.0, batch: int | None = None):
        self.interval = interval
        self.batch = batch or settings.OPSDESK_WORKER_BATCH
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = False

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("worker %s stopping after this pass (signal %s)", self.name, signum)
        self.stopping = True

    def run_once(self) -> int:
        """One pass; returns how many timers and messages it handled."""
        now = clock.now()
        return fire_due_timers(now, self.batch) + dispatch_due(now, self.name, self.batch)

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        log.info("worker %s started", self.name)
        while not self.stopping:
            close_old_connections()  # survive a database restart between passes
            try:
                busy = self.run_once()
            except Exception:
                log.exception("worker pass failed; retrying")
                busy = 0
            if not busy:
                time.sleep(self.interval)
