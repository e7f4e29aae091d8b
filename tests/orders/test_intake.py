"""Order intake: validation, idempotency, zones, eligibility, routing, the first cadence step."""

from __future__ import annotations

from typing import Any

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.orders.intake import OrderInput, orders_receive
from opsdesk.orders.models import HandBack, OrderStatus, ServiceOrder
from opsdesk.runtime.models import OutboxItem, Timer
from tests.service_desk import order_data

CHANNEL = Actor("api:channel-telesales")


def order(ref: str, **changes: Any) -> OrderInput:
    return OrderInput(**order_data(ref, **changes))


def test_an_eligible_order_is_routed_and_its_confirmation_goes_out(
    service_desk: Any, frozen_clock: Any
) -> None:
    (result,) = orders_receive(service_desk.channel, [order("TS-1")], CHANNEL)
    assert result.outcome == "created"
    o = ServiceOrder.objects.get(external_ref="TS-1")
    assert (o.status, o.zone, o.rule, o.team.name, o.priority) == (
        "ACCEPTED",
        "istanbul_asia",
        "istanbul",
        "Istanbul COBO",
        "MEDIUM",
    )
    case = Case.objects.get(pk=o.case_id)
    assert case.state == "confirming"
    assert case.team.name == "Istanbul COBO"
    (msg,) = Message.objects.filter(case=case)
    assert (msg.channel, msg.template, msg.whatsapp_template, msg.whatsapp_buttons) == (
        "WHATSAPP",
        "confirm_request",
        "order_confirmation",
        ["confirm", "reject", "reschedule"],
    )
    assert list(Timer.objects.filter(case=case).values_list("name", flat=True)) == [
        "cadence__confirmation__2"
    ]
    types = list(
        TimelineEvent.objects.filter(case=case).order_by("id").values_list("type", flat=True)
    )
    assert types[:2] == ["ORDER_RECEIVED", "CASE_OPENED"]


def test_a_retry_with_the_same_reference_creates_nothing_twice(
    service_desk: Any, frozen_clock: Any
) -> None:
    first = orders_receive(service_desk.channel, [order("TS-2")], CHANNEL)
    counts = (ServiceOrder.objects.count(), Case.objects.count(), Message.objects.count())
    again = orders_receive(service_desk.channel, [order("TS-2"), order("TS-2")], CHANNEL)
    assert [r.outcome for r in again] == ["duplicate", "duplicate"]
    assert {r.order.pk for r in again} == {first[0].order.pk}
    assert (ServiceOrder.objects.count(), Case.objects.count(), Message.objects.count()) == counts


def test_bad_rows_are_reported_and_the_rest_written(service_desk: Any, frozen_clock: Any) -> None:
    results = orders_receive(
        service_desk.channel,
        [order("TS-3"), order("", service_type="plumbing"), order("TS-4", latitude=95.0)],
        CHANNEL,
    )
    assert [r.outcome for r in results] == ["created", "rejected", "rejected"]
    assert results[1].errors == {
        "external_ref": ["this field is required"],
        "service_type": ["must be one of fiber_install, modem_swap, tv_setup"],
    }
    assert results[2].errors == {"latitude": ["latitude in [-90, 90] and longitude in [-180, 180]"]}
    assert list(ServiceOrder.objects.values_list("external_ref", flat=True)) == ["TS-3"]


def test_an_ineligible_order_is_handed_back_with_the_failed_check(
    service_desk: Any, frozen_clock: Any
) -> None:
    (result,) = orders_receive(
        service_desk.channel,
        [
            order(
                "TS-5",
                customer_type="business",
                service_type="tv_setup",
                city="Ankara",
                postcode="06100",
                latitude=None,
                longitude=None,
            )
        ],
        CHANNEL,
    )
    o = result.order
    assert o.status == OrderStatus.INELIGIBLE
    assert o.case_id is None
    assert o.failed_checks == [
        {"check": "documents_valid", "message": "Missing or expired documents: tax_certificate"},
        {"check": "service_available", "message": "tv_setup is not offered in ankara"},
    ]
    (hb,) = HandBack.objects.filter(order=o)
    assert hb.status == "PENDING"
    assert hb.reason == (
        "Not eligible: Missing or expired documents: tax_certificate; "
        "tv_setup is not offered in ankara"
    )
    assert (
        OutboxItem.objects.filter(kind="channel.hand_back", payload={"hand_back_id": hb.pk}).count()
        == 1
    )


def test_an_order_no_rule_fits_waits_for_manual_routing(
    service_desk: Any, frozen_clock: Any
) -> None:
    (result,) = orders_receive(
        service_desk.channel,
        [order("TS-6", city="İzmir", postcode="35000", latitude=38.42, longitude=27.14)],
        CHANNEL,
    )
    assert (result.order.status, result.order.zone, result.order.case_id) == ("EXCEPTION", "", None)
    assert Case.objects.count() == 0


def test_a_customer_type_not_served_is_ineligible(service_desk: Any, frozen_clock: Any) -> None:
    (result,) = orders_receive(
        service_desk.channel, [order("TS-7", customer_type="wholesale")], CHANNEL
    )
    assert (result.outcome, result.order.status) == ("created", "INELIGIBLE")
    assert result.order.failed_checks == [
        {
            "check": "customer_type_allowed",
            "message": "customer type wholesale is not served through this channel",
        },
    ]


def test_an_order_nobody_could_reach_is_refused(service_desk: Any, frozen_clock: Any) -> None:
    results = orders_receive(
        service_desk.channel,
        [
            order("TS-8", phone="+44 7700 900123"),  # a drama number: not a real one
            order("TS-9", phone="0532 123", email="not-an-email"),
            order("TS-10", phone="+44 7700 900123", email="ok@example.com"),  # email reaches
        ],
        CHANNEL,
    )
    assert [r.outcome for r in results] == ["rejected", "rejected", "created"]
    assert results[0].errors == {
        "phone": ["not a valid phone number; give it with the country code, e.g. +90 532 123 45 67"]
    }
    assert results[1].errors == {
        "phone": [
            "not a valid phone number; give it with the country code, e.g. +90 532 123 45 67"
        ],
        "email": ["not a valid email address"],
    }
    assert list(ServiceOrder.objects.values_list("external_ref", flat=True)) == ["TS-10"]
