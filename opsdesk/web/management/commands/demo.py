"""`opsdesk demo`: migrate, install the playbooks, seed demo data, run web + worker.

`make demo` runs it with OPSDESK_DEBUG=1 and OPSDESK_ALLOW_INSECURE_KEY=1 on the
default SQLite database. The web server (`opsdesk serve`, gunicorn) and the worker
run as child processes with this process's environment; Ctrl-C or SIGTERM stops both.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from opsdesk.web.management.demo_data import (
    ADMIN_USERNAME,
    DEMO_PASSWORD,
    INTEGRATION_USERNAME,
    SeedResult,
    seed,
)

HOST = "127.0.0.1"
STOP_TIMEOUT = 20.0  # seconds a child gets after SIGTERM before SIGKILL
START_TIMEOUT = 30.0  # seconds gunicorn gets to start listening


class Command(BaseCommand):
    help = (
        "Set up a demo: migrate, install the shipped playbooks, seed demo data (once), "
        "then run the web server and the worker until Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-serve", action="store_true", help="migrate and seed only; start nothing"
        )
        parser.add_argument("--port", type=int, default=8000, help="web port (default 8000)")

    def handle(self, *args: Any, **options: Any) -> None:
        port: int = options["port"]
        serve = not options["no_serve"]
        if not 0 < port < 65536:
            raise CommandError(f"--port {port}: not a TCP port")
        if serve:
            _check_port_free(port)  # fail before seeding, not after

        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"Database: migrated ({_database_label()})")
        call_command("playbook", "load", stdout=self.stdout, stderr=self.stderr)
        result = seed()
        if result.created:
            self.stdout.write(
                f"Demo data: created {result.customers} customers and "
                f"{result.orders} service orders."
            )
        else:
            self.stdout.write(f"Demo data: not created: {result.reason}.")
        if not serve:
            self._banner(result, port, serving=False)
            return

        call_command("collectstatic", interactive=False, verbosity=0)
        connections.close_all()  # children open their own; do not share a socket
        self._serve(result, port)

    # --- output ---------------------------------------------------------------

    def _banner(self, result: SeedResult, port: int, *, serving: bool) -> None:
        url = f"http://{HOST}:{port}/"
        w = self.stdout.write
        w("")
        w(f"URL:       {url}" + ("" if serving else "   (not started: --no-serve)"))
        w(f"Admin:     {url}admin/")
        if result.logins:
            w(f"Login:     {ADMIN_USERNAME} / {DEMO_PASSWORD}   (administrator)")
            w(f"Password:  {DEMO_PASSWORD!r} is the demo password of every login below.")
            w("           It is for this demo only: never use the demo data in production.")
            for login in result.logins:
                if login.username == ADMIN_USERNAME:
                    continue
                what = ", ".join(login.service_types) or "no cases of their own"
                w(
                    f"  {login.username:<8} {login.name:<14} {login.role:<8}"
                    f" speaks {'+'.join(login.languages):<6} {what}"
                )
        if result.token:
            w(f"API token: {result.token}")
            w(f"           (integration user {INTEGRATION_USERNAME}; shown only this once)")
        elif result.logins:
            w("API token: printed when the demo data was created; only its hash is kept.")
            w(f"           A new one: opsdesk token create {INTEGRATION_USERNAME} --name demo")
        for key, token in result.channel_tokens.items():
            w(f"Channel:   {key:<15} token {token}")
        if serving:
            w("Worker:    running (sends queued messages, fires due timers)")
            w("Press Ctrl-C to stop.")
        else:
            w("Start the web server and the worker with: opsdesk demo")

    # --- serving --------------------------------------------------------------

    def _serve(self, result: SeedResult, port: int) -> None:
        stopping = threading.Event()
        reason: list[str] = []  # why we stop: a signal's name or a child's exit
        failed: list[str] = []

        def on_signal(signum: int, frame: FrameType | None) -> None:
            reason.append(signal.Signals(signum).name)
            stopping.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        children: list[tuple[str, subprocess.Popen[bytes]]] = []
        try:
            children.append(("web", _spawn(_web_argv(port))))
            children.append(("worker", _spawn([sys.executable, "-m", "opsdesk.cli", "worker"])))
            _wait_listening(port, children[0][1], stopping)
            if not stopping.is_set() and children[0][1].poll() is None:
                self._banner(result, port, serving=True)
            while not stopping.wait(0.5):
                for name, proc in children:
                    if proc.poll() is not None:
                        failed.append(f"the {name} process exited with status {proc.returncode}")
                        reason.append(failed[-1])
                        stopping.set()
        finally:
            self.stdout.write(f"\nStopping ({reason[0] if reason else 'error'}) ...")
            _stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed:
            raise CommandError(failed[0])
        self.stdout.write("Stopped.")


def _database_label() -> str:
    db = settings.DATABASES["default"]
    engine = str(db["ENGINE"]).rsplit(".", 1)[-1]
    return f"{engine}, {db['NAME']}"


def _web_argv(port: int) -> list[str]:
    # `opsdesk serve`, as in production: the same gunicorn setup and checks.
    return [
        sys.executable, "-m", "opsdesk.cli", "serve",
        "--bind", f"{HOST}:{port}", "--workers", "2",
    ]  # fmt: skip


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As gunicorn does: connections in TIME_WAIT from an earlier run do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise CommandError(
                f"port {port} on {HOST} is in use; stop what runs there or pass --port"
            ) from None


def _die_with_parent() -> None:
    """In the child before exec (Linux): get SIGTERM when the parent dies, so a
    demo killed with SIGKILL leaves no server or worker behind."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _spawn(argv: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        env=os.environ.copy(),
        # Its own session: Ctrl-C reaches only this process, which stops the children.
        start_new_session=True,
        preexec_fn=_die_with_parent,  # single-threaded here, so preexec_fn is safe
    )


def _wait_listening(port: int, web: subprocess.Popen[bytes], stopping: threading.Event) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and not stopping.is_set() and web.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        stopping.wait(0.2)


def _stop(children: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    """SIGTERM to each child, then to whatever is left in its process group (gunicorn
    workers whose master died), and SIGKILL to anything still there after STOP_TIMEOUT."""
    for _, proc in children:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for _, proc in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        _signal_group(proc, signal.SIGTERM)
    while time.monotonic() < deadline and any(_group_alive(p) for _, p in children):
        time.sleep(0.1)
    for _, proc in children:
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    # Each child leads its own session, so its process group id is its pid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _group_alive(proc: subprocess.Popen[bytes]) -> bool:
    try:
        os.killpg(proc.pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
