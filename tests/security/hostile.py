"""The security world with hostile customer data (tests/security/test_escaping.py).

`make_hostile(world)` overwrites what customers (or staff copying what customers
said) put into the world's data for Mehmet: his names, phone and email as typed,
his service order (address, city, postcode, the channel's reference), inbound
WhatsApp/SMS/email messages, a timeline note, his feedback comment and the
testimonial kept from it, a document's type and file name, a task title and his
case's text fields. It goes through the services where one changes the value
(customer_update, message_receive, document_upload, task_create); the service
order, the feedback and the case fields have no edit service (they come in once,
from the channel or the customer), so those rows are updated in place.

Every value holds a marker naming it (`XSSgiven`, ...) followed by markup,
attribute-breaking quotes, a `javascript:` URL or template syntax, so a test can
tell which value reached a page and that it arrived inert.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsdesk.common.actors import Actor
from tests.security.world import PDF, World

SCRIPT = '<script>alert("x1")</script>'
IMG = '"><img src=x onerror=alert(2)>'
JS = "javascript:alert(3)"
# Rendered by a template engine, `[[{{ 7*7 }}]]` would become `[[49]]`.
SSTI = "[[{{ 7*7 }}]]"
SSTI_RENDERED = "[[49]]"
RAW = "{% raw %}"
HOSTILE_PHONE = "+90 532 123 45 67"  # Mehmet's phone (tests/service_desk.order_data)
HOSTILE_EMAIL = "mehmet.demir@example.com"


def payload(marker: str) -> str:
    """A value that breaks out of text, attributes and templates: under the 100
    characters a name may have."""
    return f"{marker}{SCRIPT}{IMG}{SSTI}{RAW}"


def link_payload(marker: str) -> str:
    """A value that would run if it were ever used as a whole URL."""
    return f"{JS}//{marker}{IMG}"


@dataclass(frozen=True)
class Hostile:
    markers: dict[str, str]  # marker -> what it is (for failure messages)


def make_hostile(w: World) -> Hostile:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opsdesk.cases.apply import timeline_row
    from opsdesk.cases.models import Case
    from opsdesk.common import clock
    from opsdesk.comms.services import message_receive
    from opsdesk.customers.documents import document_upload
    from opsdesk.customers.services import customer_update
    from opsdesk.feedback.models import Feedback, Testimonial
    from opsdesk.orders.models import ServiceOrder
    from opsdesk.tasks.services import task_create

    staff = Actor.of_user(w.users["agent"])
    customer_id = w.customer.pk
    markers: dict[str, str] = {}

    def mark(marker: str, what: str, value: str) -> str:
        markers[marker] = what
        return value

    now = clock.now()
    # A valid address first, so the inbound email below finds Mehmet.
    customer_update(customer_id, {"email": HOSTILE_EMAIL}, staff)
    for channel, address in (
        ("WHATSAPP", HOSTILE_PHONE.replace(" ", "")),
        ("SMS", HOSTILE_PHONE.replace(" ", "")),
        ("EMAIL", HOSTILE_EMAIL),
    ):
        marker = f"XSSmsg{channel.lower()}"
        received = message_receive(
            channel=channel,
            from_address=address,
            body=mark(marker, f"inbound {channel} body", payload(marker) + "\n" + JS),
            provider_message_id=f"hostile-{channel}",
            at=now,
            actor=Actor(f"webhook:{channel.lower()}"),
        )
        assert received is not None and received.customer_id == customer_id, channel
    customer_update(
        customer_id,
        {
            "given_name": mark("XSSgiven", "given name", payload("XSSgiven")),
            "middle_name": mark("XSSmiddle", "middle name", link_payload("XSSmiddle")),
            "family_name": mark("XSSfamily", "family name", payload("XSSfamily")),
            # Not phone numbers or addresses: kept as typed (phone_raw, email_raw).
            "phone": mark("XSSphone", "phone as typed", "XSSphone" + IMG[:30]),
            "email": mark("XSSemail", "email as typed", payload("XSSemail") + "@x"),
        },
        staff,
    )
    ServiceOrder.objects.filter(case_id=w.case.pk).update(
        address=mark("XSSaddress", "order address", payload("XSSaddress")),
        city=mark("XSScity", "order city", payload("XSScity")),
        postcode=mark("XSSpost", "order postcode", "XSSpost<b>x</b>"),
        external_ref=mark("XSSref", "the channel's order reference", payload("XSSref")),
        # The order's `notes` and `extra` are shown on no page for a scheduled order
        # (not even the API's): left out, as nothing here would test them.
    )
    case = Case.objects.get(pk=w.case.pk)
    case.fields = {
        **case.fields,
        "customer_type": mark("XSSctype", "case field customer_type", payload("XSSctype")),
        "retention_notes": mark("XSSretain", "case field retention_notes", payload("XSSretain")),
        "survey_comment": mark("XSSsurvey", "case field survey_comment", payload("XSSsurvey")),
    }
    case.save(update_fields=["fields"])
    timeline_row(
        case,
        customer_id,
        "NOTE",
        staff,
        now,
        text=mark("XSSnote", "timeline note", payload("XSSnote") + "\n" + JS),
    ).save()
    comment = mark("XSSfeedback", "feedback comment", payload("XSSfeedback"))
    Feedback.objects.filter(case_id=case.pk).update(comment=comment)
    Testimonial.objects.filter(feedback__case_id=case.pk).update(text=comment)
    document_upload(
        w.customer,
        doc_type=mark("XSSdoctype", "document type", payload("XSSdoctype")),
        file=SimpleUploadedFile(
            mark("XSSfile", "document file name", payload("XSSfile").replace("/", "") + ".pdf"),
            PDF,
            content_type="application/pdf",
        ),
        actor=staff,
        case=case,
    )
    task_create(
        case_id=case.pk,
        actor=staff,
        title=mark("XSStask", "task title typed from a call", payload("XSStask")),
    )
    return Hostile(markers)
