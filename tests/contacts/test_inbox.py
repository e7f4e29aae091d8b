"""The desk's inbox: a customer's WhatsApp or email with no contact yet waits on
/contacts/new/ and a contact is started on it, on one of the customer's tickets;
the safety queue shows safety contacts to the Safety desk only."""

from __future__ import annotations

from django.test import Client

from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.comms.services import message_receive
from opsdesk.contacts.models import Contact
from opsdesk.contacts.services import contact_close
from tests.contacts.conftest import ContactDesk
from tests.contacts.test_services import counts, opened


def whatsapp(body: str, ref: str, phone: str = "+905321234567") -> Message:
    message = message_receive(
        channel="WHATSAPP",
        from_address=phone,
        body=body,
        provider_message_id=ref,
        at=clock.now(),
        actor=Actor("whatsapp"),
    )
    assert message is not None
    return message


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=f"pw-{username}-123")
    return client


def test_a_waiting_whatsapp_becomes_a_contact_on_the_ticket(desk: ContactDesk) -> None:
    message = whatsapp("Where is my technician?", "wamid.1")
    client = signed_in("cem")
    html = client.get("/contacts/new/").content.decode()
    assert f'id="message-{message.pk}"' in html and "Where is my technician?" in html
    assert f'<option value="{desk.ticket.pk}">{desk.ticket.number}' in html

    started = client.post("/contacts/new/", {"message_id": message.pk, "ticket_id": desk.ticket.pk})
    contact = Contact.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/contacts/{contact.pk}/"
    assert (contact.channel, contact.message_id, contact.ticket_id) == (
        "WHATSAPP",
        message.pk,
        desk.ticket.pk,
    )
    assert f'id="message-{message.pk}"' not in client.get("/contacts/new/").content.decode()

    # The same message twice: refused, nothing written.
    before = counts()
    again = client.post("/contacts/new/", {"message_id": message.pk, "ticket_id": desk.ticket.pk})
    assert again.status_code == 422
    assert "a contact already answers this message" in again.content.decode()
    assert counts() == before


def test_a_message_cannot_be_answered_on_another_customers_ticket(desk: ContactDesk) -> None:
    from opsdesk.customers.services import CustomerInput, customer_create

    other = customer_create(
        CustomerInput(given_name="Ali", family_name="Veli", phone="+905559998877", whatsapp=True),
        Actor("test"),
    )
    assert other.pk != desk.ticket.customer_id
    message = Message.objects.create(
        customer=other,
        channel="WHATSAPP",
        direction="INBOUND",
        body="hello",
        status="RECEIVED",
        provider_message_id="wamid.2",
        actor="whatsapp",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    before = counts()
    refused = signed_in("cem").post(
        "/contacts/new/", {"message_id": message.pk, "ticket_id": desk.ticket.pk}
    )
    assert refused.status_code == 422
    assert "the message is from another customer" in refused.content.decode()
    assert counts() == before


def test_the_safety_queue_is_the_safety_desks_alone(desk: ContactDesk) -> None:
    contact = opened(desk, "complaint", ("kind", "safety"))
    contact_close(
        contact.pk,
        remarks="the technician was threatening",
        preferred_at=None,
        actor=Actor.of_user(desk.cem.user),
    )
    sena = signed_in("sena").get("/contacts/safety/").content.decode()
    assert f'id="safety-{contact.pk}"' in sena and "the technician was threatening" in sena
    for outsider in ("cem", "olga"):
        html = signed_in(outsider).get("/contacts/safety/").content.decode()
        assert 'id="no-safety"' in html and "threatening" not in html
