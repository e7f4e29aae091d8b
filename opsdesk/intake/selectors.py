"""Which active playbooks take requests, and on which channels."""

from __future__ import annotations

from opsdesk.cases.models import Case, CaseStatus, PlaybookVersion
from opsdesk.cases.playbooks import active_versions_for
from opsdesk.comms.models import Direction, Message
from opsdesk.playbook.model import Playbook

TRIGGER = "request.received"


def request_playbooks(channel: str | None = None) -> list[tuple[PlaybookVersion, Playbook]]:
    """Active `request.received` playbooks, those taking `channel` if given."""
    return [
        (version, pb)
        for version, pb in active_versions_for(TRIGGER)
        if pb.intake is not None and (channel is None or channel in pb.intake.channels)
    ]


def request_playbook(key: str, channel: str | None = None) -> tuple[PlaybookVersion, Playbook]:
    """The active request playbook `key` (taking `channel`); LookupError if none."""
    for version, pb in request_playbooks(channel):
        if pb.key == key:
            return version, pb
    raise LookupError(key)


def playbook_for_addresses(addresses: list[str]) -> tuple[PlaybookVersion, Playbook] | None:
    """The email-taking request playbook whose intake address is among `addresses`."""
    wanted = {a.strip().lower() for a in addresses}
    for version, pb in request_playbooks("EMAIL"):
        if pb.intake is not None and pb.intake.email.strip().lower() in wanted:
            return version, pb
    return None


def open_case_under(customer_id: str, playbook_key: str) -> Case | None:
    """The customer's latest open case under any version of the playbook."""
    return (
        Case.objects.filter(
            customer_id=customer_id, status=CaseStatus.OPEN, playbook__key=playbook_key
        )
        .order_by("-opened_at")
        .first()
    )


def receipt_address(case: Case) -> str:
    """Where the case's first outbound message (the receipt) goes, or ""."""
    first = (
        Message.objects.filter(case=case, direction=Direction.OUTBOUND)
        .order_by("created_at", "id")
        .values_list("to_address", flat=True)
        .first()
    )
    return first or ""
