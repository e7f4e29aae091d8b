from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from opsdesk.comms.email_inbound import Attachment, InboundEmail, html_to_text, parse_inbound

EMAILS = Path(__file__).parent / "emails"
# The PDF inside with_pdf.eml, base64-encoded there.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
Load = Callable[[str], bytes]


@pytest.fixture(params=["lf", "crlf"])
def eml(request: pytest.FixtureRequest) -> Load:
    """Read tests/comms/emails/<name> as stored (LF) or as it comes off the wire (CRLF)."""

    def load(name: str) -> bytes:
        raw = (EMAILS / name).read_bytes()
        return raw.replace(b"\n", b"\r\n") if request.param == "crlf" else raw

    return load


def test_gmail_alternative_with_encoded_turkish_subject(eml: Load) -> None:
    parsed = parse_inbound(eml("gmail_alternative.eml"))

    assert parsed == InboundEmail(
        message_id="<CAKx9z3V8p2mQ+Lh1_5dUwYgJ8r=Fq0T2bXk@mail.gmail.com>",
        from_address="ayse.yilmaz@gmail.com",
        from_name="Ayşe Yılmaz",
        to_addresses=["siparis@opsdesk.example"],
        subject="İstanbul şubesi için kombi bakımı siparişi",
        date=dt.datetime(2026, 10, 28, 7, 15, 2, tzinfo=dt.UTC),
        in_reply_to="",
        references=[],
        text=(
            "Merhaba,\n\nKadıköy'deki ofisimiz için 3 adet kombi bakımı sipariş etmek istiyoruz. "
            "Uygun olduğunuz günleri bildirir misiniz?\n\nTeşekkürler,\nAyşe Yılmaz"
        ),
        attachments=[],
    )
    assert parsed.date is not None and parsed.date.utcoffset() == dt.timedelta(0)


def test_outlook_iso_8859_9_quoted_printable(eml: Load) -> None:
    parsed = parse_inbound(eml("outlook_iso8859_9.eml"))

    assert parsed == InboundEmail(
        message_id=(
            "<AM0PR08MB5432A1B2C3D4E5F6A7B8C9D0E1F2A@AM0PR08MB5432.eurprd08.prod.outlook.com>"
        ),
        from_address="sukru.ozturk@ornekfirma.com.tr",
        from_name="Şükrü Öztürk",
        to_addresses=["siparis@opsdesk.example", "mehmet.dogan@ornekfirma.com.tr"],
        subject="Sipariş talebi - Beşiktaş şubesi",
        date=dt.datetime(2026, 10, 28, 8, 42, 17, tzinfo=dt.UTC),
        in_reply_to="",
        references=[],
        # =93/=94 are windows-1254 quotes under the iso-8859-9 label, as Outlook sends them.
        text=(
            "Merhaba,\n\nBeşiktaş şubemiz için 2 adet klima bakımı talep ediyoruz. “Acil” olarak "
            "işaretlenmesini rica ederiz.\n\nSaygılarımızla,\nŞükrü Öztürk\nSatın Alma Müdürü"
        ),
        attachments=[],
    )


def test_mixed_with_pdf_and_csv_attachments(eml: Load) -> None:
    parsed = parse_inbound(eml("with_pdf.eml"))

    assert parsed.subject == "Sipariş formu ekte"
    assert parsed.from_address == "can@demirlojistik.com.tr"
    assert parsed.from_name == "Can Demir"
    assert parsed.date == dt.datetime(2026, 10, 28, 8, 3, 44, tzinfo=dt.UTC)
    assert parsed.text == "Sipariş formumuz ekte.\n\nİyi çalışmalar,\nCan Demir"
    csv = "ürün;adet\r\nkombi bakımı;3\r\n".encode()
    assert parsed.attachments == [
        # RFC 2231 filename*=UTF-8''...
        Attachment(
            filename="SİPARİŞ formu.pdf", content_type="application/pdf", size=193, data=PDF
        ),
        # RFC 2047 in a quoted filename, with "../../" that must not survive.
        Attachment(filename="fiyat listesi.csv", content_type="text/csv", size=31, data=csv),
    ]
    assert len(PDF) == 193


def test_html_only_is_turned_into_text(eml: Load) -> None:
    parsed = parse_inbound(eml("html_only.eml"))

    assert parsed.subject == "Yeni sipariş #42"
    assert parsed.from_address == "noreply@form.ornek.com.tr"
    assert parsed.from_name == "Web Formu"
    assert parsed.text == (
        "Yeni sipariş\n\n"
        "Müşteri: Elif Kaya & Ortakları\n\n"
        "Ürün Adet\n"
        "Klima bakımı 4\n\n"
        "Adres: Moda Cd. No:12, Kadıköy\n"
        "Telefon: +90 555 123 45 67\n\n"
        "Not: 09:00–12:00 arası\n"
        "uygundur."
    )
    assert parsed.attachments == []


def test_reply_threads_back_to_our_message_id(eml: Load) -> None:
    parsed = parse_inbound(eml("reply.eml"))

    assert parsed == InboundEmail(
        message_id="<1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6@gmail.com>",
        from_address="ayse.yilmaz@gmail.com",
        from_name="Ayşe Yılmaz",
        to_addresses=["bildirim@opsdesk.example"],
        subject="Re: Randevunuz: Çarşamba, İstanbul şubesi",
        # "-0000": UTC, the sender's zone unknown.
        date=dt.datetime(2026, 10, 29, 6, 5, tzinfo=dt.UTC),
        # What SmtpEmailAdapter returned as provider_message_id for msg_abc123.
        in_reply_to="<msg_abc123@opsdesk.example>",
        references=[
            "<CAKx9z3V8p2mQ+Lh1_5dUwYgJ8r=Fq0T2bXk@mail.gmail.com>",
            "<msg_abc123@opsdesk.example>",
        ],
        text=(
            "Teşekkürler, saat 14:00 bize uyar.\n\n"
            "28.10.2026 10:00 tarihinde Opsdesk yazdı:\n"
            "> Merhaba Ayşe Hanım,\n"
            ">\n"
            "> Kombi bakımı için randevunuz 29 Ekim Perşembe 14:00."
        ),
        attachments=[],
    )


def test_html_alternative_reads_like_its_plain_twin() -> None:
    # Gmail's HTML part (divs and <div><br></div> for blank lines) against its own plain part.
    html = (
        '<div dir="ltr"><div>Merhaba,</div><div><br></div><div>Kadıköy&#39;deki ofisimiz.</div>'
        "<div><br></div><div>Teşekkürler,</div><div>Ayşe Yılmaz</div></div>"
    )

    assert html_to_text(html) == "Merhaba,\n\nKadıköy'deki ofisimiz.\n\nTeşekkürler,\nAyşe Yılmaz"


def test_html_to_text_layout_rules() -> None:
    html = (
        "<html><head><title>x</title><style>p {}</style><body><p>bir\n   iki</p>"
        "<script>var a = '<p>no</p>';</script><pre>x  = 1\n  y</pre>son<br/><br/>satır"
        "<div>blok</div><ul><li>a</li><li>b</li></ul>"
    )

    assert html_to_text(html) == "bir iki\n\nx = 1\ny\n\nson\n\nsatır\nblok\n\na\nb"


def test_html_the_parser_chokes_on_still_gives_text() -> None:
    # Python 3.11's HTMLParser raises AssertionError on this marked section.
    assert html_to_text("<p>Merhaba</p><![[\x0f x]]>") == "Merhaba"


def _raw(headers: str, body: bytes = b"") -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + body


def test_empty_plain_part_falls_back_to_html() -> None:
    raw = _raw(
        'From: a@example.com\nContent-Type: multipart/alternative; boundary="b"\n',
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n \r\n"
        b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Sipari\xc5\x9f</p>\r\n--b--\r\n",
    )

    assert parse_inbound(raw).text == "Sipariş"


@pytest.mark.parametrize(
    ("charset", "body", "text"),
    [
        ("us-ascii", "Teşekkürler".encode(), "Teşekkürler"),  # mislabelled UTF-8
        ("x-unknown", "Teşekkürler".encode(), "Teşekkürler"),
        ("windows-1254", "Teşekkürler".encode("cp1254"), "Teşekkürler"),
        ("utf-8", b"bozuk \xff bayt", "bozuk \ufffd bayt"),
    ],
)
def test_charset_fallbacks(charset: str, body: bytes, text: str) -> None:
    raw = _raw(f"From: a@example.com\nContent-Type: text/plain; charset={charset}\n", body)

    assert parse_inbound(raw).text == text


def test_raw_utf8_headers_and_missing_optional_headers() -> None:
    raw = "From: Ayşe <Ayse@Example.com>\nTo: undisclosed-recipients:;\nSubject: Sipariş\n\nx\n"

    parsed = parse_inbound(raw.encode())

    assert (parsed.from_name, parsed.from_address) == ("Ayşe", "ayse@example.com")
    assert parsed.subject == "Sipariş"
    assert parsed.to_addresses == []
    assert (parsed.message_id, parsed.in_reply_to, parsed.references) == ("", "", [])
    assert parsed.date is None


def test_unparseable_date_is_none() -> None:
    raw = _raw("From: a@example.com\nDate: yesterday-ish\n", b"x")

    assert parse_inbound(raw).date is None


def test_forwarded_email_and_inline_image_are_attachments() -> None:
    forwarded = b"From: b@example.com\r\nSubject: Eski sipari\xc5\x9f\r\n\r\nilk metin\r\n"
    raw = _raw(
        'From: a@example.com\nContent-Type: multipart/mixed; boundary="m"\n',
        b'--m\r\nContent-Type: multipart/related; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>bak: <img src=cid:i1></p>\r\n"
        b"--r\r\nContent-Type: image/png\r\nContent-ID: <i1>\r\nContent-Transfer-Encoding: base64"
        b"\r\n\r\niVBORw0KGgo=\r\n--r--\r\n"
        b"--m\r\nContent-Type: message/rfc822\r\n"
        b'Content-Disposition: attachment; filename="eski.eml"\r\n\r\n' + forwarded + b"--m--\r\n",
    )

    parsed = parse_inbound(raw)

    assert parsed.text == "bak:"
    image, message = parsed.attachments
    assert image == Attachment("", "image/png", 8, b"\x89PNG\r\n\x1a\n")
    assert (message.filename, message.content_type) == ("eski.eml", "message/rfc822")
    inner = parse_inbound(message.data)
    assert (inner.from_address, inner.subject, inner.text) == (
        "b@example.com",
        "Eski sipariş",
        "ilk metin",
    )
    assert message.size == len(message.data)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"", "not an email: no From header"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "not an email: no From header"),
        (b"\x00\xff\xfe garbage \x00", "not an email: no From header"),
        (b"hello world\n", "not an email: no From header"),
        (b"Subject: hi\r\n\r\nno sender\r\n", "not an email: no From header"),
        (b"From:\r\n\r\nempty sender\r\n", "not an email: no From header"),
        (b"From: not an address\r\n\r\nx\r\n", "From header has no usable address"),
    ],
    ids=["empty", "png", "binary", "text", "no-from", "empty-from", "no-address"],
)
def test_not_an_email_is_value_error(raw: bytes, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_inbound(raw)
