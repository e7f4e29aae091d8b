"""`opsdesk serve`: gunicorn serving opsdesk, and refusing bad options."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0  # seconds; generous for a loaded CI machine, not a timing assertion


def opsdesk(*args: str) -> list[str]:
    return [sys.executable, "-m", "opsdesk.cli", *args]


@pytest.fixture(scope="module")
def migrated_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a server on its own migrated SQLite file."""
    db = tmp_path_factory.mktemp("serve") / "serve.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
        "OPSDESK_ALLOW_INSECURE_KEY": "1",
        "DATABASE_URL": f"sqlite:///{db}",
        "OPSDESK_LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    subprocess.run(opsdesk("migrate", "-v0"), cwd=ROOT, env=env, check=True, timeout=300)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(env: dict[str, str], *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    proc = subprocess.Popen(
        opsdesk("serve", "--bind", f"127.0.0.1:{port}", *args),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while proc.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{base}/healthz", timeout=2)
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc.stderr:
            proc.stderr.close()


def test_serve_answers_health_checks_over_http(migrated_env: dict[str, str]) -> None:
    with serving(migrated_env, "--workers", "1") as (base, proc):
        healthz = httpx.get(f"{base}/healthz", timeout=10)
        assert healthz.status_code == 200
        assert healthz.json() == {"status": "ok"}
        assert len(healthz.headers["X-Request-ID"]) == 32
        readyz = httpx.get(f"{base}/readyz", timeout=10)
        assert readyz.status_code == 200
        assert readyz.json() == {
            "status": "ready",
            "checks": {"database": "ok", "migrations": "ok"},
        }
        proc.send_signal(signal.SIGTERM)  # a graceful stop
        assert proc.wait(timeout=30) == 0


def test_serve_adds_up_every_worker_in_multiprocess_mode(
    migrated_env: dict[str, str], tmp_path: Path
) -> None:
    multiproc = tmp_path / "prom"
    multiproc.mkdir()
    (multiproc / "counter_99999.db").write_bytes(b"stale from an earlier run")
    env = {**migrated_env, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
    with serving(env, "--workers", "2") as (base, _):
        # The probe above may have counted a request; count from the scrape.
        for _ in range(6):
            assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
        response = httpx.get(f"{base}/metrics", timeout=10)
        assert response.status_code == 200
    assert not (multiproc / "counter_99999.db").exists()
    readyz = [
        s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
        if s.name == "opsdesk_http_requests_total" and s.labels["route"] == "readyz"
    ]
    assert readyz == [6.0]


def test_serve_refuses_zero_workers() -> None:
    result = subprocess.run(
        opsdesk("serve", "--workers", "0"),
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "opsdesk.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "--workers 0: must be at least 1" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threads", "0"], "--threads 0: must be at least 1"),
        (["--timeout", "0"], "--timeout 0: must be at least 1 second"),
        (["--bind", "localhost"], "--bind 'localhost': expected HOST:PORT, [IPv6]:PORT or unix:"),
        (["--bind", "127.0.0.1:70000"], "--bind '127.0.0.1:70000': 70000 is not a TCP port"),
        (["--bind", "unix:"], "--bind unix:PATH: the socket's path is missing"),
        (["--access-log", "/no/such/dir/access.log"], "directory /no/such/dir does not exist"),
    ],
)
def test_serve_refuses_bad_options(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("serve", *args)
