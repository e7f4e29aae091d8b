"""The base of the fake provider servers: a threaded HTTP server on 127.0.0.1
that answers JSON, records every request, and can be told to fail or stall.

Each provider's fake (WhatsApp Cloud API, Twilio) subclasses it and decides in
`handle` what a request means on that provider's wire.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self


@dataclass(frozen=True)
class Received:
    """Every request that reached the server, accepted or not."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    client_port: int  # same port on consecutive requests = connection reused


@dataclass(frozen=True)
class Failure:
    status: int
    code: int
    message: str
    retry_after: str | None


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] | None = None


class FakeJsonProvider:
    # HTTP status -> the provider's (error code, message) when a test asks for a failure.
    DEFAULT_FAILURES: ClassVar[dict[int, tuple[int, str]]] = {}
    FALLBACK_FAILURE: ClassVar[tuple[int, str]] = (1, "An unknown error")
    CONTENT_TYPE: ClassVar[str] = "application/json; charset=utf-8"

    def __init__(self) -> None:
        self.requests: list[Any] = []  # what the provider accepted; subclasses say what
        self.received: list[Received] = []  # everything, including rejected requests
        self._failures: list[Failure] = []
        self._delays: list[float] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A short poll interval keeps shutdown() (once per test) from costing 0.5 s.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def origin(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wake stalled handlers so shutdown is prompt
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(
        self,
        status: int = 500,
        *,
        code: int | None = None,
        message: str | None = None,
        count: int = 1,
        retry_after: float | str | None = None,
    ) -> None:
        """Answer the next `count` well-formed requests with the provider's error."""
        default_code, default_message = self.DEFAULT_FAILURES.get(status, self.FALLBACK_FAILURE)
        failure = Failure(
            status=status,
            code=default_code if code is None else code,
            message=default_message if message is None else message,
            retry_after=None if retry_after is None else str(retry_after),
        )
        with self._lock:
            self._failures.extend([failure] * count)

    def delay_next(self, seconds: float, *, count: int = 1) -> None:
        """Stall the next `count` requests before answering (for client timeouts)."""
        with self._lock:
            self._delays.extend([seconds] * count)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.received.clear()
            self._failures.clear()
            self._delays.clear()

    def arrive(self, received: Received) -> bool:
        """Record a request and serve its delay; False when the server stopped meanwhile."""
        with self._lock:
            self.received.append(received)
            delay = self._delays.pop(0) if self._delays else 0.0
        return not (delay and self._stopping.wait(delay))

    def accept(self, request: Any) -> Failure | None:
        """The programmed failure for a well-formed request, or None (then it is recorded)."""
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
            if failure is None:
                self.requests.append(request)
        return failure

    def handle(self, received: Received) -> Reply:
        raise NotImplementedError


def _handler_for(server: FakeJsonProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            port = self.client_address[1]
            reply = server.handle(Received(self.command, self.path, headers, raw, port))
            payload = json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", server.CONTENT_TYPE)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (reply.headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and hung up: expected in timeout tests

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler
