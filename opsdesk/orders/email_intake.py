"""Orders mailed by a sales channel to its intake address (`key: value` lines and/or
a CSV attachment; the format is in `opsdesk.orders.text`)."""

from __future__ import annotations

import hashlib
import logging
import re

from opsdesk.common.actors import Actor
from opsdesk.comms.email_inbound import InboundEmail
from opsdesk.orders.intake import RowResult
from opsdesk.orders.models import SalesChannel
from opsdesk.orders.text import (
    MAX_REF,
    BadFile,
    TextRow,
    column_of,
    known,
    order_from_values,
    read_csv,
    receive_rows,
)

log = logging.getLogger(__name__)
_BODY_LINE = re.compile(r"^\s*([A-Za-z][\w .-]*?)\s*:\s*(.*?)\s*$")


def order_from_email(channel: SalesChannel, email: InboundEmail) -> RowResult:
    """Receive the order(s) a channel mailed to its intake address; never raises for
    bad input. Returns the result of the email's first order (the body's, else the
    attachment's first row); `orders_from_email` returns every row's."""
    return orders_from_email(channel, email)[0]


def orders_from_email(channel: SalesChannel, email: InboundEmail) -> list[RowResult]:
    """One result per order in the email: the body's `key: value` order first, then the
    rows of each CSV attachment. An email with no order is one rejected result."""
    ref = _message_ref(email.message_id)
    if not channel.accepts_email_from(email.from_address):
        log.warning(
            "order email %s to channel %s refused: sender %s is not allowed",
            email.message_id,
            channel.key,
            email.from_address,
        )
        return [
            RowResult(
                0, ref, "rejected", errors={"email": [f"{email.from_address} may not send orders"]}
            )
        ]
    rows: list[TextRow] = []
    problems: list[str] = []
    body = _body_values(email.text)
    if body:
        body.setdefault("external_ref", "")
        if not body["external_ref"].strip():
            body["external_ref"] = ref
        rows.append(order_from_values(body))
    for attachment in email.attachments:
        if not _is_csv(attachment.filename, attachment.content_type):
            continue
        try:
            found = read_csv(attachment.data, ref_required=False)
        except BadFile as exc:
            problems.append(f"{attachment.filename or 'attachment'}: {exc}")
            continue
        for n, row in enumerate(found, start=1):
            if row.data is not None and not row.data.external_ref.strip() and ref:
                row.data.external_ref = row.external_ref = f"{ref}#{n}"
        rows += found
    results = receive_rows(channel, rows, Actor.of_user(channel.user, "email")) if rows else []
    if problems or not results:
        results.append(
            RowResult(
                len(results),
                ref,
                "rejected",
                errors={
                    "email": problems
                    or [
                        "no order found: write `field: value` lines (external_ref, given_name, "
                        "family_name, service_type, ...) or attach a CSV file"
                    ]
                },
            )
        )
    for r in results:
        if r.outcome == "rejected":
            log.warning(
                "order email %s from %s to channel %s: row %d (%s) rejected: %s",
                email.message_id,
                email.from_address,
                channel.key,
                r.index,
                r.external_ref,
                r.errors,
            )
    return results


def _body_values(text: str) -> dict[str, str]:
    """The `key: value` lines of known columns; other lines (greetings, quoted text,
    the signature) are ignored. Repeated `documents` lines add up."""
    values: dict[str, str] = {}
    for line in text.split("\n"):
        if line.rstrip() == "--":
            break  # the signature
        if line.lstrip().startswith(">"):
            continue
        found = _BODY_LINE.match(line)
        if found is None:
            continue
        column = column_of(found.group(1))
        if not known(column):
            continue
        value = found.group(2)
        if column == "documents" and values.get(column):
            value = f"{values[column]};{value}"
        values[column] = value
    return values


def _message_ref(message_id: str) -> str:
    ref = message_id.strip().strip("<>")
    if len(ref) > MAX_REF - 8:  # leaves room for "#<row>" of an attachment's rows
        ref = "msg-" + hashlib.sha256(ref.encode()).hexdigest()[:40]
    return ref


def _is_csv(filename: str, content_type: str) -> bool:
    return filename.lower().endswith(".csv") or content_type in ("text/csv", "application/csv")
