"""Orders mailed to a channel's intake address: `key: value` lines and CSV attachments."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from opsdesk.cases.models import TimelineEvent
from opsdesk.comms.email_inbound import parse_inbound
from opsdesk.customers.models import Customer
from opsdesk.orders.email_intake import order_from_email, orders_from_email
from opsdesk.orders.models import ServiceOrder

BODY = """Merhaba,

Yeni sipariş aşağıda.

External ref: MAIL-1
Given name: Ayşe
Family name: Kaya
Phone: +90 532 222 33 44
Language: tr
Service type: fiber_install
Customer type: residential
Address: Moda Cad. 5
City: İstanbul
Postcode: 34710
Latitude: 40.98
Longitude: 29.06
Documents: id_card:2031-05-01

İyi çalışmalar,
--
Telesales Ekibi
Phone: +90 212 000 00 00
"""


def mail(body: str, *, message_id: str = "<order-1@telesales.example>", csv: bytes = b"") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Telesales <orders@telesales.example>"
    msg["To"] = "siparis@opsdesk.example"
    msg["Subject"] = "Yeni sipariş"
    msg["Date"] = "Wed, 28 Oct 2026 09:55:00 +0300"
    msg["Message-ID"] = message_id
    msg.set_content(body)
    if csv:
        msg.add_attachment(csv, maintype="text", subtype="csv", filename="siparisler.csv")
    return msg.as_bytes()


def test_an_order_in_the_body_of_a_real_email_is_received(
    service_desk: Any, frozen_clock: Any
) -> None:
    email = parse_inbound(mail(BODY))
    result = order_from_email(service_desk.channel, email)
    assert (result.index, result.external_ref, result.outcome, result.errors) == (
        0,
        "MAIL-1",
        "created",
        {},
    )
    o = ServiceOrder.objects.select_related("customer", "team").get()
    assert o == result.order
    assert (o.external_ref, o.status, o.team.name, o.address, o.city, o.documents) == (
        "MAIL-1",
        "ACCEPTED",
        "Istanbul COBO",
        "Moda Cad. 5",
        "İstanbul",
        [{"type": "id_card", "valid_until": "2031-05-01"}],
    )
    # The signature's phone line is not the customer's.
    assert (o.customer.given_name, o.customer.phone) == ("Ayşe", "+905322223344")
    received = TimelineEvent.objects.get(type="ORDER_RECEIVED")
    assert received.actor == "email:channel-telesales"

    # The relay delivers the same email again: the same order, nothing written.
    counts = (ServiceOrder.objects.count(), Customer.objects.count(), TimelineEvent.objects.count())
    again = order_from_email(service_desk.channel, parse_inbound(mail(BODY)))
    assert (again.outcome, again.order.pk) == ("duplicate", o.pk)
    assert (
        ServiceOrder.objects.count(),
        Customer.objects.count(),
        TimelineEvent.objects.count(),
    ) == counts


def test_without_an_external_ref_line_the_message_id_is_the_reference(
    service_desk: Any, frozen_clock: Any
) -> None:
    body = BODY.replace("External ref: MAIL-1\n", "")
    result = order_from_email(service_desk.channel, parse_inbound(mail(body)))
    assert (result.outcome, result.external_ref) == ("created", "order-1@telesales.example")
    assert ServiceOrder.objects.get().external_ref == "order-1@telesales.example"


def test_a_bad_order_is_reported_not_raised_and_writes_nothing(
    service_desk: Any, frozen_clock: Any
) -> None:
    body = BODY.replace("fiber_install", "plumbing").replace("Latitude: 40.98", "Latitude: kuzey")
    result = order_from_email(service_desk.channel, parse_inbound(mail(body)))
    assert (result.outcome, result.external_ref, result.order) == ("rejected", "MAIL-1", None)
    assert result.errors == {"latitude": ["a number, e.g. 40.98"]}
    body = BODY.replace("fiber_install", "plumbing")
    result = order_from_email(service_desk.channel, parse_inbound(mail(body)))
    assert result.errors == {"service_type": ["must be one of fiber_install, modem_swap, tv_setup"]}
    assert (ServiceOrder.objects.count(), Customer.objects.count()) == (0, 0)


def test_an_email_without_an_order_is_one_rejected_result(
    service_desk: Any, frozen_clock: Any
) -> None:
    email = parse_inbound(mail("Hello, can you call me back?\n\nThanks"))
    result = order_from_email(service_desk.channel, email)
    assert (result.outcome, result.external_ref) == ("rejected", "order-1@telesales.example")
    assert result.errors == {
        "email": [
            "no order found: write `field: value` lines (external_ref, given_name, "
            "family_name, service_type, ...) or attach a CSV file"
        ]
    }
    assert ServiceOrder.objects.count() == 0


def test_each_row_of_an_attached_csv_is_an_order(service_desk: Any, frozen_clock: Any) -> None:
    csv = (
        "\ufeffgiven_name;family_name;phone;service_type;city;postcode;documents\n"
        "Ali;Veli;+90 532 333 44 55;modem_swap;İstanbul;34710;id_card\n"
        "Can;Ak;;modem_swap;İstanbul;34710;id_card\n"
        "Ece;Su;+90 532 333 44 66;tv_setup;İstanbul;34710;id_card:2029-01-01\n"
    ).encode()
    email = parse_inbound(mail("Siparişler ekte.\n", csv=csv))
    results = orders_from_email(service_desk.channel, email)
    assert [(r.index, r.external_ref, r.outcome, r.errors) for r in results] == [
        (0, "order-1@telesales.example#1", "created", {}),
        (
            1,
            "order-1@telesales.example#2",
            "rejected",
            {"phone": ["give a phone number or an email address to reach the customer"]},
        ),
        (2, "order-1@telesales.example#3", "created", {}),
    ]
    assert sorted(ServiceOrder.objects.values_list("external_ref", "service_type")) == [
        ("order-1@telesales.example#1", "modem_swap"),
        ("order-1@telesales.example#3", "tv_setup"),
    ]
    # The webhook's entry point receives them all and answers with the first.
    again = order_from_email(service_desk.channel, email)
    assert (again.index, again.outcome) == (0, "duplicate")
    assert ServiceOrder.objects.count() == 2


def test_an_attachment_with_a_bad_header_is_reported(service_desk: Any, frozen_clock: Any) -> None:
    email = parse_inbound(mail("Ekte.\n", csv=b"name,phone\nAli,+905323334455\n"))
    (result,) = orders_from_email(service_desk.channel, email)
    assert result.outcome == "rejected"
    assert result.errors["email"][0].startswith(
        "siparisler.csv: bad header: unknown column(s) name;"
    )
    assert ServiceOrder.objects.count() == 0


def test_an_order_from_a_sender_the_channel_does_not_allow_writes_nothing(
    service_desk: Any, frozen_clock: Any
) -> None:
    from opsdesk.comms.email_inbound import parse_inbound
    from opsdesk.orders.email_intake import order_from_email
    from opsdesk.orders.models import ServiceOrder

    channel = service_desk.channel
    channel.email_senders = ["@partner.example"]
    channel.save(update_fields=["email_senders"])
    raw = (
        b"From: Mallory <mallory@evil.example>\r\nTo: orders@opsdesk.example\r\n"
        b"Subject: order\r\nMessage-ID: <x1@evil.example>\r\n"
        b"Date: Wed, 28 Oct 2026 10:00:00 +0000\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"external_ref: EVIL-1\r\ngiven_name: Mal\r\nfamily_name: Lory\r\nphone: +905321112233\r\n"
        b"service_type: fiber_install\r\n"
    )
    result = order_from_email(channel, parse_inbound(raw))
    assert (result.outcome, result.errors) == (
        "rejected",
        {"email": ["mallory@evil.example may not send orders"]},
    )
    assert ServiceOrder.objects.count() == 0
    assert channel.accepts_email_from("buyer@PARTNER.example")
