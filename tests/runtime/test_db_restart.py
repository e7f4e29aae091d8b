"""The database restarts under load: web and worker recover without manual steps.

A restart is simulated from the application's side, never on the shared server:
a TCP proxy (`DatabaseProxy`) stands between the processes and PostgreSQL, and
`cut()` resets every connection and refuses new ones, as a restarting server
does, until `restore()`. A gunicorn web process (`opsdesk serve`) and an
`opsdesk worker` run against the proxy while the API creates customers and the
worker fires timers and sends their messages to the fake WhatsApp Cloud API.

During the outage /readyz answers 503 and other requests fail fast with a 503
(no hangs); afterwards the same processes serve again, and the worker finishes
every due timer and outbox item: nothing lost, nothing done twice. A second case
kills the processes' backends with `pg_terminate_backend`.

PostgreSQL only: SQLite has no server to restart or connection to cut, so the
tests of this module are not defined (not skipped) on SQLite. What SQLite shares
with it, the worker loop surviving a database error, is tested on both.
"""

from __future__ import annotations

import collections
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import OperationalError, connection

from opsdesk.runtime import worker as worker_module
from opsdesk.runtime.worker import Worker

ROOT = Path(__file__).resolve().parents[2]
POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
OUTAGE = 3.0  # seconds the database stays away
LEASE = 10  # OPSDESK_SEND_LEASE_SECONDS: longer than the outage, as in production (120 s)
SETTLE = 120.0  # seconds the stack may take to finish its work: a bound, not a measurement


class DatabaseProxy:
    """127.0.0.1:<port> -> PostgreSQL; `cut()` is the server going down (every
    connection reset, new ones refused), `restore()` it coming back on the same port."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.upstream = upstream
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.port = _port_outside_the_ephemeral_range()
        self.connections = 0  # accepted since start

    def __enter__(self) -> DatabaseProxy:
        self.restore()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        if self._listener is not None:
            _reset(self._listener)  # new connections are refused from now
            self._listener = None
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            _reset(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._open |= {client, server}
                self.connections += 1
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._open -= {src, dst}
        _reset(src)
        _reset(dst)


def _port_outside_the_ephemeral_range() -> int:
    """A free port the kernel never picks as a connection's source port. While the
    proxy is cut, a client connecting to an ephemeral port could be given that very
    port as its own and connect to itself (TCP self-connect), then wait forever
    for the server's answer to its own startup message."""
    low, _ = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    for port in random.sample(range(max(1024, low - 12000), low), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def _reset(sock: socket.socket) -> None:
    """Close with a RST (SO_LINGER 0), waking any thread blocked on the socket."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


# --- database independent: the worker loop outlives a database error -------------------


def test_a_worker_pass_that_loses_the_database_is_logged_and_the_next_pass_runs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    worker = Worker(interval=0.25)
    outcomes = iter([OperationalError("server closed the connection unexpectedly"), 3])

    def run_once() -> int:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(worker, "run_once", run_once)
    closed: list[bool] = []
    monkeypatch.setattr(worker_module.connection, "close", lambda: closed.append(True))
    monkeypatch.setattr(worker_module, "close_old_connections", lambda: None)
    assert worker.run_pass() == 0.25  # failed: wait the interval, do not die
    assert closed == [True]  # the broken connection is dropped, the next query reconnects
    assert "database unavailable" in caplog.text
    assert worker.run_pass() == 0.0  # busy again: no sleep


def test_retainer_billing_is_tried_again_next_pass_when_the_database_was_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import opsdesk.billing.services as billing

    calls: list[Any] = []

    def bill(today: Any, actor: Any) -> list[Any]:
        calls.append(today)
        if len(calls) == 1:
            raise OperationalError("connection refused")
        return []

    monkeypatch.setattr(billing, "retainers_bill_due", bill)
    worker = Worker()
    with pytest.raises(OperationalError):
        worker.bill_retainers()
    assert worker.done_on == {}  # not done for the day: the next pass tries again
    worker.bill_retainers()
    worker.bill_retainers()
    assert len(calls) == 2  # then once a day, as before


# --- PostgreSQL: real processes behind a proxy --------------------------------------------


def _database_name() -> str:
    return str(connection.settings_dict["NAME"])


def stack_env(proxy: DatabaseProxy, provider: Any) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
        "OPSDESK_ALLOW_INSECURE_KEY": "1",
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{proxy.port}/{_database_name()}",
        "OPSDESK_WHATSAPP_ADAPTER": "whatsapp_cloud",
        "OPSDESK_WHATSAPP_API_BASE": provider.url,
        "OPSDESK_WHATSAPP_PHONE_NUMBER_ID": provider.phone_number_id,
        "OPSDESK_WHATSAPP_ACCESS_TOKEN": provider.token,
        "OPSDESK_SEND_LEASE_SECONDS": str(LEASE),
        "OPSDESK_WORKER_BATCH": "5",
        "OPSDESK_LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


@contextlib.contextmanager
def serving(env: dict[str, str], log: Path, *args: str) -> Iterator[tuple[str, Any]]:
    """`opsdesk serve` on a free port, its output to `log` (a pipe nobody reads
    would fill up with the outage's tracebacks and block the server)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "opsdesk.cli", "serve", "--bind", f"127.0.0.1:{port}", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(httpx.TransportError):
                    httpx.get(f"{base}/healthz", timeout=2)
                    break
                time.sleep(0.1)
            assert proc.poll() is None, log.read_text()
            yield base, proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@contextlib.contextmanager
def running_worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "opsdesk.cli", "worker", "--interval", "0.1"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Load:
    """Creates customers through the API, one every `every` seconds, in a thread."""

    def __init__(self, base: str, token: str, every: float = 0.1) -> None:
        self.client = httpx.Client(
            base_url=base, timeout=10, headers={"Authorization": f"Bearer {token}"}
        )
        self.every = every
        self.results: list[tuple[str, int]] = []  # (phone, HTTP status or 0 for no answer)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.client.close()

    def create(self, i: int) -> tuple[str, int]:
        phone = f"+90533{i:07d}"
        body = {
            "given_name": "Ece",
            "family_name": "Arslan",
            "phone": phone,
            "whatsapp": True,
            "email": f"ece{i}@example.com",
            "nationality": "TR",
            "language": "tr",
            "fields": {"service_type": "immigration"},
        }
        try:
            status = self.client.post("/api/v1/customers", json=body).status_code
        except httpx.TransportError:
            status = 0
        return phone, status

    def _run(self) -> None:
        i = 0
        while not self._stop.wait(self.every):
            i += 1
            self.results.append(self.create(i))


def seed(frozen_clock: Any, count: int) -> None:
    """Customers onboarded weeks ago: their reminder timers are due by the wall clock."""
    from tests.runtime.test_worker import onboard

    for i in range(count):
        onboard(phone=f"+90532{1234500 + i:07d}", email=f"deniz{i}@example.com")
    frozen_clock.set_now(None)


def settled() -> bool:
    from opsdesk.common import clock
    from opsdesk.runtime.models import OutboxItem, Timer

    return (
        not Timer.objects.filter(status="PENDING", due_at__lte=clock.now()).exists()
        and not OutboxItem.objects.filter(status__in=("PENDING", "SENDING")).exists()
    )


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds:.0f} s: {what}"
        time.sleep(0.1)


def assert_nothing_lost_nothing_twice(provider: Any, seeded: int, created: list[str]) -> None:
    from opsdesk.cases.models import TimelineEvent
    from opsdesk.comms.models import Message
    from opsdesk.customers.models import Customer
    from opsdesk.runtime.models import OutboxItem, Timer

    # Every create the API confirmed is there, once.
    phones = collections.Counter(Customer.objects.values_list("phone", flat=True))
    assert [p for p in created if phones[p] != 1] == []
    assert [p for p, n in phones.items() if n > 1] == []
    # Every due reminder fired once and sent its message.
    assert Timer.objects.filter(name="document_reminder", status="FIRED").count() == seeded
    fired = collections.Counter(
        TimelineEvent.objects.filter(type="TIMER_FIRED").values_list("case_id", flat=True)
    )
    assert set(fired.values()) == {1}
    # Every message went out, once: none failed, none parked as "delivery unknown".
    statuses = collections.Counter(Message.objects.values_list("status", flat=True))
    assert set(statuses) == {"SENT"}, statuses
    assert set(OutboxItem.objects.values_list("status", flat=True)) == {"DONE"}
    keys = collections.Counter(r["biz_opaque_callback_data"] for r in provider.requests)
    assert [k for k, n in keys.items() if n > 1] == []
    assert set(keys) == set(Message.objects.values_list("pk", flat=True))


if POSTGRESQL:

    @pytest.mark.django_db(transaction=True)
    def test_web_and_worker_come_back_on_their_own_after_a_database_restart(
        onboarding: Any,
        staff: Any,
        frozen_clock: Any,
        whatsapp_server: Any,
        tmp_path: Path,
    ) -> None:
        seeded = 20
        seed(frozen_clock, seeded)
        whatsapp_server.delay_next(0.03, count=100_000)  # the work outlasts the cut
        with DatabaseProxy() as proxy:
            env = stack_env(proxy, whatsapp_server)
            with (
                serving(env, tmp_path / "web.log", "--workers", "2") as (base, web),
                running_worker(env, tmp_path / "worker.log") as worker,
            ):
                web_client = httpx.Client(base_url=base, timeout=10)
                assert web_client.get("/readyz").status_code == 200
                with Load(base, staff.token) as load:
                    wait_for(lambda: len(whatsapp_server.requests) >= 15, 60, "sending started")
                    proxy.cut()
                    down_until = time.monotonic() + OUTAGE
                    during: list[int] = []
                    while time.monotonic() < down_until:
                        during.append(web_client.get("/readyz").status_code)
                        assert web_client.get("/healthz").status_code == 200  # alive
                        time.sleep(0.2)
                    api = web_client.get(  # the token is looked up in the database
                        "/api/v1/customers/cus_zzzzzzzzzzzzzzzz",
                        headers={"Authorization": f"Bearer {staff.token}"},
                    )
                    proxy.restore()
                    wait_for(lambda: web_client.get("/readyz").status_code == 200, 30, "web ready")
                    after = [web_client.get("/readyz").status_code for _ in range(10)]
                    time.sleep(1.0)  # creates after the restart, too
                wait_for(settled, SETTLE, "the worker finished every due timer and message")
                assert worker.poll() is None and web.poll() is None  # never restarted
                web_client.close()
        assert set(during) == {503}
        assert api.status_code == 503 and api.headers["Retry-After"] == "5"
        assert after == [200] * 10
        statuses = collections.Counter(status for _, status in load.results)
        # Never a 500: a request that lost the database is told to come back (503).
        assert statuses[201] >= 5 and set(statuses) <= {201, 503, 0}, statuses
        created = [phone for phone, status in load.results if status == 201]
        assert_nothing_lost_nothing_twice(whatsapp_server, seeded, created)
        log = (tmp_path / "worker.log").read_text()
        assert "database unavailable" in log

    @pytest.mark.django_db(transaction=True)
    def test_killed_backends_are_replaced_without_a_failed_request(
        onboarding: Any,
        staff: Any,
        frozen_clock: Any,
        whatsapp_server: Any,
        tmp_path: Path,
    ) -> None:
        seeded = 5
        seed(frozen_clock, seeded)
        with DatabaseProxy() as proxy:
            env = stack_env(proxy, whatsapp_server)
            with (
                serving(env, tmp_path / "web.log", "--workers", "1") as (base, web),
                running_worker(env, tmp_path / "worker.log") as worker,
            ):
                load = Load(base, staff.token)
                first = [load.create(i) for i in range(1, 4)]
                wait_for(settled, SETTLE, "the first work done")
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                    killed = cursor.fetchone()[0]
                # Health checks (CONN_HEALTH_CHECKS) replace a dead connection before use.
                second = [load.create(i) for i in range(4, 10)]
                readyz = httpx.get(f"{base}/readyz", timeout=10).status_code
                wait_for(settled, SETTLE, "the work after the kill done")
                load.client.close()
                assert worker.poll() is None and web.poll() is None
        assert killed >= 2  # the web's and the worker's connections
        assert [s for _, s in first + second] == [201] * 9
        assert readyz == 200
        created = [phone for phone, _ in first + second]
        assert_nothing_lost_nothing_twice(whatsapp_server, seeded, created)
