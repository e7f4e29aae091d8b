"""A real local SMTP server (aiosmtpd) standing in for a mail relay.

It records every accepted envelope, can be told to answer the next MAIL, RCPT or
DATA with a reply code or to stall, and can require AUTH and STARTTLS or speak
implicit TLS (with a throwaway self-signed certificate made by the openssl CLI),
so the adapter is tested on the SMTP wire without leaving the machine.
"""

from __future__ import annotations

import asyncio
import secrets
import ssl
import subprocess
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Stage = Literal["MAIL", "RCPT", "DATA"]
Tls = Literal["none", "starttls", "implicit"]

_DEFAULT_REPLIES: dict[int, str] = {
    421: "4.3.2 Service not available, closing transmission channel",
    450: "4.2.0 Mailbox unavailable, greylisted: try again later",
    451: "4.3.0 Requested action aborted: local error in processing",
    452: "4.3.1 Insufficient system storage",
    550: "5.1.1 Requested action not taken: mailbox unavailable",
    552: "5.3.4 Message size exceeds fixed maximum message size",
    553: "5.1.3 Requested action not taken: mailbox name not allowed",
    554: "5.7.1 Message rejected as spam",
}


@dataclass(frozen=True)
class ReceivedEmail:
    """One accepted message, as the relay saw it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # the message as transmitted (CRLF line ends, dot-unstuffed)
    login: str  # the AUTH user, "" when the client did not authenticate
    tls: bool  # whether the session was encrypted


class FakeSmtpServer:
    def __init__(
        self,
        *,
        username: str = "",
        password: str = "",
        tls: Tls = "none",
    ) -> None:
        """AUTH is required when `username` is set; `tls` picks plain, STARTTLS or implicit TLS."""
        self.username = username
        self.password = password
        self.tls = tls
        self.host = "127.0.0.1"
        self.received: list[ReceivedEmail] = []
        self.auth_attempts: list[str] = []  # logins tried, successful or not
        self._failures: dict[Stage, list[tuple[int, str]]] = {"MAIL": [], "RCPT": [], "DATA": []}
        self._delays: dict[Stage, list[float]] = {"MAIL": [], "RCPT": [], "DATA": []}
        self._lock = threading.Lock()
        self.cert_pem = ""
        server_context = None
        if tls != "none":
            self.cert_pem, server_context = _self_signed(self.host)
        kwargs: dict[str, Any] = {}
        if username:
            kwargs.update(
                auth_required=True,
                # aiosmtpd only counts STARTTLS as TLS; implicit TLS is encrypted all the same.
                auth_require_tls=tls == "starttls",
                authenticator=self._authenticate,
            )
        if tls == "starttls":
            kwargs.update(tls_context=server_context, require_starttls=True)
        self._controller = _Controller(
            _Handler(self),
            hostname=self.host,
            port=0,
            ssl_context=server_context if tls == "implicit" else None,
            server_hostname="relay.fake.test",
            **kwargs,
        )

    @property
    def port(self) -> int:
        """The port the OS picked; known once started."""
        return self._controller.port

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and nothing else)."""
        return ssl.create_default_context(cadata=self.cert_pem)

    def start(self) -> FakeSmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()  # cancels stalled handlers too

    def __enter__(self) -> FakeSmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(
        self, code: int = 451, message: str | None = None, *, at: Stage = "RCPT", count: int = 1
    ) -> None:
        """Answer the next `count` MAIL, RCPT or DATA commands with `code`."""
        text = (
            _DEFAULT_REPLIES.get(code, "Requested action not taken") if message is None else message
        )
        with self._lock:
            self._failures[at].extend([(code, text)] * count)

    def delay_next(self, seconds: float, *, at: Stage = "DATA", count: int = 1) -> None:
        """Stall before answering the next `count` such commands (for client timeouts)."""
        with self._lock:
            self._delays[at].extend([seconds] * count)

    def clear(self) -> None:
        with self._lock:
            self.received.clear()
            self.auth_attempts.clear()
            for queue in (*self._failures.values(), *self._delays.values()):
                queue.clear()

    async def _gate(self, stage: Stage) -> str | None:
        """Stall and/or fail as programmed; None lets the command through."""
        with self._lock:
            delay = self._delays[stage].pop(0) if self._delays[stage] else 0.0
            failure = self._failures[stage].pop(0) if self._failures[stage] else None
        if delay:
            await asyncio.sleep(delay)
        return None if failure is None else f"{failure[0]} {failure[1]}"

    def _record(self, server: SMTP, session: Session, envelope: Envelope) -> None:
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else ""
        data = envelope.original_content or b""
        with self._lock:
            self.received.append(
                ReceivedEmail(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    data=data,
                    login=login,
                    # Asked of the transport: aiosmtpd's session.ssl misses implicit TLS.
                    tls=server.transport is not None
                    and server.transport.get_extra_info("ssl_object") is not None,
                )
            )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        with self._lock:
            self.auth_attempts.append(data.login.decode(errors="replace"))
        ok = secrets.compare_digest(data.login, self.username.encode()) and secrets.compare_digest(
            data.password, self.password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


class _Handler:
    """aiosmtpd hooks: each command passes the server's gate before the default behaviour."""

    def __init__(self, server: FakeSmtpServer) -> None:
        self._server = server

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refused = await self._server._gate("MAIL")
        if refused:
            return refused
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refused = await self._server._gate("RCPT")
        if refused:
            return refused
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refused = await self._server._gate("DATA")
        if refused:
            return refused
        self._server._record(server, session, envelope)
        return f"250 2.0.0 OK: queued as {secrets.token_hex(6).upper()}"


class _Controller(Controller):
    """Binds port 0 and learns the real port before aiosmtpd's readiness probe connects."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            # AUTH without TLS is exactly what the plain-text tests ask for.
            warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
            return super().factory()


def _self_signed(host: str) -> tuple[str, ssl.SSLContext]:
    """A fresh certificate for `host` (an IP) and a server context serving it."""
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", f"/CN={host}",
                "-addext", f"subjectAltName=IP:{host}", "-keyout", str(key), "-out", str(cert),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        return cert.read_text(), context
