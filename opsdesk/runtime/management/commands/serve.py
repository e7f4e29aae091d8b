"""`opsdesk serve`: the web application under gunicorn, for production.

Through gunicorn's Python API rather than its command line, so the options are
checked here with clear messages, the defaults are opsdesk's, and one code path
serves production and `opsdesk demo`. Gunicorn's master forks the workers, each
loads `opsdesk.wsgi.application`; SIGTERM stops gracefully, SIGHUP reloads the
workers (see docs/operator-guide.md).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from gunicorn.app.base import BaseApplication

# As opsdesk.runtime.metrics; not imported from there, so the master process
# creates no metric of its own.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
BIND = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5})")


def default_workers() -> int:
    # Gunicorn's rule of thumb: requests are short database work, so a worker
    # waiting on the database leaves a CPU to another.
    return 2 * (os.cpu_count() or 1) + 1


class OpsdeskApplication(BaseApplication):
    """Gunicorn with `options` (gunicorn setting names) and opsdesk's WSGI app."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        assert self.cfg is not None
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from opsdesk.wsgi import application

        return application


def _child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class Command(BaseCommand):
    help = "Run the web application under gunicorn (production). SIGTERM stops it gracefully."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default="127.0.0.1:8000",
            help="HOST:PORT ([::1]:PORT for IPv6) or unix:PATH (default 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=f"worker processes (default 2 x CPU cores + 1, here {default_workers()})",
        )
        parser.add_argument(
            "--threads", type=int, default=1, help="threads per worker (default 1: sync workers)"
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=30,
            help="seconds a worker may spend on a request before it is restarted (default 30)",
        )
        parser.add_argument(
            "--access-log",
            default=None,
            help="write gunicorn's access log to this file, or '-' for stdout (default: none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = gunicorn_options(
            bind=options["bind"],
            workers=options["workers"],
            threads=options["threads"],
            timeout=options["timeout"],
            access_log=options["access_log"],
        )
        if multiproc_dir := os.environ.get(MULTIPROC_ENV):
            _reset_multiproc_dir(Path(multiproc_dir))
            config["child_exit"] = _child_exit
        connections.close_all()  # workers are forked: none may share this socket
        OpsdeskApplication(config).run()


def gunicorn_options(
    *, bind: str, workers: int | None, threads: int, timeout: int, access_log: str | None
) -> dict[str, Any]:
    """Gunicorn settings for the command's options; CommandError for a bad one."""
    _check_bind(bind)
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise CommandError(f"--workers {workers}: must be at least 1")
    if threads < 1:
        raise CommandError(f"--threads {threads}: must be at least 1")
    if timeout < 1:
        raise CommandError(f"--timeout {timeout}: must be at least 1 second")
    if access_log is not None and access_log != "-":
        parent = Path(access_log).expanduser().resolve().parent
        if not parent.is_dir():
            raise CommandError(f"--access-log {access_log}: directory {parent} does not exist")
    return {
        "bind": [bind],
        "workers": workers,
        "threads": threads,  # more than 1 makes gunicorn use its gthread workers
        "timeout": timeout,
        "accesslog": access_log,
        # No runtime control socket: opsdesk does not use gunicornc, and two servers
        # on one host would contend for its default path.
        "control_socket_disable": True,
    }


def _check_bind(bind: str) -> None:
    if bind.startswith("unix:"):
        if not bind[len("unix:") :]:
            raise CommandError("--bind unix:PATH: the socket's path is missing")
        return
    match = BIND.fullmatch(bind)
    if match is None:
        raise CommandError(f"--bind {bind!r}: expected HOST:PORT, [IPv6]:PORT or unix:PATH")
    port = int(match["port"])
    if not 0 < port < 65536:
        raise CommandError(f"--bind {bind!r}: {port} is not a TCP port")


def _reset_multiproc_dir(path: Path) -> None:
    """prometheus_client's multiprocess mode adds up every file in the directory:
    files of an earlier run would count twice, so start from an empty one."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    except OSError as exc:
        raise CommandError(f"{MULTIPROC_ENV}={path}: {exc}") from None
