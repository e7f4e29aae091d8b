"""Email adapter: one RFC 5322 text message per send, over SMTP (smtplib).

Reply codes: RFC 5321 §4.2 (4yz transient, 5yz permanent). The Message-ID is
built from our message id, so a reply's In-Reply-To and a resend both point back
at the opsdesk message.

Attachments (a message's `attachments`, e.g. a document pack) are read from
Django's storage at send time and added as MIME parts.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import mimetypes
import re
import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage

from django.core.files.storage import default_storage

from opsdesk.common import clock
from opsdesk.comms.adapters.base import (
    AdapterError,
    AttachmentRef,
    OutboundMessage,
    PermanentError,
    RetryableError,
    SendResult,
)

# ASCII addr-spec only: non-ASCII addresses need SMTPUTF8, which relays may not offer.
_ADDR_SPEC = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_ID_LEFT = re.compile(r"[A-Za-z0-9_-]+")  # opsdesk ids are prefix_base62: always dot-atom text
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")  # RFC 5646, loosely


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str  # "type/subtype"
    data: bytes


def read_attachments(refs: Sequence[AttachmentRef]) -> tuple[Attachment, ...]:
    """The message's attachments, read from Django's storage at send time."""
    out = []
    for ref in refs:
        try:
            with default_storage.open(ref.storage_path, "rb") as f:
                data = f.read()
        except FileNotFoundError as exc:
            raise PermanentError(f"attachment {ref.storage_path} is missing from storage") from exc
        content_type = ref.content_type or mimetypes.guess_type(ref.name)[0] or ""
        out.append(Attachment(ref.name, content_type or "application/octet-stream", data))
    return tuple(out)


class SmtpEmailAdapter:
    name = "smtp"
    # SMTP has no idempotency: a resend after a lost 250 reply delivers a second copy
    # (recognisable by its Message-ID, but delivered all the same).
    resend_safe = False

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        use_ssl: bool = False,
        from_address: str,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,  # e.g. a private relay's CA
    ) -> None:
        if starttls and use_ssl:
            raise ValueError("choose STARTTLS or implicit TLS (use_ssl), not both")
        display_name, addr = email.utils.parseaddr(from_address)
        if not _ADDR_SPEC.fullmatch(addr):
            raise ValueError(f"from address {from_address!r} is not a plain ASCII email address")
        if not (username.isascii() and password.isascii()):
            # smtplib encodes AUTH credentials as ASCII and would fail on every send.
            raise ValueError("SMTP username and password must be ASCII")
        self._host = host
        self._port = port
        self._username = username
        self._password = password
        self._starttls = starttls
        self._use_ssl = use_ssl
        self._timeout = timeout
        self._from = Address(display_name=display_name, addr_spec=addr)
        self._domain = addr.rpartition("@")[2].lower()
        self._ssl_context = ssl_context
        if (starttls or use_ssl) and ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        # Looked up once: smtplib would resolve it again on every connection.
        self._local_hostname = socket.getfqdn()

    def send(self, message: OutboundMessage) -> SendResult:
        attachments = read_attachments(message.attachments)
        email_message = build_message(
            message, self._from, self._domain, clock.now(), attachments=attachments
        )
        message_id = str(email_message["Message-ID"])
        try:
            smtp = self._connect()
            try:
                if self._starttls:
                    smtp.starttls(context=self._ssl_context)
                if self._username:
                    smtp.login(self._username, self._password)
                smtp.send_message(
                    email_message, from_addr=self._from.addr_spec, to_addrs=[message.to.strip()]
                )
            finally:
                _quit(smtp)
        except (smtplib.SMTPException, OSError) as exc:
            raise classify_error(exc) from exc
        return SendResult(provider_message_id=message_id)

    def _connect(self) -> smtplib.SMTP:
        if self._use_ssl:
            return smtplib.SMTP_SSL(
                self._host,
                self._port,
                local_hostname=self._local_hostname,
                timeout=self._timeout,
                context=self._ssl_context,
            )
        return smtplib.SMTP(
            self._host, self._port, local_hostname=self._local_hostname, timeout=self._timeout
        )


def build_message(
    message: OutboundMessage,
    sender: Address,
    domain: str,
    now: dt.datetime,
    *,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """The RFC 5322 message for one send; refuses locally what a relay would refuse."""
    if message.channel != "EMAIL":
        raise PermanentError(f"SMTP adapter cannot send a {message.channel} message")
    to = message.to.strip()
    if not _ADDR_SPEC.fullmatch(to):
        raise PermanentError(f"recipient {message.to!r} is not a plain ASCII email address")
    if not message.body.strip():
        raise PermanentError("email has an empty body")
    if not _ID_LEFT.fullmatch(message.idempotency_key):
        raise PermanentError(f"message id {message.idempotency_key!r} cannot form a Message-ID")
    email_message = EmailMessage()
    email_message["From"] = sender
    email_message["To"] = to
    # Rendered templates may carry newlines; a header may not.
    email_message["Subject"] = " ".join(message.subject.split())
    email_message["Date"] = now
    email_message["Message-ID"] = f"<{message.idempotency_key}@{domain}>"
    # Quoted-printable keeps the message 7-bit clean for relays without 8BITMIME
    # while Turkish text stays readable in the raw source.
    email_message.set_content(message.body, charset="utf-8", cte="quoted-printable")
    # After set_content, which drops every Content-* header set before it.
    if _LANGUAGE_TAG.fullmatch(message.language):
        email_message["Content-Language"] = message.language
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        # text/* would need a charset we do not know: send those bytes as they are.
        if not (maintype and subtype) or maintype == "text":
            maintype, subtype = "application", "octet-stream"
        # Base64 by default: binary parts stay 7-bit clean too.
        email_message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.name
        )
    return email_message


def classify_error(exc: smtplib.SMTPException | OSError) -> AdapterError:
    """Map an smtplib failure to a retryable or permanent error (4yz vs 5yz replies)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # One recipient per send, so one reply; take the worst if a relay ever sends more.
        (address, (code, reply)), *_ = sorted(
            exc.recipients.items(), key=lambda item: item[1][0], reverse=True
        )
        return _by_code(code, f"SMTP server refused recipient {address}: {code} {_text(reply)}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # 535 bad credentials will not heal; 454 is the relay's own temporary trouble.
        text = f"SMTP authentication failed: {exc.smtp_code} {_text(exc.smtp_error)}"
        if 400 <= exc.smtp_code < 500:
            return RetryableError(text, code=str(exc.smtp_code))
        return PermanentError(text, code=str(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPResponseException):
        what = {
            smtplib.SMTPSenderRefused: "SMTP server refused the sender",
            smtplib.SMTPDataError: "SMTP server refused the message",
            smtplib.SMTPConnectError: "SMTP server refused the connection",
            smtplib.SMTPHeloError: "SMTP server refused EHLO",
        }.get(type(exc), "SMTP error")
        return _by_code(exc.smtp_code, f"{what}: {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return RetryableError(f"SMTP server disconnected: {exc}")
    if isinstance(exc, smtplib.SMTPException):
        # STARTTLS or AUTH not offered, no common AUTH mechanism: configuration, not luck.
        return PermanentError(f"SMTP session failed: {type(exc).__name__}: {exc}")
    # Refused connections, timeouts, DNS and TLS failures: the relay may be back later.
    return RetryableError(f"SMTP connection failed: {type(exc).__name__}: {exc}")


def _by_code(code: int, text: str) -> AdapterError:
    if 500 <= code < 600:
        return PermanentError(text, code=str(code))
    # 4yz, and anything malformed (smtplib uses -1 for an unreadable reply).
    return RetryableError(text, code=str(code) if code > 0 else "")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _quit(smtp: smtplib.SMTP) -> None:
    # The message is already accepted or refused: a failing QUIT must not turn
    # a delivered message into a retry (which would deliver it twice).
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
