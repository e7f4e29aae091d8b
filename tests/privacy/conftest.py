"""The privacy tests' world: the security world (tests/security/world.py), built
for each test (erasure deletes stored files, which a rolled-back savepoint would
not bring back), with its own media folder and the clock at NOW."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.test.utils import override_settings

from tests.security.world import NOW, World, build_world


@contextmanager
def world_at_now(media: Path) -> Iterator[World]:
    """The security world with its own media folder, built and used with the clock at NOW."""
    from opsdesk.common import clock

    with override_settings(
        MEDIA_ROOT=str(media),
        OPSDESK_PAYMENT_PROVIDER="test",
        OPSDESK_TEST_PAYMENT_SECRET="privacy-test-secret",
    ):
        clock.set_now(NOW)
        try:
            yield build_world()
        finally:
            clock.set_now(None)


@pytest.fixture
def world(db: Any, tmp_path: Path) -> Iterator[World]:
    with world_at_now(tmp_path / "media") as w:
        yield w


def close_cases(customer_id: str) -> None:
    """Every case of the customer closed through the engine: the ticket cancelled by
    the customer, each contact case told its contact closed."""
    from opsdesk.cases.models import Case, CaseStatus
    from opsdesk.cases.services import dispatch
    from opsdesk.common.actors import Actor
    from opsdesk.contacts.models import Contact
    from opsdesk.engine.types import Event

    system = Actor("system")
    contact_cases = set(
        Contact.objects.filter(customer_id=customer_id).values_list("case_id", flat=True)
    )
    for case in Case.objects.filter(customer_id=customer_id, status=CaseStatus.OPEN):
        event = "contact.closed" if case.pk in contact_cases else "customer.cancelled"
        dispatch(case.pk, Event(event), system)
    still = list(Case.objects.filter(customer_id=customer_id, status=CaseStatus.OPEN))
    assert not still, [(c.number, c.state) for c in still]


EMAIL = "mehmet.demir@example.com"


def enrich(world: World) -> list[str]:
    """More of Mehmet's personal data, copied where the product copies it: an email
    on his profile, a logged message naming him, a task about him, a document
    uploaded under his name. Returns the values erasure must leave nowhere."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opsdesk.common.actors import Actor
    from opsdesk.comms.services import message_log
    from opsdesk.customers.documents import document_upload
    from opsdesk.customers.services import customer_update
    from opsdesk.tasks.services import task_create
    from tests.security.world import PDF

    agent = Actor.of_user(world.users["agent"])
    c = world.customer
    customer_update(c.pk, {"email": EMAIL}, agent)
    message_log(
        customer_id=c.pk,
        channel="PHONE",
        direction="INBOUND",
        body="Mehmet Demir called from +90 532 123 45 67 about the modem",
        actor=agent,
        case_id=world.case.pk,
    )
    task_create(case_id=world.case.pk, actor=agent, title="Call Mehmet Demir back")
    document_upload(
        c,
        doc_type="passport",
        file=SimpleUploadedFile("mehmet-demir-passport.pdf", PDF, content_type="application/pdf"),
        actor=agent,
        case=world.case,
    )
    c.refresh_from_db()
    # The surname alone is not a needle: the technician is a Tolga Demir (staff keep
    # their names); the full name and the given name are.
    return [c.full_name, c.given_name, c.phone, EMAIL, "+90 532 123 45 67", "Bağdat Cad. 10"]
