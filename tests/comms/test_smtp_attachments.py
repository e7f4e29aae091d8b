"""SMTP attachments: the files a message names (storage paths) go out as MIME parts."""

from __future__ import annotations

import io
import zipfile
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast

import pytest

from opsdesk.comms.adapters.base import AttachmentRef, OutboundMessage, PermanentError
from opsdesk.comms.adapters.smtp import Attachment, SmtpEmailAdapter, build_message
from tests.fakes.smtp import FakeSmtpServer

FROM = "Opsdesk <bildirim@opsdesk.example>"
BODY = "Dear Elif,\n\nAttached are your documents.\n"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def adapter(smtp_server: FakeSmtpServer) -> SmtpEmailAdapter:
    return SmtpEmailAdapter(smtp_server.host, smtp_server.port, from_address=FROM, timeout=2.0)


def email(key: str = "msg_pack123", *attachments: AttachmentRef) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key=key,
        channel="EMAIL",
        to="elif@example.com",
        body=BODY,
        language="en",
        subject="Your documents (2)",
        attachments=attachments,
    )


def a_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("trv_1/passport-1.pdf", b"%PDF-1.7\n%%EOF\n")
        zf.writestr("manifest.csv", "name,doc_type\r\n")
    return buffer.getvalue()


def parsed(data: bytes) -> EmailMessage:
    return cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(data))


def test_the_files_of_the_message_arrive_as_attachments(
    adapter: SmtpEmailAdapter, smtp_server: FakeSmtpServer, media: Path, frozen_clock: Any
) -> None:
    data = a_zip()
    folder = media / "packs" / "msg_pack123"
    folder.mkdir(parents=True)
    (folder / "cus_1-documents.zip").write_bytes(data)
    (folder / "a note.txt").write_bytes("Grüße\n".encode())
    (media / "packs" / "msg_other").mkdir()
    (media / "packs" / "msg_other" / "not-ours.pdf").write_bytes(b"%PDF-")  # not named: not sent

    adapter.send(
        email(
            "msg_pack123",
            AttachmentRef("a note.txt", "text/plain", "packs/msg_pack123/a note.txt"),
            AttachmentRef("cus_1-documents.zip", "", "packs/msg_pack123/cus_1-documents.zip"),
        )
    )

    (received,) = smtp_server.received
    assert received.data.isascii()  # base64 parts: still 7-bit clean
    message = parsed(received.data)
    assert message.get_content_type() == "multipart/mixed"
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == BODY  # CRLF on the wire
    parts = [
        (p.get_content_type(), p.get_filename(), p.get_content())
        for p in message.iter_attachments()
    ]
    assert parts == [
        ("application/octet-stream", "a note.txt", "Grüße\n".encode()),  # charset unknown
        ("application/zip", "cus_1-documents.zip", data),
    ]
    assert message["Message-ID"] == "<msg_pack123@opsdesk.example>"


def test_a_message_without_files_stays_a_plain_text_email(
    adapter: SmtpEmailAdapter, smtp_server: FakeSmtpServer, media: Path
) -> None:
    adapter.send(email("msg_nothing"))

    (received,) = smtp_server.received
    message = parsed(received.data)
    assert message.get_content_type() == "text/plain"
    assert list(message.iter_attachments()) == []


def test_build_message_adds_the_parts_in_order() -> None:
    from email.headerregistry import Address

    from opsdesk.common import clock

    built = build_message(
        email(),
        Address("Opsdesk", addr_spec="bildirim@opsdesk.example"),
        "opsdesk.example",
        clock.now(),
        attachments=(
            Attachment("b.zip", "application/zip", b"PK\x05\x06" + bytes(18)),
            Attachment("a.bin", "nonsense", b"\x00\x01"),
        ),
    )

    assert [(p.get_content_type(), p.get_filename()) for p in built.iter_attachments()] == [
        ("application/zip", "b.zip"),
        ("application/octet-stream", "a.bin"),
    ]


def test_a_named_file_missing_from_storage_fails_for_good(
    adapter: SmtpEmailAdapter, smtp_server: FakeSmtpServer, media: Path
) -> None:
    gone = AttachmentRef("pack.zip", "application/zip", "packs/msg_gone/pack.zip")
    with pytest.raises(PermanentError, match=r"packs/msg_gone/pack\.zip is missing from storage"):
        adapter.send(email("msg_gone", gone))
    assert smtp_server.received == []
