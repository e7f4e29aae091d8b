"""The service-order SOP end to end, on the real wire formats and a virtual clock.

A sales channel posts an order to the API; the worker sends the WhatsApp
template through a local Cloud API server; the customer answers with a signed
webhook in the Cloud API's JSON shape or, after the 4-business-hour wait
passes in milliseconds, by pressing a key on a call placed through a local
Twilio, whose callbacks are signed the way Twilio signs them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client

from opsdesk.billing.models import Invoice
from opsdesk.cases.models import Case, CaseMilestone, TimelineEvent
from opsdesk.cases.services import case_transition
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.field import jobs
from opsdesk.field.models import WorkOrder
from opsdesk.field.planning import routes_plan
from opsdesk.runtime.models import Timer
from opsdesk.runtime.worker import Worker
from opsdesk.scheduling.models import Appointment
from opsdesk.tasks.models import Task
from opsdesk.tasks.services import task_complete
from tests.fakes.twilio import FakeTwilio, call_callback, signed_callback
from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud, hub_signature, message_webhook
from tests.service_desk import field_crew, order_data

PUBLIC = "https://ops.example.com"
APP_SECRET = "flow-app-secret"
PHONE = "+905321234567"
WA_ID = "905321234567"
AGENT = Actor("user:cem")


@pytest.fixture
def wire(
    settings: Any, whatsapp_adapter: FakeWhatsAppCloud, frozen_clock: Any
) -> Iterator[tuple[FakeWhatsAppCloud, FakeTwilio]]:
    settings.WHATSAPP_APP_SECRET = APP_SECRET
    settings.OPSDESK_PUBLIC_URL = PUBLIC
    with FakeTwilio() as twilio:
        settings.OPSDESK_CHANNEL_ADAPTERS = {
            **settings.OPSDESK_CHANNEL_ADAPTERS,
            "VOICE": "twilio_voice",
            "SMS": "twilio_sms",
        }
        settings.TWILIO_API_BASE = twilio.url
        settings.TWILIO_ACCOUNT_SID = twilio.account_sid
        settings.TWILIO_AUTH_TOKEN = twilio.auth_token
        settings.TWILIO_FROM_NUMBER = twilio.from_number
        yield whatsapp_adapter, twilio


def post_order(service_desk: Any, ref: str) -> Case:
    response = Client().post(
        "/api/v1/orders",
        order_data(ref, family_name="Kaya", phone=PHONE),
        content_type="application/json",
        headers={"Authorization": f"Bearer {service_desk.token}"},
    )
    assert response.status_code == 201, response.content
    return Case.objects.get(number=response.json()["case_number"])


def whatsapp_post(client: Client, message: dict[str, Any]) -> None:
    """A signed Cloud API webhook delivering one customer message."""
    body = message_webhook(message, wa_id=WA_ID)
    response = client.post(
        "/api/v1/webhooks/whatsapp",
        body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": hub_signature(body, APP_SECRET)},
    )
    assert response.status_code == 200


def tap(clock: Any, payload: str, label: str, wamid: str) -> dict[str, Any]:
    return {
        "from": WA_ID,
        "id": wamid,
        "timestamp": str(int(clock.now().timestamp())),
        "type": "button",
        "button": {"payload": payload, "text": label},
    }


def typed(clock: Any, body: str, wamid: str) -> dict[str, Any]:
    return {
        "from": WA_ID,
        "id": wamid,
        "timestamp": str(int(clock.now().timestamp())),
        "type": "text",
        "text": {"body": body},
    }


def template_sent(wa: FakeWhatsAppCloud) -> list[tuple[str, list[str], list[str]]]:
    """(template, body parameters, button payloads) of each template the Cloud API received."""
    out = []
    for request in wa.requests:
        if request["type"] != "template":
            out.append((f"text: {request['text']['body']}", [], []))
            continue
        components = request["template"].get("components", [])
        body = [p["text"] for c in components if c["type"] == "body" for p in c["parameters"]]
        buttons = [
            p["payload"] for c in components if c["type"] == "button" for p in c["parameters"]
        ]
        out.append((request["template"]["name"], body, buttons))
    return out


def test_confirmed_on_whatsapp_booked_visited_and_rated(
    service_desk: Any, wire: Any, frozen_clock: Any
) -> None:
    wa, _ = wire
    case = post_order(service_desk, "TS-100")
    Worker().run_once()
    assert template_sent(wa) == [
        (
            "order_confirmation",
            ["Mehmet", "fiber kurulumu"],
            ["confirm", "reject", "reschedule"],
        )
    ]

    client = Client()
    whatsapp_post(client, tap(frozen_clock, "confirm", "Onaylıyorum", "wamid.C1"))
    case.refresh_from_db()
    assert case.state == "scheduled"
    # Wednesday 10:00 in Istanbul; the earliest slot starts 4 hours ahead: 14:00.
    (visit,) = Appointment.objects.filter(case=case)
    assert (visit.start, visit.end, visit.status, visit.team.name) == (
        dt.datetime(2026, 10, 28, 11, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 28, 13, 0, tzinfo=dt.UTC),
        "BOOKED",
        "Istanbul COBO",
    )
    assert not Timer.objects.filter(case=case, status="PENDING").exists()  # cadence stopped
    Worker().run_once()
    name, params, _ = template_sent(wa)[1]
    assert (name, params[:2]) == ("visit_scheduled", ["2026-10-28", "14:00–16:00"])
    link = params[2]
    assert link.startswith(f"{PUBLIC}/c/")
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200
    assert "14:00–16:00" in page.content.decode()

    # The booked visit is a work order; the planner puts it on the technician's route.
    (wo,) = WorkOrder.objects.filter(case=case)
    assert (wo.status, wo.window_start, wo.required_skills, wo.required_parts) == (
        "UNPLANNED",
        visit.start,
        ["fiber"],
        {"ONT-1": 1},
    )
    assert (wo.duration_minutes, wo.latitude, wo.longitude) == (90, 40.98, 29.06)
    tech = field_crew()
    routes_plan(dt.date(2026, 10, 28), actor=Actor("user:dispatch"), time_limit_s=1)
    wo.refresh_from_db()
    assert (wo.status, wo.technician, wo.planned_start) == ("PLANNED", tech, visit.start)

    # 13:40 in Istanbul the technician sets off from home, 10.0 km away: 20 min at 30 km/h.
    frozen_clock.set_now(dt.datetime(2026, 10, 28, 10, 40, tzinfo=dt.UTC))
    tech_actor = Actor.of_user(tech.agent.user)
    jobs.travel_start(wo.pk, actor=tech_actor)
    Worker().run_once()
    name, params, _ = template_sent(wa)[2]
    assert (name, params[:3]) == ("technician_on_the_way", ["Mehmet", "Tolga Demir", "14:00"])
    assert params[3].startswith(f"{PUBLIC}/c/")  # the customer link, signed at this moment
    frozen_clock.set_now(dt.datetime(2026, 10, 28, 11, 2, tzinfo=dt.UTC))
    jobs.arrive(wo.pk, actor=tech_actor)
    # One cable more than the job called for: the customer gets an invoice for it.
    frozen_clock.set_now(dt.datetime(2026, 10, 28, 12, 30, tzinfo=dt.UTC))
    jobs.complete(wo.pk, actor=tech_actor, parts_used={"ONT-1": 1, "CABLE-10": 1})
    Worker().run_once()
    (invoice,) = Invoice.objects.filter(case=case)
    assert [(ln.sku, ln.quantity, ln.amount) for ln in invoice.lines.all()] == [
        ("CABLE-10", 1, Decimal("95.00"))
    ]
    name, params, _ = template_sent(wa)[3]
    assert (name, params[:2]) == ("extra_parts_invoice", [invoice.number, "95.00 TRY"])
    assert template_sent(wa)[4:] == [
        ("service_completed", ["fiber kurulumu"], []),
        (
            "service_survey",
            ["Mehmet"],
            ["rating_5", "rating_4", "rating_3", "rating_2", "rating_1"],
        ),
    ]
    assert template_sent(wa)[-1][2] == ["rating_5", "rating_4", "rating_3", "rating_2", "rating_1"]

    whatsapp_post(client, tap(frozen_clock, "rating_5", "5", "wamid.R1"))
    case.refresh_from_db()
    assert (case.state, case.fields["rating"]) == ("feedback", "5")  # numbers keep precision
    upsell = Task.objects.get(case=case, key="upsell")
    assert (upsell.status, upsell.title) == (
        "OPEN",
        "Upsell: Mehmet Kaya rated the fiber kurulumu 5/5",
    )
    Worker().run_once()
    # The customer has just written: the thanks go as free text inside the 24-hour window.
    assert template_sent(wa)[-1][0] == "text: Geri bildiriminiz için teşekkürler!"

    whatsapp_post(client, typed(frozen_clock, "Teknisyen çok kibardı", "wamid.R2"))
    case.refresh_from_db()
    assert (case.state, case.status, case.fields["survey_comment"]) == (
        "closed",
        "CLOSED",
        "Teknisyen çok kibardı",
    )
    assert set(CaseMilestone.objects.filter(case=case).values_list("name", flat=True)) == {
        "confirmed",
        "scheduled",
        "on_the_way",
        "completed",
    }


def test_a_visit_that_cannot_be_completed_is_rebooked_at_the_time_agreed_at_the_door(
    service_desk: Any, wire: Any, frozen_clock: Any
) -> None:
    wa, _ = wire
    case = post_order(service_desk, "TS-110")
    whatsapp_post(Client(), tap(frozen_clock, "confirm", "Onaylıyorum", "wamid.C9"))
    (first,) = WorkOrder.objects.filter(case=case)
    tech = field_crew()
    routes_plan(dt.date(2026, 10, 28), actor=Actor("user:dispatch"), time_limit_s=1)
    tech_actor = Actor.of_user(tech.agent.user)
    frozen_clock.set_now(dt.datetime(2026, 10, 28, 10, 40, tzinfo=dt.UTC))
    jobs.travel_start(first.pk, actor=tech_actor)
    frozen_clock.set_now(dt.datetime(2026, 10, 28, 11, 5, tzinfo=dt.UTC))
    jobs.arrive(first.pk, actor=tech_actor)
    Worker().run_once()
    sent_before = len(template_sent(wa))

    # Nobody home; on the phone the customer agrees Friday 11:00 (Thursday is Republic Day).
    friday = dt.datetime(2026, 10, 30, 8, 0, tzinfo=dt.UTC)
    jobs.not_complete(first.pk, actor=tech_actor, reason="Müşteri evde yok", proposed_at=friday)
    Worker().run_once()
    case.refresh_from_db()
    first.refresh_from_db()
    assert (case.state, first.status, first.outcome_reason) == (
        "scheduled",
        "CANNOT_COMPLETE",
        "Müşteri evde yok",
    )
    booked = Appointment.objects.get(case=case, status="BOOKED")
    assert (booked.start, booked.end) == (friday, friday + dt.timedelta(hours=2))
    second = WorkOrder.objects.get(case=case, status="UNPLANNED")
    assert (second.window_start, second.required_parts) == (friday, {"ONT-1": 1})
    assert [(n, p[:2]) for n, p, _ in template_sent(wa)[sent_before:]] == [
        ("visit_not_completed", ["Mehmet"]),
        ("visit_scheduled", ["2026-10-30", "11:00–13:00"]),
    ]
    assert "visit_missed" in CaseMilestone.objects.filter(case=case).values_list("name", flat=True)
    kinds = list(
        TimelineEvent.objects.filter(case=case, type="WORK_ORDER")
        .order_by("id")
        .values_list("payload__kind", flat=True)
    )
    assert kinds == ["created", "travelling", "arrived", "not_completed", "created"]


def test_no_whatsapp_answer_then_the_call_is_answered_with_2_and_retention_wins_it_back(
    service_desk: Any, wire: Any, frozen_clock: Any
) -> None:
    _, twilio = wire
    case = post_order(service_desk, "TS-101")
    Worker().run_once()
    wait = Timer.objects.get(case=case, status="PENDING")
    # 10:00 + 4 business hours = 14:00 Istanbul.
    assert wait.due_at == dt.datetime(2026, 10, 28, 11, 0, tzinfo=dt.UTC)

    frozen_clock.set_now(wait.due_at)
    Worker().run_once()  # fires the wait and queues the call
    Worker().run_once()  # places it
    call = Message.objects.get(case=case, channel="VOICE")
    (placed,) = [r for r in twilio.requests if r.resource == "Calls"]
    voice_url = f"{PUBLIC}/api/v1/webhooks/twilio/voice/{call.pk}"
    assert placed.get("Url") == voice_url

    client = Client()
    answered = call_callback(placed, twilio.account_sid)
    twiml = client.post(
        urlsplit(voice_url).path,
        urlencode(answered),
        content_type="application/x-www-form-urlencoded",
        headers=signed_callback(voice_url, answered, twilio.auth_token),
    )
    assert twiml.status_code == 200
    assert "<Gather" in twiml.content.decode()
    assert "siparişiniz için arıyoruz" in twiml.content.decode()

    forged = call_callback(placed, twilio.account_sid, Digits="1")
    refused = client.post(
        urlsplit(voice_url).path,
        urlencode(forged),
        content_type="application/x-www-form-urlencoded",
        headers=signed_callback(voice_url, forged, "not-the-auth-token"),
    )
    assert refused.status_code == 403
    case.refresh_from_db()
    assert case.state == "confirming"  # the forged "1" changed nothing

    pressed = call_callback(placed, twilio.account_sid, Digits="2")
    client.post(
        urlsplit(voice_url).path,
        urlencode(pressed),
        content_type="application/x-www-form-urlencoded",
        headers=signed_callback(voice_url, pressed, twilio.auth_token),
    )
    case.refresh_from_db()
    assert (case.state, case.team.name, case.agent_id) == (
        "retention",
        "Retention",
        service_desk.retention_agent.pk,
    )
    assert not Timer.objects.filter(case=case, status="PENDING").exists()
    task = Task.objects.get(case=case, key="retention_call")
    task_complete(
        task.pk,
        Actor("user:rana"),
        {"rejection_cause": "timing", "retention_notes": "Wants it after the holiday"},
    )
    case_transition(case.pk, "scheduling", Actor("user:rana"))
    case.refresh_from_db()
    assert case.state == "scheduled"
    assert case.fields["rejection_cause"] == "timing"
    assert set(CaseMilestone.objects.filter(case=case).values_list("name", flat=True)) == {
        "rejected",
        "won_back",
        "scheduled",
    }


def test_a_turkish_answer_with_a_time_books_the_first_slot_from_then(
    service_desk: Any, wire: Any, frozen_clock: Any
) -> None:
    case = post_order(service_desk, "TS-102")
    whatsapp_post(Client(), typed(frozen_clock, "Evet, cuma 11:00 olur", "wamid.T1"))
    case.refresh_from_db()
    assert case.state == "scheduled"
    (visit,) = Appointment.objects.filter(case=case, status="BOOKED")
    # Friday 30 October 11:00 Istanbul (Thursday the 29th is Republic Day).
    assert visit.start == dt.datetime(2026, 10, 30, 8, 0, tzinfo=dt.UTC)


def test_slots_follow_the_teams_calendar(service_desk: Any, wire: Any, frozen_clock: Any) -> None:
    """The Istanbul team closes on Friday 30 October: the answer books the next working day."""
    calendar = service_desk.teams["Istanbul COBO"].calendar
    calendar.extra_holidays = ["2026-10-30"]
    calendar.save(update_fields=["extra_holidays"])
    case = post_order(service_desk, "TS-103")
    whatsapp_post(Client(), typed(frozen_clock, "Evet, cuma 11:00 olur", "wamid.T2"))
    (visit,) = Appointment.objects.filter(case=case, status="BOOKED")
    # Saturday and Sunday are not working days either: Monday 2 November 09:00.
    assert visit.start == dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)


def test_without_a_free_slot_the_customer_hears_it_is_confirmed_and_an_agent_books(
    service_desk: Any, wire: Any, frozen_clock: Any
) -> None:
    # The team is closed for the whole booking horizon (14 days): no slot at all.
    calendar = service_desk.teams["Istanbul COBO"].calendar
    start = dt.date(2026, 10, 28)
    calendar.extra_holidays = [(start + dt.timedelta(days=d)).isoformat() for d in range(16)]
    calendar.save(update_fields=["extra_holidays"])
    case = post_order(service_desk, "TS-104")

    whatsapp_post(Client(), tap(frozen_clock, "confirm", "Onaylıyorum", "wamid.NS1"))
    case.refresh_from_db()
    assert case.state == "scheduling"
    assert not Appointment.objects.filter(case=case).exists()
    assert Task.objects.get(case=case, key="book_by_hand").status == "OPEN"
    assert case.timeline.filter(type="APPOINTMENT_NOT_BOOKED").count() == 1
    assert list(
        Message.objects.filter(case=case, direction="OUTBOUND")
        .order_by("created_at")
        .values_list("template", flat=True)
    ) == ["confirm_request", "confirmed"]


def test_a_customer_without_a_phone_is_asked_by_email_and_answers_by_email(
    service_desk: Any, smtp_adapter: Any, settings: Any, frozen_clock: Any
) -> None:
    """Through a real SMTP server (aiosmtpd), and back as a real RFC 5322 reply."""
    import email
    from email.message import EmailMessage
    from email.policy import default

    settings.OPSDESK_INBOUND_EMAIL_SECRET = "inbound-secret"
    response = Client().post(
        "/api/v1/orders",
        {
            "external_ref": "EM-200",
            "given_name": "Sarah",
            "family_name": "Mills",
            "email": "sarah.mills@example.com",
            "language": "en",
            "service_type": "modem_swap",
            "city": "İstanbul",
            "postcode": "34380",
            "documents": [{"type": "id_card"}],
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {service_desk.token}"},
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["case_number"])
    Worker().run_once()
    (sent,) = smtp_adapter.received
    assert sent.rcpt_tos == ("sarah.mills@example.com",)
    asked = email.message_from_bytes(sent.data, policy=default)
    assert asked["Subject"] == "Please confirm your order"
    assert "Reply 1 to confirm" in asked.get_content()

    reply = EmailMessage()
    reply["From"] = "Sarah Mills <sarah.mills@example.com>"
    reply["To"] = "bildirim@opsdesk.example"
    reply["Subject"] = "Re: Please confirm your order"
    reply["Message-ID"] = "<reply-1@example.com>"
    reply["In-Reply-To"] = asked["Message-ID"]
    reply["Date"] = "Wed, 28 Oct 2026 08:30:00 +0000"
    reply.set_content(
        "Yes, I confirm. Next Monday morning works for me.\n\n"
        "On Wed, 28 Oct 2026 at 10:00, Opsdesk <bildirim@opsdesk.example> wrote:\n"
        "> Hello Sarah, we have received your modem replacement order.\n"
    )
    posted = Client().post(
        "/api/v1/webhooks/email",
        reply.as_bytes(),
        content_type="message/rfc822",
        headers={"X-Opsdesk-Inbound-Secret": "inbound-secret"},
    )
    assert posted.status_code == 200
    case.refresh_from_db()
    assert case.state == "scheduled"
    (visit,) = Appointment.objects.filter(case=case, status="BOOKED")
    # Monday 2 November, morning (09:00 Istanbul).
    assert visit.start == dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)
    Worker().run_once()
    scheduled = email.message_from_bytes(smtp_adapter.received[-1].data, policy=default)
    assert scheduled["Subject"] == "Your visit"
    assert "on 2026-11-02 between 09:00–11:00" in scheduled.get_content()
