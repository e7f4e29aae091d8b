"""The customer link through the HTTP client: the status page, moving and
cancelling the visit within the playbook's rules, dead links, the .ics file."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import icalendar
from django.core import signing
from django.test import Client

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.common import clock
from opsdesk.comms.models import Message
from opsdesk.field.models import WorkOrder
from opsdesk.portal import links
from opsdesk.portal.links import case_link, case_of_token, case_token
from opsdesk.scheduling.models import Appointment
from tests.portal.conftest import VISIT
from tests.portal.helpers import confirm, install_desk, receive_order

NEW_SLOT = dt.datetime(2026, 11, 5, 11, 0, tzinfo=dt.UTC)  # Thursday 14:00 in Istanbul
# 30 minutes past the last moment for changes (24 hours before the visit).
AFTER_DEADLINE = dt.datetime(2026, 11, 2, 6, 30, tzinfo=dt.UTC)
CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def html(response: Any) -> str:
    return response.content.decode()


def text_of(response: Any, element_id: str) -> str:
    """The text inside the element with this id (no nested tags of the same kind)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html(response), re.S)
    assert match, f"no #{element_id} on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def state_of(case: Case) -> tuple[Any, ...]:
    """Everything a customer action may change, to assert that nothing did."""
    fresh = Case.objects.get(pk=case.pk)
    return (
        fresh.state,
        fresh.status,
        list(
            Appointment.objects.order_by("created_at", "sequence").values_list(
                "case_id", "start", "status", "sequence"
            )
        ),
        TimelineEvent.objects.count(),
        Message.objects.count(),
    )


def slot_values(response: Any) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', html(response))


# --- the status page ----------------------------------------------------------


def test_the_page_shows_status_service_and_visit_in_the_customers_language(visit: Case) -> None:
    response = Client().get(case_link(visit.pk))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CSP
    assert "no-cache" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<html lang="tr">' in html(response)
    assert text_of(response, "status-line") == (
        "Ziyaretiniz 3 Kasım 2026 Salı, 09:00–11:00 için planlandı."
    )
    assert text_of(response, "service") == "Fiber kurulumu"
    assert text_of(response, "visit-time") == "3 Kasım 2026 Salı, 09:00–11:00"
    assert text_of(response, "changes-note") == (
        "Ziyaretinizi 2 Kasım 2026 Pazartesi 09:00 tarihine kadar değiştirebilir "
        "veya iptal edebilirsiniz."
    )
    assert text_of(response, "add-to-calendar") == "Takvime ekle"
    # The steps: received, confirmed and booked are done, the rest to come.
    steps = re.findall(r'<li class="p-step( p-done)?"[^>]*>([^<]+)<', html(response))
    assert steps == [
        (" p-done", "Sipariş alındı"),
        (" p-done", "Onaylandı"),
        (" p-done", "Randevu verildi"),
        ("", "Teknisyen yolda"),
        ("", "Tamamlandı"),
    ]
    # Free slots from now on (lead 4 hours, 29 October is a holiday), the
    # booked one left out, grouped by day.
    values = slot_values(response)
    assert values[:3] == [
        "2026-10-28T11:00:00+00:00",
        "2026-10-28T13:00:00+00:00",
        "2026-10-30T06:00:00+00:00",
    ]
    assert VISIT.isoformat() not in values
    assert "<legend>28 Ekim 2026 Çarşamba</legend>" in html(response)
    assert "29 Ekim" not in html(response)
    assert text_of(response, "cancel-order") == "Siparişimi iptal et"
    # No staff navigation on the customer's page.
    assert "My tasks" not in html(response)


def test_an_english_speaking_customer_reads_english(desk: Any, frozen_clock: Any) -> None:
    case = confirm(receive_order(desk, "TS-EN", language="en"), VISIT)
    response = Client().get(case_link(case.pk))
    assert '<html lang="en">' in html(response)
    assert text_of(response, "status-line") == (
        "Your visit is booked for Tuesday 3 November 2026, 09:00–11:00."
    )
    assert text_of(response, "service") == "Fibre installation"
    assert text_of(response, "changes-note") == (
        "You can change or cancel your visit until Monday 2 November 2026 09:00."
    )


def test_the_customer_may_switch_the_language(visit: Case) -> None:
    response = Client().get(case_link(visit.pk) + "?lang=en")
    assert text_of(response, "status-line") == (
        "Your visit is booked for Tuesday 3 November 2026, 09:00–11:00."
    )
    assert '<input type="hidden" name="lang" value="en">' in html(response)


def test_an_order_awaiting_confirmation_may_be_cancelled_but_not_moved(
    desk: Any, frozen_clock: Any
) -> None:
    case = receive_order(desk, "TS-2")
    assert case.state == "confirming"
    response = Client().get(case_link(case.pk))
    assert response.status_code == 200
    assert text_of(response, "status-line") == "Siparişinizi aldık, onayınızı isteyeceğiz."
    assert "Henüz bir ziyaret randevusu yok." in html(response)
    assert 'name="start"' not in html(response)
    # The playbook takes `customer.cancelled` while confirming (the customer changed
    # their mind before confirming): the link offers it.
    assert "cancel-order" in html(response)
    assert "add-to-calendar" not in html(response)


# --- rescheduling ------------------------------------------------------------


def test_the_customer_moves_the_visit_to_a_free_slot(visit: Case) -> None:
    client = Client()
    link = case_link(visit.pk)  # signed with the current second: made once
    page = client.get(link)
    assert NEW_SLOT.isoformat() in slot_values(page)
    last_event = TimelineEvent.objects.order_by("-id").values_list("id", flat=True).first()

    response = client.post(link + "reschedule/", {"start": NEW_SLOT.isoformat()}, follow=True)
    assert response.redirect_chain == [(link, 302)]
    assert "Ziyaretiniz 5 Kasım 2026 Perşembe, 14:00–16:00 olarak değişti." in html(response)
    assert text_of(response, "visit-time") == "5 Kasım 2026 Perşembe, 14:00–16:00"

    rows = list(
        Appointment.objects.order_by("created_at", "-status").values_list(
            "start", "end", "status", "sequence"
        )
    )
    assert rows == [
        (VISIT, VISIT + dt.timedelta(hours=2), "CANCELLED", 1),
        (NEW_SLOT, NEW_SLOT + dt.timedelta(hours=2), "BOOKED", 1),
    ]
    assert Case.objects.get(pk=visit.pk).state == "scheduled"
    new = list(
        TimelineEvent.objects.filter(pk__gt=last_event)
        .order_by("id")
        .values_list("type", "actor", "payload")
    )
    message = Message.objects.get(case=visit, template="rescheduled")
    (work_order,) = WorkOrder.objects.filter(case=visit)
    assert new == [
        (
            "APPOINTMENT_BOOKED",
            "customer",
            {"start": "2026-11-05T11:00:00+00:00", "end": "2026-11-05T13:00:00+00:00"},
        ),
        (
            "MESSAGE_QUEUED",
            "customer",
            {"template": "rescheduled", "channel": "WHATSAPP", "message_id": message.pk},
        ),
        # The visit's work order moves with it, back to the planner.
        (
            "WORK_ORDER",
            "customer",
            {
                "kind": "moved",
                "work_order_id": work_order.pk,
                "window": "2026-11-05T11:00:00+00:00",
            },
        ),
    ]
    assert (work_order.status, work_order.window_start) == ("UNPLANNED", NEW_SLOT)


def test_a_change_after_the_deadline_is_refused_and_changes_nothing(
    visit: Case, frozen_clock: Any
) -> None:
    frozen_clock.set_now(AFTER_DEADLINE)
    client = Client()
    page = client.get(case_link(visit.pk))
    assert 'name="start"' not in html(page)
    assert "cancel-order" not in html(page)
    refused = (
        "Değişiklikler ziyaretten en geç 24 saat önce yapılabilir; bu ziyaret artık buradan "
        "değiştirilemez."
    )
    assert text_of(page, "changes-note") == (
        f"{refused} Değiştirmeniz gerekirse lütfen bizi arayın."
    )
    before = state_of(visit)

    response = client.post(case_link(visit.pk) + "reschedule/", {"start": NEW_SLOT.isoformat()})
    assert response.status_code == 409
    assert text_of(response, "portal-error") == f"{refused} Lütfen bizi arayın."
    assert client.post(case_link(visit.pk) + "cancel/").status_code == 409
    assert state_of(visit) == before


def test_a_slot_that_filled_up_meanwhile_is_refused_and_changes_nothing(
    visit: Case, desk: Any
) -> None:
    client = Client()
    assert NEW_SLOT.isoformat() in slot_values(client.get(case_link(visit.pk)))
    # Meanwhile three other customers (the slot's capacity) take it.
    others = [
        confirm(receive_order(desk, ref, phone=phone), NEW_SLOT)
        for ref, phone in (
            ("TS-A", "+90 532 111 11 11"),
            ("TS-B", "+90 532 222 22 22"),
            ("TS-C", "+90 532 333 33 33"),
        )
    ]
    assert [Appointment.objects.get(case=o, status="BOOKED").start for o in others] == [
        NEW_SLOT
    ] * 3
    before = state_of(visit)

    response = client.post(case_link(visit.pk) + "reschedule/", {"start": NEW_SLOT.isoformat()})
    assert response.status_code == 422
    assert text_of(response, "portal-error") == (
        "Üzgünüz, bu zaman az önce doldu. Lütfen başka bir zaman seçin."
    )
    assert NEW_SLOT.isoformat() not in slot_values(response)
    assert state_of(visit) == before


def test_a_time_that_is_not_a_slot_is_refused(visit: Case) -> None:
    client = Client()
    before = state_of(visit)
    for value, message in (
        ("2026-11-05T07:30:00+00:00", "Bu zamanı sunamıyoruz. Lütfen listeden bir zaman seçin."),
        ("2026-10-31T06:00:00+00:00", "Bu zamanı sunamıyoruz. Lütfen listeden bir zaman seçin."),
        ("yarın", "Bu zamanı sunamıyoruz. Lütfen listeden bir zaman seçin."),
        ("", "Lütfen bir zaman seçin."),
        (VISIT.isoformat(), "Ziyaretiniz zaten bu zamanda."),
    ):
        response = client.post(case_link(visit.pk) + "reschedule/", {"start": value})
        assert response.status_code == 422, value
        assert text_of(response, "portal-error") == message
    assert state_of(visit) == before


def test_posts_need_the_csrf_token(visit: Case) -> None:
    client = Client(enforce_csrf_checks=True)
    before = state_of(visit)
    url = case_link(visit.pk)
    assert client.post(url + "reschedule/", {"start": NEW_SLOT.isoformat()}).status_code == 403
    assert client.post(url + "cancel/").status_code == 403
    assert state_of(visit) == before


# --- cancelling --------------------------------------------------------------


def test_cancel_asks_first_then_cancels_the_order(visit: Case) -> None:
    client = Client()
    link = case_link(visit.pk)
    before = state_of(visit)
    question = client.get(link + "cancel/")
    assert question.status_code == 200
    assert "Fiber kurulumu siparişinizi iptal etmek istediğinizden emin misiniz?" in html(question)
    assert "3 Kasım 2026 Salı, 09:00–11:00 tarihindeki ziyaretiniz iptal edilecek." in html(
        question
    )
    assert text_of(question, "cancel-confirm") == "Evet, siparişimi iptal et"
    assert state_of(visit) == before  # asking changes nothing

    response = client.post(link + "cancel/", follow=True)
    assert response.redirect_chain == [(link, 302)]
    case = Case.objects.get(pk=visit.pk)
    assert (case.state, case.status) == ("cancelled", "CLOSED")
    assert list(Appointment.objects.values_list("start", "status")) == [(VISIT, "CANCELLED")]
    assert Message.objects.filter(case=visit, template="cancelled").count() == 1
    assert text_of(response, "status-line") == "Siparişiniz iptal edildi."
    assert '<div class="p-alert p-alert-ok" role="status">Siparişiniz iptal edildi.</div>' in html(
        response
    )
    assert 'name="start"' not in html(response)
    assert "cancel-order" not in html(response)
    # A second try is refused: the order is closed.
    again = client.post(case_link(visit.pk) + "cancel/")
    assert again.status_code == 409
    assert text_of(again, "portal-error") == "Siparişiniz kapandığı için artık değiştirilemez."


def test_no_cancel_when_the_playbook_does_not_allow_it(db: Any, frozen_clock: Any) -> None:
    desk = install_desk(replace=("customer_can_cancel: true", "customer_can_cancel: false"))
    case = confirm(receive_order(desk, "TS-3"), VISIT)
    client = Client()
    page = client.get(case_link(case.pk))
    assert "cancel-order" not in html(page)
    assert 'name="start"' in html(page)  # moving the visit is still allowed
    before = state_of(case)
    response = client.post(case_link(case.pk) + "cancel/")
    assert response.status_code == 409
    assert text_of(response, "portal-error") == (
        "Siparişinizin bu aşamasında buradan iptal yapılamaz."
    )
    assert state_of(case) == before


# --- dead links ----------------------------------------------------------------


def expired_token(case_id: str) -> str:
    """A link issued 31 days ago on the shell's clock (links live 30)."""
    now = clock.now()
    with clock.frozen(now - dt.timedelta(days=31)):
        return case_token(case_id)


def test_forged_and_expired_links_say_so_and_change_nothing(visit: Case) -> None:
    good = case_token(visit.pk)
    tokens = {
        "tampered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "other salt": signing.dumps(visit.pk, salt="opsdesk.portal.other", compress=True),
        "other key": signing.dumps(visit.pk, salt=links._SALT, key="not-our-key"),
        "expired": expired_token(visit.pk),
        "rubbish": "nothing-here",
    }
    assert links.case_of_token(tokens["expired"]) is None
    client = Client()
    before = state_of(visit)
    for name, token in tokens.items():
        base = f"/c/{token}/"
        for response in (
            client.get(base),
            client.get(base + "visit.ics"),
            client.get(base + "cancel/"),
            client.post(base + "reschedule/", {"start": NEW_SLOT.isoformat()}),
            client.post(base + "cancel/"),
        ):
            assert response.status_code == 404, name
            assert "Bu bağlantı artık geçerli değil" in html(response)
            assert "This link is no longer valid" in html(response)
            assert visit.number not in html(response)
    assert state_of(visit) == before


# --- the calendar file -----------------------------------------------------------


def parse_ics(response: Any) -> tuple[icalendar.Calendar, Any]:
    assert response.status_code == 200
    cal = icalendar.Calendar.from_ical(response.content)
    (event,) = cal.walk("VEVENT")
    return cal, event


def test_the_calendar_file_follows_the_visit(visit: Case) -> None:
    client = Client()
    response = client.get(case_link(visit.pk) + "visit.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8; method=REQUEST"
    assert response["Content-Disposition"] == f'attachment; filename="visit-{visit.number}.ics"'
    cal, event = parse_ics(response)
    # A freshly signed link to the same case (signed with the current second).
    link = str(event["url"])
    assert link.startswith("http://testserver/c/")
    assert case_of_token(link.removeprefix("http://testserver/c/").rstrip("/")) == visit.pk
    assert (str(cal["version"]), str(cal["method"])) == ("2.0", "REQUEST")
    assert str(event["uid"]) == f"{visit.pk}@opsdesk"
    assert event["sequence"] == 0
    assert event["dtstart"].dt == VISIT
    assert event["dtend"].dt == VISIT + dt.timedelta(hours=2)
    assert event["dtstart"].to_ical() == b"20261103T060000Z"
    assert event["dtstamp"].dt == dt.datetime(2026, 10, 28, 7, 0, tzinfo=dt.UTC)
    assert str(event["summary"]) == "Ziyaret: fiber kurulumu"
    assert str(event["description"]) == (
        f"Teknisyenimiz fiber kurulumu için geliyor (sipariş {visit.number}). "
        f"Durumu görmek, değiştirmek veya iptal etmek için: {link}"
    )
    assert str(event["location"]) == "Bağdat Cad. 10, Kadıköy, İstanbul"
    assert str(event["url"]) == link
    assert str(event["status"]) == "CONFIRMED"
    assert "organizer" not in event  # no OPSDESK_EMAIL_FROM in the tests

    client.post(case_link(visit.pk) + "reschedule/", {"start": NEW_SLOT.isoformat()})
    _, moved = parse_ics(client.get(case_link(visit.pk) + "visit.ics"))
    assert str(moved["uid"]) == f"{visit.pk}@opsdesk"
    assert moved["sequence"] == 1
    assert (moved["dtstart"].dt, moved["dtend"].dt) == (NEW_SLOT, NEW_SLOT + dt.timedelta(hours=2))

    client.post(case_link(visit.pk) + "cancel/")
    response = client.get(case_link(visit.pk) + "visit.ics?lang=en")
    assert response["Content-Type"] == "text/calendar; charset=utf-8; method=CANCEL"
    cal, cancelled = parse_ics(response)
    assert str(cal["method"]) == "CANCEL"
    assert str(cancelled["status"]) == "CANCELLED"
    assert str(cancelled["uid"]) == f"{visit.pk}@opsdesk"
    assert cancelled["sequence"] == 2  # the cancellation is a change of its own
    assert cancelled["dtstart"].dt == NEW_SLOT
    assert str(cancelled["summary"]) == "Visit: fibre installation"


def test_no_calendar_file_before_a_visit_is_booked(desk: Any, frozen_clock: Any) -> None:
    case = receive_order(desk, "TS-4")
    link = case_link(case.pk)  # signed with the current second: made once
    response = Client().get(link + "visit.ics")
    assert response.status_code == 302
    assert response["Location"] == link
