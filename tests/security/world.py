"""One world for the authorization matrix, built through the project's services.

The service-order desk (tests/portal/helpers): the shipped service-order playbook,
its teams and a telesales channel whose integration user sent the orders. Mehmet
Demir's order is a case owned by Istanbul COBO, confirmed and scheduled; Zeynep
Korkmaz is a second customer, in Ankara, whose case Ankara COBO owns (the
id-guessing tests use her).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from opsdesk.common.actors import Actor

# Wednesday 28 October 2026, 10:00 in Istanbul (as tests/conftest.py).
NOW = dt.datetime(2026, 10, 28, 7, 0, tzinfo=dt.UTC)
VISIT = dt.datetime(2026, 11, 3, 6, 0, tzinfo=dt.UTC)
OTHER_NAME = "Zeynep"
OTHER_FAMILY = "Korkmaz"
# A well-formed id that names nothing: ids are a prefix plus 16 base62 characters.
MISSING = "zzzzzzzzzzzzzzzz"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class World:
    users: dict[str, Any]  # persona -> django User (the staff personas)
    token: str  # the sales channel integration's API token
    customer: Any
    case: Any
    link: str  # the customer's link token (portal)
    other_customer: Any
    other_case: Any
    other_link: str
    ids: dict[str, str] = field(default_factory=dict)  # URL parameter -> value


def build_world() -> World:
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opsdesk.billing.models import PaymentLink
    from opsdesk.billing.services import (
        Line,
        QuoteLineInput,
        invoice_issue,
        payment_link_create,
        quote_create,
        quote_send,
        retainer_create,
    )
    from opsdesk.cases.models import Case
    from opsdesk.cases.playbooks import playbook_install
    from opsdesk.comms.models import Message
    from opsdesk.contacts.services import contact_open
    from opsdesk.customers.documents import document_upload
    from opsdesk.feedback.services import feedback_submit, testimonial_keep
    from opsdesk.field.models import WorkOrder, WorkOrderStatus
    from opsdesk.field.services import work_order_create
    from opsdesk.orders.models import ServiceOrder
    from opsdesk.orders.services import channel_create
    from opsdesk.portal.links import case_token
    from opsdesk.staff.models import BusinessCalendar, Team
    from opsdesk.staff.services import agent_create
    from opsdesk.tasks.services import task_create
    from tests.contacts.conftest import install_contact_desk
    from tests.portal.helpers import PLAYBOOKS, TEAMS, confirm, receive_order
    from tests.service_desk import field_crew

    playbook_install((PLAYBOOKS / "service-order.yaml").read_text())
    install_contact_desk()
    calendar = BusinessCalendar.objects.create(name="Istanbul office", country="TR")
    teams = {name: Team.objects.create(name=name, calendar=calendar) for name in TEAMS}
    owner = teams["Istanbul COBO"]
    cem = agent_create(
        username="cem",
        name="Cem Cobo",
        password="pw-cem-123",
        team=owner,
        languages=["tr", "en"],
        service_types=["fiber_install", "modem_swap", "tv_setup"],
    )
    mona = agent_create(
        username="mona",
        name="Mona Manager",
        password="pw-mona-123",
        team=owner,
        role="manager",
        languages=["tr", "en"],
    )
    olga = agent_create(
        username="olga",
        name="Olga Sales",
        password="pw-olga-123",
        team=teams["Sales"],
        languages=["tr", "en"],
    )
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    tech = field_crew("tolga")
    channel, token = channel_create(
        key="telesales", name="Telesales", kind="TELESALES", webhook_url="http://127.0.0.1:9/hb"
    )

    case = confirm(receive_order(channel, "SEC-1"), VISIT)
    other_case = confirm(
        receive_order(
            channel,
            "SEC-2",
            given_name=OTHER_NAME,
            family_name=OTHER_FAMILY,
            phone="+90 532 765 43 21",
            address="Atatürk Blv. 5, Çankaya",
            city="Ankara",
            postcode="06420",
            latitude=39.92,
            longitude=32.85,
        ),
        VISIT + dt.timedelta(days=1),
    )
    assert case.team_id == owner.pk, case.team_id
    assert other_case.team_id == teams["Ankara COBO"].pk, other_case.team_id
    customer = case.customer
    agent = Actor.of_user(cem.user)

    task = task_create(case_id=case.pk, actor=agent, title="Call the building manager")
    quote = quote_send(
        quote_create(
            customer,
            [QuoteLineInput("Fibre install", Decimal("1"), Decimal("500.00"), Decimal("0.20"))],
            currency="TRY",
            actor=agent,
            case=case,
        ).pk,
        agent,
    )
    link = payment_link_create(quote.pk, actor=agent)
    invoice = invoice_issue(
        customer,
        [Line("Fibre install", 1, Decimal("500.00"), tax_rate=Decimal("0.20"))],
        currency="TRY",
        actor=agent,
        now=NOW,
        case=case,
    )
    retainer = retainer_create(
        customer,
        description="Monthly maintenance",
        amount=Decimal("100.00"),
        currency="TRY",
        period="MONTHLY",
        starts_on=dt.date(2026, 11, 1),
        actor=agent,
    )
    contact = contact_open(case.pk, "CALL", agent)
    ankara = Actor("system")
    other_quote = quote_create(
        other_case.customer,
        [QuoteLineInput("Modem swap", Decimal("1"), Decimal("90.00"), Decimal("0.20"))],
        currency="TRY",
        actor=ankara,
        case=other_case,
    )
    other_invoice = invoice_issue(
        other_case.customer,
        [Line("Modem swap", 1, Decimal("90.00"))],
        currency="TRY",
        actor=ankara,
        now=NOW,
        case=other_case,
    )
    other_document = document_upload(
        other_case.customer,
        doc_type="id_card",
        file=SimpleUploadedFile("zeynep-id.pdf", PDF, content_type="application/pdf"),
        actor=ankara,
        case=other_case,
    )
    feedback = feedback_submit(case.pk, 5, "Quick and tidy", True, "WEB", Actor("system"))
    testimonial = testimonial_keep(case, feedback.pk, NOW)
    wo = work_order_create(
        latitude=40.98,
        longitude=29.06,
        address="Bağdat Cad. 10, Kadıköy",
        window_start=VISIT,
        window_end=VISIT + dt.timedelta(hours=2),
        duration_minutes=60,
        required_skills=["fiber"],
        actor=agent,
        case=case,
    )
    WorkOrder.objects.filter(pk=wo.pk).update(
        status=WorkOrderStatus.PLANNED, technician=tech, route_position=1, planned_start=VISIT
    )
    order = ServiceOrder.objects.get(case_id=case.pk)
    document = document_upload(
        customer,
        doc_type="id_card",
        file=SimpleUploadedFile("id.pdf", PDF, content_type="application/pdf"),
        actor=agent,
        case=case,
    )
    message = Message.objects.filter(customer=customer).first()
    case = Case.objects.get(pk=case.pk)
    users = {
        "admin": admin,
        "manager": mona.user,
        "agent": cem.user,
        "other_agent": olga.user,
        "technician": tech.agent.user,
    }
    ids = {
        "customer_id": customer.pk,
        "agent_pk": cem.pk,  # for bodies (assign)
        "case_id": case.pk,
        "task_id": task.pk,
        "quote_id": quote.pk,
        "invoice_id": invoice.pk,
        "retainer_id": retainer.pk,
        "contact_id": contact.pk,
        "testimonial_id": testimonial.pk if testimonial else MISSING,
        "work_order_id": wo.pk,
        "technician_id": tech.pk,
        "order_id": order.pk,
        "document_id": document.pk,
        "message_id": message.pk if message else MISSING,
        "other_customer_id": other_case.customer_id,
        "other_case_id": other_case.pk,
        "other_quote_id": other_quote.pk,
        "other_invoice_id": other_invoice.pk,
        "other_document_id": other_document.pk,
        "document_file": document.file.name,
        "ref": PaymentLink.objects.get(pk=link.pk).provider_ref,
        "playbook": "service-order",
        "key": "service-order",
        "provider": "test",
        "token": case_token(case.pk),
        # No flag, application, traveller or missing item in this world (the
        # service-order desk has none); the matrix rows say so.
        "flag_id": "flg_" + MISSING,
        "application_id": "app_" + MISSING,
        "traveller_id": "trv_" + MISSING,
        "item_id": "999999",
    }
    return World(
        users=users,
        token=token,
        customer=customer,
        case=case,
        link=ids["token"],
        other_customer=other_case.customer,
        other_case=other_case,
        other_link=case_token(other_case.pk),
        ids=ids,
    )
