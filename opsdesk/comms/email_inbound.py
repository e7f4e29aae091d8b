"""Parse one inbound email (raw RFC 5322 bytes) into plain data.

No Django here, so intake code stays a thin shell and this is tested on real
messages. Message ids keep their angle brackets, as in the headers, so a
reply's `in_reply_to` equals the `provider_message_id` the SMTP adapter returned.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.message import EmailMessage
from email.parser import BytesParser
from html import unescape
from html.parser import HTMLParser
from typing import Any, cast

_MSG_ID = re.compile(r"<[^<>\s]+>")
# Outlook and other Windows mailers label windows-125x text with the ISO names;
# decode as the superset, like browsers do (WHATWG Encoding Standard).
_SUPERSETS = {"iso8859-9": "cp1254", "iso8859-1": "cp1252"}
# Python's header parser has raised these on hostile input; a bad header is treated as absent.
_HEADER_ERRORS = (HeaderParseError, ValueError, IndexError, TypeError, AttributeError)


@dataclass(frozen=True)
class Attachment:
    filename: str  # decoded (RFC 2231 / 2047), directory parts removed; "" when none given
    content_type: str  # lower-case, e.g. "application/pdf"
    size: int  # bytes, after transfer decoding
    data: bytes


@dataclass(frozen=True)
class InboundEmail:
    message_id: str  # "<id@host>", "" when missing
    from_address: str  # lower-cased addr-spec
    from_name: str
    to_addresses: list[str]  # lower-cased addr-specs of To
    subject: str
    date: dt.datetime | None  # aware UTC; None when missing or unparseable
    in_reply_to: str  # "<id@host>" or ""
    references: list[str]  # oldest first, as in the header
    text: str  # the text/plain body, else the text of the HTML body; "\n" line ends
    attachments: list[Attachment]


def parse_inbound(raw: bytes) -> InboundEmail:
    """Parse `raw`; raises ValueError when it is not an email with a sender address."""
    try:
        message = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))
    except _HEADER_ERRORS as exc:
        raise ValueError(f"unparseable email: {type(exc).__name__}: {exc}") from exc
    sender = _header(message, "From")
    addresses = getattr(sender, "addresses", ())
    if sender is None or not addresses:
        raise ValueError("not an email: no From header")
    first = addresses[0]
    if not first.username or not first.domain:
        raise ValueError(f"email From header has no usable address: {str(sender)!r}")
    try:
        body = _best_body(message)
        text = _body_text(body)
        attachments = [_attachment(p) for p in _leaves(message) if _is_attachment(p, body)]
    except _HEADER_ERRORS as exc:  # a MIME header the standard parser cannot read
        raise ValueError(f"unparseable email: {type(exc).__name__}: {exc}") from exc
    return InboundEmail(
        message_id=_first_id(_header(message, "Message-ID")),
        from_address=_unescape(first.addr_spec).lower(),
        from_name=_unescape(first.display_name),
        to_addresses=[
            _unescape(a.addr_spec).lower()
            for a in getattr(_header(message, "To"), "addresses", ())
            if a.username and a.domain
        ],
        subject=_unescape(str(_header(message, "Subject") or "")).strip(),
        date=_date(_header(message, "Date")),
        in_reply_to=_first_id(_header(message, "In-Reply-To")),
        references=_MSG_ID.findall(str(_header(message, "References") or "")),
        text=text,
        attachments=attachments,
    )


def _header(message: EmailMessage, name: str) -> Any:
    try:
        return message[name]
    except _HEADER_ERRORS:
        return None


def _unescape(value: str) -> str:
    # Raw 8-bit header bytes (UTF-8 sent without RFC 2047) reach us as surrogate escapes.
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate no escape produced: leave the text alone
        return value


def _first_id(value: Any) -> str:
    text = str(value or "").strip()
    found = _MSG_ID.search(text)
    return found.group() if found else text


def _date(value: Any) -> dt.datetime | None:
    when = getattr(value, "datetime", None)
    if not isinstance(when, dt.datetime):
        return None
    if when.tzinfo is None:  # "-0000": UTC, sender's zone unknown (RFC 5322 §3.3)
        return when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def _best_body(message: EmailMessage) -> EmailMessage | None:
    plain = message.get_body(preferencelist=("plain",))
    # Some mailers send an empty plain alternative next to the real HTML one.
    if plain is not None and _decoded(plain).strip():
        return cast(EmailMessage, plain)
    html = message.get_body(preferencelist=("html",))
    return cast(EmailMessage | None, plain if html is None else html)


def _body_text(part: EmailMessage | None) -> str:
    if part is None:
        return ""
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _decoded(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    declared = part.get_content_charset() or "us-ascii"
    # Unknown or malformed labels are tried as given, then UTF-8.
    with contextlib.suppress(LookupError, ValueError):
        declared = codecs.lookup(declared).name
    # Declared charset (or its superset) first; then UTF-8, the usual truth behind a wrong label.
    for candidate in (_SUPERSETS.get(declared, declared), declared, "utf-8"):
        try:
            return payload.decode(candidate)
        except (LookupError, ValueError):  # unknown charset, undecodable bytes
            continue
    return payload.decode("utf-8", errors="replace")


def _leaves(part: EmailMessage) -> Iterator[EmailMessage]:
    # message/rfc822 (a forwarded email) stays one leaf: it is an attachment, not our body.
    if part.get_content_maintype() == "multipart":
        for sub in part.iter_parts():
            yield from _leaves(cast(EmailMessage, sub))
    else:
        yield part


def _is_attachment(part: EmailMessage, body: EmailMessage | None) -> bool:
    if part is body:
        return False
    # The unchosen alternative of the body (the HTML twin of a plain text) is not a file.
    return not (
        part.get_content_type() in ("text/plain", "text/html")
        and part.get_content_disposition() != "attachment"
        and part.get_filename() is None
    )


def _attachment(part: EmailMessage) -> Attachment:
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822: the enclosed message, re-serialised
        data = b"".join(bytes(inner) for inner in payload)
    else:
        decoded = part.get_payload(decode=True)
        data = decoded if isinstance(decoded, bytes) else b""
    filename = re.split(r"[\\/]", _unescape(part.get_filename() or ""))[-1].strip()
    return Attachment(
        filename=filename, content_type=part.get_content_type(), size=len(data), data=data
    )


def html_to_text(html: str) -> str:
    """Readable text of an HTML body, laid out roughly as a mail client shows it."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
        raw_text = "".join(parser.parts)
    except AssertionError:  # Python 3.11's parser asserts on some malformed <![ sections
        raw_text = unescape(re.sub(r"<[^>]*>", " ", html))
    lines = (" ".join(line.split()) for line in raw_text.split("\n"))
    # At most one empty line in a row, as a plain-text author would write it.
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _HtmlText(HTMLParser):
    """Collects text: <br> is a newline, blocks start on a new line, paragraphs after a
    blank one; whitespace in the source collapses as in a browser, except inside <pre>."""

    _HIDDEN = frozenset({"head", "script", "style", "title", "template", "noscript"})
    _PARAGRAPHS = frozenset(
        {"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre", "table", "ul"}
    )
    _LINES = frozenset(
        {"address", "article", "div", "footer", "header", "hr", "li", "section", "tr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._pre = 0
        self._newlines = 0  # newlines at the end of the text so far
        self._started = False  # any visible text yet (no breaks before the first word)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, opening=True)

    def handle_endtag(self, tag: str) -> None:
        self._tag(tag, opening=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, opening=True)  # <br/>, <hr/>: nothing to close

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._pre:
            data = re.sub(r"\s+", " ", data)
            if self._newlines or not self._started:
                data = data.lstrip()
        if not data:
            return
        self.parts.append(data)
        self._started = True
        stripped = data.rstrip("\n")
        self._newlines = len(data) - len(stripped) + (self._newlines if not stripped else 0)

    def _tag(self, tag: str, *, opening: bool) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(self._hidden + (1 if opening else -1), 0)
        elif tag == "body" and opening:
            self._hidden = 0  # <body> closes a <head> that was never closed
        elif self._hidden:
            return
        elif tag == "br" and opening:
            self.parts.append("\n")
            self._newlines += 1
        elif tag in self._PARAGRAPHS:
            self._break(2)
            if tag == "pre":
                self._pre = max(self._pre + (1 if opening else -1), 0)
        elif tag in self._LINES:
            self._break(1)
        elif tag in ("td", "th") and not opening:
            self.parts.append(" ")

    def _break(self, newlines: int) -> None:
        if self._started and self._newlines < newlines:
            self.parts.append("\n" * (newlines - self._newlines))
            self._newlines = newlines
