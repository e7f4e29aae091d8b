from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, cast

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from opsdesk.comms.adapters import registry
from opsdesk.comms.adapters.base import (
    AdapterError,
    OutboundMessage,
    PermanentError,
    RetryableError,
    SendResult,
)
from opsdesk.comms.adapters.smtp import SmtpEmailAdapter, classify_error
from tests.fakes.smtp import FakeSmtpServer, ReceivedEmail

FROM = "Opsdesk Müşteri Hizmetleri <bildirim@opsdesk.example>"
BODY = "Merhaba Ayşe Hanım,\n\nKombi bakımı için randevunuz 29 Ekim Perşembe 14:00.\nİyi günler."


@pytest.fixture
def adapter(smtp_server: FakeSmtpServer) -> SmtpEmailAdapter:
    return SmtpEmailAdapter(smtp_server.host, smtp_server.port, from_address=FROM, timeout=2.0)


@pytest.fixture
def auth_server() -> Iterator[FakeSmtpServer]:
    with FakeSmtpServer(username="opsdesk", password="dogru-parola") as server:
        yield server


def _email(**overrides: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "idempotency_key": "msg_abc123",
        "channel": "EMAIL",
        "to": "ayse@example.com",
        "body": BODY,
        "language": "tr",
        "subject": "Randevunuz: Çarşamba, İstanbul şubesi",
    }
    fields.update(overrides)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


def _parsed(received: ReceivedEmail) -> EmailMessage:
    return cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(received.data))


def test_message_arrives_with_exact_headers_and_body(
    adapter: SmtpEmailAdapter, smtp_server: FakeSmtpServer, frozen_clock: Any
) -> None:
    result = adapter.send(_email())

    assert result == SendResult(provider_message_id="<msg_abc123@opsdesk.example>")
    (received,) = smtp_server.received
    assert received.mail_from == "bildirim@opsdesk.example"
    assert received.rcpt_tos == ("ayse@example.com",)
    assert (received.login, received.tls) == ("", False)
    assert received.data.isascii()  # 7-bit clean: no relay needs 8BITMIME or SMTPUTF8
    message = _parsed(received)
    assert list(message.keys()) == [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "Content-Type",
        "Content-Transfer-Encoding",
        "MIME-Version",
        "Content-Language",
    ]
    assert message["From"] == FROM
    assert message["To"] == "ayse@example.com"
    assert message["Subject"] == "Randevunuz: Çarşamba, İstanbul şubesi"
    assert message["Date"] == "Wed, 28 Oct 2026 07:00:00 +0000"
    assert message["Message-ID"] == "<msg_abc123@opsdesk.example>"
    assert message["Content-Language"] == "tr"
    assert message["MIME-Version"] == "1.0"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    # CRLF, as on the wire: the standard parser keeps the transmitted line ends.
    assert message.get_content() == BODY.replace("\n", "\r\n") + "\r\n"


def test_resend_carries_the_same_message_id(
    adapter: SmtpEmailAdapter, smtp_server: FakeSmtpServer
) -> None:
    adapter.send(_email())
    adapter.send(_email())
    adapter.send(_email(idempotency_key="msg_other9"))

    assert [_parsed(r)["Message-ID"] for r in smtp_server.received] == [
        "<msg_abc123@opsdesk.example>",
        "<msg_abc123@opsdesk.example>",
        "<msg_other9@opsdesk.example>",
    ]


def test_long_lines_and_multiline_subjects_survive(
    adapter: SmtpEmailAdapter, smtp_server: FakeSmtpServer
) -> None:
    long_line = "Şirketimizin çağrı merkezi ğüşıöç İĞÜŞÖÇ " * 10
    adapter.send(_email(body=long_line, subject="Randevu\nhatırlatması \n", language=""))

    (message,) = [_parsed(r) for r in smtp_server.received]
    assert message.get_content() == long_line + "\r\n"
    assert message["Subject"] == "Randevu hatırlatması"
    assert "Content-Language" not in message
    assert all(len(line) <= 78 for line in smtp_server.received[0].data.split(b"\r\n"))


@pytest.mark.parametrize(
    ("code", "at", "text"),
    [
        (550, "RCPT", "550 5.1.1 Requested action not taken: mailbox unavailable"),
        (553, "RCPT", "553 5.1.3 Requested action not taken: mailbox name not allowed"),
        (550, "MAIL", "550 5.1.1 Requested action not taken: mailbox unavailable"),
        (554, "DATA", "554 5.7.1 Message rejected as spam"),
        (552, "DATA", "552 5.3.4 Message size exceeds fixed maximum message size"),
    ],
)
def test_5xx_replies_are_permanent_with_code(
    adapter: SmtpEmailAdapter, smtp_server: FakeSmtpServer, code: int, at: Any, text: str
) -> None:
    smtp_server.fail_next(code=code, at=at)

    with pytest.raises(PermanentError) as caught:
        adapter.send(_email())

    assert caught.value.retryable is False
    assert caught.value.code == str(code)
    assert caught.value.message.endswith(text)
    assert caught.value.retry_after is None
    assert smtp_server.received == []


def test_refused_recipient_names_the_address(
    adapter: SmtpEmailAdapter, smtp_server: FakeSmtpServer
) -> None:
    smtp_server.fail_next(code=550, message="5.1.1 <ayse@example.com>: user unknown")

    with pytest.raises(PermanentError) as caught:
        adapter.send(_email())

    assert caught.value.message == (
        "SMTP server refused recipient ayse@example.com: 550 5.1.1 <ayse@example.com>: user unknown"
    )


@pytest.mark.parametrize(
    ("code", "at"), [(450, "RCPT"), (452, "RCPT"), (451, "DATA"), (421, "MAIL")]
)
def test_4xx_replies_are_retryable_and_the_retry_goes_through(
    adapter: SmtpEmailAdapter, smtp_server: FakeSmtpServer, code: int, at: Any
) -> None:
    smtp_server.fail_next(code=code, at=at)

    with pytest.raises(RetryableError) as caught:
        adapter.send(_email())

    assert caught.value.retryable is True
    assert caught.value.code == str(code)
    assert smtp_server.received == []
    adapter.send(_email())
    assert len(smtp_server.received) == 1


def test_connection_refused_is_retryable() -> None:
    with socket.socket() as sock:  # grab a free port, then close it so nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = SmtpEmailAdapter("127.0.0.1", port, from_address=FROM, timeout=1.0)

    with pytest.raises(RetryableError) as caught:
        adapter.send(_email())

    assert caught.value.code == ""
    assert "ConnectionRefusedError" in caught.value.message


def test_stalled_server_is_retryable(smtp_server: FakeSmtpServer) -> None:
    adapter = SmtpEmailAdapter(smtp_server.host, smtp_server.port, from_address=FROM, timeout=0.2)
    smtp_server.delay_next(5.0, at="DATA")

    with pytest.raises(RetryableError) as caught:
        adapter.send(_email())

    assert caught.value.code == ""
    assert "timed out" in caught.value.message


def test_auth_with_right_credentials_sends(auth_server: FakeSmtpServer) -> None:
    adapter = SmtpEmailAdapter(
        auth_server.host,
        auth_server.port,
        username="opsdesk",
        password="dogru-parola",
        from_address=FROM,
    )

    adapter.send(_email())

    (received,) = auth_server.received
    assert received.login == "opsdesk"
    assert auth_server.auth_attempts == ["opsdesk"]


def test_wrong_password_is_permanent(auth_server: FakeSmtpServer) -> None:
    adapter = SmtpEmailAdapter(
        auth_server.host, auth_server.port, username="opsdesk", password="eski", from_address=FROM
    )

    with pytest.raises(PermanentError) as caught:
        adapter.send(_email())

    assert caught.value.code == "535"
    assert caught.value.message == (
        "SMTP authentication failed: 535 5.7.8 Authentication credentials invalid"
    )
    assert "eski" not in str(caught.value)
    assert auth_server.received == []


def test_missing_credentials_on_auth_relay_is_permanent(auth_server: FakeSmtpServer) -> None:
    adapter = SmtpEmailAdapter(auth_server.host, auth_server.port, from_address=FROM)

    with pytest.raises(PermanentError) as caught:
        adapter.send(_email())

    assert caught.value.code == "530"
    assert auth_server.auth_attempts == []
    assert auth_server.received == []


def test_starttls_then_auth() -> None:
    with FakeSmtpServer(username="opsdesk", password="pw", tls="starttls") as server:
        adapter = SmtpEmailAdapter(
            server.host,
            server.port,
            username="opsdesk",
            password="pw",
            starttls=True,
            from_address=FROM,
            ssl_context=server.client_ssl_context(),
        )

        adapter.send(_email())

        (received,) = server.received
        assert (received.login, received.tls) == ("opsdesk", True)
        assert _parsed(received)["Subject"] == "Randevunuz: Çarşamba, İstanbul şubesi"


def test_implicit_tls_then_auth() -> None:
    with FakeSmtpServer(username="opsdesk", password="pw", tls="implicit") as server:
        adapter = SmtpEmailAdapter(
            server.host,
            server.port,
            username="opsdesk",
            password="pw",
            use_ssl=True,
            from_address=FROM,
            ssl_context=server.client_ssl_context(),
        )

        adapter.send(_email())

        (received,) = server.received
        assert (received.login, received.tls) == ("opsdesk", True)


def test_untrusted_certificate_sends_nothing() -> None:
    with FakeSmtpServer(username="opsdesk", password="pw", tls="starttls") as server:
        # The system CAs do not know the fake's self-signed certificate.
        adapter = SmtpEmailAdapter(
            server.host,
            server.port,
            username="opsdesk",
            password="pw",
            starttls=True,
            from_address=FROM,
        )

        with pytest.raises(RetryableError) as caught:
            adapter.send(_email())

        assert "SSLCertVerificationError" in caught.value.message
        assert server.auth_attempts == []
        assert server.received == []


def test_starttls_not_offered_is_permanent_and_sends_no_credentials(
    auth_server: FakeSmtpServer,
) -> None:
    adapter = SmtpEmailAdapter(
        auth_server.host,
        auth_server.port,
        username="opsdesk",
        password="dogru-parola",
        starttls=True,
        from_address=FROM,
    )

    with pytest.raises(PermanentError) as caught:
        adapter.send(_email())

    assert caught.value.message == (
        "SMTP session failed: SMTPNotSupportedError: STARTTLS extension not supported by server."
    )
    assert auth_server.auth_attempts == []
    assert auth_server.received == []


@pytest.mark.parametrize(
    "message",
    [
        _email(channel="SMS"),
        _email(to=""),
        _email(to="ayse"),
        _email(to="Ayşe <ayse@example.com>"),
        _email(to="ayşe@example.com"),
        _email(to="ayse@example.com\r\nBcc: spam@example.net"),
        _email(to="ayse@example.com, mehmet@example.com"),
        _email(body=" \n "),
        _email(idempotency_key="msg bad>"),
    ],
    ids=[
        "wrong-channel",
        "no-recipient",
        "no-domain",
        "display-name",
        "non-ascii",
        "header-injection",
        "two-recipients",
        "empty-body",
        "bad-message-id",
    ],
)
def test_refuses_locally_without_calling_the_relay(
    adapter: SmtpEmailAdapter, smtp_server: FakeSmtpServer, message: OutboundMessage
) -> None:
    with pytest.raises(PermanentError):
        adapter.send(message)

    assert smtp_server.received == []


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"from_address": FROM, "starttls": True, "use_ssl": True}, "not both"),
        ({"from_address": "opsdesk"}, "not a plain ASCII email address"),
        ({"from_address": ""}, "not a plain ASCII email address"),
        ({"from_address": FROM, "username": "ops", "password": "doğru"}, "must be ASCII"),
    ],
)
def test_bad_configuration_fails_at_construction(kwargs: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        SmtpEmailAdapter("127.0.0.1", 25, **kwargs)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (smtplib.SMTPAuthenticationError(454, b"4.7.0 Temporary authentication failure"), "454R"),
        (smtplib.SMTPConnectError(554, b"5.7.1 No service for you"), "554P"),
        (smtplib.SMTPConnectError(421, b"4.3.2 Too many connections"), "421R"),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "R"),
        (smtplib.SMTPDataError(-1, b"garbled"), "R"),
        (smtplib.SMTPException("No suitable authentication method found."), "P"),
        (TimeoutError("timed out"), "R"),
    ],
)
def test_classify_error(exc: Exception, expected: str) -> None:
    error: AdapterError = classify_error(exc)  # type: ignore[arg-type]

    assert error.code + ("R" if error.retryable else "P") == expected


# --- registry ---------------------------------------------------------------


@pytest.fixture
def _fresh_registry() -> Iterator[None]:
    registry.reset()
    yield
    registry.reset()


@pytest.mark.usefixtures("_fresh_registry")
def test_registry_builds_smtp_from_settings(smtp_adapter: FakeSmtpServer) -> None:
    adapter = registry.get_adapter("EMAIL")

    assert isinstance(adapter, SmtpEmailAdapter)
    assert adapter.name == "smtp"
    assert adapter.resend_safe is False
    result = adapter.send(_email(idempotency_key="msg_reg1"))
    assert result.provider_message_id == "<msg_reg1@opsdesk.example>"
    (received,) = smtp_adapter.received
    assert _parsed(received)["From"] == "Opsdesk <bildirim@opsdesk.example>"


@pytest.mark.usefixtures("_fresh_registry")
def test_registry_passes_credentials(settings: Settings, auth_server: FakeSmtpServer) -> None:
    settings.OPSDESK_CHANNEL_ADAPTERS = {**settings.OPSDESK_CHANNEL_ADAPTERS, "EMAIL": "smtp"}
    settings.EMAIL_HOST = auth_server.host
    settings.EMAIL_PORT = auth_server.port
    settings.EMAIL_HOST_USER = "opsdesk"
    settings.EMAIL_HOST_PASSWORD = "dogru-parola"
    settings.EMAIL_USE_TLS = False  # the fake relay speaks plain SMTP
    settings.EMAIL_USE_SSL = False
    settings.OPSDESK_EMAIL_FROM = "bildirim@opsdesk.example"

    registry.get_adapter("EMAIL").send(_email())

    assert [r.login for r in auth_server.received] == ["opsdesk"]


@pytest.mark.usefixtures("_fresh_registry")
def test_registry_settings_change_drops_cached_smtp(
    settings: Settings, smtp_adapter: FakeSmtpServer
) -> None:
    first = registry.get_adapter("EMAIL")

    settings.OPSDESK_EMAIL_FROM = "ops@opsdesk.example"

    again = registry.get_adapter("EMAIL")
    assert again is not first
    again.send(_email(idempotency_key="msg_reg2"))
    assert _parsed(smtp_adapter.received[0])["Message-ID"] == "<msg_reg2@opsdesk.example>"


@pytest.mark.usefixtures("_fresh_registry")
@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"OPSDESK_EMAIL_FROM": ""}, r"OPSDESK_EMAIL_FROM \(env OPSDESK_EMAIL_FROM\)"),
        ({"EMAIL_HOST": ""}, r"EMAIL_HOST \(env OPSDESK_SMTP_HOST\)"),
        ({"OPSDESK_EMAIL_FROM": "opsdesk"}, "from address 'opsdesk'"),
        ({"EMAIL_USE_TLS": True, "EMAIL_USE_SSL": True}, "EMAIL_USE_TLS"),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT"),
    ],
)
def test_registry_bad_smtp_settings_are_improperly_configured(
    settings: Settings, smtp_adapter: FakeSmtpServer, changes: dict[str, Any], error: str
) -> None:
    for name, value in changes.items():
        setattr(settings, name, value)

    with pytest.raises(ImproperlyConfigured, match=error):
        registry.get_adapter("EMAIL")


def test_fake_clear_forgets_everything(
    adapter: SmtpEmailAdapter, smtp_server: FakeSmtpServer
) -> None:
    adapter.send(_email())
    smtp_server.fail_next(code=550, count=3)

    smtp_server.clear()

    assert smtp_server.received == []
    adapter.send(_email())
    assert len(smtp_server.received) == 1
